"""A small customer export for the API tests (a unique module name, importable from the tests)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

import pyarrow as pa

KEY = bytes(range(32))


def export(rows: int = 1200, seed: int = 3) -> pa.Table:
    """Typed columns: ids and phones as text, ages and visit counts as integers, dates as dates."""
    rng = random.Random(seed)
    phones = [f"010{rng.randrange(10**8):08d}" for _ in range(rows)]
    return pa.table(
        {
            "customer_id": [f"C{i:06d}" for i in range(rows)],
            "phone": phones,
            "phone_sha256": [hashlib.sha256(p.encode()).hexdigest() for p in phones],
            "age": pa.array([rng.randint(20, 79) for _ in range(rows)], pa.int64()),
            "sex": [rng.choice("MF") for _ in range(rows)],
            "joined": pa.array(
                [dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1400)) for _ in range(rows)], pa.date32()
            ),
            "visits": pa.array([rng.randint(0, 40) for _ in range(rows)], pa.int64()),
            "postcode": [f"0{rng.randint(1000, 9999)}" for _ in range(rows)],
        }
    )


def policy(**columns: Any) -> dict[str, Any]:
    """Drop the phone, key the customer ID, generalise age and date, keep counts and postcodes."""
    spec: dict[str, Any] = {
        "customer_id": {"action": "pseudonymize", "why": "join key"},
        "phone": "drop",
        "phone_sha256": "drop",
        "age": {"action": "generalize", "method": "age", "width": 20},
        "sex": "keep",
        "joined": {"action": "generalize", "method": "date", "to": "year"},
        "visits": "keep",
        "postcode": "keep",
    }
    spec.update(columns)
    return {
        "recipient": "Partner",
        "purpose": "churn model",
        "key": "env:DC_API_TEST_KEY",
        "thresholds": {"k": 5, "max_risk": 0.2},
        "quasi_identifiers": ["age", "sex", "joined"],
        "suppression": {"max_share": 0.05},
        "columns": spec,
    }
