"""The release-series measure (R17) on Spark gives the embedded engine's figures, exactly.

A small synthetic series: 3 daily releases of 80 people with overlaps (so growth, traceability
and unicity all have something to count), a stable hash, a per-release row id, a quasi-identifier
that never changes and a snapshot column that changes daily.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.engines import resolve_engine
from datacustoms.io.series import open_series
from datacustoms.risk.series import analyse_series

DAYS = {1: range(0, 80), 2: range(40, 120), 3: range(20, 100)}


def _day(people: range, day: int) -> pa.Table:
    rng = np.random.default_rng([7, day])
    return pa.table({
        "person_hash": [hashlib.sha256(str(p).encode()).hexdigest() for p in people],
        "row_id": [f"r{day}-{i}" for i in range(len(people))],
        "birth_year": pa.array([1950 + p % 40 for p in people], pa.int16()),
        "band": [str(x) for x in rng.integers(0, 4, len(people))],
        "day": [f"2024-05-{day:02d}"] * len(people),
    })


def _partitioned(folder: Path) -> Path:
    for day, people in DAYS.items():
        part = folder / f"day=2024-05-{day:02d}"
        part.mkdir(parents=True)
        pq.write_table(_day(people, day), part / "part-0.parquet")
    return folder


def _without_engine_note(doc: dict[str, Any]) -> dict[str, Any]:
    doc["notes"] = [n for n in doc["notes"] if not n.startswith("engine: spark")]
    return doc


@pytest.mark.spark
def test_spark_series_matches_embedded(spark: Any, tmp_path: Path) -> None:
    series = open_series(str(_partitioned(tmp_path / "export")))
    embedded = analyse_series(series, sample_people=50, max_points=3)
    on_spark = resolve_engine("spark", master="local[2]").series(series, sample_people=50, max_points=3)
    assert embedded.link == "person_hash" and embedded.traceable == 80 and embedded.unicity is not None
    assert [g.releases for g in embedded.growth] == [1, 2, 3]
    assert embedded.unicity.sampled == 50  # the sample is a strict subset: the same people must be drawn
    assert _without_engine_note(on_spark.model_dump()) == _without_engine_note(embedded.model_dump())


@pytest.mark.spark
def test_spark_series_cli_csv_with_release_key(spark: Any, tmp_path: Path) -> None:
    folder = tmp_path / "csv"
    folder.mkdir()
    for day, people in DAYS.items():  # CSV is text to Spark: DuckDB's sniffed types are what get hashed
        pacsv.write_csv(_day(people, day), folder / f"part{day}.csv")
    runner = CliRunner()
    docs = []
    for engine in ("embedded", "spark"):
        out = runner.invoke(app, ["unicity", str(folder), "--release-key", "day", "--points", "1..2",
                                  "--sample-people", "30", "--format", "json", "--engine", engine,
                                  "--spark-master", "local[2]"])  # fmt: skip
        assert out.exit_code == 1, out.output  # R17 fails: the linked snapshots single people out
        docs.append(_without_engine_note(json.loads(out.stdout)))
    assert docs[0]["release_key"] == "day" and docs[0]["releases"] == 3
    assert docs[1] == docs[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["unicity", "{folder}", "--engine", "spark", "--time", "ts"], "--time cannot be used with --engine spark"),
        (["risk", "{folder}", "--engine", "spark", "--aux", "{folder}"], "--aux cannot be used with --engine spark"),
        (["risk", "{one}", "--engine", "spark"], "--engine spark measures a series of releases here"),
        (["inspect", "{folder}", "--engine", "spark", "--delimiter", ";"], "--delimiter cannot be used"),
        (["risk", "{folder}", "--engine", "spark", "--spark-conf", "x=1"], "--spark-conf 'x'"),
    ],
)
def test_spark_series_refuses_what_it_does_not_measure(tmp_path: Path, args: list[str], message: str) -> None:
    """Refused before Spark starts (these run without pyspark too): one line, exit 2."""
    folder = _partitioned(tmp_path / "export")
    one = next(folder.rglob("*.parquet"))
    out = CliRunner().invoke(app, [a.format(folder=folder, one=one) for a in args])
    assert out.exit_code == 2, out.output
    assert message in out.output and "Traceback" not in out.output
    assert len(out.output.strip().splitlines()) == 1
