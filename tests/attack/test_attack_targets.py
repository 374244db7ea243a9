"""Digest columns parse into raw bytes; nulls, whitespace and malformed values are counted."""

from __future__ import annotations

import base64
import hashlib

import numpy as np
import pyarrow as pa
import pytest

from datacustoms.attack.hashes.targets import DigestFormat, decode_array, guess_format, parse_batches

DIGESTS = [hashlib.sha256(f"v{i}".encode()).digest() for i in range(6)]


@pytest.mark.parametrize("string_type", [pa.string(), pa.large_string()])
def test_hex_mixed_case_whitespace_nulls_and_malformed_are_counted(string_type: pa.DataType) -> None:
    values = [
        DIGESTS[0].hex(),
        DIGESTS[1].hex().upper(),
        f"  {DIGESTS[2].hex()}\t",
        None,
        "not a digest",
        DIGESTS[3].hex()[:-1] + "g",  # right length, bad character
        DIGESTS[4].hex()[:40],  # wrong length
        "",
    ]
    arr = pa.array(values, string_type)
    mostly_valid = pa.array(values + [d.hex() for d in DIGESTS] * 2, string_type)
    fmt = guess_format(mostly_valid)
    assert fmt is not None and (fmt.size, fmt.encoding, fmt.case) == (32, "hex", "mixed")
    assert guess_format(arr) is None  # fewer than half of the values are digests: not a digest column
    decoded, stats = decode_array(arr, fmt)
    assert (stats.rows, stats.nulls, stats.whitespace, stats.malformed, stats.valid) == (8, 1, 1, 4, 3)
    assert decoded.to_pylist()[:3] == DIGESTS[:3]
    assert decoded.to_pylist()[3:] == [None] * 5


