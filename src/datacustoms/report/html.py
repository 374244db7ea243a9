"""One self-contained HTML page for a report: readable offline, from a file, with no network request.

Everything is inline: the CSS, and the charts as SVG drawn here (no script, no font, no image, no
link to any URL). The page reads top-down: the verdict first, then per column what was found and
what was done, the reversal results (keyspace, rate, time), the risk figures with charts
(class-size distribution, unicity by number of points, before → after) and, for a transfer, the
ledger record. Stages the report does not have are left out; attributes are read defensively so a
report from an older or newer stage still renders. Recovered plaintexts never appear: only what
the report model holds (counts and masked examples).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from datacustoms.attack.text import human_rate, human_seconds
from datacustoms.model.report import Report
from datacustoms.model.rules import explain
from datacustoms.report.text import QI_ORIGIN, combination_lines

#: class-size buckets for the distribution chart (lower bounds)
SIZE_BUCKETS = (1, 2, 3, 4, 5, 10, 20, 50, 100)
_SECRET_WORDS = ("plain", "secret", "salt", "key_material", "recovered_values", "revealed")


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("datacustoms.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["dur"] = _duration
    env.filters["explain"] = explain
    return env


# ------------------------------------------------------------------------------------------ format


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value and (abs(value) >= 1e7 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _pct(value: Any) -> str:
    if value is None:
        return "—"
    v = float(value)
    return f"{v:.1%}" if v < 0.999 or v == 1 else f"{v:.2%}"


def _duration(seconds: Any) -> str:
    return "—" if seconds is None else human_seconds(float(seconds))


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    """First present attribute (or mapping key) of ``names``: tolerant of model changes."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, Mapping) and not hasattr(value, "model_dump"):
        return list(value.values())
    return [value]


