"""The labelled corpus: accuracy target, every identifier found, honest uncertainty, reproducible."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from datacustoms.detect.accuracy import evaluate_corpus, load_labels
from datacustoms.detect.registry import builtin_registry

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
IDENTIFIER_ROLES = ("direct_identifier", "pseudonym")


@pytest.fixture(scope="module")
def accuracy():
    return evaluate_corpus(CORPUS)


def test_corpus_is_large_enough():
    labels = load_labels(CORPUS)
    assert sum(len(columns) for columns in labels.values()) >= 80
    assert sum(1 for columns in labels.values() for kind in columns.values() if kind == "other") >= 15


def test_overall_precision_and_recall_reach_095(accuracy):
    overall = accuracy.overall
    assert overall.precision >= 0.95, accuracy.table()
    assert overall.recall >= 0.95, accuracy.table()


def test_every_labelled_identifier_column_is_found(accuracy):
    roles = {kind: cls.role for kind, cls in builtin_registry().by_kind.items()}
    missed = []
    for file, columns in load_labels(CORPUS).items():
        for column, kind in columns.items():
            identifier = kind.startswith("digest:") or roles.get(kind) in IDENTIFIER_ROLES
            finding = accuracy.findings.get((file, column))
            if identifier and (finding is None or finding.kind != kind):
                missed.append((file, column, kind, finding.kind if finding else None))
    assert not missed


def test_hard_negatives_are_never_identifiers(accuracy):
    for file, columns in load_labels(CORPUS).items():
        for column, kind in columns.items():
            finding = accuracy.findings.get((file, column))
            if kind == "other" and finding is not None:
                assert finding.role not in IDENTIFIER_ROLES, (file, column, finding.kind)


def test_every_digest_finding_states_its_uncertainty(accuracy):
    digests = [f for f in accuracy.findings.values() if f.kind.startswith("digest:")]
    assert len(digests) >= 15
    for finding in digests:
        assert finding.uncertain and "only the attack" in finding.uncertain
    token = accuracy.findings[("hard_negatives.csv", "session_token")]
    assert "'token'" in (token.uncertain or "")


def test_corpus_script_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path)
    for path in sorted(tmp_path.iterdir()):
        if path.suffix == ".parquet":  # the writer's version is in the file: compare the contents
            assert pq.read_table(path).equals(pq.read_table(CORPUS / path.name)), path.name
        else:
            assert path.read_bytes() == (CORPUS / path.name).read_bytes(), path.name
