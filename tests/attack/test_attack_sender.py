"""Sender mode discovers the exact recipe from the plaintext source; linkage mode joins a known list."""

from __future__ import annotations

import hashlib
import hmac
import os
import random

import pyarrow as pa
import pytest

from datacustoms.attack import attack_column
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.recipes import normalise
from datacustoms.errors import ColumnError, UsageError
from datacustoms.table import from_arrow

RNG = random.Random(7)
PHONES = [f"0101000{RNG.randrange(10_000):04d}" for _ in range(80)]
SLICE = [ks.kr_mobile().narrowed("1000")]


def _export(values: list[str], name: str = "alipay_feed") -> object:
    return from_arrow(pa.table({"uid": list(range(len(values))), "phone_hash": values}), name=name)


def _reference(order: list[int]) -> object:
    return from_arrow(
        pa.table({"uid": order, "name": ["x"] * len(order), "mobile": [f"{PHONES[i][:3]}-{PHONES[i][3:7]}-{PHONES[i][7:]}"
                                                                      for i in order]}),
        name="crm",
    )  # fmt: skip


def test_discovers_exact_recipe_with_a_join_column() -> None:
    values = [hashlib.sha256(b"alipay_feed" + (normalise(p, "e164") or "").encode()).hexdigest() for p in PHONES]
    order = list(range(len(PHONES)))
    RNG.shuffle(order)
    res = attack_column(_export(values), "phone_hash", reference=_reference(order), join="uid", keyspaces=SLICE,
                        engine="python")  # fmt: skip
    assert res.mode == "sender" and res.status == "reversed"
    assert res.recipe == 'sha256(hex) of salt (the dataset name) + "+82101000XXXX"'  # the test slice's shape
    assert any("reproduces 64 of 64 sampled digests (reference column 'mobile')" in n for n in res.notes)
    assert res.rows_reversed == len(PHONES)
    assert res.extrapolations and res.extrapolations[0].measured


def test_discovers_recipe_from_aligned_rows_and_reports_outsider_cost() -> None:
    values = [hashlib.md5(p.encode()).hexdigest().upper() for p in PHONES]
    res = attack_column(_export(values), "phone_hash", reference=_reference(list(range(len(PHONES)))),
                        engine="python", budget_s=0.5)  # fmt: skip
    assert res.recipe == 'md5(HEX) of "010XXXXXXXX"'
    # the sample sits at 010-1000-…, beyond what pure Python covers in 0.5 s: the verdict still holds
    assert res.status == "incomplete" and "the column is reversible" in res.reason
    # the outsider's keyspace is the whole 010 block, whatever part of it the budget covered
    assert res.extrapolations[0].candidates == 10**8
    assert res.extrapolations[1].label.startswith("a GPU at 20 GH/s")


def test_keyed_reference_is_not_reversed() -> None:
    key = os.urandom(32)
    values = [hmac.new(key, p.encode(), "sha256").hexdigest() for p in PHONES]
    res = attack_column(_export(values), "phone_hash", reference=_reference(list(range(len(PHONES)))), join="uid",
                        keyspaces=SLICE, engine="python")  # fmt: skip
    assert res.status == "not_reversed" and res.recipe is None
    assert "HMAC" in res.reason


def test_sender_mode_input_errors() -> None:
    values = [hashlib.sha256(p.encode()).hexdigest() for p in PHONES]
    with pytest.raises(ColumnError):
        attack_column(_export(values), "phone_hash", reference=_reference([0, 1]), join="user_id")
    with pytest.raises(UsageError):
        attack_column(_export(values), "phone_hash", reference=_reference([0, 1]), known=_reference([0]))


def test_unpaired_reference_still_names_the_recipe() -> None:
    # the reference holds other rows in another order and no join key: its values are hashed and looked up
    values = [hashlib.sha256((normalise(p, "dashes") or "").encode()).hexdigest() for p in PHONES[:50]]
    ref = from_arrow(pa.table({"crm_phone": [f"+82 {p[1:3]}-{p[3:7]}-{p[7:]}" for p in PHONES[20:]]}), name="crm")
    res = attack_column(_export(values), "phone_hash", reference=ref, keyspaces=SLICE, engine="python")
    assert res.status == "reversed" and res.recipe == 'sha256(hex) of "010-1000-XXXX"'
    assert any("sampled reference values found among the export's digests" in n for n in res.notes)


def test_linkage_with_a_known_list() -> None:
    emails = [f"user{i}@naver.com" for i in range(3000)]
    sent = RNG.sample(emails, 200)
    values = [hashlib.sha256(e.encode()).hexdigest() for e in sent] + [hashlib.sha256(b"someone@else.kr").hexdigest()]
    export = from_arrow(pa.table({"email_sha256": values}), name="feed")
    known = from_arrow(pa.table({"id": list(range(3000)), "email": [f"  {e.upper()}" for e in emails]}), name="apple")
    res = attack_column(export, "email_sha256", known=known, engine="python", reveal=False)
    assert res.mode == "linkage" and res.status == "reversed"
    assert res.recipe == "sha256(hex) of e-mail (trimmed, lower-case)"
    assert res.rows_reversed == 200 and res.distinct_reversed == 200
    assert all(e.startswith("u***@") for e in res.examples)
    assert "user" not in res.model_dump_json().replace("u***@", "")


def test_linkage_with_phones_in_another_format() -> None:
    values = [hashlib.sha1((normalise(p, "dashes") or "").encode()).hexdigest() for p in PHONES[:30]]
    export = from_arrow(pa.table({"hp": values}), name="feed")
    known = from_arrow(pa.table({"tel": [f"+82 {p[1:3]} {p[3:7]} {p[7:]}" for p in PHONES]}), name="apple")
    res = attack_column(export, "hp", known=known, engine="python")
    assert res.status == "reversed" and res.rows_reversed == 30
    assert res.recipe == "sha1(hex) of phone number (national with dashes, e.g. 010-1234-5678)"


def test_linkage_miss_is_not_reversed() -> None:
    export = from_arrow(pa.table({"hp": [os.urandom(20).hex() for _ in range(10)]}), name="feed")
    known = from_arrow(pa.table({"tel": PHONES}), name="apple")
    res = attack_column(export, "hp", known=known, engine="python")
    assert res.status == "not_reversed" and res.rows_reversed == 0
