"""Pieces of a local Parquet source for the executors: whole row groups, their first rows, the
columns pyarrow reads as Spark does, and the sample task's draws (no Spark needed here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from datacustoms.io import spark_pieces
from datacustoms.io.spark_pieces import KEY, ROW, Piece, parquet_pieces, read_piece, sample_task
from datacustoms.table import Table


def _write(path: Path, rows: int, start: int = 0, group: int = 100) -> pa.Table:
    table = pa.table(
        {
            "id": pa.array(range(start, start + rows), pa.int64()),
            "name": pa.array([f"n{i % 7}" if i % 5 else None for i in range(start, start + rows)]),
        }
    )
    pq.write_table(table, path, row_group_size=group)
    return table


def _spark_types(names: list[str]) -> pa.Schema:
    types = {"id": pa.int64(), "name": pa.string(), "when": pa.timestamp("us", tz="UTC")}
    return pa.schema([pa.field(n, types[n]) for n in names])


def test_row_groups_pack_into_pieces_with_their_first_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(tmp_path / "a.parquet", 250)  # row groups of 100, 100, 50
    _write(tmp_path / "b.parquet", 120, start=250)  # 100, 20
    monkeypatch.setattr(spark_pieces, "MIN_PIECE_BYTES", 1)
    pieces = parquet_pieces(ds.dataset(tmp_path, format="parquet"), _spark_types(["id", "name"]), slots=2)
    assert pieces is not None
    # every row group once, in the source's order, never split; starts count the rows before
    groups = [(Path(p.path).name, g) for p in pieces.pieces for g in p.row_groups]
    assert groups == [("a.parquet", 0), ("a.parquet", 1), ("a.parquet", 2), ("b.parquet", 0), ("b.parquet", 1)]
    read = pa.concat_tables(
        pa.Table.from_batches(list(read_piece(p, pieces.schema))) for p in pieces.pieces
    )  # fmt: skip
    assert read.column("id").to_pylist() == list(range(370))
    for piece in pieces.pieces:
        first = next(read_piece(piece, pieces.schema))
        assert first.column("id")[0].as_py() == piece.start
    # a large floor keeps a file's row groups together (never across files)
    monkeypatch.setattr(spark_pieces, "MIN_PIECE_BYTES", 1 << 30)
    whole = parquet_pieces(ds.dataset(tmp_path, format="parquet"), _spark_types(["id", "name"]), slots=2)
    assert whole is not None
    assert [(Path(p.path).name, p.row_groups, p.start) for p in whole.pieces] == [
        ("a.parquet", (0, 1, 2), 0),
        ("b.parquet", (0, 1), 250),
    ]


def test_only_columns_read_as_spark_reads_them_are_covered(tmp_path: Path) -> None:
    pq.write_table(
        pa.table(
            {"id": pa.array([1, 2], pa.int64()), "name": ["a", "b"], "when": pa.array([1, 2], pa.timestamp("ms"))}
        ),
        tmp_path / "t.parquet",
    )
    pieces = parquet_pieces(ds.dataset(tmp_path, format="parquet"), _spark_types(["id", "name", "when"]), slots=2)
    assert pieces is not None
    assert pieces.schema.names == ["id", "name"]  # Spark hands a timestamp[us, UTC]: Spark reads that one
    assert pieces.reads(["name", "id"]) and not pieces.reads(["id", "when"])
    # a file whose type differs from the others' leaves the column to Spark
    pq.write_table(pa.table({"id": pa.array([3], pa.int32()), "name": ["c"], "when": pa.array([3], pa.timestamp("ms"))}),
                   tmp_path / "u.parquet")  # fmt: skip
    mixed = parquet_pieces(ds.dataset(tmp_path, format="parquet"), _spark_types(["id", "name", "when"]), slots=2)
    assert mixed is not None and mixed.schema.names == ["name"]


def test_no_rows_or_no_column_gives_no_pieces(tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": pa.array([], pa.int64())}), tmp_path / "empty.parquet")
    assert parquet_pieces(ds.dataset(tmp_path, format="parquet"), _spark_types(["id"]), slots=2) is None
    pq.write_table(pa.table({"id": pa.array([1], pa.int32())}), tmp_path / "other.parquet")
    assert parquet_pieces(ds.dataset(tmp_path / "other.parquet", format="parquet"), _spark_types(["id"]), 2) is None


def test_sample_task_draws_what_the_embedded_sample_draws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each piece jumps the generator to its first row: the union of the tasks' rows under the
    bound, smallest first, is exactly the embedded bottom-k sample."""
    _write(tmp_path / "a.parquet", 1_000, group=130)
    monkeypatch.setattr(spark_pieces, "MIN_PIECE_BYTES", 1)
    dataset = ds.dataset(tmp_path, format="parquet")
    pieces = parquet_pieces(dataset, _spark_types(["id", "name"]), slots=4)
    assert pieces is not None and len(pieces.pieces) > 4
    numbers = [pa.record_batch([pa.array(range(len(pieces.pieces)), pa.int64())], names=["id"])]
    got = pa.Table.from_batches(list(sample_task(pieces.pieces, pieces.schema, seed=3, below=0.2)(iter(numbers))))
    keys = np.random.default_rng(3).random(1_000)
    assert got.column(ROW).to_pylist() == np.flatnonzero(keys < 0.2).tolist()
    assert got.column(KEY).to_pylist() == keys[keys < 0.2].tolist()
    assert got.column("id").to_pylist() == got.column(ROW).to_pylist()  # the row's own values
    smallest = got.take(np.sort(np.argsort(got.column(KEY).to_numpy())[:50]))
    embedded = Table(name="t", schema=dataset.schema, open_batches=lambda: iter(dataset.to_batches(batch_size=77)))
    assert smallest.select(["id", "name"]).to_pylist() == embedded.sample(50, seed=3).to_pylist()


