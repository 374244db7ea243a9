"""Detect: what each column is (identifier, pseudonym, quasi-identifier, sensitive, other).

The package is also callable: ``datacustoms.detect(df)`` is :func:`datacustoms.api.detect`, an
editable :class:`~datacustoms.api.Detection` (see :mod:`datacustoms._callable`).
"""

from datacustoms._callable import make_callable
from datacustoms.detect.base import ColumnSample, Detector, SpecDetector
from datacustoms.detect.registry import DetectorRegistry, builtin_registry, detect_columns

__all__ = ["ColumnSample", "Detector", "DetectorRegistry", "SpecDetector", "builtin_registry", "detect_columns"]

make_callable(__name__, "datacustoms.api.detection:detect")
