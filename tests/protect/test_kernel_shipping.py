"""The plan's kernels travel to Spark's Python workers as pickled closures: they must hold plain
values, so that a worker unpickling them never imports the policy models (pydantic, PyYAML and
the thresholds took about 0.17 s of each worker's first task), and they must give there exactly
what they give here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from protect_helpers import base_policy, make_export

from datacustoms.policy import parse_policy
from datacustoms.protect.plan import build_plan

cloudpickle = pytest.importorskip("pyspark.cloudpickle")

#: every action whose kernel runs on a worker, and every generalisation method
COLUMNS = {
    "phone_sha256": {
        "action": "pseudonymize",
        "why": "join key",
        "normalize": "lower",
        "encoding": "base32",
        "bits": 160,
    },
    "customer_id": {"action": "tokenize", "why": "support lookups"},
    "phone": {"action": "fpe", "keep_prefix": 3},
    "age": {"action": "generalize", "method": "age", "width": 20, "top": 70},
    "balance": {"action": "generalize", "method": "number", "edges": [1000, 50_000, 500_000]},
    "joined": {"action": "shift_dates", "subject": "customer_id", "max_days": 10},
    "sex": {"action": "generalize", "method": "hierarchy", "file": "sex.csv", "level": 1},
}

MASK = {"action": "mask", "keep_first": 3, "keep_last": 2}

WORKER = """
import sys
import pyarrow as pa
import pyspark.cloudpickle  # noqa: F401 (what Spark's worker has loaded before it unpickles)
from pyspark.cloudpickle import loads

kernels = loads(open(sys.argv[1], "rb").read())
heavy = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("pydantic", "yaml")}
               | {m for m in sys.modules if m == "datacustoms.policy"})
if heavy:
    sys.exit("unpickling the kernels imported " + ", ".join(heavy))
with pa.OSFile(sys.argv[2]) as source:
    batch = pa.ipc.open_file(source).get_batch(0)
for kernel in kernels:
    batch = kernel(batch)
with pa.OSFile(sys.argv[3], "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
    writer.write_batch(batch)
"""


def _write(batch: pa.RecordBatch, path: Path) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
        writer.write_batch(batch)


@pytest.mark.parametrize("date_method", [{"method": "date", "to": "quarter"}, {"method": "prefix", "keep": 4}])
def test_kernels_unpickle_without_the_policy_models_and_give_the_same_rows(
    tmp_path: Path, master_key: bytes, date_method: dict[str, object]
) -> None:
    (tmp_path / "sex.csv").write_text("M;person\nF;person\n", encoding="utf-8")
    spec = base_policy(**COLUMNS, signup={"action": "generalize", **date_method}, contact=MASK)
    spec.update({"suppression": None, "quasi_identifiers": ["age", "sex"]})
    policy = parse_policy(spec, base_dir=tmp_path)
    source = make_export(rows=400)
    source = source.append_column("signup", source.column("joined")).append_column("contact", source.column("phone"))
    plan = build_plan(policy, source.column_names, master_key=master_key)
    batch = source.combine_chunks().to_batches()[0]
    expected = plan.apply(batch)
    assert expected.column("sex").to_pylist() == ["person"] * 400  # the hierarchy was applied

    (tmp_path / "kernels.pkl").write_bytes(cloudpickle.dumps(list(plan.kernels)))
    _write(batch, tmp_path / "in.arrow")
    (tmp_path / "sex.csv").unlink()  # a worker needs no hierarchy file: the kernel holds its levels
    run = subprocess.run(
        [sys.executable, "-c", WORKER, str(tmp_path / "kernels.pkl"), str(tmp_path / "in.arrow"),
         str(tmp_path / "out.arrow")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    with pa.OSFile(str(tmp_path / "out.arrow")) as f:
        got = pa.ipc.open_file(f).get_batch(0)
    assert got.equals(expected)
    assert not got.column("phone").equals(batch.column("phone"))  # the kernels ran
