"""``import datacustoms`` and ``import datacustoms.errors`` stay cheap: the heavy stages load on use."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["datacustoms", "datacustoms.errors"])
def test_import_loads_no_engine(module: str) -> None:
    code = (
        f"import {module}, sys; "
        "heavy = sorted(m for m in ('duckdb', 'pyarrow', 'pydantic', 'datacustoms.flows.inspect') if m in sys.modules); "
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_public_names_still_resolve() -> None:
    code = (
        "import datacustoms, sys; assert 'duckdb' not in sys.modules; "
        "from datacustoms import DatacustomsError, Report, inspect, protect_file, read; "
        "assert Report.__name__ == 'Report' and callable(inspect) and callable(read) and callable(protect_file); "
        "assert issubclass(DatacustomsError, Exception)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_name_is_an_attribute_error() -> None:
    import datacustoms

    with pytest.raises(AttributeError):
        datacustoms.no_such_name  # noqa: B018
