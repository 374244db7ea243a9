"""Frame in, frame out: pandas, polars and pyarrow in; a pyarrow Table out, as the file path writes it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from api_helpers import KEY, export, policy

import datacustoms
from datacustoms.api import ProtectedTable, protect, protect_and_prove
from datacustoms.errors import ColumnError, KeyMaterialError, PolicyError
from datacustoms.policy import parse_policy
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import from_arrow


def test_pyarrow_in_equals_the_file_the_cli_path_writes(tmp_path: Path, env_key: bytes) -> None:
    source = export()
    out = protect(source, policy())
    assert isinstance(out, pa.Table)
    written = tmp_path / "safe.parquet"
    result = protect_table(from_arrow(source), parse_policy(policy()), written)
    assert out.equals(pq.read_table(written))
    assert out.num_rows == result.rows_out and out.column_names == [
        "customer_id", "age", "sex", "joined", "visits", "postcode",
    ]  # fmt: skip
    assert "phone" not in out.column_names and "phone_sha256" not in out.column_names
    # the join key is keyed, not the input's text
    assert not set(out.column("customer_id").to_pylist()) & set(source.column("customer_id").to_pylist())


def test_pandas_and_polars_give_the_same_rows(env_key: bytes) -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    source = export()
    want = protect(source, policy())
    frame = source.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    from_pandas = protect(frame, policy())
    from_polars = protect(pl.from_arrow(source), policy())
    for got in (from_pandas, from_polars):
        assert got.column("customer_id").to_pylist() == want.column("customer_id").to_pylist()
        assert got.column("visits").to_pylist() == want.column("visits").to_pylist()
    # the pandas metadata of the input (its columns and index) is not carried onto other columns
    back = from_pandas.to_pandas()
    assert list(back.columns) == want.column_names and len(back) == want.num_rows


def test_record_batch_reader_and_a_parquet_path(tmp_path: Path, env_key: bytes) -> None:
    source = export()
    want = protect(source, policy())
    reader = pa.RecordBatchReader.from_batches(source.schema, source.to_batches(max_chunksize=100))
    assert protect(reader, policy()).equals(want)
    path = tmp_path / "export.parquet"
    pq.write_table(source, path)
    assert protect(path, policy()).equals(want)


def test_policy_as_path_yaml_text_mapping_or_object_agree(tmp_path: Path, env_key: bytes) -> None:
    source = export(400)
    spec = policy(age="keep", joined="keep", sex="keep")
    spec["suppression"] = {"max_share": 1.0}
    path = tmp_path / "policy.yaml"
    text = yaml.safe_dump(spec)
    path.write_text(text)
    outputs = [protect(source, p) for p in (path, str(path), text, spec, parse_policy(spec))]
    assert all(o.equals(outputs[0]) for o in outputs)


def test_bad_policies_and_missing_keys_are_one_line_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DC_API_TEST_KEY", raising=False)
    with pytest.raises(KeyMaterialError, match="DC_API_TEST_KEY"):
        protect(export(50), policy())
    with pytest.raises(ColumnError, match="phonee"):
        protect(export(50), {**policy(), "columns": {**policy()["columns"], "phonee": "drop"}}, master_key=KEY)
    with pytest.raises(PolicyError, match="not found"):
        protect(export(50), "no-such-policy.yaml")
    with pytest.raises(PolicyError, match="cannot use an object"):
        protect(export(50), 42)  # type: ignore[arg-type]


def test_master_key_bytes_override_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DC_API_TEST_KEY", raising=False)
    one = protect(export(300), policy(), master_key=KEY)
    other = protect(export(300), policy(), master_key=bytes(32))
    assert one.column("customer_id").to_pylist() != other.column("customer_id").to_pylist()


def test_protect_and_prove_unpacks_to_the_table_and_a_proof(env_key: bytes) -> None:
    got = protect_and_prove(export(), policy(), attack_budget=2)
    assert isinstance(got, ProtectedTable)
    table, proof = got
    assert table.equals(protect(export(), policy()))
    assert proof.passed and proof.verdict == "pass" and not proof.failures
    assert any(line.startswith("phone_sha256:") and "dropped" in line for line in proof.lines)
    assert any(line.startswith("key material in the output: 0") for line in proof.lines)
    assert proof.result.rows_in == 1200 and proof.result.rows_out == table.num_rows


def test_a_policy_that_keeps_a_phone_in_clear_fails_its_proof(env_key: bytes) -> None:
    _, proof = protect_and_prove(export(), policy(phone="keep"), attack=False)
    assert not proof.passed and proof.verdict == "fail"
    assert [(f.rule, f.subject) for f in proof.failures] == [("R1", "phone")]


def test_keystore_argument_is_used_and_audited(tmp_path: Path) -> None:
    from datacustoms.protect.keys import Keystore

    folder = tmp_path / "ks"
    folder.mkdir(mode=0o700)
    store = Keystore(folder / "keystore.json")
    store.create("partner")
    out = protect(export(300), {**policy(), "key": "partner"}, keystore=folder / "keystore.json")
    assert out.num_rows > 0
    log = store.audit.path.read_text(encoding="utf-8")
    assert '"action":"protect"' in log and store.active("partner").id in log


def test_top_level_names(env_key: bytes) -> None:
    out = datacustoms.protect(export(300), policy())
    assert out.equals(protect(export(300), policy()))
    assert datacustoms.protect_and_prove is protect_and_prove


def test_an_empty_frame_gives_an_empty_table_with_the_output_columns() -> None:
    empty = pa.table({"a": pa.array([], pa.string()), "b": pa.array([], pa.int64())})
    out = protect(empty, {"recipient": "r", "purpose": "p", "columns": {"a": "drop", "b": "keep"}})
    assert out.num_rows == 0 and out.schema == pa.schema([("b", pa.int64())])


def test_rotating_keys_take_the_epoch_as_the_file_path_does(tmp_path: Path, env_key: bytes) -> None:
    rotated = policy(customer_id={"action": "pseudonymize", "why": "join key", "rotate": "daily"})
    out = protect(export(300), rotated)
    written = tmp_path / "safe.parquet"
    protect_table(from_arrow(export(300)), parse_policy(rotated), written)
    assert out.column("customer_id").equals(pq.read_table(written).column("customer_id"))
    assert out.column("customer_id") != protect(export(300), policy()).column("customer_id")


def test_policy_text_is_parsed_strictly() -> None:
    """YAML text given to the API is held to the policy file's rules: a key given twice is refused."""
    text = "recipient: partner\npurpose: analytics\ndefault_action: keep\ncolumns:\n  name: drop\n  name: keep\n"
    with pytest.raises(PolicyError, match="given twice"):
        datacustoms.protect(pa.table({"name": ["Kim"]}), text)
