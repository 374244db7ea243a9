"""Detection accuracy on the labelled corpus: precision and recall per kind and overall.

Runs datacustoms' detectors (values decide, headers nudge) and, in the same run, a baseline that
classifies columns by header words alone — what a column-name rule in a DLP tool does — and prints
both with the ratio of their F1 scores. It also reruns our detectors with every header hidden, to
show what the values alone decide.

    python benchmarks/detect_accuracy.py            # the committed corpus (tests/fixtures/corpus)
    python benchmarks/detect_accuracy.py --quick    # the first three files only
    python benchmarks/detect_accuracy.py --corpus DIR --show-mistakes
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from datacustoms.detect.accuracy import Accuracy, evaluate_corpus, load_labels
from datacustoms.detect.base import header_has
from datacustoms.detect.registry import builtin_registry, detect_arrow
from datacustoms.io import read
from datacustoms.model.findings import ColumnFinding

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO / "tests" / "fixtures" / "corpus"


def header_only(path: Path) -> list[ColumnFinding]:
    """Baseline: the highest-priority detector whose header word appears in the column name."""
    ranked = sorted(builtin_registry().classes, key=lambda cls: -cls.priority)
    findings = []
    for name in read(path).column_names:
        hit = next((cls for cls in ranked if header_has(name, cls.header_words)), None)
        if hit is not None:
            findings.append(ColumnFinding(column=name, kind=hit.kind, role=hit.role, score=0.5))
    return findings


def values_only(path: Path) -> list[ColumnFinding]:
    """Ours with every header replaced by a neutral name: what the values alone decide."""
    table = read(path)
    sample = table.sample(20_000)
    names = sample.column_names
    findings = detect_arrow(sample.rename_columns([f"col{i}" for i in range(len(names))]))
    return [f.model_copy(update={"column": names[i]}) for i, f in enumerate(findings)]


def f1(acc: Accuracy) -> float:
    o = acc.overall
    return 2 * o.precision * o.recall / (o.precision + o.recall) if o.precision + o.recall else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder with labels.yaml")
    parser.add_argument("--quick", action="store_true", help="score only the first three files")
    parser.add_argument("--show-mistakes", action="store_true", help="list every misclassified column")
    args = parser.parse_args()

    corpus: Path = args.corpus
    with tempfile.TemporaryDirectory() as tmp:
        if args.quick:
            labels = load_labels(corpus)
            subset = Path(tmp)
            keep = list(labels)[:3]
            for name in keep:
                shutil.copy(corpus / name, subset / name)
            text = yaml.safe_dump({k: labels[k] for k in keep}, allow_unicode=True)
            (subset / "labels.yaml").write_text(text, encoding="utf-8")
            corpus = subset
        started = time.perf_counter()
        ours = evaluate_corpus(corpus)
        ours_s = time.perf_counter() - started
        started = time.perf_counter()
        base = evaluate_corpus(corpus, header_only)
        base_s = time.perf_counter() - started
        blind = evaluate_corpus(corpus, values_only)

    print(f"corpus: {args.corpus.name}{' (quick)' if args.quick else ''}, {ours.columns} labelled columns\n")
    print("datacustoms detectors (values decide, headers nudge)")
    print(ours.table())
    if args.show_mistakes:
        for file, column, want, got in ours.mistakes:
            print(f"  MISS {file}:{column}: expected {want}, got {got}")
    bo = base.overall
    oo = ours.overall
    print("\nbaseline: header words only")
    print(f"{'OVERALL':28} {bo.tp:>4} {bo.fp:>4} {bo.fn:>4} {bo.precision:>10.3f} {bo.recall:>8.3f}")
    vo = blind.overall
    print("\nours with the headers hidden (values only; kinds that need a header are missed by design)")
    print(f"{'OVERALL':28} {vo.tp:>4} {vo.fp:>4} {vo.fn:>4} {vo.precision:>10.3f} {vo.recall:>8.3f}")
    print(
        f"\nF1 ours {f1(ours):.3f} vs header-only {f1(base):.3f}: ratio {f1(ours) / max(f1(base), 1e-9):.2f}x"
        f"  (precision {oo.precision:.3f} / {bo.precision:.3f}, recall {oo.recall:.3f} / {bo.recall:.3f});"
        f" time {ours_s:.2f}s vs {base_s:.2f}s"
    )


if __name__ == "__main__":
    main()