@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha224", "sha256", "sha512"])
def test_clean_hex_columns_decode_with_exact_case_counts(algorithm: str) -> None:
    """Columns where every value is a digest take the one-pass decode; its case counts (values
    with an upper-, a lower-case letter) equal a character-by-character count, on a slice too."""
    import random

    from datacustoms.attack.hashes.targets import decode_rows

    rng = random.Random(algorithm)
    raw = [hashlib.new(algorithm, str(i).encode()).digest() for i in range(400)]
    values = []
    for d in raw:
        h, roll = d.hex(), rng.random()
        if roll < 0.2:
            h = h.upper()
        elif roll < 0.3:
            h = "".join(c.upper() if rng.random() < 0.5 else c for c in h)
        values.append(h)
    values[7] = "0123456789" * (len(values[7]) // 10) + "0123456789"[: len(values[7]) % 10]  # no letter
    raw[7] = bytes.fromhex(values[7])
    size = len(raw[0])
    for arr, want, texts in ((pa.array(values), raw, values), (pa.array(values).slice(13, 300), raw[13:313], values[13:313])):
        out, valid, stats = decode_rows(arr, DigestFormat(size, "hex"))
        assert valid.all() and [r.tobytes() for r in out] == want
        assert stats.upper == sum(any(c in "ABCDEF" for c in t) for t in texts)
        assert stats.lower == sum(any(c in "abcdef" for c in t) for t in texts)


@pytest.mark.parametrize(
    ("encode", "encoding"),
    [
        (lambda d: base64.b64encode(d).decode(), "base64"),
        (lambda d: base64.b64encode(d).decode().rstrip("="), "base64"),
        (lambda d: base64.urlsafe_b64encode(d).decode(), "base64url"),
        (lambda d: base64.urlsafe_b64encode(d).decode().rstrip("="), "base64url"),
    ],
)
def test_base64_variants_decode_exactly(encode, encoding: str) -> None:
    digests = [hashlib.sha256(f"x{i}".encode()).digest() for i in range(64)]  # some hold + / - _
    arr = pa.array([encode(d) for d in digests])
    fmt = guess_format(arr)
    assert fmt is not None and fmt.size == 32
    assert fmt.encoding in (encoding, "base64")  # an alphabet-neutral sample may read as either
    decoded, stats = decode_array(arr, DigestFormat(32, encoding))
    assert stats.valid == 64 and decoded.to_pylist() == digests


@pytest.mark.parametrize(("algorithm", "size"), [("md5", 16), ("sha1", 20), ("sha224", 28), ("sha384", 48), ("sha512", 64)])
def test_digest_size_is_recognised(algorithm: str, size: int) -> None:
    arr = pa.array([hashlib.new(algorithm, str(i).encode()).hexdigest() for i in range(10)])
    fmt = guess_format(arr)
    assert fmt is not None and fmt.size == size and algorithm in fmt.algorithms


def test_raw_binary_column() -> None:
    arr = pa.array([*DIGESTS, b"short", None], pa.binary())
    fmt = guess_format(arr)
    assert fmt is not None and (fmt.size, fmt.encoding) == (32, "raw")
    decoded, stats = decode_array(arr, fmt)
    assert (stats.valid, stats.malformed, stats.nulls) == (6, 1, 1)
    assert decoded.to_pylist()[:6] == DIGESTS


def test_not_digests() -> None:
    assert guess_format(pa.array(["010-1234-5678", "hello", "kim@naver.com"])) is None
    assert guess_format(pa.array([None, None], pa.string())) is None


def test_parse_batches_keeps_distinct_digests_with_row_counts() -> None:
    hexes = [d.hex() for d in DIGESTS]
    batches = [pa.array(hexes[:4] + hexes[:2]), pa.array([*hexes[2:], None, "bad"])]
    parsed = parse_batches(batches, DigestFormat(32, "hex"))
    assert len(parsed.distinct) == 6
    assert parsed.distinct.to_pylist() == sorted(DIGESTS)
    assert int(parsed.counts.sum()) == 10
    assert parsed.stats.nulls == 1 and parsed.stats.malformed == 1
    assert parsed.rows_for(pa.array([DIGESTS[0], DIGESTS[5]], pa.binary(32))) == 3
    assert list(parsed.sorted_keys) == sorted(DIGESTS)


def test_key_index_handles_shared_prefixes_and_trailing_zero_bytes() -> None:
    import os

    import numpy as np

    from datacustoms.attack.hashes.runner import KeyIndex

    keys = [os.urandom(32) for _ in range(500)]
    keys += [keys[0][:8] + os.urandom(24) for _ in range(5)]  # distinct digests, same first 8 bytes
    keys.append(os.urandom(28) + b"\0" * 4)
    keys.append(b"\0" * 32)
    ordered = sorted(set(keys))
    index = KeyIndex(np.frombuffer(b"".join(ordered), dtype="S32"))
    queries = keys[:5] + keys[-7:] + [os.urandom(32), keys[0][:8] + os.urandom(24)]
    pos, ok = index.find(queries)
    assert ok.tolist() == [True] * 12 + [False, False]
    assert [ordered[p] for p in pos[:12]] == queries[:12]


@pytest.mark.parametrize("size", [16, 20, 32, 64])
def test_sort_unique_counts_matches_a_counter(size: int) -> None:
    import os
    import random
    from collections import Counter

    import numpy as np

    from datacustoms.attack.hashes.targets import sort_unique_counts

    rng = random.Random(size)
    rows = [os.urandom(size) for _ in range(300)]
    rows += [rows[0][:8] + os.urandom(size - 8) for _ in range(4)]  # shared 8-byte prefixes
    rows += [rows[1][:7] + bytes([b]) + os.urandom(size - 8) for b in (255, 0, 7, 7)]  # shared 7-byte heads
    rows += rng.choices(rows, k=700)  # duplicates
    mat = np.frombuffer(b"".join(rows), np.uint8).reshape(len(rows), size).copy()
    distinct, counts = sort_unique_counts(mat, block=64)
    expected = Counter(rows)
    assert [r.tobytes() for r in distinct] == sorted(expected)
    assert counts.tolist() == [expected[r] for r in sorted(expected)]


@pytest.mark.parametrize("hint", [None, 20_000, 50])
def test_spilled_parse_equals_the_in_memory_parse(hint: int | None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A column longer than one block is reduced block by block through partition files, and
    gives the same sorted distinct digests and row counts as sorting it whole; shared 8-byte
    prefixes, repeats across blocks and every partition included."""
    import random

    from datacustoms.attack.hashes import targets

    rng = random.Random(5)
    pool = [hashlib.sha256(f"p{i}".encode()).digest() for i in range(3000)]
    pool += [pool[0][:8] + bytes([i]) * 24 for i in range(5)]  # distinct digests sharing 8 bytes
    values: list[str | None] = [rng.choice(pool).hex() for _ in range(20_000)]
    values[3], values[9] = None, "not a digest"
    arr = pa.array(values)
    fmt = DigestFormat(size=32, encoding="hex")
    whole = parse_batches([arr.slice(i, 1500) for i in range(0, len(arr), 1500)], fmt, rows_hint=len(arr))
    monkeypatch.setattr(targets, "BLOCK_BYTES", 32 * 2_000)  # ten blocks
    spilled = parse_batches([arr.slice(i, 1500) for i in range(0, len(arr), 1500)], fmt, rows_hint=hint)
    assert spilled.distinct.equals(whole.distinct)
    assert spilled.counts.tolist() == whole.counts.tolist()
    assert spilled.stats == whole.stats
    expected = sorted({bytes.fromhex(v) for v in values if v and v != "not a digest"})
    assert spilled.distinct.to_pylist() == expected
    assert int(spilled.counts.sum()) == 19_998


def test_weighted_counter_spills_and_sums_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Digests arriving with counts (Spark's groups, in any order, a digest possibly twice) give the
    same sorted distinct digests and summed counts whether they fit one block or spill."""
    import random
    from collections import Counter

    from datacustoms.attack.hashes import targets

    rng = random.Random(9)
    pool = [hashlib.sha256(f"w{i}".encode()).digest() for i in range(4000)]
    rows = [rng.choice(pool) for _ in range(12_000)]
    weights = [rng.randint(1, 9) for _ in rows]
    expected: Counter[bytes] = Counter()
    for r, w in zip(rows, weights, strict=True):
        expected[r] += w
    mat = np.frombuffer(b"".join(rows), np.uint8).reshape(-1, 32)
    w = np.asarray(weights, np.int64)
    results = []
    for block in (targets.BLOCK_BYTES, 32 * 1_000):  # one block; twelve blocks, spilled
        monkeypatch.setattr(targets, "BLOCK_BYTES", block)
        counter = targets.DigestCounter(32, weighted=True)
        for a in range(0, len(mat), 700):
            counter.add(mat[a : a + 700], w[a : a + 700])
        distinct, counts = counter.finish()
        results.append(([r.tobytes() for r in distinct], counts.tolist()))
    want = (sorted(expected), [expected[r] for r in sorted(expected)])
    assert results[0] == results[1] == want
    with pytest.raises(ValueError, match="weights"):
        targets.DigestCounter(32).add(mat[:2], w[:2])
    # runs sorted and counted elsewhere (a Spark task's), mixed with rows added as they come: the
    # same digests and summed counts, a digest shared by several runs counted once
    monkeypatch.setattr(targets, "BLOCK_BYTES", 32 * 1_000)
    counter = targets.DigestCounter(32, weighted=True)
    for a in range(0, len(mat), 3_000):
        if a % 6_000:
            counter.add(mat[a : a + 3_000], w[a : a + 3_000])
        else:
            counter.add_run(*targets.sort_unique_counts(mat[a : a + 3_000], weights=w[a : a + 3_000]))
    distinct, counts = counter.finish()
    assert ([r.tobytes() for r in distinct], counts.tolist()) == want
    with pytest.raises(ValueError, match="weighted"):
        targets.DigestCounter(32).add_run(mat[:1], w[:1])
