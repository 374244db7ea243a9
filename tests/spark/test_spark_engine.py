"""The Spark engine gives the same findings, figures and protected bytes as the embedded engine.

Every Spark test shares the one ``local[2]`` session of ``conftest.py``; the data is tiny.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from spark_fixtures import make_export, policy_spec

from datacustoms.attack.api import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.engines import check_engine, resolve_engine
from datacustoms.errors import MissingDependency, UsageError
from datacustoms.flows.inspect import inspect
from datacustoms.io import read
from datacustoms.io.spark import is_spark_dataframe
from datacustoms.policy import parse_policy
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import from_arrow

ENGINES = ("embedded", "spark")
QI = ["age", "sex", "joined"]
KEY = bytes(range(32))


def _inspect(engine: str, path: Path, **kw: Any) -> Any:
    return inspect(str(path), engine=engine, **kw)


def _truth(table: pa.Table) -> tuple[int, int]:
    """(k, classes) over the QIs, counted in plain Python."""
    counts = Counter(zip(*(table.column(c).to_pylist() for c in QI), strict=True))
    return min(counts.values()), len(counts)


@pytest.mark.spark
@pytest.mark.parametrize("engine", ENGINES)
def test_risk_figures_match_a_plain_count(spark: Any, export_path: Path, engine: str) -> None:
    report = _inspect(engine, export_path, attack=False, qi=QI, sensitive=["diagnosis"])
    k, classes = _truth(make_export())
    risk = report.risk
    assert risk is not None and risk.rows == 600
    assert (risk.k, risk.classes) == (k, classes)
    assert risk.prosecutor.highest == pytest.approx(1 / k)
    assert risk.prosecutor.average == pytest.approx(classes / 600)
    assert report.failed  # R1: the clear phone column fails on both engines


@pytest.mark.spark
def test_both_engines_same_findings_checks_and_figures(spark: Any, export_path: Path) -> None:
    emb = _inspect("embedded", export_path, attack=False, qi=QI, sensitive=["diagnosis"])
    spk = _inspect("spark", export_path, attack=False, qi=QI, sensitive=["diagnosis"])
    assert [(f.column, f.kind, f.role) for f in emb.findings] == [(f.column, f.kind, f.role) for f in spk.findings]
    assert [(c.rule, c.subject, c.status) for c in emb.checks] == [(c.rule, c.subject, c.status) for c in spk.checks]
    assert emb.risk is not None and spk.risk is not None
    assert emb.risk.histogram == spk.risk.histogram
    assert emb.risk.prosecutor == spk.risk.prosecutor
    assert emb.risk.journalist == spk.risk.journalist
    assert emb.risk.diversity == spk.risk.diversity
    assert [(r.column, r.distinct, r.rare_values, r.rare_records) for r in emb.risk.rare] == [
        (r.column, r.distinct, r.rare_values, r.rare_records) for r in spk.risk.rare
    ]
    assert emb.risk.uniqueness == spk.risk.uniqueness


@pytest.mark.spark
def test_reversal_same_on_both_engines(spark: Any, export_path: Path) -> None:
    space = [ks.kr_mobile().narrowed("1000")]  # 010-1000-XXXX: the fixture's phones, 10^4 candidates
    emb = attack_column(read(str(export_path)), "phone_sha256", keyspaces=space)
    engine = resolve_engine("spark")
    table = engine.open(str(export_path), sample_rows=20_000)
    # the budget counts the Spark job that counts the digests too: generous, for a loaded machine
    spk = attack_column(table, "phone_sha256", keyspaces=space, digests=engine.distinct_digests, budget_s=600)
    assert spk.status == emb.status == "reversed"
    assert spk.recipe == emb.recipe
    assert (spk.rows, spk.rows_reversed, spk.distinct_digests, spk.distinct_reversed) == (
        emb.rows, emb.rows_reversed, emb.distinct_digests, emb.distinct_reversed,
    )  # fmt: skip
    assert spk.rows_reversed == 600
    assert spk.examples and all("*" in e for e in spk.examples)  # masked, never the phone


@pytest.mark.spark
def test_digest_counts_merge_case_variants(spark: Any) -> None:
    """Upper- and lower-case hex of one digest are one target whose rows add up (as embedded)."""
    from datacustoms.engines.spark_stages import distinct_digests

    d = "ab" * 32
    table = pa.table({"h": [d, d.upper(), d, None, "zz" * 32, "cd" * 32]})
    parsed = distinct_digests(spark.createDataFrame(table), "h")
    assert parsed is not None
    assert len(parsed.distinct) == 2
    assert sorted(parsed.counts.tolist()) == [1, 3]
    assert (parsed.stats.rows, parsed.stats.nulls, parsed.stats.malformed, parsed.stats.valid) == (6, 1, 1, 4)


@pytest.mark.spark
@pytest.mark.parametrize("through_files", [True, False], ids=["files", "task-results"])
def test_digest_counts_stream_in_small_partitions_and_spill(
    spark: Any, export_path: Path, monkeypatch: pytest.MonkeyPatch, through_files: bool
) -> None:
    """Many small partitions, reduced in blocks that spill, give the embedded counts, whether they
    reach the driver through Parquet files (a local master) or as streamed task results (a cluster).

    The suite's session runs with a 1 GiB driver heap (``conftest.py``); on a cluster the
    partitions are what keep each task result small enough for it whatever the row count.
    """
    from datacustoms.attack.column import read_column
    from datacustoms.attack.hashes import targets
    from datacustoms.engines import spark_stages

    monkeypatch.setattr(spark_stages, "is_local_master", lambda df: through_files)
    monkeypatch.setattr(spark_stages, "GROUPS_PER_PARTITION", 40)  # 600 rows: 15 partitions
    monkeypatch.setattr(spark_stages, "FILE_GROUPS_PER_PARTITION", 40)
    used: list[str] = []
    for name in ("spilled_batches", "stream_batches"):
        real = getattr(spark_stages, name)
        monkeypatch.setattr(spark_stages, name, lambda *a, _r=real, _n=name: (used.append(_n), _r(*a))[1])
    monkeypatch.setattr(targets, "BLOCK_BYTES", 32 * 64)  # blocks of 64 digests: spilled and merged
    emb = read_column(read(str(export_path)), "phone_sha256")
    df = spark.read.parquet(str(export_path))
    assert spark_stages.stream_partitions(df.count()) == 15
    spk = spark_stages.distinct_digests(df, "phone_sha256")
    assert emb is not None and spk is not None
    assert len(spk.distinct) == len(emb.distinct) > 64
    assert spk.distinct.equals(emb.distinct) and spk.counts.tolist() == emb.counts.tolist()
    assert (spk.stats.rows, spk.stats.valid) == (emb.stats.rows, emb.stats.valid) == (600, 600)
    assert used == ["spilled_batches" if through_files else "stream_batches"]


@pytest.mark.spark
def test_on_a_cluster_the_digests_are_grouped_in_one_job_over_every_partition(
    spark: Any, export_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamed straight from the shuffle, each partition was grouped in a job of its own (one
    task, two at a time: two of the cluster's cores); grouped first, one stage runs a task per
    partition, then the kept groups stream."""
    from datacustoms.engines import spark_stages

    monkeypatch.setattr(spark_stages, "is_local_master", lambda df: False)
    monkeypatch.setattr(spark_stages, "GROUPS_PER_PARTITION", 40)  # 600 rows: 15 partitions
    context = spark.sparkContext
    context.setJobGroup("digest-grouping", "the cluster path's jobs")
    try:
        parsed = spark_stages.distinct_digests(spark.read.parquet(str(export_path)), "phone_sha256")
    finally:
        context.setJobGroup(None, None)
    assert parsed is not None and parsed.stats.rows == 600
    tracker = context.statusTracker()
    jobs = [tracker.getJobInfo(j) for j in tracker.getJobIdsForGroup("digest-grouping")]
    stages = [tracker.getStageInfo(s) for job in jobs if job is not None for s in job.stageIds]
    tasks = [info.numTasks for info in stages if info is not None]
    assert 15 in tasks  # the grouping: a task per partition, in one stage


