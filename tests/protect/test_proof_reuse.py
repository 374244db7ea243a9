"""The proof reuses the input's attack result for a column the policy keeps unchanged, and never
reports an unfinished search as "0% reversible"."""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pyarrow as pa
import pytest

import datacustoms.flows.inspect as inspection
from datacustoms.flows.protect import prove
from datacustoms.model.attack import ColumnAttack
from datacustoms.policy import parse_policy
from datacustoms.table import from_arrow

SERIALS = list(range(1000, 1400))


def _policy(**columns: object) -> Any:
    return parse_policy({"recipient": "Alipay", "purpose": "nsf-score", "key": "env:UNUSED",
                         "quasi_identifiers": ["city"], "columns": columns})  # fmt: skip


def test_kept_digest_column_is_attacked_once_and_stays_reversible(monkeypatch: pytest.MonkeyPatch) -> None:
    table = from_arrow(
        pa.table({"acct_ref": [hashlib.sha256(str(i).encode()).hexdigest() for i in SERIALS], "city": ["Seoul"] * 400}),
        name="export",
    )
    calls: list[str] = []
    real = inspection.attack_column

    def counting(t: Any, column: str, **kw: Any) -> ColumnAttack:
        calls.append(column)
        return real(t, column, **kw)

    monkeypatch.setattr(inspection, "attack_column", counting)
    proof = prove(table, table, _policy(acct_ref="keep", city="keep"), attack_budget=60)
    assert calls == ["acct_ref"]  # the output's unchanged column reuses the input's result
    after = proof.after.column("acct_ref")
    assert after is not None and after.attack_reused and after.reversed_share == 1.0
    assert any(line.startswith("acct_ref: 100% reversible → 100% reversible (the input's result") for line in proof.lines)
    assert any(f.rule == "R2" and f.subject == "acct_ref" for f in proof.failures)


def test_an_unfinished_search_is_not_shown_as_zero_percent() -> None:
    table = from_arrow(
        pa.table({"member_ref": [os.urandom(32).hex() for _ in range(30)], "city": ["Seoul"] * 30}), name="export"
    )
    proof = prove(table, table, _policy(member_ref="keep", city="keep"), attack_budget=0.5)
    line = next(line for line in proof.lines if line.startswith("member_ref:"))
    assert "0%" not in line and "not reversed within the budget (search incomplete)" in line
    assert any(f.rule == "R2" and "not proven irreversible" in f.message for f in proof.failures)
