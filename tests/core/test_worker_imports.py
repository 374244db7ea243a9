"""What a Spark Python worker imports to run a task: the modules whose functions Spark ships must
stay free of the driver's heavy models (pydantic, PyYAML, DuckDB, the policy). Each worker pays its
imports before its first task: the policy models alone cost about 0.17 s, and the kinds catalogue
behind the search engine's RRN weights about 0.1 s."""

from __future__ import annotations

import subprocess
import sys

import pytest

#: the modules Spark's tasks run code from (task functions, the search, the protect kernels)
WORKER_MODULES = [
    "datacustoms.engines.spark_task",
    "datacustoms.engines.spark_search_task",
    "datacustoms.engines.spark_runs",
    "datacustoms.protect.operators.pseudonymize",
    "datacustoms.protect.operators.generalize",
    "datacustoms.protect.operators.mask",
    "datacustoms.protect.operators.fpe",
    "datacustoms.protect.operators.tokenize",
    "datacustoms.protect.operators.shift_dates",
    "datacustoms.protect.operators.suppress",
]
HEAVY = ("pydantic", "yaml", "duckdb")

PROBE = """
import sys
import {module}
heavy = sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in {heavy!r}}}
               | {{m for m in sys.modules if m == "datacustoms.policy"}})
print(" ".join(heavy))
"""


@pytest.mark.parametrize("module", WORKER_MODULES)
def test_a_worker_module_imports_none_of_the_drivers_models(module: str) -> None:
    run = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module, heavy=HEAVY)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [], f"importing {module} imported {run.stdout.strip()}"


def test_the_kinds_catalogue_loads_on_first_use() -> None:
    import datacustoms.kinds
    from datacustoms.kinds import builtin_kinds

    kinds = builtin_kinds()
    assert {"kr_rrn", "kr_mobile", "email"} <= set(kinds)
    assert kinds["kr_rrn"].role == "direct_identifier"
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        datacustoms.kinds.nothing  # noqa: B018