@pytest.mark.spark
def test_failed_digest_job_is_one_line_and_gives_no_verdict(
    spark: Any, export_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Spark losing the grouped digests (as a 1 GiB heap did at 50 M rows) ends the stage with one
    clear line naming the column, not a Java stack trace and not a partial count."""
    from datacustoms.engines import spark_stages
    from datacustoms.io.spark import SparkJobError

    def lost(*_: Any) -> Any:
        raise RuntimeError("Job aborted: TaskResultLost (result lost from block manager)\n\tat org.apache.spark...")

    monkeypatch.setattr(spark_stages, "spilled_batches", lost)
    monkeypatch.setattr(spark_stages, "stream_batches", lost)
    with pytest.raises(SparkJobError) as failed:
        spark_stages.distinct_digests(spark.read.parquet(str(export_path)), "phone_sha256")
    message = str(failed.value)
    assert "'phone_sha256'" in message and "TaskResultLost" in message and "no verdict" in message
    assert "\n" not in message and "org.apache" not in message
    assert failed.value.exit_code == 2


@pytest.mark.spark
def test_spilled_batches_come_back_in_order_and_leave_no_files(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A local master's DataFrame reaches the driver through Parquet parts, partition by partition,
    and the temporary folder is gone once the stream ends, read to the end or not."""
    import tempfile

    from datacustoms.io import spark as spark_io

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    df = spark.range(0, 5_000, numPartitions=7).selectExpr("id", "cast(id * 3 as string) AS s")
    assert spark_io.is_local_master(df)
    schema = pa.schema([("id", pa.int64()), ("s", pa.string())])
    got = pa.Table.from_batches(list(spark_io.spilled_batches(df, schema)))
    assert got.schema == schema
    assert got.column("id").to_pylist() == list(range(5_000))
    assert got.column("s").to_pylist() == [str(3 * i) for i in range(5_000)]
    assert list(tmp_path.iterdir()) == []
    stream = spark_io.spilled_batches(df)
    next(stream)
    stream.close()  # abandoned after one batch
    assert list(tmp_path.iterdir()) == []


def test_streamed_partitions_travel_as_small_ipc_blobs() -> None:
    """A large Arrow batch leaves the executor as blobs of about IPC_BLOB_BYTES, rows in order."""
    from datacustoms.io import spark as spark_io

    batch = pa.RecordBatch.from_arrays(
        [pa.array(range(100_000), pa.int64()), pa.array([bytes([i % 251]) * 32 for i in range(100_000)])],
        names=["n", "d"],
    )
    blobs = [row.column(0)[0].as_py() for row in spark_io._ipc_partitions(iter([batch, batch.slice(0, 0)]))]
    assert len(blobs) > 10  # about 4 MB of data: many blobs, not one
    assert max(len(b) for b in blobs) < spark_io.IPC_BLOB_BYTES + 16_384  # data plus the IPC framing
    back = pa.Table.from_batches([b for blob in blobs for b in pa.ipc.open_stream(blob)])
    assert back.equals(pa.Table.from_batches([batch]))


def _protected_columns(path: Path) -> dict[str, list[Any]]:
    table = ds.dataset(path, format="parquet").to_table()
    return {c: sorted(table.column(c).to_pylist(), key=lambda v: (v is None, v)) for c in table.column_names}


@pytest.mark.spark
@pytest.mark.parametrize("text_type", [pa.string(), pa.large_string()])
def test_same_protected_bytes_on_both_engines(spark: Any, tmp_path: Path, text_type: pa.DataType) -> None:
    """HMAC, AES-SIV, generalisation and suppression give the same values, sorted, on both engines."""
    from datacustoms.engines.spark_protect import spark_protect

    source = make_export().cast(pa.schema([pa.field(f.name, text_type) for f in make_export().schema]))
    policy = parse_policy(policy_spec())
    emb = protect_table(from_arrow(source, "export"), policy, tmp_path / "emb.parquet", master_key=KEY)
    # Spark hands the kernels `string` whatever the source held; the embedded run saw `text_type`
    spk = spark_protect(spark.createDataFrame(source), policy, tmp_path / "spk.parquet", master_key=KEY)
    assert (spk.k_before, spk.k_after, spk.suppressed_rows, spk.rows_in, spk.rows_out) == (
        emb.k_before, emb.k_after, emb.suppressed_rows, emb.rows_in, emb.rows_out,
    )  # fmt: skip
    assert spk.suppressed_rows > 0  # the suppression kernel ran on the executors
    assert spk.derived_key_ids == emb.derived_key_ids
    got, want = _protected_columns(tmp_path / "spk.parquet"), _protected_columns(tmp_path / "emb.parquet")
    assert list(got) == list(want) == ["customer_id", "phone_sha256", "age", "sex", "joined", "diagnosis"]
    assert got == want
    assert (tmp_path / "spk.parquet" / "_SUCCESS").exists()
    assert pq.read_schema(next((tmp_path / "spk.parquet").glob("*.parquet"))).field("phone_sha256").type == pa.string()


@pytest.mark.spark
def test_a_hierarchy_and_a_mask_give_the_same_rows_on_both_engines(spark: Any, tmp_path: Path) -> None:
    """The hierarchy's levels travel inside the kernel: the file is read once, on the driver."""
    from datacustoms.engines.spark_protect import spark_protect

    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "diagnosis.csv").write_text("A10;A;*\nB20;B;*\nC30;C;*\nD40;D;*\n", encoding="utf-8")
    spec = policy_spec(
        diagnosis={"action": "generalize", "method": "hierarchy", "file": "diagnosis.csv", "level": 1},
        phone={"action": "mask", "keep_first": 3, "keep_last": 2},
    )
    policy = parse_policy(spec, base_dir=folder)
    source = make_export()
    emb = protect_table(from_arrow(source, "export"), policy, tmp_path / "emb.parquet", master_key=KEY)
    spk = spark_protect(spark.createDataFrame(source), policy, tmp_path / "spk.parquet", master_key=KEY)
    assert (spk.k_after, spk.rows_out) == (emb.k_after, emb.rows_out)
    got, want = _protected_columns(tmp_path / "spk.parquet"), _protected_columns(tmp_path / "emb.parquet")
    assert got == want
    assert set(got["diagnosis"]) == {"A", "B", "C", "D", None}
    assert all(p[:9] == "010******" and p[9:].isdigit() for p in got["phone"])  # 010-1000-XXXX, masked


