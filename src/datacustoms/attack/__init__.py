"""What a recipient could learn from the data: hash reversal and linkage attacks.

    from datacustoms.attack import attack_column
    result = attack_column(table, "phone_hash", budget_s=30)   # a ColumnAttack

Names are imported lazily so that ``datacustoms.attack.hashes.engine`` stays cheap to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datacustoms.attack.api import attack_column, digest_columns

__all__ = ["attack_column", "digest_columns"]


def __getattr__(name: str) -> Any:
    if name in ("attack_column", "digest_columns"):
        from datacustoms.attack import api

        return getattr(api, name)
    raise AttributeError(name)
