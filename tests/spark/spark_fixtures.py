"""Data and a policy shared by the Spark tests (a unique module name, importable from tests)."""

from __future__ import annotations

import hashlib
import random

import pyarrow as pa


def make_export(rows: int = 600, seed: int = 11) -> pa.Table:
    """Customers with plain-SHA-256 phone digests (phones in 010-1000-XXXX) and a few QIs."""
    rng = random.Random(seed)
    phones = [f"0101000{rng.randrange(10**4):04d}" for _ in range(rows)]
    return pa.table(
        {
            "customer_id": [f"C{i:06d}" for i in range(rows)],
            "phone": phones,
            "phone_sha256": [hashlib.sha256(p.encode()).hexdigest() for p in phones],
            "age": [str(rng.randint(18, 85)) for _ in range(rows)],
            "sex": [rng.choice("MF") for _ in range(rows)],
            "joined": [
                f"20{rng.randint(18, 23)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(rows)
            ],
            "diagnosis": [rng.choice(["A10", "B20", "C30", "D40", None]) for _ in range(rows)],
        }
    )


def policy_spec(**columns: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "phone": "drop",
        "phone_sha256": {"action": "pseudonymize", "why": "join key"},
        "customer_id": {"action": "tokenize", "why": "the key holder reverses it"},
        "age": {"action": "generalize", "method": "age", "width": 20},
        "sex": "keep",
        "joined": {"action": "generalize", "method": "date", "to": "year"},
        "diagnosis": "keep",
    }
    spec.update(columns)
    return {
        "recipient": "Alipay",
        "recipient_country": "CN",
        "purpose": "nsf-score",
        "legal_basis": "contract",
        "role": "processor",
        "key": "env:DC_SPARK_TEST_KEY",
        "thresholds": {"k": 5, "max_risk": 0.2},
        "quasi_identifiers": ["age", "sex", "joined"],
        "sensitive": ["diagnosis"],
        "suppression": {"max_share": 0.2},
        "columns": spec,
    }
