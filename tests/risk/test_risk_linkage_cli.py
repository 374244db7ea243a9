"""Linkage against an auxiliary table (R16) and the ``risk`` / ``unicity`` commands."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import datacustoms
from datacustoms.cli import app
from datacustoms.errors import ColumnError
from datacustoms.risk import linkage_checks, linkage_rate


def test_linkage_hand_worked():
    """(30,F) ×2 links to one aux record; (41,M) to two; (52,F) one-to-one; a NULL never links."""
    left = datacustoms.read(pa.table({"age": ["30", "30", "41", "52", None], "sex": ["F", "F", "M", "F", "M"]}))
    right = datacustoms.read(pa.table({"age": [30, 41, 41, 52, None], "sex": ["F", "M", "M", "F", "M"]}))
    result = linkage_rate(left, right, ["age", "sex"])
    assert (result.rows, result.aux_rows) == (5, 5)
    assert (result.linked_records, result.unique_links, result.one_to_one) == (4, 3, 1)
    assert result.unique_link_rate == pytest.approx(0.6)
    (check,) = linkage_checks(result, max_rate=0.5)
    assert check.rule == "R16" and check.status == "fail"


def test_linkage_of_adult_against_itself(adult_csv: Path):
    if not adult_csv.exists():
        pytest.skip("the shared UCI Adult data set is not available")
    table = datacustoms.read(adult_csv)
    result = linkage_rate(table, table, ["sex", "age", "race"])
    assert result.linked_records == result.rows == 30_162
    assert result.unique_links == result.one_to_one == 62  # the sample uniques link to themselves


def test_linkage_names_the_missing_column():
    left = datacustoms.read(pa.table({"age": ["1"]}))
    right = datacustoms.read(pa.table({"agge": ["1"]}))
    with pytest.raises(ColumnError, match="auxiliary"):
        linkage_rate(left, right, ["age"])


# ------------------------------------------------------------------------------- CLI


@pytest.fixture()
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.csv"
    rows = 120
    pacsv.write_csv(
        pa.table({
            "age": [str(20 + i % 4) for i in range(rows)],
            "sex": ["F" if i % 2 else "M" for i in range(rows)],
            "region": ["north"] * (rows - 1) + ["island"],
            "diagnosis": [["flu", "cold", "hiv"][i % 3] for i in range(rows)],
        }),
        path,
    )  # fmt: skip
    return path


def test_risk_command_text_and_exit_codes(export: Path, cli: CliRunner):
    ok = cli.invoke(app, ["risk", str(export), "--qi", "age,sex", "--sensitive", "diagnosis"])
    assert ok.exit_code == 0, ok.output
    assert "k = 30" in ok.output and "verdict: pass" in ok.output
    bad = cli.invoke(app, ["risk", str(export), "--qi", "age,sex,region", "--sensitive", "diagnosis"])
    assert bad.exit_code == 1
    assert "[fail] R10" in bad.output and "verdict: FAIL" in bad.output


def test_risk_command_json_to_file(export: Path, cli: CliRunner, tmp_path: Path):
    out = tmp_path / "risk.json"
    res = cli.invoke(
        app,
        ["risk", str(export), "--qi", "age,sex", "--sensitive", "diagnosis", "--format", "json", "-o", str(out),
         "--population", "4000", "--k", "31", "--l", "3", "--t", "0.5"],
    )  # fmt: skip
    assert res.exit_code == 1  # k = 30 < 31
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["k"] == 30 and data["verdict"] == "fail"
    assert data["population"]["population"] == 4000
    assert data["thresholds"]["l"] == 3 and data["thresholds"]["t"] == 0.5
    assert {c["rule"] for c in data["checks"]} >= {"R10", "R11", "R12"}
    page = tmp_path / "risk.html"
    res = cli.invoke(app, ["risk", str(export), "--qi", "age,sex", "--k", "31", "-f", "html", "-o", str(page)])
    html = page.read_text(encoding="utf-8")
    assert res.exit_code == 1 and "FAIL" in html and "R10" in html and "k — smallest class" in html
    assert 'id="columns"' not in html and "None columns" not in html  # a measure alone: no detection table


def test_risk_command_with_aux(export: Path, cli: CliRunner, tmp_path: Path):
    aux = tmp_path / "register.parquet"
    pq.write_table(pa.table({"age": [20, 21], "sex": ["M", "F"], "name": ["x", "y"]}), aux)
    res = cli.invoke(app, ["risk", str(export), "--qi", "age,sex", "--aux", str(aux), "--format", "json"])
    data = json.loads(res.output)
    assert data["linkage"]["unique_links"] == 60  # ages 20 (M) and 21 (F) each hold 30 records
    assert res.exit_code == 1  # half the records link to one named person


def test_risk_command_bad_input_is_one_line(export: Path, cli: CliRunner):
    res = cli.invoke(app, ["risk", str(export), "--qi", "age,sexx"])
    assert res.exit_code == 2
    assert "Did you mean 'sex'?" in res.output and "Traceback" not in res.output
    res = cli.invoke(app, ["risk", str(export), "--qi", "age", "--population", "100", "--sampling-fraction", "0.1"])
    assert res.exit_code == 2


def test_unicity_command(tmp_path: Path, cli: CliRunner):
    path = tmp_path / "events.csv"
    rows = [("a", "2024-01-01", "m1"), ("a", "2024-01-02", "m2"), ("b", "2024-01-01", "m1"), ("b", "2024-01-03", "m3")]
    pacsv.write_csv(
        pa.table({"who": [r[0] for r in rows], "day": [r[1] for r in rows], "shop": [r[2] for r in rows]}), path
    )
    res = cli.invoke(
        app, ["unicity", str(path), "--person", "who", "--time", "day", "--place", "shop", "--points", "2..2"]
    )
    assert res.exit_code == 1, res.output  # both people are unique with 2 points
    assert "1.000" in res.output
    res = cli.invoke(
        app,
        ["unicity", str(path), "--person", "who", "--time", "day", "--points", "1,2", "--format", "json",
         "--max-unicity", "1.0", "--sample-people", "5", "--seed", "3", "--time-granularity", "week"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [p["p"] for p in data["points"]] == [1, 2] and data["time_granularity"] == "week"
    bad = cli.invoke(app, ["unicity", str(path), "--person", "who", "--time", "day", "--points", "x"])
    assert bad.exit_code == 2
    page = tmp_path / "unicity.html"
    res = cli.invoke(app, ["unicity", str(path), "--person", "who", "--time", "day", "--points", "1,2", "-f", "html",
                           "-o", str(page)])  # fmt: skip
    text = page.read_text(encoding="utf-8")
    assert res.exit_code == 1 and "FAIL" in text and "unicity" in text.lower() and "<svg" in text
    assert "http" not in text.split("<body", 1)[1]  # one offline page