def _scalars(obj: Any, skip: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Scalar fields of a model or mapping as (label, text), never fields that could hold secrets."""
    data = obj.model_dump(mode="json") if hasattr(obj, "model_dump") else dict(obj) if isinstance(obj, Mapping) else {}
    out: list[tuple[str, str]] = []
    for name, value in data.items():
        if name in skip or any(w in name.lower() for w in _SECRET_WORDS):
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            out.append((name.replace("_", " "), _num(value)))
        elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value) and len(value) <= 12:
            out.append((name.replace("_", " "), ", ".join(_num(v) for v in value)))
    return out


# ------------------------------------------------------------------------------------------ charts


def _svg(width: int, height: int, body: str, title: str) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, value_labels: Sequence[str] | None = None,
    highlight: Sequence[bool] | None = None, y_max: float | None = None, whiskers: Sequence[tuple[float, float]] | None = None,
) -> Markup:
    """Vertical bars with labels under them and the value over them (inline SVG, no script)."""
    width, height, left, bottom, top = 640, 240, 40, 40, 20
    n = max(len(values), 1)
    top_value = y_max if y_max is not None else max([float(v) for v in values] + [1e-12])
    plot_h = height - bottom - top
    slot = (width - left - 10) / n
    bar_w = max(slot * 0.7, 2)
    parts = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" class="axis"/>']
    for i, v in enumerate(values):
        h = 0.0 if top_value <= 0 else plot_h * min(float(v) / top_value, 1.0)
        x = left + i * slot + (slot - bar_w) / 2
        y = height - bottom - h
        cls = "bar hot" if highlight and highlight[i] else "bar"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" class="{cls}"/>')
        if whiskers:
            lo, hi = whiskers[i]
            y_lo = height - bottom - plot_h * min(lo / top_value, 1.0)
            y_hi = height - bottom - plot_h * min(hi / top_value, 1.0)
            cx = x + bar_w / 2
            parts.append(f'<line x1="{cx:.1f}" y1="{y_lo:.1f}" x2="{cx:.1f}" y2="{y_hi:.1f}" class="whisker"/>')
        text = value_labels[i] if value_labels else _num(v)
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" class="val">{escape(text)}</text>')
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" class="lab">{escape(labels[i])}</text>'
        )
    return _svg(width, height, "".join(parts), title)


def paired_chart(rows: Sequence[tuple[str, float, float, str, str]], *, title: str) -> Markup:
    """Before → after as pairs of horizontal bars, each row scaled to its own maximum."""
    width, row_h, label_w = 640, 46, 190
    height = max(len(rows), 1) * row_h + 24
    parts = [
        '<text x="190" y="12" class="legend"><tspan class="before-t">■ before</tspan>'
        '<tspan class="after-t" dx="12">■ after</tspan></text>'
    ]
    for i, (label, before, after, before_text, after_text) in enumerate(rows):
        y = 22 + i * row_h
        scale = max(before, after, 1e-12)
        wb = (width - label_w - 90) * (before / scale)
        wa = (width - label_w - 90) * (after / scale)
        parts.append(f'<text x="0" y="{y + 18}" class="rowlab">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{wb:.1f}" height="16" class="before"/>')
        parts.append(f'<text x="{label_w + wb + 4:.1f}" y="{y + 13}" class="val-l">{escape(before_text)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 19}" width="{wa:.1f}" height="16" class="after"/>')
        parts.append(f'<text x="{label_w + wa + 4:.1f}" y="{y + 32}" class="val-l">{escape(after_text)}</text>')
    return _svg(width, height, "".join(parts), title)


def class_size_chart(histogram: Any, k: int | None) -> Markup | None:
    """Share of records by the size of their equivalence class; classes below k in red."""
    sizes = list(_get(histogram, "sizes", default=[]) or [])
    counts = list(_get(histogram, "counts", default=[]) or [])
    if not sizes:
        return None
    records = [0] * len(SIZE_BUCKETS)
    for size, count in zip(sizes, counts, strict=False):
        idx = max(i for i, lo in enumerate(SIZE_BUCKETS) if size >= lo)
        records[idx] += size * count
    total = sum(records) or 1
    labels = []
    for i, lo in enumerate(SIZE_BUCKETS):
        hi = SIZE_BUCKETS[i + 1] - 1 if i + 1 < len(SIZE_BUCKETS) else None
        labels.append(str(lo) if hi == lo else (f"{lo}–{hi}" if hi else f"{lo}+"))
    shares = [r / total for r in records]
    hot = [lo < (k or 0) for lo in SIZE_BUCKETS]
    return bar_chart(labels, shares, title="Records by equivalence-class size", y_max=max([*shares, 1e-12]),
                     value_labels=[_pct(s) if s else "" for s in shares], highlight=hot)


def unicity_chart(unicity: Any) -> Markup | None:
    points = _as_list(_get(unicity, "points"))
    if not points:
        return None
    labels = [f"p={_get(p, 'p')}" for p in points]
    eps = [float(_get(p, "epsilon", default=0.0)) for p in points]
    whiskers = [(float(_get(p, "ci_low", default=e)), float(_get(p, "ci_high", default=e)))
                for p, e in zip(points, eps, strict=True)]
    return bar_chart(labels, eps, title="Share of people singled out by p points", y_max=1.0,
                     value_labels=[_pct(e) for e in eps], highlight=[e > 0.5 for e in eps], whiskers=whiskers)


# ------------------------------------------------------------------------------------------ sections


def _risk_summary(risk: Any) -> dict[str, Any] | None:
    if risk is None:
        return None
    rows = _get(risk, "rows", default=0) or 0
    pros = _get(risk, "prosecutor")
    k = _get(risk, "k")
    thresholds = _get(risk, "thresholds")
    return {
        "qi": ", ".join(_get(risk, "qi", default=[]) or []),
        "rows": rows,
        "k": k,
        "k_required": _get(thresholds, "k") if thresholds is not None else None,
        "classes": _get(risk, "classes"),
        "records_below_k": _get(risk, "records_below_k"),
        "share_below_k": (_get(risk, "records_below_k", default=0) / rows) if rows else None,
        "uniques": _get(risk, "sample_uniques"),
        "highest": _get(pros, "highest") if pros is not None else None,
        "average": _get(pros, "average") if pros is not None else None,
        "journalist": _get(_get(risk, "journalist"), "highest") if _get(risk, "journalist") else None,
        "marketer": _get(_get(risk, "marketer"), "average") if _get(risk, "marketer") else None,
        "max_risk": _get(thresholds, "max_risk") if thresholds is not None else None,
        "chart": class_size_chart(_get(risk, "histogram"), _get(thresholds, "k") if thresholds is not None else k),
        "diversity": [_scalars(d) for d in _as_list(_get(risk, "diversity"))],
    }


def _attack_rows(attacks: Any) -> list[dict[str, Any]]:
    """One row per attacked column (a ``ColumnAttack`` or its JSON form)."""
    rows = []
    for a in _as_list(attacks):
        tried = _as_list(_get(a, "recipes_tried"))
        hit = next((t for t in tried if _get(t, "hits")), tried[0] if tried else None)
        keyspaces = list(dict.fromkeys(str(_get(t, "keyspace")) for t in tried if _get(t, "keyspace")))
        extrapolations = [f"{_get(e, 'label', default='')}: {_duration(_get(e, 'seconds'))}"
                          for e in _as_list(_get(a, "extrapolations"))]
        rows.append({
            "column": _get(a, "column", default="—"),
            "status": _get(a, "status"),
            "reason": _get(a, "reason"),
            "recipe": _get(a, "recipe") or (_get(hit, "recipe") if hit else None) or "—",
            "keyspace": ", ".join(keyspaces[:3]) or "—",
            "keyspace_size": _get(a, "keyspace_covered"),
            "rate": human_rate(float(rate)) if (rate := _get(a, "candidates_per_second")) else "—",
            "seconds": _get(a, "seconds"),
            "full": ", ".join(extrapolations[:3]) or "—",
            "remaining": _get(a, "remaining_seconds"),
            "reversed": _get(a, "rows_reversed_share", "reversed_share"),
            "reversed_rows": _get(a, "rows_reversed"),
            "examples": [str(x) for x in _as_list(_get(a, "examples"))][:3],
        })
    return rows


#: the reversal table's columns that only a full attack result fills (a proof's snapshot has none of them)
OPTIONAL_ATTACK_FIELDS = ("keyspace", "keyspace_size", "rate", "seconds", "full", "reversed", "examples")


def shown_attack_fields(rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """The optional reversal columns some row fills: a column empty in every row is left out."""
    def filled(value: Any, name: str) -> bool:
        return value is not None if name == "reversed" else value not in (None, "", "—", [], 0)

    return {f for f in OPTIONAL_ATTACK_FIELDS if any(filled(r.get(f), f) for r in rows)}


#: what a keyed protection makes of a column, by action: the label the output column gets
PROTECTED_KINDS = {"pseudonymize": "keyed pseudonym", "tokenize": "random token", "encrypt": "ciphertext"}


def protected_kind(action: str, detail: str) -> str | None:
    """The kind of an output column a keyed action wrote (detection would mistake an HMAC for a plain digest)."""
    label = PROTECTED_KINDS.get(action)
    if label is None:
        return None
    method = detail.split(",")[0].strip() if detail else ""
    return f"{label} ({method})" if method else label


def _before_after(before: Any, after: Any) -> Markup | None:
    """Before → after pairs for whatever both reports measured."""
    rows: list[tuple[str, float, float, str, str]] = []
    rb, ra = _get(before, "risk"), _get(after, "risk")
    rb = rb[0] if isinstance(rb, list) and rb else rb
    ra = ra[0] if isinstance(ra, list) and ra else ra
    if rb is not None and ra is not None:
        for label, name in (("highest risk (prosecutor)", "highest"), ("average risk", "average")):
            b = _get(_get(rb, "prosecutor"), name)
            a = _get(_get(ra, "prosecutor"), name)
            if b is not None and a is not None:
                rows.append((label, float(b), float(a), _pct(b), _pct(a)))
        for label, name in (("records in classes below k", "records_below_k"), ("unique records", "sample_uniques")):
            b, a = _get(rb, name), _get(ra, name)
            if b is not None and a is not None:
                rows.append((label, float(b), float(a), _num(b), _num(a)))
        kb, ka = _get(rb, "k"), _get(ra, "k")
        if kb is not None and ka is not None:
            rows.append(("k (smallest class)", float(kb), float(ka), _num(kb), _num(ka)))
    shares_b = {r["column"]: r["reversed"] for r in _attack_rows(_get(before, "attacks")) if r["reversed"] is not None}
    for r in _attack_rows(_get(after, "attacks")):
        if r["reversed"] is not None and r["column"] in shares_b:
            b = float(shares_b[r["column"]])
            rows.append((f"{r['column']}: reversed", b, float(r["reversed"]), _pct(b), _pct(r["reversed"])))
    fb = sum(1 for c in _as_list(_get(before, "checks")) if _get(c, "status") == "fail")
    fa = sum(1 for c in _as_list(_get(after, "checks")) if _get(c, "status") == "fail")
    rows.append(("failed checks", float(fb), float(fa), str(fb), str(fa)))
    return paired_chart(rows, title="Before → after protection") if rows else None


def _record_rows(record: Any) -> list[tuple[str, str]]:
    data = record.model_dump(mode="json") if hasattr(record, "model_dump") else dict(record)
    out: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        label = prefix.replace("_", " ")
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}", v)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out.append((label, "; ".join(", ".join(f"{k}: {_num(x)}" for k, x in v.items() if x is not None)
                                          for v in value)))
        elif isinstance(value, list):
            out.append((label, ", ".join(_num(v) for v in value) or "—"))
        else:
            out.append((label, _num(value)))

    for key, value in data.items():
        walk(key, value)
    return out


def _refusal(record: Any, failed: Sequence[Any]) -> list[str]:
    """The record's refusal reasons, less those that repeat a failed check listed beside them."""
    if record is None:
        return []
    listed = {f"{_get(c, 'rule')} {_get(c, 'subject')}: {_get(c, 'message')}" for c in failed}
    return [r for r in _as_list(_get(record, "refusal_reasons")) if str(r) not in listed]


def _column_rows(report: Any, before: Any, actions: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """One row per column: what detection found (before protection when given) and what was done."""
    findings = _as_list(_get(report, "findings"))
    before_findings = {_get(f, "column"): f for f in _as_list(_get(before, "findings"))} if before is not None else {}
    column_rows = []
    names = list(before_findings) + [_get(f, "column") for f in findings if _get(f, "column") not in before_findings]
    after_map = {_get(f, "column"): f for f in findings}
    for name in names:
        found = before_findings.get(name) or after_map.get(name)
        after_f = after_map.get(name) if before is not None else None
        ev = _as_list(_get(found, "evidence"))
        column_rows.append({
            "column": name,
            "kind": _get(found, "kind", default="—"),
            "role": _get(found, "role", default="—"),
            "score": _get(found, "score"),
            "evidence": (f"{_pct(_get(ev[0], 'matched_share'))} of {_num(_get(ev[0], 'distinct_sampled'))} distinct"
                         + (f"; header {_get(ev[0], 'header_hint')!r}" if _get(ev[0], "header_hint") else ""))
            if ev else "",
            "uncertain": _get(found, "uncertain"),
            "action": (actions or {}).get(name, "—" if before is None else ("dropped" if after_f is None else "—")),
            "after": (f"{_get(after_f, 'kind')} / {_get(after_f, 'role')}" if after_f is not None else
                      ("not sent" if before is not None else None)),
        })
    return column_rows


def render_html(
    report: Any,
    *,
    before: Any = None,
    record: Any = None,
    actions: Mapping[str, str] | None = None,
    title: str | None = None,
) -> str:
    """Render ``report`` (the output's report, or an inspection) as one self-contained page.

    ``before``: the input's report, for before → after; ``record``: the ledger record of a
    transfer (a :class:`~datacustoms.ledger.model.TransferRecord` or its dict); ``actions``:
    column → what protection did to it (e.g. ``"pseudonymize (key k-2026-01)"``).
    """
    before = before if before is not None else getattr(report, "before", None)
    failed = [c for c in _as_list(_get(report, "checks")) if _get(c, "status") == "fail"]
    warned = [c for c in _as_list(_get(report, "checks")) if _get(c, "status") == "warn"]
    verdict = "fail" if failed else "pass"
    status = _get(record, "status") if record is not None else None
    if status == "refused":
        verdict = "fail"
    source = _get(report, "source")
    column_rows = _column_rows(report, before, actions)
    risk = _get(report, "risk")
    risks = [_risk_summary(r) for r in _as_list(risk)]
    before_risks = [_risk_summary(r) for r in _as_list(_get(before, "risk"))] if before is not None else []
    unicity = _get(report, "unicity")
    attacks = _attack_rows(_get(report, "attacks"))
    before_attacks = _attack_rows(_get(before, "attacks")) if before is not None else []
    context = {
        "title": title or f"datacustoms — {_get(source, 'name', default='report')}",
        "verdict": verdict,
        "status": status,
        "failed": failed,
        "warned": warned,
        "checks": _as_list(_get(report, "checks")),
        "source": _get(before, "source") if before is not None else source,
        "created": _fmt_time(_get(report, "created")),
        "tool_version": _get(report, "tool_version", default=""),
        "columns": column_rows,
        "show_columns": before is not None or _get(report, "findings") is not None,
        "has_before": before is not None,
        "attacks": attacks,
        "before_attacks": before_attacks,
        "risks": [r for r in risks if r],
        "before_risks": [r for r in before_risks if r],
        "unicity": unicity,
        "unicity_chart": unicity_chart(unicity) if unicity is not None else None,
        "unicity_points": _as_list(_get(unicity, "points")) if unicity is not None else [],
        **_series_context(_get(report, "series")),
        "before_after": _before_after(before, report) if before is not None else None,
        "record": _record_rows(record) if record is not None else None,
        "refusal": _refusal(record, failed),
        "output": source if before is not None else None,
        "before_shown": shown_attack_fields(before_attacks),
        "shown": shown_attack_fields(attacks),
        "notes": _as_list(_get(source, "notes")),
        "scope": _as_list(_get(report, "scope")),
        "qi_origin": QI_ORIGIN.get(_get(report, "qi_origin") or "", ""),
        "combination_lines": combination_lines(report) if isinstance(report, Report) else [],
    }
    return _env().get_template("report.html.j2").render(**context)


def _series_context(series: Any) -> dict[str, Any]:
    if series is None:
        return {"series": None}
    from datacustoms.report.series import series_chart, series_lines

    return {"series": series, "series_chart": series_chart(series), "series_lines": series_lines(series)}


def render_protect_html(
    result: Any,
    proof: Any,
    *,
    checks: Sequence[Any] | None = None,
    record: Any = None,
    risk_before: Any = None,
    risk_after: Any = None,
    output_name: str | None = None,
    title: str | None = None,
    source: Mapping[str, Any] | None = None,
) -> str:
    """A protection run as one page: ``result`` is a ``ProtectResult``, ``proof`` its ``Proof``.

    The proof's before / after snapshots become the two sides; failures of the proof become
    failed checks unless ``checks`` is given (a transfer passes its own, R24–R36 included).
    ``source``: the input as read (name, format, rows, columns), for the page's header.
    """
    if checks is None:
        checks = _as_list(_get(proof, "failures"))
    out_name = output_name or str(_get(result, "output", default="output") or "output").rsplit("/", 1)[-1]
    fmt = _get(result, "format", default="")
    created = _get(record, "created") if record is not None else None

    def side(snapshot: Any, risk: Any, name: str, rows: Any, with_checks: bool) -> dict[str, Any]:
        columns = _as_list(_get(snapshot, "columns")) if snapshot is not None else []
        return {
            "source": {"name": name, "format": fmt, "rows": rows, "columns": len(columns), "notes": []},
            "findings": [{"column": _get(c, "column"), "kind": _get(c, "kind"), "role": _get(c, "role")}
                         for c in columns],
            "attacks": [{"column": _get(c, "column"), "recipe": _get(c, "recipe"),
                         "reversed_share": _get(c, "reversed_share"), "status": _get(c, "attack_status")}
                        for c in columns if _get(c, "attacked")],
            "risk": risk,
            "scope": _as_list(_get(snapshot, "scope")) if snapshot is not None else [],
            "qi_origin": "policy",  # a proof measures both sides with the policy's quasi-identifiers
            "checks": list(checks or []) if with_checks else [],
            "created": created or datetime.now().astimezone(),
            "tool_version": _get(record, "tool_version", default="") if record is not None else "",
        }

    actions: dict[str, str] = {}
    kinds: dict[str, str] = {}
    for step in _as_list(_get(result, "steps")):
        detail = _get(step, "detail")
        actions[str(_get(step, "column"))] = str(_get(step, "action")) + (f" ({detail})" if detail else "")
        if (kind := protected_kind(str(_get(step, "action")), str(detail or ""))) is not None:
            kinds[str(_get(step, "column"))] = kind
    for name in _as_list(_get(result, "dropped")):
        actions[str(name)] = "drop"
    after_snap = _get(proof, "after") if proof is not None else None
    before_snap = _get(proof, "before") if proof is not None else None
    after = side(after_snap, risk_after, out_name, _get(result, "rows_out", default=_get(after_snap, "rows")), True)
    for finding in after["findings"]:
        if finding["column"] in kinds:
            finding["kind"], finding["role"] = kinds[finding["column"]], "pseudonym"
    before = side(before_snap, risk_before, str(_get(result, "input", default="input")).rsplit("/", 1)[-1],
                  _get(result, "rows_in", default=_get(before_snap, "rows")), False) if proof is not None else None
    if before is not None:
        before["source"] = {**before["source"], **{k: v for k, v in (source or {}).items() if v is not None},
                            "format": _input_format(result, source)}
    return render_html(after, before=before, record=record, actions=actions,
                       title=title or f"datacustoms protect — {_get(result, 'recipient', default='')}")


def render_measure_html(kind: str, path: str, checks: Sequence[Any], *, rows: int | None = None,
                        fmt: str = "", **measures: Any) -> str:
    """A ``risk`` or ``unicity`` result (``risk=``, ``unicity=`` or ``series=``) as one page.

    The same template as ``inspect``: the verdict on top, then only the sections the measure fills.
    """
    name = Path(path).name or path
    report = {"source": {"name": name, "format": fmt, "rows": rows, "columns": None, "notes": []},
              "checks": list(checks), "created": datetime.now().astimezone(), **measures}
    return render_html(report, title=f"datacustoms {kind} — {name}")


def _input_format(result: Any, source: Mapping[str, Any] | None) -> str:
    """The input's format: as read (``source``), else from the input's file extension."""
    if source and source.get("format"):
        return str(source["format"])
    suffix = Path(str(_get(result, "input", default=""))).suffix.lower().lstrip(".")
    return {"ndjson": "jsonl", "arrow": "ipc", "feather": "ipc"}.get(suffix, suffix or "—")


def _fmt_time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    if isinstance(value, date):
        return value.isoformat()
    return str(value or "")


__all__ = ["bar_chart", "class_size_chart", "paired_chart", "render_html", "render_measure_html", "render_protect_html",
           "unicity_chart"]
