"""datacustoms: inspect personal data before it leaves the company.

    import datacustoms
    report = datacustoms.inspect(df)                    # a pandas / polars / Arrow frame or a path
    detection = datacustoms.detect(df).set_role("memo", "direct_identifier")
    safe = datacustoms.protect(df, "policy.yaml")       # a pyarrow.Table; or protect(df, detection)
    safe, proof = datacustoms.protect_and_prove(df, policy)
    result = datacustoms.protect_file("export.csv", policy, "safe.parquet")

The names below load on first use, so ``import datacustoms`` and ``import datacustoms.errors``
stay cheap (no DuckDB, no Arrow) for tools that only need the exceptions or the version.
``protect`` and ``detect`` are the subpackages of those names, which can be called
(:mod:`datacustoms._callable`); typed code imports the functions from :mod:`datacustoms.api`.
See docs/python-api.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    __version__: str
    from datacustoms import detect, protect
    from datacustoms.api import Detection, protect_and_prove
    from datacustoms.errors import DatacustomsError
    from datacustoms.flows.inspect import inspect
    from datacustoms.io import read
    from datacustoms.model.report import Report
    from datacustoms.policy import Policy, load_policy
    from datacustoms.protect.pipeline import protect as protect_file
    from datacustoms.protect.pipeline import protect_table
    from datacustoms.table import Table

#: public name -> (module, attribute)
_LAZY: dict[str, tuple[str, str]] = {
    "DatacustomsError": ("datacustoms.errors", "DatacustomsError"),
    "Detection": ("datacustoms.api.detection", "Detection"),
    "protect_and_prove": ("datacustoms.api.frames", "protect_and_prove"),
    "Policy": ("datacustoms.policy", "Policy"),
    "Report": ("datacustoms.model.report", "Report"),
    "Table": ("datacustoms.table", "Table"),
    "inspect": ("datacustoms.flows.inspect", "inspect"),
    "load_policy": ("datacustoms.policy", "load_policy"),
    "protect_file": ("datacustoms.protect.pipeline", "protect"),
    "protect_table": ("datacustoms.protect.pipeline", "protect_table"),
    "read": ("datacustoms.io", "read"),
    # callable subpackages: datacustoms.protect(df, policy), datacustoms.detect(df)
    "detect": ("datacustoms.detect", ""),
    "protect": ("datacustoms.protect", ""),
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("datacustoms")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0"


if not TYPE_CHECKING:  # type checkers see the imports above; a module __getattr__ would hide _native's absence

    def __getattr__(name: str) -> Any:
        if name == "__version__":  # looked up on first use: the installed distributions are
            globals()[name] = _version()  # searched along sys.path (tens of ms in a Spark worker)
            return globals()[name]
        if name in _LAZY:
            module, attr = _LAZY[name]
            value = getattr(import_module(module), attr) if attr else import_module(module)
            globals()[name] = value
            return value
        raise AttributeError(f"module 'datacustoms' has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted([*globals(), *_LAZY])


__all__ = [
    "DatacustomsError",
    "Detection",
    "Policy",
    "Report",
    "Table",
    "__version__",
    "detect",
    "inspect",
    "load_policy",
    "protect",
    "protect_and_prove",
    "protect_file",
    "protect_table",
    "read",
]
