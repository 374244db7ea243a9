"""Rendering of a release series measure (R17): text lines and an inline SVG chart (no script, no CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape

from datacustoms.model.series import SeriesResult


def series_lines(s: SeriesResult) -> list[str]:
    """A heading, the linking columns, the traceable people, the unicity and the growth table."""
    lines = [
        f"What the recipient holds after {s.releases:,} releases ({s.first_key} … {s.last_key}, {s.rows:,} rows; "
        f"release key from {s.release_key})",
        f"columns measured on {len(s.measured_releases)} release(s): {', '.join(s.measured_releases)}",
    ]
    for c in s.columns:
        if c.links or c.column in s.exact_match_qi:
            what = "links releases" if c.links else "exact-match quasi-identifier"
            recur = f", {c.recurring_share:.0%} of values recur" if c.recurring_share is not None else ""
            stable = f", stable for {c.stable_share:.0%} of people" if c.stable_share is not None else ""
            lines.append(f"  {c.column}: {what} — {c.unique_share:.0%} distinct within a release{recur}{stable}")
    if s.link is None:
        lines.append("  no column links the releases")
        return lines + [f"note: {n}" for n in s.notes]
    if s.exact_match_qi:
        share = s.exact_match_unique_share or 0.0
        lines.append(f"  {' + '.join(s.exact_match_qi)} together: {share:.0%} distinct within a release — they join "
                     "releases by exact match even without the key")  # fmt: skip
    lines.append(f"person key: {s.link}; snapshot = {' + '.join(s.profile) or '(none)'}")
    lines.append(f"traceable across releases: {s.traceable:,} of {s.people:,} people ({s.traceable_share:.0%})")
    if s.unicity is not None:
        u = s.unicity
        eps = ", ".join(f"{p.p}: {p.epsilon:.0%}" for p in u.points if p.eligible)
        lines.append(f"unicity of linked snapshots ({u.sampled:,} sampled of {u.people:,}): by snapshots known — {eps}")
    if s.growth:
        lines += ["", f"{'releases':>8}  {'last key':<12} {'rows':>12}  {'people':>10}  {'traceable':>10}  "
                  f"{'share':>6}  {'p':>2}  {'ε_p':>6}  95% interval"]  # fmt: skip
        for g in s.growth:
            eps = f"{g.epsilon:>6.3f}  [{g.ci_low:.3f}, {g.ci_high:.3f}]" if g.epsilon is not None else "     —"
            lines.append(f"{g.releases:>8,}  {g.last_key:<12} {g.rows:>12,}  {g.people:>10,}  {g.traceable:>10,}  "
                         f"{g.traceable_share:>6.1%}  {g.p or 0:>2}  {eps}")  # fmt: skip
    return lines + [f"note: {n}" for n in s.notes]


def series_chart(s: SeriesResult) -> Markup | None:
    """Traceable share and ε against the number of releases held (log-spaced checkpoints)."""
    if len(s.growth) < 2:
        return None
    width, height, left, bottom, top, right = 640, 260, 44, 44, 24, 16
    n = len(s.growth)
    plot_w, plot_h = width - left - right, height - bottom - top

    def x(i: int) -> float:
        return left + plot_w * i / (n - 1)

    def y(v: float) -> float:
        return top + plot_h * (1 - min(max(v, 0.0), 1.0))

    parts = [f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" class="axis"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0):.1f}" class="axis"/>']  # fmt: skip
    for v in (0.0, 0.5, 1.0):
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" class="lab" text-anchor="end">{v:.0%}</text>')
    for name, values, cls in (("traceable", [g.traceable_share for g in s.growth], "before"),
                              ("ε", [g.epsilon or 0.0 for g in s.growth], "after")):  # fmt: skip
        pts = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline points="{pts}" fill="none" stroke-width="2" class="line-{cls}" stroke="currentColor"/>')
        for i, v in enumerate(values):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" class="{cls}"><title>{escape(name)} after '
                         f'{s.growth[i].releases} releases: {v:.1%}</title></circle>')  # fmt: skip
    for i, g in enumerate(s.growth):
        parts.append(f'<text x="{x(i):.1f}" y="{height - bottom + 16}" class="lab">{g.releases}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" class="lab">releases held</text>')
    parts.append('<text x="50" y="14" class="legend"><tspan class="before-t">● traceable share</tspan>'
                 '<tspan class="after-t" dx="12">● ε (share singled out by p = min(N, max p) snapshots)</tspan></text>')
    title = "Traceable people and unicity by number of releases held"
    return Markup(f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}">'
                  f"<title>{escape(title)}</title>{''.join(parts)}</svg>")  # fmt: skip
