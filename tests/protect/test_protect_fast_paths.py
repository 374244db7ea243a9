"""The fast paths of ``pseudonymize`` give exactly what the general paths give.

Skipping the trim when no byte can be whitespace, the one-thread native HMAC, the ``binascii`` hex
encoding and the uncompressed ``PLAIN`` pages of keyed columns are speed-ups only: every value must
be the one the reference computation produces.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datacustoms.io import read
from datacustoms.policy import parse_policy
from datacustoms.protect import crypto
from datacustoms.protect.operators.common import blank_to_null, bytes_within
from datacustoms.protect.operators.pseudonymize import normalize
from datacustoms.protect.pipeline import protect_table
from datacustoms.protect.writer import JUDGE_ROWS, OutputWriter, output_stream

KEY = bytes(range(32))
TEXT = st.lists(
    st.one_of(
        st.none(),
        st.text(alphabet=st.sampled_from([*"0123456789-aZ ", "\t", "\u00a0", "\u3000", "\u0085", "é"]), max_size=8),
    ),
    max_size=12,
)


def _reference_normalize(text: pa.Array, how: str) -> pa.Array:
    """The general path, written out: trim, then lower or keep digits, then blanks to null."""
    if how == "none":
        return text
    text = pc.utf8_trim_whitespace(text)
    if how == "lower":
        text = pc.utf8_lower(text)
    elif how == "digits":
        text = pc.replace_substring_regex(text, r"[^0-9]", "")
    blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    return pc.if_else(blank, pa.scalar(None, text.type), text) if pc.any(blank).as_py() else text


@settings(max_examples=150, deadline=None)
@given(values=TEXT, start=st.integers(0, 3), large=st.booleans())
def test_normalize_fast_paths_match_the_general_path(values: list[str | None], start: int, large: bool) -> None:
    arr = pa.array(values, pa.large_string() if large else pa.string()).slice(min(start, len(values)))
    for how in ("none", "trim", "lower", "digits"):
        assert normalize(arr, how).equals(_reference_normalize(arr, how)), how


def test_blank_to_null_on_printable_text_nulls_only_empty_values() -> None:
    arr = pa.array(["010", "", None, "x"])
    assert bytes_within(arr, 0x21, 0x7E)
    assert blank_to_null(arr).to_pylist() == ["010", None, None, "x"]
    assert not bytes_within(pa.array(["a b"]), 0x21, 0x7E)
    assert blank_to_null(pa.array([" ", "\u3000", "a"])).to_pylist() == [None, None, "a"]


@pytest.mark.parametrize("one_thread_rows", [0, 1 << 18])
def test_native_hmac_paths_agree_with_the_python_loop(monkeypatch: pytest.MonkeyPatch, one_thread_rows: int) -> None:
    """Below the threshold the kernel runs on the calling thread; above it, on the engine's pool."""
    monkeypatch.setattr(crypto, "_ONE_THREAD_ROWS", one_thread_rows)
    values = pa.array([f"010{i:08d}" if i % 7 else None for i in range(70_000)]).slice(3)
    native = crypto.hmac_sha256_digests(KEY, values)
    python = crypto.hmac_sha256_digests(KEY, values, force_python=True)
    assert native.equals(python)
    row = values[5].as_py()
    assert native[5].as_py() == hmac.new(KEY, row.encode(), hashlib.sha256).digest()


def test_hex_encoding_of_a_sliced_matrix_is_bytes_hex() -> None:
    rng = np.random.default_rng(3)
    digests = rng.integers(0, 256, size=(257, 32), dtype=np.uint8)
    view = digests[1:, :16]  # not contiguous: the pseudonym keeps the first 16 bytes
    text = crypto.encode_matrix(view, "hex")
    assert text.shape == (256, 32)
    assert [bytes(row).decode() for row in text] == [bytes(row).hex() for row in view]


