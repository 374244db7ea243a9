"""``risk`` and ``unicity`` on a release series: the measure of everything the recipient holds (R17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from datacustoms.cli.common import emit


def series_command(path: str, release_key: str | None, as_json: bool, output: Path | None, *, force: bool = False,
                   **options: Any) -> bool:  # fmt: skip
    """False when ``path`` is no series (and neither ``release_key`` nor ``force`` says it is one);
    else measure it, print it (text or JSON) and exit, 1 when R17 fails."""
    from datacustoms.io.series import looks_like_series

    if release_key is None and not force and not looks_like_series(path):
        return False
    from datacustoms.flows.series import measure_series, open_series
    from datacustoms.report.series import series_lines

    result = measure_series(open_series(path, release_key=release_key), **options)
    if as_json:
        data = result.model_dump(mode="json")
        data["verdict"] = "fail" if result.failed else "pass"
        emit(json.dumps(data, ensure_ascii=False, indent=2), output)
    else:
        checks = [f"[{c.status}] {c.rule} {c.subject}: {c.message}" for c in result.checks]
        verdict = f"verdict: {'FAIL' if result.failed else 'pass'}"
        emit("\n".join([*series_lines(result), "", *checks, verdict]), output)
    raise typer.Exit(1 if result.failed else 0)
