"""Digest columns: every byte length and encoding, tokens vs digests, and digest look-alikes."""

from __future__ import annotations

import base64
import hashlib
import random

import pytest

from datacustoms.detect.builtin.digest import CANDIDATES, b64_bytes

ALGORITHMS = {16: "md5", 20: "sha1", 28: "sha224", 32: "sha256", 48: "sha384", 64: "sha512"}


def digests(nbytes: int, n: int = 40) -> list[bytes]:
    return [hashlib.new(ALGORITHMS[nbytes], f"0101234{i:04d}".encode()).digest() for i in range(n)]


def encode(raw: bytes, encoding: str) -> str:
    return {
        "hex_lower": raw.hex(),
        "hex_upper": raw.hex().upper(),
        "base64": base64.b64encode(raw).decode(),
        "base64_nopad": base64.b64encode(raw).decode().rstrip("="),
        "base64url": base64.urlsafe_b64encode(raw).decode(),
        "base64url_nopad": base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }[encoding]


@pytest.mark.parametrize("nbytes", sorted(ALGORITHMS))
@pytest.mark.parametrize(
    "encoding", ["hex_lower", "hex_upper", "base64", "base64_nopad", "base64url", "base64url_nopad"]
)
def test_every_length_and_encoding(detect, nbytes, encoding):
    values = [encode(raw, encoding) for raw in digests(nbytes)]
    if encoding.startswith("base64url"):
        # make sure the url-safe alphabet shows at least once (random bytes nearly always do)
        assert any(c in "-_" for v in values for c in v)
    finding = detect(col=values)["col"]
    family = "hex" if encoding.startswith("hex") else encoding.removesuffix("_nopad")
    assert finding.kind == f"digest:{ALGORITHMS[nbytes]}/{family}"
    assert finding.role == "pseudonym"
    assert finding.details["digest_bytes"] == nbytes
    assert finding.details["encoding"] == (encoding if encoding.startswith("hex") else family)
    assert finding.details["candidate_algorithms"] == list(CANDIDATES[nbytes])
    assert finding.details["unique_share"] == 1.0
    assert finding.uncertain and "HMAC" in finding.uncertain and "random token" in finding.uncertain


def test_candidate_algorithms_cover_sha3_and_blake2():
    assert "sha3_256" in CANDIDATES[32] and "blake2s" in CANDIDATES[32]
    assert "blake2b" in CANDIDATES[64] and "sha3_512" in CANDIDATES[64] and CANDIDATES[16] == ("md5",)


def test_base64_lengths():
    assert b64_bytes(44, padded=True) == 32 and b64_bytes(43, padded=False) == 32
    assert b64_bytes(64, padded=False) == 48 and b64_bytes(24, padded=True) == 16
    assert b64_bytes(30, padded=True) is None


def test_random_token_is_digest_shaped_and_says_so(detect):
    r = random.Random(3)
    tokens = [bytes(r.getrandbits(8) for _ in range(16)).hex() for _ in range(40)]
    finding = detect(session_token=tokens)["session_token"]
    assert finding.kind == "digest:md5/hex"
    assert finding.uncertain and "'token'" in finding.uncertain
    hashed = detect(phone_sha256=tokens)["phone_sha256"]
    assert hashed.score > finding.score
    assert hashed.evidence[0].header_hint == "sha"


def test_korean_hash_header_raises_confidence(detect):
    values = [raw.hex() for raw in digests(32)]
    values[0] = values[0][:40]  # one odd value: share 39/40 still passes, the header adds the bonus
    finding = detect(휴대폰_암호화=values)["휴대폰_암호화"]
    assert finding.kind == "digest:sha256/hex"
    assert finding.evidence[0].header_hint == "암호화"


def test_git_shas_inside_log_lines_are_not_a_digest_column(detect):
    lines = [f"{hashlib.sha1(str(i).encode()).hexdigest()} fix: reader bug #{i}" for i in range(40)]
    finding = detect(log=lines)["log"]
    assert not finding.kind.startswith("digest")
    assert finding.kind == "free_text"
    assert finding.details["embedded"]["hex_run"] == 1.0


def test_hex_colours_and_numeric_ids_are_not_digests(detect):
    r = random.Random(5)
    colours = [f"#{r.randint(0, 0xFFFFFF):06x}" for _ in range(60)]
    bare = [c[1:] for c in colours]
    numeric = [str(r.randint(10**31, 10**32 - 1)) for _ in range(60)]
    found = detect(colour=colours, colour_bare=bare, numeric_id=numeric)
    for name, finding in found.items():
        assert not finding.kind.startswith("digest"), name


def test_mixed_lengths_and_mixed_alphabets_are_not_digests(detect):
    r = random.Random(9)
    mixed_lengths = [bytes(r.getrandbits(8) for _ in range(r.choice([16, 20, 32]))).hex() for _ in range(60)]
    raws = digests(32, 60)
    two_alphabets = [encode(raw, "base64" if i % 2 else "base64url") for i, raw in enumerate(raws)]
    two_alphabets = [v for v in two_alphabets if any(c in "+/-_" for c in v)]
    assert not detect(a=mixed_lengths)["a"].kind.startswith("digest")
    assert not detect(b=two_alphabets)["b"].kind.startswith("digest")


def test_hashed_customer_ids_are_digests_not_customer_numbers(detect):
    values = [hashlib.sha256(str(10_000 + i).encode()).hexdigest() for i in range(40)]
    assert detect(customer_id=values)["customer_id"].kind == "digest:sha256/hex"


def test_source_hint_names_the_hashed_identifier_from_the_header(detect):
    values = [raw.hex() for raw in digests(32)]
    found = detect(phone_sha256=values, email_enc=values, account_sha256=values, 주민번호_해시=values, h=values)
    hints = {name: f.details["source_hint"] for name, f in found.items()}
    assert hints == {
        "phone_sha256": "kr_mobile",
        "email_enc": "email",
        "account_sha256": "customer_id",
        "주민번호_해시": "kr_rrn",
        "h": None,
    }


def test_uuid_hex_without_dashes_is_a_uuid_not_an_md5(detect):
    import uuid

    r = random.Random(4)
    hexes = [uuid.UUID(int=r.getrandbits(128), version=4).hex for _ in range(60)]
    finding = detect(trace_id=hexes)["trace_id"]
    assert finding.kind == "uuid" and finding.details["without_dashes_share"] == 1.0
    md5s = [raw.hex() for raw in digests(16, 60)]
    assert detect(trace_id=md5s)["trace_id"].kind == "digest:md5/hex"


@pytest.mark.parametrize("prefix", ["0x", "\\x", "sha256:", "{SHA256}"])
def test_a_common_prefix_is_stripped_and_reported(detect, prefix):
    values = [prefix + raw.hex() for raw in digests(32)]
    finding = detect(col=values)["col"]
    assert finding.kind == "digest:sha256/hex"
    assert finding.details["prefix"] == prefix
