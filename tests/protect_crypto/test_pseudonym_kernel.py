"""Known answers for the fused hex pseudonym kernel and the paths that feed it.

The native kernel writes HMAC-SHA-256 truncated to ``bits`` straight as hex (no intermediate
digests), into a caller's Arrow buffer or a new bytes object. Every implementation this CPU has,
every truncation from 128 to 256 bits (including lengths that end inside a word), rows on both
sides of the one-block limit (55 bytes), sliced and ``large_string`` arrays, a row that ends at
the very end of the data buffer, and a partial last lane group must give the published RFC 4231
MACs and the bytes of :mod:`hmac`. The dictionary path (each distinct value keyed once) and the
pipeline with several worker threads must give exactly the bytes of the plain, one-thread path.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_crypto_known_answers import RFC4231

from datacustoms.io import read, sources
from datacustoms.io.parquet_pages import dictionary_columns
from datacustoms.policy import Pseudonymize, parse_policy
from datacustoms.protect import crypto, pipeline
from datacustoms.protect.operators.pseudonymize import pseudonymize_values

native = crypto._native_module()
needs_native = pytest.mark.skipif(native is None, reason="the native extension is not built")
FEATURES = native.cpu_features() if native is not None else {}
#: every path this CPU runs: the 16-row kernels ("auto" picks avx512 where present, else sha_ni,
#: two rows interleaved), the 8-row avx2 (only when asked) and the one-row portable C (scalar)
IMPLS = ["auto", "scalar"] + [i for i in ("sha_ni", "avx2", "avx512") if FEATURES.get(i)]
KEY = bytes(range(32))
#: SHA-256 of the 128-bit hex pseudonyms of "010" + 8 digits, i = 0..39, under KEY, joined with
#: no separator: fixed key, exact bytes (40 rows: two full 16-lane groups and a partial one)
PINNED_40 = "e39e55a5305f9c0bb09c6723975dc8b6f6f37a1ffa858d744d0bf7da39162444"


def _kernel_hex(key: bytes, arr: pa.Array, nbytes: int, impl: str, into: bool) -> bytes:
    bufs = arr.buffers()
    width = 8 if arr.type in (pa.large_string(), pa.large_binary()) else 4
    if not into:
        return bytes(native.hmac_sha256(key, bufs[1], bufs[2], arr.offset, len(arr), width, impl, nbytes))
    out = pa.allocate_buffer(len(arr) * 2 * nbytes)
    assert native.hmac_sha256(key, bufs[1], bufs[2], arr.offset, len(arr), width, impl, nbytes, out) is None
    return out.to_pybytes()


@needs_native
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("into", [False, True], ids=["bytes", "arrow-buffer"])
def test_rfc4231_through_the_hex_kernel(impl: str, into: bool) -> None:
    for key, data, expected in RFC4231:
        # the case's row between rows of other lengths, so it sits in a lane group of its own size
        for nbytes in (16, 17, 18, 19, 20, 23, 31, 32):
            arr = pa.array([b"x" * 56, data, b"", b"y" * 3], pa.binary())
            text = _kernel_hex(key, arr, nbytes, impl, into)
            width = 2 * nbytes
            assert text[width : 2 * width].decode() == expected[:width], (nbytes, impl)


@needs_native
@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("large", [False, True], ids=["binary", "large_binary"])
def test_hex_kernel_matches_the_hmac_module(impl: str, large: bool) -> None:
    lengths = [0, 1, 3, 4, 11, 51, 52, 53, 54, 55, 56, 57, 63, 64, 65, 119, 120, 200]
    values = [bytes((7 * i + j) % 256 for j in range(lengths[i % len(lengths)])) for i in range(3 * 16 + 5)]
    # then runs of 16 and more rows of every length up to 55 (the 16-row AVX-512 unit's case)
    values += [bytes((3 * i + j) % 256 for j in range((5 * i) % 56)) for i in range(70)]
    # runs of rows of 40 to 119 bytes (the SHA-NI unit's two-block rows among one-block ones),
    # then of 64-byte rows only (hex SHA-256 digests)
    values += [bytes((11 * i + j) % 256 for j in range(40 + (7 * i) % 80)) for i in range(90)]
    values += [b"%064x" % (i * 0x9E3779B97F4A7C15) for i in range(40)]
    # the last rows end within 64 bytes of the data buffer's end (and the 16 before them within
    # 128): their blocks must not be read past it (they take the copying path, same bytes)
    values += [b"q" * 60] * 14 + [b"abc", b"", b"0123456789" * 5, b"z"]
    arr = pa.array(values, pa.large_binary() if large else pa.binary()).slice(2)
    for key in (KEY, b"k", bytes(range(64)), bytes(range(100))):  # short, block-sized, hashed keys
        for nbytes in (16, 19, 32):
            text = _kernel_hex(key, arr, nbytes, impl, into=True)
            expected = b"".join(hmac.new(key, v, hashlib.sha256).hexdigest()[: 2 * nbytes].encode() for v in values[2:])
            assert text == expected, (impl, len(key), nbytes)


@needs_native
def test_out_buffer_too_short_or_read_only_is_refused() -> None:
    arr = pa.array(["010"] * 4)
    bufs = arr.buffers()
    with pytest.raises(ValueError, match="too short"):
        native.hmac_sha256(KEY, bufs[1], bufs[2], 0, 4, 4, "auto", 16, pa.allocate_buffer(127))
    with pytest.raises((TypeError, BufferError)):
        native.hmac_sha256(KEY, bufs[1], bufs[2], 0, 4, 4, "auto", 16, b"\0" * 128)


@pytest.mark.parametrize("force_python", [False, True], ids=["auto", "python"])
def test_pseudonymize_pinned_output(force_python: bool) -> None:
    values = pa.array([f"010{i:08d}" for i in range(40)])
    out = crypto.pseudonymize(KEY, values, force_python=force_python)
    joined = "".join(out.to_pylist()).encode()
    assert joined == b"".join(
        hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest()[:32].encode() for v in values.to_pylist()
    )
    assert hashlib.sha256(joined).hexdigest() == PINNED_40


def test_nulls_and_slices_through_the_arrow_buffer_path() -> None:
    values = pa.array([None if i % 5 == 0 else f"id-{i}" for i in range(70)]).slice(3, 60)
    out = crypto.pseudonymize(KEY, values)
    expected = [
        None if v is None else hmac.new(KEY, v.encode(), hashlib.sha256).hexdigest()[:32] for v in values.to_pylist()
    ]
    assert out.to_pylist() == expected
    assert out.null_count == values.null_count


@pytest.mark.parametrize("normalize", ["none", "trim", "digits"])
def test_dictionary_path_gives_the_plain_path_bytes(normalize: str) -> None:
    plain = pa.array([f" 010-{i % 7:04d} " if i % 11 else None for i in range(500)])
    encoded = plain.dictionary_encode()
    assert pa.types.is_dictionary(encoded.type) and len(encoded.dictionary) < len(encoded)
    act = Pseudonymize(normalize=normalize)
    assert pseudonymize_values(KEY, encoded, act).equals(pseudonymize_values(KEY, plain, act))
    assert crypto.pseudonymize(KEY, encoded).equals(crypto.pseudonymize(KEY, plain))


def test_several_workers_give_the_one_thread_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in.parquet"
    table = pa.table({"phone": [f"010{i:08d}" for i in range(50_000)], "n": list(range(50_000))})
    pq.write_table(table, src, row_group_size=7_000)
    policy = parse_policy(
        {
            "recipient": "r",
            "purpose": "p",
            "key": "env:UNUSED",
            "columns": {"phone": {"action": "pseudonymize"}, "n": "keep"},
        }
    )
    outputs = []
    for workers in (1, 2, 4):
        monkeypatch.setattr(pipeline, "WORKERS", workers)
        out = tmp_path / f"out{workers}.parquet"
        pipeline.protect_table(read(src), policy, out, master_key=KEY)
        outputs.append(pq.read_table(out))
    assert outputs[0].equals(outputs[1]) and outputs[0].equals(outputs[2])
    derived = crypto.derive_key(KEY, recipient="r", purpose="p", operation="pseudonymize")
    first = table.column("phone")[0].as_py()
    assert outputs[0].column("phone")[0].as_py() == hmac.new(derived, first.encode(), hashlib.sha256).hexdigest()[:32]


def _ids(n: int, distinct: int) -> list[str | None]:
    return [None if i % 97 == 0 else f" 010{(i * 7919) % distinct:08d} " for i in range(n)]


def test_page_headers_tell_dictionary_chunks_from_fallen_back_ones(tmp_path: Path) -> None:
    table = pa.table({"few": _ids(20_000, 150), "many": [f"v{i}" for i in range(20_000)], "n": list(range(20_000))})
    path = tmp_path / "t.parquet"
    # a 4 KiB dictionary limit: "many" falls back to PLAIN within its chunks, "few" never does
    pq.write_table(table, path, row_group_size=6_000, dictionary_pagesize_limit=4096, data_page_size=2048)
    assert dictionary_columns(path, ["few", "many", "n", "absent"]) == ["few"]
    plain = tmp_path / "plain.parquet"
    pq.write_table(table, plain, use_dictionary=False)
    assert dictionary_columns(plain, ["few", "many"]) == []
    v2 = tmp_path / "v2.parquet"
    pq.write_table(table, v2, data_page_version="2.0", compression="zstd", row_group_size=6_000)
    assert dictionary_columns(v2, ["few"]) == ["few"]


def test_dictionary_pages_give_the_row_by_row_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row groups larger than a batch (the dictionary's pseudonyms reused across batches) and
    row groups with other dictionaries; nulls and blanks; the same file read both ways."""
    values = _ids(150_000, 5_000) + [" ", ""] * 10
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"phone": values, "n": list(range(len(values)))}), path, row_group_size=100_000)
    assert dictionary_columns(path, ["phone"]) == ["phone"]
    policy = parse_policy(
        {"recipient": "r", "purpose": "p", "key": "env:UNUSED", "columns": {"phone": {"action": "pseudonymize"}, "n": "keep"}}
    )
    pipeline.protect_table(read(path), policy, tmp_path / "dict.parquet", master_key=KEY)
    monkeypatch.setattr(sources, "dictionary_columns", lambda _path, _columns: [])
    pipeline.protect_table(read(path), policy, tmp_path / "rows.parquet", master_key=KEY)
    by_dict, by_row = pq.read_table(tmp_path / "dict.parquet"), pq.read_table(tmp_path / "rows.parquet")
    assert by_dict.equals(by_row)
    assert by_dict.schema.field("phone").type == pa.string()
    derived = crypto.derive_key(KEY, recipient="r", purpose="p", operation="pseudonymize")
    got = by_dict.column("phone").to_pylist()
    for i in (1, 99_999, 100_000, 149_999, len(values) - 1):
        v = values[i]
        expected = None if v is None or not v.strip() else hmac.new(derived, v.strip().encode(), hashlib.sha256).hexdigest()[:32]
        assert got[i] == expected, i
