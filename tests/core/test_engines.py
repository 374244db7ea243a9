"""Engines are resolved once by name; protect says which rows it kept; ``attack --engine`` still works."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.engines import resolve_engine
from datacustoms.engines.base import Engine
from datacustoms.errors import MissingDependency, UsageError
from datacustoms.policy import parse_policy
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import from_arrow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "protect"))
from protect_helpers import base_policy, make_export

KEY = bytes(range(32))


def test_embedded_engine_implements_the_protocol() -> None:
    engine = resolve_engine("Embedded")
    assert isinstance(engine, Engine) and engine.name == "embedded"


def test_unknown_engine_names_the_choices() -> None:
    with pytest.raises(UsageError, match=r"unknown engine 'sprak'\. Did you mean 'spark'") as info:
        resolve_engine("sprak")
    assert "--engine embedded or --engine spark" in info.value.one_line()


def test_spark_without_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(MissingDependency) as info:
        resolve_engine("spark")
    line = info.value.one_line()
    assert "\n" not in line and "pyspark" in line and "pip install 'datacustoms[spark]'" in line


def test_protect_records_exactly_the_rows_suppression_kept(tmp_path: Path) -> None:
    export = make_export(600)
    spec = base_policy(customer_id="keep", age={"action": "generalize", "method": "age", "width": 10})
    spec["suppression"] = {"max_share": 0.99}
    policy = parse_policy(spec)
    out = tmp_path / "out.parquet"
    result = protect_table(from_arrow(export, "export"), policy, out, master_key=KEY, keep_rows=True)
    assert result.suppressed_rows > 0
    assert result.kept_rows is not None
    kept = pa.chunked_array(result.kept_rows)
    assert len(kept) == export.num_rows and pc.sum(kept).as_py() == result.rows_out
    written = pq.read_table(out).column("customer_id").to_pylist()
    assert written == export.column("customer_id").filter(kept).to_pylist()
    assert "kept_rows" not in result.model_dump()  # never serialised
    # without the request nothing is held
    again = protect_table(from_arrow(export, "export"), policy, tmp_path / "again.parquet", master_key=KEY)
    assert again.kept_rows is None and again.rows_out == result.rows_out
    assert pc.all(pc.equal(pq.read_table(tmp_path / "again.parquet").column("customer_id"),
                           pq.read_table(out).column("customer_id"))).as_py()  # fmt: skip


def test_attack_engine_is_a_deprecated_alias_of_kernel(tmp_path: Path) -> None:
    import hashlib

    path = tmp_path / "export.csv"
    path.write_text("customer_id\n" + "".join(hashlib.sha256(str(n).encode()).hexdigest() + "\n" for n in (17, 243)))
    cli = CliRunner()
    new = cli.invoke(app, ["attack", str(path), "--kernel", "python", "--format", "json"])
    old = cli.invoke(app, ["attack", str(path), "--engine", "python", "--format", "json"])
    assert new.exit_code == old.exit_code == 1, (new.output, old.output)
    assert "deprecated; use --kernel" in old.stderr
    clash = cli.invoke(app, ["attack", str(path), "--engine", "python", "--kernel", "native"])
    assert clash.exit_code == 2 and "disagree" in clash.stderr
    assert "--engine" not in cli.invoke(app, ["attack", "--help"]).output
