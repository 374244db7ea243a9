"""``datacustoms serve``: the customs office as a service.

Operators register sources and submit transfers, a reviewer who is not the submitter approves
them (R35, four eyes), the recipient collects the protected file with a one-time, expiring link,
and auditors read the ledger and answer "where did my data go?" — over a versioned HTTP API
(``/api/v1``) and a small web UI served by the same process.

The service reuses the library's flows (``run_transfer`` protects, proves and records); it adds
custody (a protected file waits in the service's private folder until it is approved and
collected), the review and release entries in the ledger, users, roles and a job table.

Needs the ``serve`` extra: ``pip install 'datacustoms[serve]'``.
"""

from __future__ import annotations

INSTALL_HINT = "pip install 'datacustoms[serve]'"


def require_extra() -> None:
    """Raise :class:`MissingDependency` naming the extra when FastAPI or uvicorn is missing."""
    from importlib.util import find_spec

    from datacustoms.errors import MissingDependency

    for module in ("fastapi", "uvicorn", "multipart"):
        if find_spec(module) is None:
            raise MissingDependency("datacustoms serve", "serve", module)
