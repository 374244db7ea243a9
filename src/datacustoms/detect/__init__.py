"""Detect: what each column is (identifier, pseudonym, quasi-identifier, sensitive, other)."""

from datacustoms.detect.base import ColumnSample, Detector, SpecDetector
from datacustoms.detect.registry import DetectorRegistry, builtin_registry, detect_columns

__all__ = ["ColumnSample", "Detector", "DetectorRegistry", "SpecDetector", "builtin_registry", "detect_columns"]
