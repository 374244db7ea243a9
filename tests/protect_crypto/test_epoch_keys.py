"""Per-release pseudonym keys (rotate: daily | monthly | per_transfer): HKDF known answers, behaviour."""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pyarrow as pa
import pytest

from datacustoms.policy import parse_policy
from datacustoms.protect.crypto import HKDF_SALT, derive_epoch_key, derive_key, encode_info
from datacustoms.protect.plan import build_plan
from datacustoms.protect.rotation import epoch_label, release_epoch

MASTER = bytes(range(32))


def _hkdf_rfc5869(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 written out with hmac, independent of the library the code uses."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def test_epoch_key_known_answer() -> None:
    key = derive_epoch_key(MASTER, recipient="Alipay Singapore", purpose="NSF score", operation="pseudonymize",
                           epoch="D2024-05-14")  # fmt: skip
    assert key.hex() == "9f3d99602c93ac791e63ef623270fde3b8d91e2e298b0c62cc63475962c75012"
    info = encode_info("Alipay Singapore", "NSF score", "pseudonymize", "epoch", "D2024-05-14")
    assert key == _hkdf_rfc5869(MASTER, HKDF_SALT, info, 32)
    stable = derive_key(MASTER, recipient="Alipay Singapore", purpose="NSF score", operation="pseudonymize")
    other_day = derive_epoch_key(MASTER, recipient="Alipay Singapore", purpose="NSF score",
                                 operation="pseudonymize", epoch="D2024-05-15")  # fmt: skip
    assert len({key, stable, other_day}) == 3


def test_labels() -> None:
    with release_epoch(date(2024, 5, 14), "abc"):
        assert epoch_label("daily") == "D2024-05-14"
        assert epoch_label("monthly") == "M2024-05"
        assert epoch_label("per_transfer") == "Tabc"
        assert epoch_label("never") is None
        with release_epoch(keep=True) as inner:
            assert inner.transfer == "abc"  # a caller's epoch stays


def _pseudonyms(rotate: str, day: date, transfer: str = "t1") -> list[str]:
    policy = parse_policy({"recipient": "R", "purpose": "P", "key": "env:X",
                           "columns": {"phone": {"action": "pseudonymize", "rotate": rotate}}})  # fmt: skip
    batch = pa.record_batch({"phone": ["01012345678", "01098765432"]})
    with release_epoch(day, transfer):
        plan = build_plan(policy, ["phone"], MASTER)
        for kernel in plan.kernels:
            batch = kernel(batch)
    return batch.column("phone").to_pylist()


@pytest.mark.parametrize(("rotate", "same", "different"), [
    ("never", (date(2024, 5, 14), "a"), (date(2025, 1, 1), "b")),
    ("daily", (date(2024, 5, 14), "b"), (date(2024, 5, 15), "a")),
    ("monthly", (date(2024, 5, 31), "b"), (date(2024, 6, 1), "a")),
    ("per_transfer", (date(2025, 1, 1), "a"), (date(2024, 5, 14), "b")),
])  # fmt: skip
def test_rotation_changes_pseudonyms_only_across_epochs(rotate: str, same: tuple[date, str],
                                                        different: tuple[date, str]) -> None:  # fmt: skip
    base = _pseudonyms(rotate, date(2024, 5, 14), "a")
    assert _pseudonyms(rotate, *same) == base
    if rotate == "never":
        assert _pseudonyms(rotate, *different) == base
    else:
        changed = _pseudonyms(rotate, *different)
        assert not set(changed) & set(base)
