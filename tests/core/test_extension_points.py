"""The four extension points of docs/architecture.md, each exercised the way the doc says.

(a) a detector for a new national ID: a KindSpec and a SpecDetector, handed to ``inspect`` in a registry;
(b) a new risk measure: a function of the class histogram, handed to ``inspect`` in ``measures=``;
(c) a new report format: one entry in the renderer registry, offered by ``inspect --format`` at once;
(d) a new engine: a class implementing the Engine protocol and one line in ENGINE_FACTORIES.
Nothing else in the tree changes for any of them; each runs the real inspect flow.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from datacustoms.attack.column import read_column
from datacustoms.attack.hashes.targets import ParsedColumn
from datacustoms.cli import app
from datacustoms.detect.base import SpecDetector
from datacustoms.detect.registry import builtin_registry
from datacustoms.engines import ENGINE_FACTORIES, resolve_engine
from datacustoms.engines.base import Engine, PathLike
from datacustoms.flows.inspect import inspect
from datacustoms.io import read
from datacustoms.kinds import KindSpec, builtin_kinds
from datacustoms.model.report import Report
from datacustoms.model.risk import ClassHistogram, CombinationSearch, MeasureResult
from datacustoms.model.thresholds import Thresholds
from datacustoms.policy import Policy
from datacustoms.protect.pipeline import ProtectResult, output_format, protect_table
from datacustoms.protect.prove import key_leaks
from datacustoms.report.registry import RENDERERS
from datacustoms.risk.profile import CellLoader
from datacustoms.table import Table, from_arrow

# ------------------------------------------------------------------ (a) a new national ID: Singapore NRIC

NRIC_WEIGHTS = (2, 7, 6, 5, 4, 3, 2)
NRIC_LETTERS = {"S": "JZIHGFEDCBA", "T": "JZIHGFEDCBA", "F": "XWUTRQPNMLK", "G": "XWUTRQPNMLK"}


def nric_check(prefix: str, digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, NRIC_WEIGHTS, strict=True)) + (4 if prefix in "TG" else 0)
    return NRIC_LETTERS[prefix][total % 11]


def nric_validate(value: str) -> bool:
    v = value.strip().upper()
    return bool(re.fullmatch(r"[STFG][0-9]{7}[A-Z]", v)) and nric_check(v[0], v[1:8]) == v[8]


def nric_generate(rng: np.random.Generator, n: int) -> list[str]:
    out = []
    for prefix, number in zip(rng.choice(list("STFG"), n), rng.integers(0, 10**7, n), strict=True):
        digits = f"{int(number):07d}"
        out.append(f"{prefix}{digits}{nric_check(str(prefix), digits)}")
    return out


SG_NRIC = KindSpec(
    name="sg_nric",
    role="direct_identifier",
    validate=nric_validate,
    pattern=r"[STFGstfg][0-9]{7}[A-Za-z]",
    header_words=("nric", "fin", "ic_no"),
    normalise=lambda v: v.strip().upper() if nric_validate(v) else None,
    pseudonym="lower",
    generate=nric_generate,
    priority=90,
    description="Singapore NRIC / FIN (mod-11 check letter)",
)


class SingaporeNric(SpecDetector, spec=SG_NRIC):
    pass


def test_nric_known_answers() -> None:
    assert nric_validate("S1234567D") and nric_validate("T1234567J") and nric_validate("F1234567N")
    assert not nric_validate("S1234567A") and not nric_validate("X1234567D")


def _customers(rows: int = 400) -> pa.Table:
    rng = np.random.default_rng(5)
    return pa.table({
        "customer_nric": nric_generate(rng, rows),
        "age_band": [f"{20 + 10 * int(b)}s" for b in rng.integers(0, 5, rows)],
        "sex": [str(s) for s in rng.choice(["M", "F"], rows)],
    })  # fmt: skip


def test_a_new_national_id_is_a_spec_and_a_detector() -> None:
    table = from_arrow(_customers(), "customers")
    assert inspect(table, attack=False, measure=False).finding("customer_nric").kind != "sg_nric"
    registry = builtin_registry().extended(SingaporeNric)
    report = inspect(table, attack=False, measure=False, registry=registry)
    finding = report.finding("customer_nric")
    assert finding is not None and (finding.kind, finding.role) == ("sg_nric", "direct_identifier")
    assert any(c.rule == "R1" and c.subject == "customer_nric" and c.status == "fail" for c in report.checks)
    kinds = builtin_kinds().extended([SG_NRIC])  # the other stages read the same spec
    assert "sg_nric" in kinds and "sg_nric" not in builtin_kinds()
    assert all(kinds["sg_nric"].validate(v) for v in nric_generate(np.random.default_rng(1), 50))


# ------------------------------------------------------------------ (b) a new risk measure


def share_in_pairs(histogram: ClassHistogram, thresholds: Thresholds) -> MeasureResult:
    """The share of records in classes of exactly two (a pair of people tells each other apart)."""
    records = histogram.records
    value = 2 * histogram.classes_of_size(2) / records if records else 0.0
    return MeasureResult(name="share in pairs", value=value, limit=0.01, rule="R11",
                         description="records in classes of exactly two")  # fmt: skip


def test_a_new_risk_measure_is_a_function_of_the_histogram() -> None:
    data = _customers()
    report = inspect(from_arrow(data, "customers"), attack=False, qi=["age_band", "sex"], measures=[share_in_pairs])
    assert report.risk is not None
    (result,) = report.risk.measures
    counts = Counter(zip(data.column("age_band").to_pylist(), data.column("sex").to_pylist(), strict=True))
    assert result.value == pytest.approx(2 * sum(1 for n in counts.values() if n == 2) / data.num_rows)
    check = next(c for c in report.checks if c.message.startswith("share in pairs"))
    assert check.status == ("pass" if result.value <= 0.01 else "fail")
    assert "measures" in Report.model_json_schema(mode="serialization")["$defs"]["RiskProfile"]["properties"]
    pairs = from_arrow(pa.table({"q": ["a", "a", "b", "b", "c", "c", "c"]}), "pairs")
    paired = inspect(pairs, attack=False, qi=["q"], measures=[share_in_pairs])
    assert paired.risk is not None and paired.risk.measures[0].value == pytest.approx(4 / 7)
    assert any(c.status == "fail" and c.message.startswith("share in pairs") for c in paired.checks)


# ------------------------------------------------------------------ (c) a new report format


def render_tsv(report: Report) -> str:
    """One line per check: rule, subject, status."""
    return "\n".join(f"{c.rule}\t{c.subject}\t{c.status}" for c in report.checks)


def test_a_new_report_format_is_one_registry_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(RENDERERS["report"], "tsv", render_tsv)
    path = tmp_path / "customers.csv"
    pacsv.write_csv(_customers(), path)
    result = CliRunner().invoke(app, ["inspect", str(path), "--no-attack", "--qi", "age_band,sex", "-f", "tsv"])
    assert result.exit_code in (0, 1), result.output
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert lines and all(len(parts) == 3 for parts in lines)
    assert ["R10", "age_band, sex", "pass"] in lines or ["R10", "age_band, sex", "fail"] in lines


# ------------------------------------------------------------------ (d) a new engine


class CountingEngine:
    """An engine whose class cells are counted in Python (no DuckDB scan of the source)."""

    name = "counting"

    def __init__(self) -> None:
        self.cells_counted = 0

    def open(self, source: Any, *, sample_rows: int | None = None, **read_options: Any) -> Table:
        if isinstance(source, dict):
            return from_arrow(pa.table(source), "dict")
        return source if isinstance(source, Table) else read(source, **read_options)

    def distinct_digests(self, table: Table, column: str) -> ParsedColumn | None:
        return read_column(table, column)

    def class_cells(self, table: Table, qi: Sequence[str], sensitive: Sequence[str]) -> CellLoader:
        columns = [*qi, *sensitive]

        def load(con: duckdb.DuckDBPyConnection) -> None:
            counts: Counter[tuple[Any, ...]] = Counter()
            for batch in table.batches(columns):
                counts.update(zip(*(batch.column(c).to_pylist() for c in columns), strict=True))
            self.cells_counted += len(counts)
            names = [f"q{i}" for i in range(len(qi))] + [f"s{i}" for i in range(len(sensitive))]
            cells = pa.table({**{n: [key[i] for key in counts] for i, n in enumerate(names)},
                              "n": pa.array(list(counts.values()), pa.int64())})  # fmt: skip
            con.register("dc_counted", cells)
            con.execute("CREATE OR REPLACE TEMP TABLE dc_cells AS SELECT * FROM dc_counted")
            con.unregister("dc_counted")

        return load

    def combinations(self, table: Table, candidates: list[str], limits: Thresholds) -> tuple[list[str], CombinationSearch] | None:
        return None

    def check_output(self, output: PathLike) -> None:
        output_format(output)

    def write(self, table: Table, policy: Policy, output: PathLike | None, *, keystore: PathLike | None = None,
              dry_run: bool = False, keep_rows: bool = False) -> ProtectResult:  # fmt: skip
        return protect_table(table, policy, output, keystore=keystore, dry_run=dry_run, keep_rows=keep_rows)

    def key_leaks(self, table: Table, policy: Policy, master_key: bytes) -> dict[str, int]:
        return key_leaks(table, policy, master_key)

    def series(self, series: Any, **options: Any) -> Any:
        from datacustoms.risk.series import analyse_series

        return analyse_series(series, **options)


def test_a_new_engine_is_a_class_and_one_registry_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = CountingEngine()
    monkeypatch.setitem(ENGINE_FACTORIES, "counting", lambda master, conf: engine)
    assert isinstance(resolve_engine("counting"), Engine)
    data = _customers()
    qi = ["age_band", "sex"]
    ours = inspect(data.to_pydict(), engine="counting", attack=False, qi=qi)
    theirs = inspect(from_arrow(data, "customers"), attack=False, qi=qi)
    assert engine.cells_counted > 0
    assert ours.risk is not None and theirs.risk is not None
    assert ours.risk.histogram == theirs.risk.histogram and ours.risk.prosecutor == theirs.risk.prosecutor
    assert [(c.rule, c.status) for c in ours.checks] == [(c.rule, c.status) for c in theirs.checks]
    path = tmp_path / "customers.csv"
    pacsv.write_csv(data, path)
    before = engine.cells_counted
    result = CliRunner().invoke(app, ["inspect", str(path), "--engine", "counting", "--no-attack", "--qi", "age_band,sex"])
    assert result.exit_code in (0, 1), result.output
    assert engine.cells_counted > before  # the command ran on the new engine without being edited
