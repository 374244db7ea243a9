"""The hash chain on both backends: every kind of tampering is detected and named."""

from __future__ import annotations

import itertools

import pytest

from datacustoms.errors import LedgerTampered
from datacustoms.ledger import GENESIS, LedgerStore
from datacustoms.ledger.chain import Entry, canonical_json, entry_hash, verify_chain


def _fill(url: str, n: int = 5) -> list[Entry]:
    with LedgerStore(url) as store:
        return [store.append("transfer", {"transfer_id": f"t{i}", "n": i, "name": "수신자"}) for i in range(n)]


def test_canonical_hash_known_answer() -> None:
    body = {"b": 1, "a": "가"}
    assert canonical_json(body) == '{"a":"가","b":1}'
    # pinned: changing the canonical form would orphan every existing ledger
    assert entry_hash("transfer", "2026-01-01T00:00:00.000000+00:00", body, GENESIS) == (
        "a946e70eac3d9b19f42437ee6945bf16c12bb834c3058c092ab896f5a857a518"
    )


def test_chain_links_and_verifies(ledger_url: str) -> None:
    entries = _fill(ledger_url)
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    with LedgerStore(ledger_url, create=False) as store:
        result = store.verify()
        assert result.ok and result.entries == 5 and result.head == entries[-1].entry_hash
        assert store.head() == (5, entries[-1].entry_hash)
        assert store.get("t3").seq == 4 and store.get(entries[1].entry_hash[:10]).seq == 2
        assert store.verify(expect_head=entries[2].entry_hash).ok  # appended since the anchor: fine


def test_edit_a_field_is_named(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    _fill(ledger_url)
    raw_sql("UPDATE dc_entries SET body = REPLACE(body, :a, :b) WHERE seq = 3", a='"n":2', b='"n":7')
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
    assert first is not None and (first.damage, first.seq) == ("edited", 3)


def test_edit_with_recomputed_hash_breaks_the_next_link(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    entries = _fill(ledger_url)
    forged = Entry(3, "transfer", entries[2].created, {**entries[2].body, "n": 99}, entries[2].prev_hash, "")
    raw_sql(
        "UPDATE dc_entries SET body = :b, entry_hash = :h WHERE seq = 3",
        b=canonical_json(forged.body),
        h=forged.recompute(),
    )
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
    assert first is not None and first.seq == 4 and first.damage == "deleted"


def test_deleted_entry_is_named(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    _fill(ledger_url)
    assert raw_sql("DELETE FROM dc_entries WHERE seq = 2") == 1
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
    assert first is not None and (first.damage, first.seq) == ("deleted", 3)
    assert "between 1 and 3" in first.message


def test_deleted_first_entry_is_named(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    _fill(ledger_url)
    raw_sql("DELETE FROM dc_entries WHERE seq = 1")
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
    assert first is not None and (first.damage, first.seq) == ("deleted", 2)


def test_reordered_entries_are_named(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    _fill(ledger_url)
    raw_sql("UPDATE dc_entries SET seq = 100 WHERE seq = 2")
    raw_sql("UPDATE dc_entries SET seq = 2 WHERE seq = 3")
    raw_sql("UPDATE dc_entries SET seq = 3 WHERE seq = 100")
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
    assert first is not None and first.damage == "reordered" and first.seq == 2
    assert "out of order" in first.message


def test_truncated_tail_needs_the_head_row_or_an_anchor(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    entries = _fill(ledger_url)
    anchor = entries[-1].entry_hash
    raw_sql("DELETE FROM dc_entries WHERE seq = 5")
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
        assert first is not None and first.damage == "head"  # the head row still names entry 5
        with pytest.raises(LedgerTampered):  # and nothing is appended to a cut chain
            store.append("transfer", {"n": 9})
    # someone who also rewinds the head row defeats the chain alone ...
    raw_sql("UPDATE dc_head SET seq = 4, entry_hash = :h WHERE id = 1", h=entries[3].entry_hash)
    with LedgerStore(ledger_url) as store:
        assert store.verify().ok
        # ... but not a head hash kept elsewhere
        first = store.verify(expect_head=anchor).first
    assert first is not None and first.damage == "truncated"


def test_subject_index_is_committed(ledger_url: str, raw_sql) -> None:  # type: ignore[no-untyped-def]
    with LedgerStore(ledger_url) as store:
        store.append("transfer", {"n": 1}, ["a" * 64, "b" * 64])
    raw_sql("DELETE FROM dc_subjects WHERE subject_hash = :h", h="b" * 64)
    with LedgerStore(ledger_url) as store:
        first = store.verify().first
    assert first is not None and (first.damage, first.seq) == ("index", 1)


def test_verify_chain_pure_reorder_of_rows() -> None:
    e1 = Entry(1, "k", "t1", {"a": 1}, GENESIS, entry_hash("k", "t1", {"a": 1}, GENESIS))
    e2 = Entry(2, "k", "t2", {"a": 2}, e1.entry_hash, entry_hash("k", "t2", {"a": 2}, e1.entry_hash))
    e3 = Entry(3, "k", "t3", {"a": 3}, e2.entry_hash, entry_hash("k", "t3", {"a": 3}, e2.entry_hash))
    assert verify_chain([e1, e2, e3]).ok
    bad = verify_chain([e1, e3, e2])
    assert bad.first is not None and bad.first.damage == "reordered" and bad.first.seq == 3
    assert verify_chain([]).ok