@pytest.mark.spark
def test_failing_kernel_names_the_column_and_leaves_no_output(spark: Any, tmp_path: Path) -> None:
    from datacustoms.engines.spark_protect import commit_parquet, map_steps
    from datacustoms.io.spark import SparkJobError

    def explode(batch: pa.RecordBatch) -> pa.RecordBatch:
        if pc.any(pc.equal(batch.column("v"), "bad")).as_py():
            raise ValueError("secret value bad")  # the message must not travel
        return batch

    rows = pa.table({"v": ["ok"] * 50 + ["bad"] + ["ok"] * 49})
    df = spark.createDataFrame(rows).repartition(2)  # the bad row sits in one of two partitions
    target = tmp_path / "out.parquet"
    with pytest.raises(SparkJobError) as info:
        commit_parquet(map_steps(df, [("v", explode)]), target)
    message = str(info.value)
    assert "'v'" in message and "ValueError" in message and "nothing was written" in message
    assert "secret" not in message
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # the staging folder is gone too


@pytest.mark.spark
def test_existing_output_is_refused(spark: Any, tmp_path: Path) -> None:
    from datacustoms.engines.spark_protect import commit_parquet

    target = tmp_path / "out.parquet"
    target.mkdir()
    with pytest.raises(UsageError, match="already exists"):
        commit_parquet(spark.createDataFrame(pa.table({"v": ["a"]})), target)


