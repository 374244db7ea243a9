"""datacustoms: inspect personal data before it leaves the company.

    import datacustoms
    table = datacustoms.read("export.csv")
    report = datacustoms.inspect(table)
    print(report.verdict)
    policy = datacustoms.load_policy("policy.yaml")
    result = datacustoms.protect_file("export.csv", policy, "safe.parquet")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("datacustoms")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

from datacustoms.errors import DatacustomsError
from datacustoms.inspection import inspect
from datacustoms.io import read
from datacustoms.model.report import Report
from datacustoms.policy import Policy, load_policy
from datacustoms.protect.pipeline import protect as protect_file
from datacustoms.protect.pipeline import protect_table
from datacustoms.table import Table

__all__ = [
    "DatacustomsError",
    "Policy",
    "Report",
    "Table",
    "__version__",
    "inspect",
    "load_policy",
    "protect_file",
    "protect_table",
    "read",
]
