"""Plain-text rendering of attack results (terminal and ``-o`` files).

Only counts, recipes and masked examples are printed; plaintexts appear only when the result
carries them (the caller asked for ``reveal``).
"""

from __future__ import annotations

from datacustoms.model.attack import AttackReport, ColumnAttack

STATUS_WORDS = {
    "reversed": "REVERSED",
    "partially_reversed": "PARTIALLY REVERSED",
    "not_reversed": "not reversed",
    "incomplete": "NOT REVERSED WITHIN THE BUDGET (search incomplete; not evidence of safety)",
    "not_attempted": "not attempted",
}


def human_seconds(s: float) -> str:
    """1.9 s, 5 ms, 3.2 h, 4.1 years."""
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1:
        return f"{s * 1e3:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    if s < 3 * 365 * 86400:
        return f"{s / 86400:.1f} days"
    return f"{s / (365.25 * 86400):.1f} years"


def human_rate(r: float) -> str:
    for unit, scale in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if r >= scale:
            return f"{r / scale:.1f} {unit}/s"
    return f"{r:.0f}/s"


def render_column(c: ColumnAttack) -> list[str]:
    lines = [f"{c.column}: {STATUS_WORDS[c.status]} ({c.mode} mode)", f"  {c.reason}"]
    if c.digest.size:
        case = f", {c.digest.case} case" if c.digest.case else ""
        lines.append(f"  digests: {c.digest.size}-byte, {c.digest.encoding}{case}")
        lines.append(
            f"  rows: {c.rows:,} ({c.distinct_digests:,} distinct digests), {c.rows_null:,} null, "
            f"{c.rows_malformed:,} malformed, {c.rows_whitespace:,} with surrounding whitespace"
        )
    if c.recipe:
        lines.append(f"  recipe: {c.recipe}")
    if c.status in ("reversed", "partially_reversed"):
        lines.append(
            f"  reversed: {c.rows_reversed:,} rows ({c.rows_reversed_share:.1%}), "
            f"{c.distinct_reversed:,} distinct values ({c.distinct_reversed_share:.1%})"
        )
    if c.recipes_tried:
        lines.append(
            f"  tried: {len(c.recipes_tried)} recipe run(s), {c.keyspace_covered:,} candidates in "
            f"{human_seconds(c.seconds)} ({human_rate(c.candidates_per_second)}, {c.engine} engine)"
        )
    for e in c.extrapolations:
        lines.append(f"  {e.label}: {e.candidates:,} candidates in {human_seconds(e.seconds)}")
    if not c.search_complete and c.remaining_seconds:
        lines.append(f"  to finish the planned keyspaces: about {human_seconds(c.remaining_seconds)} on this machine")
    if c.examples:
        lines.append(f"  examples (masked): {', '.join(c.examples)}")
    if c.revealed is not None:
        lines.append(f"  revealed ({len(c.revealed)}):")
        lines.extend(f"    {r.digest}  {r.plaintext}" for r in c.revealed)
    lines.extend(f"  note: {n}" for n in c.notes)
    return lines


def render_report(report: AttackReport) -> str:
    head = f"datacustoms attack — {report.source}" + (f" ({report.rows:,} rows)" if report.rows is not None else "")
    out = [head, ""]
    for c in report.columns:
        out.extend(render_column(c))
        out.append("")
    if report.reversed_any:
        verdict = "hashed identifiers were reversed: a digest without a secret key is not protection"
    elif any(c.status == "incomplete" for c in report.columns):
        verdict = "not reversed within the budget, and the search did not finish: raise --budget to settle it"
    else:
        verdict = "nothing reversed within the budget (this is not proof that the column is safe)"
    out.append(verdict)
    return "\n".join(out) + "\n"
