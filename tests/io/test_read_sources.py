"""Parquet, JSON Lines, Arrow IPC, SQL (SQLite and PostgreSQL) and in-memory frames."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import datacustoms
from datacustoms.errors import ColumnError, InputError

DATA = pa.table({"phone": ["01012345678", "01098765432", None], "age": [31, 45, 52]})


def _all(table: datacustoms.Table) -> pa.Table:
    return pa.Table.from_batches(list(table.batches()), schema=table.schema)


def test_parquet_file_and_folder(tmp_path: Path) -> None:
    pq.write_table(DATA, tmp_path / "x.parquet")
    table = datacustoms.read(tmp_path / "x.parquet")
    assert table.format == "parquet" and table.num_rows == 3
    assert table.duckdb_scan and "read_parquet" in table.duckdb_scan
    assert _all(table).equals(DATA)
    folder = tmp_path / "parts"
    folder.mkdir()
    pq.write_table(DATA, folder / "a.parquet")
    pq.write_table(DATA, folder / "b.parquet")
    assert datacustoms.read(folder).num_rows == 6


def test_parquet_is_recognised_by_magic_bytes(tmp_path: Path) -> None:
    pq.write_table(DATA, tmp_path / "export.dat")
    assert datacustoms.read(tmp_path / "export.dat").format == "parquet"


def test_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"phone": "01012345678", "age": 31}\n{"phone": null, "age": 45}\n')
    table = datacustoms.read(path)
    assert _all(table).column("phone").to_pylist() == ["01012345678", None]


def test_bad_jsonl_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"phone": "010"\nnot json\n')
    with pytest.raises(InputError, match="JSON"):
        list(datacustoms.read(path).batches())


@pytest.mark.parametrize("kind", ["feather", "stream"])
def test_arrow_ipc(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.arrow"
    if kind == "feather":
        feather.write_feather(DATA, path)
    else:
        with pa.ipc.new_stream(path, DATA.schema) as writer:
            writer.write_table(DATA)
    assert _all(datacustoms.read(path)).equals(DATA)


def test_corrupt_parquet(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputError, match="Parquet"):
        datacustoms.read(path)


def test_sqlite_table(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "x.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table customers (phone text, age integer)")
        conn.executemany("insert into customers values (?, ?)", [("01012345678", 31), ("01098765432", 45)])
    table = datacustoms.read(f"sqlite:///{db}", table="customers")
    assert _all(table).to_pylist() == [{"phone": "01012345678", "age": 31}, {"phone": "01098765432", "age": 45}]
    with pytest.raises(ColumnError, match="Did you mean 'customers'"):
        datacustoms.read(f"sqlite:///{db}", table="customer")
    with pytest.raises(InputError, match="--table"):
        datacustoms.read(f"sqlite:///{db}")


def test_missing_sqlite_file_is_refused_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(InputError, match="does not exist"):
        datacustoms.read(f"sqlite:///{missing}", table="customers")
    assert not missing.exists()


@pytest.mark.postgres
def test_postgresql_table() -> None:
    sa = pytest.importorskip("sqlalchemy")
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    try:
        engine = sa.create_engine(url)
        engine.connect().close()
    except Exception as err:  # the server is part of the project's machine; say clearly when absent
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 unreachable: {type(err).__name__}")
    name = f"dc_read_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"create table {name} (phone text, email text, n int)"))
        conn.execute(
            sa.text(f"insert into {name} values (:p, :e, :n)"),
            [{"p": f"010{i:08d}", "e": f"u{i}@naver.com", "n": i} for i in range(120_000)],
        )
    try:
        table = datacustoms.read(url, table=name)
        batches = list(table.batches())
        assert len(batches) >= 2  # streamed with a server-side cursor, not one fetchall
        assert sum(b.num_rows for b in batches) == 120_000
        assert table.source.startswith("postgresql+psycopg://postgres@")
        report = datacustoms.inspect(table, attack=False)
        assert report.finding("email") is not None and report.finding("email").kind == "email"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"drop table {name}"))


def test_in_memory_frames() -> None:
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    frame = pd.DataFrame({"phone": ["01012345678"], "age": [31]})
    assert datacustoms.read(frame).column_names == ["phone", "age"]
    polars_frame = pl.DataFrame({"phone": ["01012345678"], "age": [31]})
    table = datacustoms.read(polars_frame)
    assert _all(table).column("phone").to_pylist() == ["01012345678"]
    assert datacustoms.read(DATA).num_rows == 3
    with pytest.raises(InputError, match="cannot read an object"):
        datacustoms.read(object())


def test_parquet_projection_reads_only_the_asked_columns(tmp_path: Path) -> None:
    pq.write_table(DATA, tmp_path / "x.parquet")
    table = datacustoms.read(tmp_path / "x.parquet")
    batches = list(table.batches(["age"]))
    assert [b.schema.names for b in batches] == [["age"]]
    assert sum(b.num_rows for b in batches) == 3
