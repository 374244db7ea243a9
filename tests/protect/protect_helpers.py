"""Data and policies shared by the protect tests (a unique module name, importable from tests)."""

from __future__ import annotations

import hashlib
import random

import pyarrow as pa


def make_export(rows: int = 1500, seed: int = 7) -> pa.Table:
    """Customers with plain-SHA-256 phone digests (as in the Kakao Pay export) and a few QIs."""
    rng = random.Random(seed)
    phones = [f"010{rng.randrange(10**8):08d}" for _ in range(rows)]
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
            "balance": [str(rng.randint(0, 10**6)) for _ in range(rows)],
        }
    )


def base_policy(key: str = "env:DC_TEST_KEY", **columns: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "phone": "drop",
        "phone_sha256": {"action": "pseudonymize", "why": "join key"},
        "customer_id": {"action": "pseudonymize", "why": "join key"},
        "age": {"action": "generalize", "method": "age", "width": 20},
        "sex": "keep",
        "joined": {"action": "generalize", "method": "date", "to": "year"},
        "balance": "keep",
    }
    spec.update(columns)
    return {
        "recipient": "Alipay",
        "recipient_country": "CN",
        "purpose": "nsf-score",
        "legal_basis": "contract",
        "role": "processor",
        "key": key,
        "thresholds": {"k": 5, "max_risk": 0.2},
        "quasi_identifiers": ["age", "sex", "joined"],
        "suppression": {"max_share": 0.05},
        "columns": spec,
    }
