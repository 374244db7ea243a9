"""Detect: what each column is (identifier, pseudonym, quasi-identifier, sensitive, other)."""

from datacustoms.detect.base import ColumnSample, Detector
from datacustoms.detect.registry import detect_columns, register

__all__ = ["ColumnSample", "Detector", "detect_columns", "register"]
