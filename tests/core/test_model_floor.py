"""The ground floor: model/ imports no stage, one Thresholds type, proofs fail with rule ids."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from datacustoms.errors import PolicyError
from datacustoms.model.thresholds import POLICY_DEFAULTS, Thresholds
from datacustoms.policy import dump_policy, parse_policy
from datacustoms.protect.prove import Snapshot, compare

MODEL = Path(__file__).resolve().parents[2] / "src" / "datacustoms" / "model"


def test_model_imports_no_stage() -> None:
    imported: set[str] = set()
    for path in MODEL.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported |= {a.name for a in node.names}
    ours = {m for m in imported if m.split(".")[0] == "datacustoms"}
    assert ours and all(m.startswith("datacustoms.model.") for m in ours), sorted(ours)
    code = (
        "import sys, datacustoms.model.report, datacustoms.model.rules; "
        "stages = ('attack', 'detect', 'risk', 'protect', 'ledger', 'report', 'cli', 'io', 'engines'); "
        "bad = [m for m in sys.modules if m.split('.')[:2][-1] in stages and m.startswith('datacustoms.')]; "
        "assert not bad and 'duckdb' not in sys.modules, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_one_thresholds_type_with_the_policy_defaults_named() -> None:
    assert (Thresholds().k, Thresholds().max_risk, Thresholds().l) == (5, 0.09, 2)  # the measure stage's
    assert (POLICY_DEFAULTS.k, POLICY_DEFAULTS.max_risk, POLICY_DEFAULTS.l) == (5, 0.2, None)
    with pytest.raises(ValidationError):
        Thresholds().k = 3  # type: ignore[misc]  # frozen: a profile's limits cannot drift


def _policy(**thresholds: object) -> dict[str, object]:
    return {"recipient": "Partner", "purpose": "scoring", "quasi_identifiers": ["a"],
            "columns": {"a": {"action": "keep"}}, "thresholds": thresholds}


def test_a_policy_fills_unstated_thresholds_from_the_policy_defaults() -> None:
    policy = parse_policy(_policy(k=10))
    assert isinstance(policy.thresholds, Thresholds)
    assert (policy.thresholds.k, policy.thresholds.max_risk, policy.thresholds.l) == (10, 0.2, None)
    assert parse_policy({k: v for k, v in _policy().items() if k != "thresholds"}).thresholds == POLICY_DEFAULTS
    assert "thresholds:\n  k: 10\n  max_risk: 0.2\n" in dump_policy(policy)
    with pytest.raises(PolicyError, match="'avg_risk' is not a policy threshold"):
        parse_policy(_policy(avg_risk=0.05))
    with pytest.raises(PolicyError, match="unknown option 'kk'"):
        parse_policy(_policy(kk=3))


def test_proof_failures_are_checks_with_rule_ids() -> None:
    policy = parse_policy(_policy(k=5, l=2))
    before = Snapshot(rows=10, qi=["a"], k=1, max_risk=1.0, l=1)
    after = Snapshot(rows=10, qi=["a"], k=2, max_risk=0.5, l=1)
    proof = compare(before, after, policy)
    assert [(c.rule, c.subject, c.status) for c in proof.failures] == [
        ("R10", "table", "fail"), ("R11", "table", "fail"), ("R12", "table", "fail")]
    assert proof.failures[0].line() == "k = 2 is below the policy's 5 (R10)"
    assert proof.failures[1].explanation.startswith("the chance of re-identifying")
    assert not proof.passed
