"""protect_table end to end: keyed pseudonyms, k, determinism, reveal, atomic output."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from protect_helpers import base_policy, make_export

from datacustoms.errors import InputError
from datacustoms.io import read
from datacustoms.policy import parse_policy
from datacustoms.protect.histogram import class_histogram, class_stats
from datacustoms.protect.operators.suppress import SuppressionCapExceeded
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import Table, from_arrow


def _k(table: pa.Table, qi: list[str]) -> int | None:
    return class_stats(class_histogram(table.to_batches(), qi), 1, suppress=False).k


def _attack() -> object:
    api = pytest.importorskip("datacustoms.attack.api")
    return api.attack_column


def test_output_has_no_reversible_digest_and_meets_k(tmp_path: Path, env_key: str) -> None:
    source = make_export()
    out = tmp_path / "out.parquet"
    policy = parse_policy(base_policy(env_key))
    result = protect_table(from_arrow(source), policy, out)
    protected = pq.read_table(out)
    assert "phone" not in protected.column_names
    assert protected.num_rows == result.rows_out == source.num_rows - result.suppressed_rows
    assert result.suppressed_share <= 0.05
    assert result.k_before == 1
    assert result.k_after is not None and result.k_after >= 5
    assert _k(protected, ["age", "sex", "joined"]) == result.k_after
    assert result.key_id and result.key_id.startswith("k1-")
    # the recipient's own phone list re-identifies the plain SHA-256 column, not the keyed one
    attack_column = _attack()
    known = from_arrow(pa.table({"phone": source.column("phone")}))
    before = attack_column(from_arrow(source), "phone_sha256", known=known, budget_s=60)  # type: ignore[operator]
    after = attack_column(read(out), "phone_sha256", known=known, budget_s=20)  # type: ignore[operator]
    assert before.rows_reversed_share >= 0.99  # linkage stops once 99% of the digests are linked
    assert after.rows_reversed == 0


def test_pseudonyms_deterministic_per_key_and_unlinkable_across_recipients(tmp_path: Path, master_key: bytes) -> None:
    table = from_arrow(make_export())
    spec = base_policy()
    a1 = protect_table(table, parse_policy(spec), tmp_path / "a1.parquet", master_key=master_key)
    protect_table(table, parse_policy(spec), tmp_path / "a2.parquet", master_key=master_key)
    protect_table(table, parse_policy({**spec, "recipient": "Other"}), tmp_path / "b.parquet", master_key=master_key)
    p1 = pq.read_table(tmp_path / "a1.parquet").column("phone_sha256").to_pylist()
    p2 = pq.read_table(tmp_path / "a2.parquet").column("phone_sha256").to_pylist()
    other = pq.read_table(tmp_path / "b.parquet").column("phone_sha256").to_pylist()
    assert p1 == p2
    assert not set(p1) & set(other)
    assert a1.derived_key_ids["pseudonymize"] != a1.key_id


def test_tokenize_then_reveal_round_trips(tmp_path: Path, env_key: str, cli: object) -> None:
    pytest.importorskip("datacustoms.protect.reveal")
    from datacustoms.cli import app

    source = make_export(rows=200)
    policy = parse_policy(
        {**base_policy(env_key, customer_id={"action": "tokenize", "why": "support lookups"}), "suppression": None}
    )
    out = tmp_path / "tok.parquet"
    protect_table(from_arrow(source), policy, out)
    tokens = pq.read_table(out).column("customer_id").to_pylist()
    assert not set(tokens) & set(source.column("customer_id").to_pylist())
    revealed = tmp_path / "revealed.parquet"
    args = [
        "reveal", str(out), "--column", "customer_id", "-o", str(revealed), "--reason", "test",
        "--key-name", env_key, "--recipient", "Alipay", "--purpose", "nsf-score",
        "--keystore", str(tmp_path / "ks" / "keystore.json"),
    ]  # fmt: skip
    (tmp_path / "ks").mkdir(mode=0o700)
    res = cli.invoke(app, args)  # type: ignore[attr-defined]
    assert res.exit_code == 0, res.output
    assert pq.read_table(revealed).column("customer_id").to_pylist() == source.column("customer_id").to_pylist()


def _two_batches(first: pa.Table, second: pa.Table) -> Table:
    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from first.to_batches()
        yield from second.to_batches()

    return Table(name="t", schema=first.schema, open_batches=open_batches)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_failure_on_batch_two_leaves_no_output(tmp_path: Path, master_key: bytes, suffix: str) -> None:
    good = make_export(rows=100)
    bad = make_export(rows=100, seed=8)
    bad = bad.set_column(bad.schema.get_field_index("joined"), "joined", pa.array(["not a date"] * 100))
    spec = {**base_policy(), "suppression": None, "quasi_identifiers": ["sex"]}
    out = tmp_path / f"out{suffix}"
    with pytest.raises(InputError, match="'joined': 100 value"):
        protect_table(_two_batches(good, bad), parse_policy(spec), out, master_key=master_key)
    assert os.listdir(tmp_path) == []


def test_csv_output_and_large_string_input(tmp_path: Path, master_key: bytes) -> None:
    source = make_export()
    large = source.cast(pa.schema([pa.field(f.name, pa.large_string()) for f in source.schema]))
    pq.write_table(large, tmp_path / "in.parquet")
    table = read(tmp_path / "in.parquet")
    policy = parse_policy(base_policy())
    protect_table(table, policy, tmp_path / "out.parquet", master_key=master_key)
    protect_table(table, policy, tmp_path / "out.csv", master_key=master_key)
    par = pq.read_table(tmp_path / "out.parquet")
    assert all(f.type == pa.large_string() for f in par.schema)
    csv = pacsv.read_csv(
        tmp_path / "out.csv",
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(par.column_names, pa.string())),
    )
    assert csv.column("phone_sha256").to_pylist() == par.column("phone_sha256").to_pylist()


def test_dry_run_writes_nothing_and_predicts_k(tmp_path: Path, master_key: bytes) -> None:
    table = from_arrow(make_export())
    policy = parse_policy(base_policy())
    out = tmp_path / "out.parquet"
    dry = protect_table(table, policy, out, dry_run=True, master_key=master_key)
    assert not out.exists() and dry.rows_out is None
    real = protect_table(table, policy, out, master_key=master_key)
    assert dry.k_after == real.k_after and dry.suppressed_rows == real.suppressed_rows


def test_suppression_cap_is_enforced_before_writing(tmp_path: Path, master_key: bytes) -> None:
    spec = {**base_policy(age={"action": "keep"}), "suppression": {"max_share": 0.01}}
    out = tmp_path / "out.parquet"
    with pytest.raises(SuppressionCapExceeded, match="cap"):
        protect_table(from_arrow(make_export()), parse_policy(spec), out, master_key=master_key)
    assert not out.exists()


def test_keystore_key_is_audited(tmp_path: Path) -> None:
    from datacustoms.protect.keys import Keystore

    ks = tmp_path / "ks" / "keystore.json"
    (tmp_path / "ks").mkdir(mode=0o700)
    store = Keystore(ks)
    store.create("alipay")
    policy = parse_policy(base_policy("alipay"))
    result = protect_table(from_arrow(make_export()), policy, tmp_path / "o.parquet", keystore=ks)
    assert result.key_id == store.active("alipay").id
    log = store.audit.path.read_text(encoding="utf-8")
    assert '"action":"protect"' in log and result.key_id in log
    assert store.active("alipay").material.hex() not in log


def test_fpe_keeps_the_shape_and_shift_dates_reads_a_dropped_subject(tmp_path: Path, master_key: bytes) -> None:
    import datetime as dt

    from datacustoms.protect import crypto

    source = make_export(rows=300)
    spec = base_policy(
        phone={"action": "fpe", "keep_prefix": 3},
        joined={"action": "shift_dates", "subject": "customer_id", "max_days": 10},
        customer_id="drop",
    )
    spec.update({"suppression": None, "quasi_identifiers": ["sex"]})
    out = tmp_path / "o.parquet"
    protect_table(from_arrow(source), parse_policy(spec), out, master_key=master_key)
    got = pq.read_table(out)
    assert "customer_id" not in got.column_names
    phones = got.column("phone").to_pylist()
    plain = source.column("phone").to_pylist()
    assert all(len(p) == 11 and p.startswith("010") and p.isdigit() for p in phones)
    assert sum(a == b for a, b in zip(phones, plain, strict=True)) == 0
    key = crypto.derive_key(master_key, recipient="Alipay", purpose="nsf-score", operation="fpe")
    back = crypto.fpe_decrypt(key, got.column("phone"), column="phone", keep_prefix=3)
    assert back.to_pylist() == plain
    shifted = [dt.date.fromisoformat(d) for d in got.column("joined").to_pylist()]
    original = [dt.date.fromisoformat(d) for d in source.column("joined").to_pylist()]
    assert all(1 <= abs((a - b).days) <= 10 for a, b in zip(shifted, original, strict=True))


def test_a_read_error_on_batch_two_is_raised_and_leaves_no_output(tmp_path: Path, master_key: bytes) -> None:
    first = make_export(rows=100)

    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from first.to_batches()
        raise InputError("line 101 has 3 fields, the header 7", "fix the file")

    table = Table(name="t", schema=first.schema, open_batches=open_batches)
    spec = {**base_policy(), "suppression": None, "quasi_identifiers": None}
    spec["columns"] = {**spec["columns"], "age": "keep", "joined": "keep"}  # type: ignore[dict-item]
    with pytest.raises(InputError, match="line 101"):
        protect_table(table, parse_policy(spec), tmp_path / "o.parquet", master_key=master_key)
    assert os.listdir(tmp_path) == []


def test_progress_follows_the_rows_protected(tmp_path: Path, master_key: bytes) -> None:
    source = make_export(rows=3000)
    pq.write_table(source, tmp_path / "in.parquet", row_group_size=500)  # six batches at least
    heard: list[tuple[str, float]] = []
    spec = {**base_policy(), "suppression": None}
    result = protect_table(read(tmp_path / "in.parquet"), parse_policy(spec), tmp_path / "out.parquet",
                           master_key=master_key, progress=lambda label, f: heard.append((label, f)))  # fmt: skip
    fractions = [f for _, f in heard]
    # one report per batch written, the share of rows read so far (reading runs a few batches ahead)
    assert len(fractions) >= 6 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {label for label, _ in heard} == {"protecting in"} and result.rows_in == 3000


@pytest.mark.parametrize("keyed_dictionary", [False, True], ids=["plain", "stored-dictionary"])
def test_a_dropped_column_no_step_reads_is_not_read(tmp_path: Path, master_key: bytes, keyed_dictionary: bool) -> None:
    """The write pass asks the source for the output's columns, the QIs and date shifts' subjects
    only: a dropped free-text column is never decoded (both reading paths)."""
    source = make_export(rows=400).append_column("notes", pa.array([f"note {i}" for i in range(400)]))
    path = tmp_path / "in.parquet"
    pq.write_table(source, path, use_dictionary=keyed_dictionary)
    table = read(path)
    asked: list[list[str] | None] = []
    whole, columns, dictionary = table.open_batches, table.open_columns, table.open_dictionary
    assert columns is not None and dictionary is not None

    def spy_whole() -> Iterator[pa.RecordBatch]:
        asked.append(None)  # every column
        return whole()

    def spy_columns(wanted: list[str]) -> Iterator[pa.RecordBatch]:
        asked.append(list(wanted))
        return columns(wanted)

    def spy_dictionary(keyed: list[str], wanted: list[str] | None = None, **kw: bool) -> Iterator[pa.RecordBatch] | None:
        asked.append(wanted)
        return dictionary(keyed, wanted, **kw)

    table.open_batches, table.open_columns, table.open_dictionary = spy_whole, spy_columns, spy_dictionary
    spec = base_policy(customer_id="drop", notes="drop")
    spec.update({"suppression": None, "quasi_identifiers": ["sex"]})
    out = tmp_path / "o.parquet"
    protect_table(table, parse_policy(spec), out, master_key=master_key)
    got = pq.read_table(out)
    assert "notes" not in got.column_names and got.num_rows == 400
    assert asked and all(w is not None and "notes" not in w and "customer_id" not in w for w in asked)


def _typed_export(rows: int = 3000) -> pa.Table:
    """QIs of every type the grouped histograms take, with nulls, and a float one they do not."""
    import datetime as dt
    import decimal
    import random

    rng = random.Random(11)

    def some(value: object) -> object:
        return None if rng.random() < 0.03 else value

    return pa.table(
        {
            "age": pa.array([some(rng.randint(18, 85)) for _ in range(rows)], pa.int32()),
            "sex": pa.array([some(rng.choice("MF")) for _ in range(rows)], pa.large_string()),
            "born": pa.array([some(dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))) for _ in range(rows)]),
            "seen": pa.array([some(dt.datetime(2024, 1, 1) + dt.timedelta(seconds=rng.randrange(10**7))) for _ in range(rows)], pa.timestamp("s")),
            "score": pa.array([some(decimal.Decimal(rng.randint(0, 40)) / 4) for _ in range(rows)], pa.decimal128(6, 2)),
            "vip": pa.array([some(rng.random() < 0.2) for _ in range(rows)]),
            "zip": pa.array([some(f"{rng.randint(0, 9999):05d}") for _ in range(rows)]),
            "weight": pa.array([some(rng.choice([-0.0, 0.0, 70.5, float("nan")])) for _ in range(rows)]),
        }
    )


def test_grouped_histograms_are_the_two_pass_histograms(master_key: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both class histograms from one grouping of the raw QI inputs give the classes and counts
    of the two passes over every row (raw, then through the QI kernels), for each type it takes;
    a float QI (-0.0 and 0.0, NaNs) is never grouped first."""
    from datacustoms.protect import histogram, pipeline

    source = _typed_export()
    columns = {
        "age": {"action": "generalize", "method": "age", "width": 10},
        "sex": "keep",
        "born": {"action": "generalize", "method": "date", "to": "year"},
        "seen": {"action": "generalize", "method": "date", "to": "month"},
        "score": "keep",
        "vip": "keep",
        "zip": {"action": "generalize", "method": "prefix", "keep": 3},
        "weight": "keep",
    }
    for qi in (["age", "sex", "born", "seen"], ["score", "vip", "zip"], ["age", "weight"]):
        spec = {**base_policy(), "columns": columns, "quasi_identifiers": qi, "suppression": {"max_share": 0.9}}
        policy = parse_policy(spec)
        table = from_arrow(source)
        grouped = pipeline.prepare(table, policy, master_key=master_key, dry_run=True)
        with monkeypatch.context() as m:
            m.setattr(pipeline, "pregroupable", lambda *_: False)
            two_pass = pipeline.prepare(table, policy, master_key=master_key, dry_run=True)
        assert grouped.measured.before == two_pass.measured.before, qi
        assert grouped.measured.after == two_pass.measured.after, qi
        assert histogram.pregroupable(source.schema, qi) is ("weight" not in qi)
    inputs = ["age", "sex", "born", "seen", "score", "vip", "zip"]
    plan = parse_policy({**base_policy(), "columns": columns, "quasi_identifiers": inputs, "suppression": None})
    prepared = pipeline.prepare(from_arrow(source), plan, master_key=master_key, dry_run=True)
    kernels = prepared.plan.qi_kernels()
    schema = pa.schema([source.schema.field(c) for c in inputs])
    one = histogram.GroupedInputs(source.select(inputs).to_batches(max_chunksize=700), schema, inputs, kernels)
    two = class_histogram(pipeline._qi_stream(from_arrow(source), prepared.plan, plan), inputs)
    key = [(c, "ascending") for c in inputs]
    assert one.protected().sort_by(key).equals(two.sort_by(key).cast(one.protected().schema))
    assert sorted(one.raw().column("__n").to_pylist()) == sorted(
        class_histogram(source.select(inputs).to_batches(), inputs).column("__n").to_pylist()
    )


def test_grouped_histograms_take_batches_that_differ_from_the_schema(master_key: bytes) -> None:
    """A source whose batches arrive as large_string under a string schema is conformed, not refused."""
    from datacustoms.protect import pipeline

    source = make_export(rows=500)

    def open_batches() -> Iterator[pa.RecordBatch]:
        for batch in source.to_batches(max_chunksize=128):
            yield batch.cast(pa.schema([pa.field(f.name, pa.large_string()) for f in batch.schema]))

    table = Table(name="t", schema=source.schema, open_batches=open_batches)
    spec = {**base_policy(), "suppression": None}
    grouped = pipeline.prepare(table, parse_policy(spec), master_key=master_key, dry_run=True)
    assert grouped.measured.after == pipeline.prepare(
        from_arrow(source), parse_policy(spec), master_key=master_key, dry_run=True
    ).measured.after
    assert grouped.measured.after is not None and grouped.measured.after.rows == 500
