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


def test_api_names_load_on_use() -> None:
    """The API's names are listed but not loaded by ``import datacustoms``."""
    code = (
        "import datacustoms, sys; "
        "assert {'protect', 'detect', 'protect_and_prove', 'Detection'} <= set(dir(datacustoms)); "
        "assert 'datacustoms.api' not in sys.modules and 'pyarrow' not in sys.modules; "
        "assert callable(datacustoms.protect) and callable(datacustoms.detect); "
        "from datacustoms import Detection, protect_and_prove; "
        "assert Detection.__name__ == 'Detection' and callable(protect_and_prove)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