@pytest.mark.spark
def test_read_accepts_a_spark_dataframe(spark: Any) -> None:
    df = spark.createDataFrame(make_export()).repartition(3)
    assert is_spark_dataframe(df)
    table = read(df)
    assert table.format == "spark" and table.num_rows == 600
    streamed = pa.Table.from_batches(list(table.batches(["customer_id"])))
    assert sorted(streamed.column(0).to_pylist()) == make_export().column("customer_id").to_pylist()
    assert table.sample(100).num_rows <= 100


@pytest.mark.spark
def test_cli_inspect_and_protect_on_spark(spark: Any, export_path: Path, tmp_path: Path, cli: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import yaml

    from datacustoms.cli import app

    monkeypatch.setenv("DC_SPARK_TEST_KEY", KEY.hex())
    args = ["--engine", "spark", "--spark-master", "local[2]"]
    res = cli.invoke(app, ["inspect", str(export_path), "--no-attack", "--format", "json", *args])
    assert res.exit_code == 1, res.output  # the clear phone column fails R1
    assert '"format": "spark"' in res.output
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(policy_spec()))
    out = tmp_path / "out.parquet"
    res = cli.invoke(app, ["protect", str(export_path), "-p", str(policy), "-o", str(out), "--no-attack", *args])
    assert res.exit_code == 0, res.output
    assert "k: " in res.output and (out / "_SUCCESS").exists()
    res = cli.invoke(app, ["protect", str(export_path), "-p", str(policy), "-o", str(tmp_path / "x.csv"), *args])
    assert res.exit_code == 2