def test_keyed_columns_are_plain_uncompressed_and_read_back_exactly(tmp_path: Path, master_key: bytes) -> None:
    phones = [f"010{i:08d}" for i in range(5000)] + [None, "", " 01012345678 "]
    src = tmp_path / "in.parquet"
    pq.write_table(pa.table({"phone": phones, "city": ["Seoul"] * len(phones)}), src)
    policy = parse_policy(
        {
            "recipient": "Alipay",
            "purpose": "nsf-score",
            "key": "env:UNUSED",
            "columns": {"phone": {"action": "pseudonymize"}, "city": "keep"},
        }
    )
    out = tmp_path / "out.parquet"
    protect_table(read(src), policy, out, master_key=master_key)
    meta = pq.ParquetFile(out).metadata.row_group(0)
    keyed, kept = meta.column(0), meta.column(1)
    assert keyed.compression == "UNCOMPRESSED" and "RLE_DICTIONARY" not in keyed.encodings
    assert not keyed.is_stats_set
    assert kept.compression == "ZSTD" and "RLE_DICTIONARY" in kept.encodings and kept.is_stats_set
    derived = crypto.derive_key(master_key, recipient="Alipay", purpose="nsf-score", operation="pseudonymize")
    expected = [
        None if p is None or not p.strip() else hmac.new(derived, p.strip().encode(), hashlib.sha256).hexdigest()[:32]
        for p in phones
    ]
    got = pq.read_table(out)
    assert got.schema.field("phone").type == pa.string()
    assert got.column("phone").to_pylist() == expected
    duckdb = pytest.importorskip("duckdb")
    rows = duckdb.sql(f"SELECT phone FROM read_parquet('{out.as_posix()}')").fetchall()
    assert [r[0] for r in rows] == expected


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_output_writer_fills_a_fresh_file_and_replaces_an_old_one_whole(tmp_path: Path, fmt: str) -> None:
    """The temporary file atomic_path makes (empty) is written in place, not truncated; any other
    file is rewritten from its start, so no stale byte of a longer old file survives."""
    batch = pa.record_batch({"p": [f"v{i}" for i in range(1000)]})
    fresh, old, missing = tmp_path / f"fresh.{fmt}", tmp_path / f"old.{fmt}", tmp_path / f"missing.{fmt}"
    fresh.touch()
    old.write_bytes(b"\xff" * 1_000_000)  # longer than the output: appending would leave these
    inode = fresh.stat().st_ino
    for path in (fresh, old, missing):
        writer = OutputWriter(path, fmt, ("p",))
        writer.write(batch)
        writer.write(batch)
        writer.close()
    assert fresh.stat().st_ino == inode
    sizes = {path.stat().st_size for path in (fresh, old, missing)}
    assert len(sizes) == 1 and sizes.pop() < 1_000_000
    for path in (fresh, old, missing):
        table = pq.read_table(path) if fmt == "parquet" else pacsv.read_csv(path)
        assert table.column("p").to_pylist() == batch.column(0).to_pylist() * 2
    with output_stream(fresh) as sink:  # a stream for any Arrow writer, from the file's start
        sink.write(b"abc")
    assert fresh.read_bytes() == b"abc"


def test_mostly_distinct_columns_are_written_without_a_dictionary(tmp_path: Path) -> None:
    """Judged on the first batch: a column whose values mostly differ gets no dictionary, a
    repetitive one keeps it; a first batch too small to judge leaves every dictionary on; the
    values read back the same either way."""
    n = 20_000
    batch = pa.record_batch(
        {"amount": pa.array([i * 7919 for i in range(n)], pa.int64()), "city": [f"c{i % 40}" for i in range(n)]}
    )
    for first_rows, dictionary_amount in ((n, False), (JUDGE_ROWS - 1, True)):
        out = tmp_path / f"out{first_rows}.parquet"
        writer = OutputWriter(out, "parquet")
        writer.write(batch.slice(0, first_rows))
        writer.write(batch.slice(first_rows))
        writer.close()
        meta = pq.ParquetFile(out).metadata.row_group(0)
        assert ("RLE_DICTIONARY" in meta.column(0).encodings) is dictionary_amount
        assert "RLE_DICTIONARY" in meta.column(1).encodings
        assert meta.column(0).is_stats_set and meta.column(0).compression == "ZSTD"
        assert pq.read_table(out).equals(pa.Table.from_batches([batch]))
