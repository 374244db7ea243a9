"""Precision and recall of detection against a labelled corpus (file → column → expected kind).

The corpus format is a ``labels.yaml`` beside the data files::

    customers_ko.csv:
      휴대폰번호: kr_mobile
      order_no: other        # a hard negative: no finding expected

Per kind: a true positive is a column labelled with the kind and detected as it; a false
positive is a column detected as the kind but labelled otherwise; a false negative is a column
labelled with the kind but detected as something else. Overall figures are micro-averaged over
every kind except ``other`` (claiming nothing is not a detection).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from datacustoms.model.findings import ColumnFinding

OTHER = "other"


@dataclass
class KindScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@dataclass
class Accuracy:
    """Scores per kind, overall, and the columns that went wrong."""

    kinds: dict[str, KindScore] = field(default_factory=dict)
    columns: int = 0
    mistakes: list[tuple[str, str, str, str]] = field(default_factory=list)  # file, column, want, got
    findings: dict[tuple[str, str], ColumnFinding] = field(default_factory=dict)

    def add(self, file: str, column: str, expected: str, got: str) -> None:
        self.columns += 1
        if expected == got:
            if expected != OTHER:
                self.kinds.setdefault(expected, KindScore()).tp += 1
            return
        self.mistakes.append((file, column, expected, got))
        if expected != OTHER:
            self.kinds.setdefault(expected, KindScore()).fn += 1
        if got != OTHER:
            self.kinds.setdefault(got, KindScore()).fp += 1

    @property
    def overall(self) -> KindScore:
        total = KindScore()
        for score in self.kinds.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        return total

    def table(self) -> str:
        """A plain-text table: kind, support, precision, recall."""
        lines = [f"{'kind':28} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>10} {'recall':>8}"]
        for kind in sorted(self.kinds):
            s = self.kinds[kind]
            lines.append(f"{kind:28} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.precision:>10.3f} {s.recall:>8.3f}")
        o = self.overall
        lines.append(f"{'OVERALL':28} {o.tp:>4} {o.fp:>4} {o.fn:>4} {o.precision:>10.3f} {o.recall:>8.3f}")
        return "\n".join(lines)


def load_labels(corpus: Path) -> dict[str, dict[str, str]]:
    """The labels of a corpus folder (``labels.yaml``)."""
    data = yaml.safe_load((corpus / "labels.yaml").read_text(encoding="utf-8"))
    return {str(file): {str(c): str(k) for c, k in columns.items()} for file, columns in data.items()}


Classifier = Callable[[Path], list[ColumnFinding]]


def evaluate_corpus(corpus: Path, classify: Classifier | None = None) -> Accuracy:
    """Run ``classify`` (default: read + detect) on every labelled file and score it."""
    if classify is None:
        from datacustoms.detect.registry import detect_columns
        from datacustoms.io import read

        def classify(path: Path) -> list[ColumnFinding]:
            return detect_columns(read(path))

    result = Accuracy()
    for file, columns in load_labels(corpus).items():
        found = {f.column: f for f in classify(corpus / file)}
        for column, expected in columns.items():
            finding = found.get(column)
            if finding is not None:
                result.findings[(file, column)] = finding
            result.add(file, column, expected, finding.kind if finding is not None else OTHER)
    return result