def test_piece_batches_carry_sparks_schema_not_the_files(tmp_path: Path) -> None:
    table = pa.table({"id": pa.array([1, 2], pa.int64())}).replace_schema_metadata({b"pandas": b"{}"})
    pq.write_table(table, tmp_path / "m.parquet")
    batch = next(read_piece(Piece(str(tmp_path / "m.parquet"), (0,), 0), _spark_types(["id"])))
    assert batch.schema.metadata is None and batch.schema == _spark_types(["id"])


def test_count_tasks_read_stored_dictionaries_as_dictionaries(tmp_path: Path) -> None:
    """Text stored dictionary-encoded in every page reaches a count task as an Arrow dictionary
    (grouped by codes); text stored plain stays text, and the partial counts come out as text."""
    from datacustoms.engines.spark_task import partial_counts

    table = pa.table({"coded": ["x", "y", None] * 300, "plain": ["p", "q", "r"] * 300})
    path = tmp_path / "d.parquet"
    pq.write_table(table, path, use_dictionary=["coded"], row_group_size=400)
    piece = Piece(str(path), (0, 1, 2), 0)
    schema = pa.schema([("coded", pa.string()), ("plain", pa.string())])
    assert spark_pieces.stored_dictionaries(piece, schema) == ["coded"]
    batches = list(read_piece(piece, schema, ["coded"]))
    assert pa.types.is_dictionary(batches[0].schema.field("coded").type)
    assert batches[0].schema.field("plain").type == pa.string()
    out = pa.schema([("q0", pa.string()), ("q1", pa.string()), ("n", pa.int64())])
    counted = pa.Table.from_batches(list(partial_counts(["coded", "plain"], ["q0", "q1"], "n", out)(iter(batches))))
    assert counted.schema == out
    assert sorted(counted.to_pylist(), key=str) == sorted(
        [{"q0": a, "q1": b, "n": 300} for a, b in (("x", "p"), ("y", "q"), (None, "r"))], key=str
    )


@pytest.mark.parametrize("rows", [1, 37, 999, 1_000, 2_000])
def test_the_embedded_sample_is_the_bottom_k_of_the_draws(rows: int) -> None:
    """Whatever the batches (rows skipped once the sample is full included): the rows of the
    ``rows`` smallest draws of ``default_rng(seed)``, one per row in stream order, in row order."""
    table = pa.table({"id": pa.array(range(1_000), pa.int64()), "name": [f"n{i}" for i in range(1_000)]})
    for chunk in (1, 7, 64, 1_000):
        source = Table(
            name="t", schema=table.schema, open_batches=lambda c=chunk: iter(table.to_batches(max_chunksize=c))
        )
        keys = np.random.default_rng(5).random(1_000)
        want = np.sort(np.argsort(keys)[:rows]).tolist()
        assert source.sample(rows, seed=5).column("id").to_pylist() == want
