"""datacustoms: inspect personal data before it leaves the company.

    import datacustoms
    table = datacustoms.read("export.csv")
    report = datacustoms.inspect(table)
    print(report.verdict)
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
from datacustoms.report.model import Report
from datacustoms.table import Table

__all__ = ["DatacustomsError", "Report", "Table", "__version__", "inspect", "read"]
