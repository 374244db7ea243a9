"""``risk`` and ``unicity`` on a release series: the measure of everything the recipient holds (R17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from datacustoms.cli.common import emit


def series_command(path: str, release_key: str | None, fmt: str, output: Path | None, *, force: bool = False,
                   kind: str = "risk", **options: Any) -> bool:  # fmt: skip
    """False when ``path`` is no series (and neither ``release_key`` nor ``force`` says it is one);
    else measure it, print it as ``fmt`` (text, json, html, sarif or junit) and exit, 1 when R17 fails."""
    from datacustoms.io.series import looks_like_series

    if release_key is None and not force and not looks_like_series(path):
        return False
    from datacustoms.flows.series import measure_series, open_series
    from datacustoms.report.ci import Checked
    from datacustoms.report.registry import render
    from datacustoms.report.series import series_lines

    result = measure_series(open_series(path, release_key=release_key), **options)

    def data() -> str:
        doc = result.model_dump(mode="json")
        doc["verdict"] = "fail" if result.failed else "pass"
        return json.dumps(doc, ensure_ascii=False, indent=2)

    def text() -> str:
        checks = [f"[{c.status}] {c.rule} {c.subject}: {c.message}" for c in result.checks]
        return "\n".join([*series_lines(result), "", *checks, f"verdict: {'FAIL' if result.failed else 'pass'}"])

    def html() -> str:
        from datacustoms.report.html import render_measure_html

        return render_measure_html(kind, path, result.checks, series=result)

    emit(render(kind, fmt, Checked(kind, path, result.checks, text=text, data=data, html=html)), output)
    raise typer.Exit(1 if result.failed else 0)