def test_unknown_engine_is_a_usage_error() -> None:
    assert check_engine("Spark") == "spark"
    with pytest.raises(UsageError, match="--engine embedded"):
        check_engine("flink")


def test_missing_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from datacustoms.io.spark import require_pyspark

    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(MissingDependency, match=r"datacustoms\[spark\]"):
        require_pyspark()


RECORD = {
    "contact": "dpo@alipay.example",
    "consent": "not_required",
    "role_questions": {"purpose": "sender", "benefit": "sender", "control": "sender"},
    "transfer_mechanism": "contract (SCC module 2, 2024-01-01)",
    "subject_categories": ["payment customers"],
    "key_holder": "sender",
    "retention_until": "2027-12-31",
    "korea": {
        "overseas_ground": "contract",
        "pseudonym_purpose": "NSF score",
        "pseudonym_use": "scoring the risk of non-sufficient funds per customer",
        "use_until": "2027-12-31",
        "destruction": "deleted at the end of use",
    },
}


@pytest.mark.spark
def test_cli_transfer_reads_through_spark(
    spark: Any, export_path: Path, tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    from datacustoms.cli import app

    monkeypatch.setenv("DC_SPARK_TEST_KEY", KEY.hex())
    monkeypatch.setenv("DATACUSTOMS_LEDGER_KEY", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({**policy_spec(), "record": RECORD}))
    out = tmp_path / "sent.parquet"
    args = ["--engine", "spark", "--spark-master", "local[2]", "--no-attack", "--ledger", str(tmp_path / "l.db")]
    res = cli.invoke(app, ["transfer", str(export_path), "-p", str(policy), "-o", str(out), *args])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("SENT") and out.is_file()
    assert (
        pq.read_table(out).num_rows
        == 600
        - protect_table(
            read(str(export_path)), parse_policy(policy_spec()), tmp_path / "e.parquet", master_key=KEY
        ).suppressed_rows
    )


@pytest.mark.spark
def test_sources_a_table_name_and_a_csv_path(spark: Any, tmp_path: Path) -> None:
    """A catalog table and a CSV file (every column read as text) give the embedded engine's findings."""
    import pyarrow.csv as pacsv

    from datacustoms.errors import InputError

    export = make_export(200)
    spark.createDataFrame(export).createOrReplaceTempView("dc_export_view")
    csv = tmp_path / "export.csv"
    pacsv.write_csv(export, csv)
    want = [(f.column, f.kind) for f in inspect(str(csv), attack=False, measure=False).findings]
    for source in ("dc_export_view", str(csv)):
        report = inspect(source, engine="spark", attack=False, measure=False)
        assert report.source.rows == 200
        assert [(f.column, f.kind) for f in report.findings] == want
    with pytest.raises(InputError, match="neither a file nor a table"):
        inspect("no_such_table_anywhere", engine="spark", attack=False)
    with pytest.raises(UsageError, match="encoding cannot be used with the Spark engine"):
        inspect(str(csv), engine="spark", encoding="cp949")
    assert inspect(str(csv), engine="spark", attack=False, measure=False, format="csv").source.rows == 200


@pytest.mark.spark
@pytest.mark.parametrize("qi", [["age", "sex", "joined"], ["sex"]])  # fails in the histogram / the write pass
def test_policy_kernel_failing_on_one_partition_writes_nothing(spark: Any, tmp_path: Path, qi: list[str]) -> None:
    from datacustoms.engines.spark_protect import spark_protect
    from datacustoms.io.spark import SparkJobError

    rows = make_export(100).to_pylist()
    rows[70]["joined"] = "20x9-13-45"  # not a date: the generalise kernel refuses it
    df = spark.createDataFrame(pa.Table.from_pylist(rows, schema=make_export(1).schema)).repartition(2)
    policy = parse_policy({**policy_spec(), "quasi_identifiers": qi, "suppression": None})
    target = tmp_path / "out.parquet"
    with pytest.raises(SparkJobError, match=r"column 'joined' raised InputError.*nothing was written"):
        spark_protect(df, policy, target, master_key=KEY)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.spark
def test_key_material_scan_runs_on_the_executors(spark: Any) -> None:
    """R18: a cell holding the master key (hex or base64) is counted per column, values never returned."""
    import base64

    from datacustoms.engines.spark_protect import spark_key_leaks

    policy = parse_policy(policy_spec())
    cells = ["ok"] * 40 + [f"note {KEY.hex().upper()}", base64.b64encode(KEY).decode()]
    df = spark.createDataFrame(pa.table({"a": cells, "b": ["x"] * 42})).repartition(2)
    assert spark_key_leaks(df, policy, KEY) == {"a": 2}
    assert spark_key_leaks(df.select("b"), policy, KEY) == {}


def test_pyspark_3_is_refused_with_the_install_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    from datacustoms.io.spark import require_pyspark

    monkeypatch.setitem(sys.modules, "pyspark", types.SimpleNamespace(__version__="3.5.1"))
    with pytest.raises(MissingDependency, match=r"pyspark 4 or later.*datacustoms\[spark\]"):
        require_pyspark()


@pytest.mark.spark
def test_csv_kept_columns_take_the_embedded_types(spark: Any, tmp_path: Path) -> None:
    """Protecting a CSV on Spark types the kept columns as the embedded pipeline does (not all text)."""
    import pyarrow.csv as pacsv

    from datacustoms.engines.spark_protect import spark_protect

    export = make_export()
    n = export.num_rows
    export = export.append_column("amount", pa.array([str(i * 7 - 50) for i in range(n)]))
    export = export.append_column("since", pa.array([f"2020-01-{1 + i % 28:02d}" for i in range(n)]))
    export = export.append_column("branch", pa.array([f"0{i % 9}" for i in range(n)]))  # leading zero: text
    csv = tmp_path / "export.csv"
    pacsv.write_csv(export, csv)
    policy = parse_policy(policy_spec(amount="keep", since="keep", branch="keep"))
    emb = protect_table(read(str(csv)), policy, tmp_path / "emb.parquet", master_key=KEY)
    spk = spark_protect(str(csv), policy, tmp_path / "spk.parquet", master_key=KEY)
    assert spk.rows_out == emb.rows_out
    want = pq.read_schema(tmp_path / "emb.parquet")
    got = pq.read_schema(next((tmp_path / "spk.parquet").glob("*.parquet")))
    for name in ("amount", "since", "branch", "sex", "diagnosis"):
        assert got.field(name).type == want.field(name).type, name
    assert got.field("amount").type == pa.int64() and got.field("since").type == pa.date32()
    assert got.field("branch").type == pa.string()
    assert _protected_columns(tmp_path / "spk.parquet")["amount"] == _protected_columns(tmp_path / "emb.parquet")["amount"]


@pytest.mark.spark
def test_one_pass_write_with_empty_partitions(spark: Any, tmp_path: Path) -> None:
    """Empty partitions still commit; the one job that writes and counts gives the figures of the dry
    run's own histogram jobs, and the embedded engine's rows."""
    from datacustoms.engines.spark_protect import spark_protect

    source = make_export()
    policy = parse_policy(policy_spec())
    df = spark.createDataFrame(source).repartition(8, "sex")  # two values in 8 partitions: 6 or more empty
    assert sum(1 for n in df.rdd.glom().map(len).collect() if n == 0) >= 6
    dry = spark_protect(df, policy, None, dry_run=True, master_key=KEY)
    spk = spark_protect(df, policy, tmp_path / "spk.parquet", master_key=KEY)
    emb = protect_table(from_arrow(source, "export"), policy, tmp_path / "emb.parquet", master_key=KEY)
    figures = ("k_before", "k_after", "suppressed_rows", "rows_in", "classes_after")
    assert [getattr(spk, f) for f in figures] == [getattr(dry, f) for f in figures] == [getattr(emb, f) for f in figures]
    assert spk.rows_out == emb.rows_out
    got, want = _protected_columns(tmp_path / "spk.parquet"), _protected_columns(tmp_path / "emb.parquet")
    assert "phone" not in got and got == want
    assert (tmp_path / "spk.parquet" / "_SUCCESS").exists()
    assert not any(p.name.startswith(".") or p.name == "_temporary" for p in tmp_path.iterdir())


@pytest.mark.spark
def test_one_pass_write_of_no_rows_keeps_the_schema(spark: Any, tmp_path: Path) -> None:
    from datacustoms.engines.spark_protect import spark_protect

    source = make_export(10)
    df = spark.createDataFrame(source).limit(0)
    spk = spark_protect(df, parse_policy(policy_spec()), tmp_path / "spk.parquet", master_key=KEY)
    assert spk.rows_in == spk.rows_out == 0
    table = ds.dataset(tmp_path / "spk.parquet", format="parquet").to_table()
    assert table.num_rows == 0 and "phone_sha256" in table.column_names and "phone" not in table.column_names


@pytest.mark.spark
def test_footer_schema_is_the_one_spark_infers(spark: Any, tmp_path: Path) -> None:
    """A local Parquet file's plain columns get Spark's own types from the footer; others are left to Spark."""
    import datetime

    from datacustoms.io.spark import footer_schema

    plain = pa.table({
        "b": [True, None], "i8": pa.array([1, 2], pa.int8()), "i16": pa.array([1, 2], pa.int16()),
        "i32": pa.array([1, None], pa.int32()), "i64": [1, 2], "f": pa.array([1.5, 2.0], pa.float32()),
        "d": [1.5, None], "s": ["a", None], "ls": pa.array(["x", "y"], pa.large_string()), "bin": [b"a", b"b"],
        "dt": pa.array([datetime.date(2020, 1, 1), None], pa.date32()),
    })  # fmt: skip
    pq.write_table(plain, tmp_path / "plain.parquet")
    given = footer_schema(str(tmp_path / "plain.parquet"))
    assert given == spark.read.parquet(str(tmp_path / "plain.parquet")).schema
    assert [tuple(r) for r in spark.read.schema(given).parquet(str(tmp_path / "plain.parquet")).collect()] == [
        tuple(r.values()) for r in plain.to_pylist()
    ]
    pq.write_table(pa.table({"t": pa.array([1], pa.timestamp("us"))}), tmp_path / "ts.parquet")
    assert footer_schema(str(tmp_path / "ts.parquet")) is None  # Spark's own timestamp mapping decides
    assert footer_schema(str(tmp_path)) is None  # a folder: partition columns, several footers


@pytest.mark.spark
def test_local_parquet_sample_is_the_embedded_engines(spark: Any, export_path: Path) -> None:
    """The driver samples a local Parquet source itself: the very rows the embedded engine samples."""
    table = resolve_engine("spark", master="local[2]").open(str(export_path), sample_rows=100)
    assert table.sample(100).to_pylist() == read(str(export_path)).sample(100).to_pylist()


@pytest.mark.spark
def test_local_session_compiles_with_c1_only_and_collects_serially(spark: Any) -> None:
    """A local master's JVM gets the C1-only JIT, the serial collector and a small code cache
    when nobody set driver Java options."""
    flags = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:ReservedCodeCacheSize=64m"]
    jvm = spark.sparkContext._jvm.java.lang.management.ManagementFactory
    assert set(flags) <= set(jvm.getRuntimeMXBean().getInputArguments())  # the running JVM got them
    assert [gc.getName() for gc in jvm.getGarbageCollectorMXBeans()] == ["Copy", "MarkSweepCompact"]


@pytest.mark.spark
def test_a_stalled_python_worker_fails_the_job_in_one_line(spark: Any) -> None:
    """A Python worker that sends nothing is stopped after the session's idle timeout (15 minutes
    by default; 2 s here), so a stalled Arrow exchange ends the job with one clear line instead
    of hanging for ever."""
    import signal
    import time

    from datacustoms.engines.spark_commit import raise_job_error
    from datacustoms.io.spark import WORKER_IDLE_SECONDS, SparkJobError

    key = "spark.sql.execution.pyspark.udf.idleTimeoutSeconds"
    assert spark.conf.get("spark.sql.execution.pyspark.udf.killOnIdleTimeout") == "true"
    assert spark.conf.get(key) == str(WORKER_IDLE_SECONDS)

    def stall(batches: Any) -> Any:
        for batch in batches:
            time.sleep(8)
            yield batch

    spark.conf.set(key, "2")
    signal.alarm(120)  # a hang fails the test instead of the suite
    try:
        with pytest.raises(SparkJobError) as failed:
            try:
                spark.range(1).mapInArrow(stall, "id long").collect()
            except Exception as err:  # Py4J's error, turned into ours
                raise_job_error(err, "the stall test", "no verdict was given")
    finally:
        signal.alarm(0)
        spark.conf.set(key, str(WORKER_IDLE_SECONDS))
    message = str(failed.value)
    assert "sent nothing for 2 s and was stopped" in message and "no verdict was given" in message
    assert "\n" not in message and failed.value.exit_code == 2
