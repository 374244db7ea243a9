"""``risk`` and ``unicity`` on a release series: the measure of everything the recipient holds (R17)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from datacustoms.cli.common import emit
from datacustoms.engines import DEFAULT_SPARK_MASTER, check_engine, parse_spark_conf
from datacustoms.errors import UsageError


@dataclass
class EngineChoice:
    """``--engine``, ``--spark-master`` and ``--spark-conf`` as given, checked before anything starts."""

    name: str = "embedded"
    master: str = DEFAULT_SPARK_MASTER
    conf: Sequence[str] | None = None
    #: options given that only the embedded engine measures (``--aux`` …), refused on Spark
    embedded_only: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = check_engine(self.name)
        parse_spark_conf(self.conf, self.name)

    def resolve(self, series: bool) -> Any:
        """The engine, started; Spark only measures a series here, and not with ``embedded_only`` options."""
        if self.name != "embedded":
            if not series:
                raise UsageError(f"--engine {self.name} measures a series of releases here, not one table",
                                 "use --engine embedded, or `datacustoms inspect --engine spark` for one table")  # fmt: skip
            if self.embedded_only:
                raise UsageError(f"{', '.join(self.embedded_only)} cannot be used with --engine {self.name} on a "
                                 "series of releases", "drop them, or use --engine embedded")  # fmt: skip
        from datacustoms.cli.options import engine_from

        return engine_from(self.name, self.master, list(self.conf or []))


def given(**options: Any) -> list[str]:
    """The option names (``aux_on`` → ``--aux-on``) whose value was given (not None, not False)."""
    return [f"--{name.replace('_', '-')}" for name, value in options.items() if value not in (None, False)]


def series_command(path: str, release_key: str | None, fmt: str, output: Path | None, *, force: bool = False,
                   kind: str = "risk", engine: EngineChoice | None = None, **options: Any) -> bool:  # fmt: skip
    """False when ``path`` is no series (and neither ``release_key`` nor ``force`` says it is one);
    else measure it with ``engine``, print it as ``fmt`` (text, json, html, sarif or junit) and exit,
    1 when R17 fails."""
    from datacustoms.io.series import looks_like_series

    choice = engine or EngineChoice()
    if release_key is None and not force and not looks_like_series(path):
        if choice.name != "embedded":
            choice.resolve(series=False)  # refuses
        return False
    eng = choice.resolve(series=True)
    from datacustoms.flows.series import measure_series, open_series
    from datacustoms.report.ci import Checked
    from datacustoms.report.registry import render
    from datacustoms.report.series import series_lines

    result = measure_series(open_series(path, release_key=release_key), engine=eng, **options)

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
