"""The release series measure (R17): linking columns, traceable people, growth, unicity of snapshots."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from datacustoms.cli import app
from datacustoms.errors import ColumnError
from datacustoms.io.series import looks_like_series, open_series
from datacustoms.risk.series import analyse_series


def _day(people: range, day: int, *, rotate: bool = False, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng([seed, day])
    ids = [f"{day}:{p}" if rotate else str(p) for p in people]
    return pa.table({
        "person_hash": [hashlib.sha256(i.encode()).hexdigest() for i in ids],
        "row_id": [f"r{day}-{i}" for i in range(len(people))],  # unique per release, never recurs
        "birth_year": [1950 + p % 50 for p in people],  # never changes for a person
        "band": [str(x) for x in rng.integers(0, 3, len(people))],  # changes every day
        "day": [f"2024-05-{day:02d}"] * len(people),
    })


def _write(folder: Path, tables: dict[int, pa.Table], fmt: str = "csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for day, t in tables.items():
        if fmt == "csv":
            pacsv.write_csv(t, folder / f"export_202405{day:02d}.csv")
        else:
            part = folder / f"day=2024-05-{day:02d}"
            part.mkdir()
            pq.write_table(t, part / "part-0.parquet")
    return folder


def test_stable_hash_links_and_traceable_counts_are_exact(tmp_path: Path) -> None:
    # day 1: people 0..99; day 2: 50..149; day 3: 100..199 → after 2 releases 50 traceable, after 3: 100
    folder = _write(tmp_path / "export", {1: _day(range(0, 100), 1), 2: _day(range(50, 150), 2),
                                          3: _day(range(100, 200), 3)})  # fmt: skip
    assert looks_like_series(str(folder))
    result = analyse_series(open_series(str(folder)), sample_people=500)
    assert result.releases == 3 and result.release_key == "file name"
    assert (result.first_key, result.last_key) == ("2024-05-01", "2024-05-03")
    by = {c.column: c for c in result.columns}
    assert result.link == "person_hash" and by["person_hash"].links
    assert by["row_id"].unique_share > 0.9 and by["row_id"].recurring_share == 0.0 and not by["row_id"].links
    assert "birth_year" in result.exact_match_qi and "band" not in result.exact_match_qi
    assert "row_id" not in result.profile and "day" not in result.profile  # identifiers and constants left out
    growth = {g.releases: g for g in result.growth}
    assert (growth[1].people, growth[1].traceable) == (100, 0)
    assert (growth[2].people, growth[2].traceable, growth[2].rows) == (150, 50, 200)
    assert (growth[3].people, growth[3].traceable, growth[3].rows) == (200, 100, 300)
    assert result.traceable == 100 and result.traceable_share == pytest.approx(0.5)
    assert result.unicity is not None and [p.p for p in result.unicity.points] == [1, 2, 3]
    assert result.checks[0].rule == "R17" and result.checks[0].status in ("warn", "fail")


def test_rotating_pseudonyms_do_not_link(tmp_path: Path) -> None:
    folder = _write(tmp_path / "export", {d: _day(range(0, 100), d, rotate=True) for d in (1, 2, 3)})
    result = analyse_series(open_series(str(folder)))
    assert result.link is None and result.traceable == 0
    assert not any(c.links for c in result.columns)
    assert result.checks[0].status == "pass"


def test_unique_snapshots_fail_r17(tmp_path: Path) -> None:
    # two people per birth year; the daily band tells the two apart once the days are linked
    tables = {}
    for d in range(1, 6):
        t = _day(range(0, 300), d)
        tables[d] = t.set_column(2, "birth_year", pa.array([str(p % 150) for p in range(300)]))
    result = analyse_series(open_series(str(_write(tmp_path / "e", tables))), sample_people=300)
    assert result.unicity is not None and max(p.epsilon for p in result.unicity.points) > 0.9
    assert result.checks[0].status == "fail"


def test_partitioned_parquet_and_key_column(tmp_path: Path) -> None:
    tables = {1: _day(range(0, 50), 1), 2: _day(range(0, 50), 2)}
    folder = _write(tmp_path / "ds", tables, fmt="parquet")
    series = open_series(str(folder))
    assert series.key_origin == "partition" and series.keys == ["2024-05-01", "2024-05-02"]
    assert analyse_series(series).traceable == 50
    # one file holding both releases, keyed by a column
    one = tmp_path / "one"
    one.mkdir()
    pq.write_table(pa.concat_tables(tables.values()), one / "all.parquet")
    pq.write_table(tables[1].slice(0, 0), one / "empty.parquet")
    keyed = analyse_series(open_series(str(one), release_key="day"))
    assert keyed.releases == 2 and keyed.traceable == 50 and keyed.release_key == "day"
    with pytest.raises(ColumnError):
        analyse_series(open_series(str(one), release_key="nope"))


def test_a_folder_of_unkeyed_parquet_parts_stays_one_table(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    for i in range(2):
        pq.write_table(_day(range(0, 10), 1), folder / f"part-{i}.parquet")
    assert not looks_like_series(str(folder))
    assert looks_like_series(str(folder / "*.parquet"))


def _run(args: list[str]) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    res = CliRunner().invoke(app, args)
    return res.exit_code, res.stdout, res.stderr


def test_cli_risk_unicity_and_inspect_take_a_series(tmp_path: Path) -> None:
    folder = _write(tmp_path / "export", {d: _day(range(0, 60), d) for d in (1, 2, 3)})
    code, out, _ = _run(["risk", str(folder), "-f", "json"])
    data = json.loads(out)
    assert data["link"] == "person_hash" and data["traceable"] == 60 and code == (1 if data["verdict"] == "fail" else 0)
    code, out, _ = _run(["unicity", str(folder / "*.csv"), "--points", "1..2"])
    assert "traceable across releases: 60 of 60 people" in out
    code, out, _ = _run(["risk", str(folder), "-f", "sarif"])
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0" and code == (1 if sarif["runs"][0]["properties"]["verdict"] == "fail" else 0)
    assert all(r["ruleId"] == "R17" for r in sarif["runs"][0]["results"])
    html = tmp_path / "r.html"
    code, _, _ = _run(["inspect", str(folder), "--no-attack", "-f", "html", "-o", str(html)])
    page = html.read_text(encoding="utf-8")
    assert code == 1 and 'id="series"' in page and "<svg" in page and "http" not in page.split("<body", 1)[1]
    code, out, _ = _run(["inspect", str(folder), "--no-attack", "-f", "json"])
    report = json.loads(out)
    assert report["series"]["releases"] == 3 and any(c["rule"] == "R17" for c in report["checks"])
    code, _, err = _run(["risk", str(folder), "--link", "nope"])
    assert code == 2 and "nope" in err and "Traceback" not in err
    code, _, _ = _run(["risk", str(folder), "-f", "html", "-o", str(html)])
    page = html.read_text(encoding="utf-8")
    assert code in (0, 1) and 'id="series"' in page and "<svg" in page and 'id="columns"' not in page


def test_a_person_twice_in_one_release_is_not_traceable_by_that_alone(tmp_path: Path) -> None:
    day1 = _day(range(0, 10), 1)
    twice = pa.concat_tables([day1, day1.slice(0, 3)])  # people 0..2 twice on day 1
    folder = _write(tmp_path / "e", {1: twice, 2: _day(range(1, 2), 2), 3: _day(range(5, 20), 3)})
    growth = {g.releases: g for g in analyse_series(open_series(str(folder)), link="person_hash").growth}
    assert growth[2].traceable == 1  # person 1 only; 0 and 2 were in release 1 twice, not in release 2
    assert growth[3].traceable == 1 + 5  # and people 5..9 on day 3
