"""policy suggest: the lattice search finds the least-loss minimal node; ARX hierarchies on Adult."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from protect_helpers import make_export

from datacustoms.io import read
from datacustoms.policy import Drop, Generalize, Pseudonymize, dump_policy, load_policy
from datacustoms.protect.histogram import class_histogram
from datacustoms.protect.pipeline import protect_table
from datacustoms.protect.suggest import _evaluate, build_base, build_ladder, search_lattice, suggest_policy
from datacustoms.table import from_arrow

ADULT_QI = ["sex", "age", "race", "marital-status", "education"]


def test_search_matches_exhaustive_evaluation() -> None:
    import duckdb

    rng = random.Random(3)
    table = pa.table(
        {
            "age": [str(rng.randint(18, 80)) for _ in range(800)],
            "joined": [f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(800)],
            "sex": [rng.choice("MF") for _ in range(800)],
        }
    )
    qi = ["age", "joined", "sex"]
    hist = class_histogram(table.to_batches(), qi)
    kinds = {"age": "age", "joined": "date", "sex": "sex"}
    from datacustoms.model.findings import ColumnFinding

    ladders = [
        build_ladder(
            c,
            hist.column(c).combine_chunks().unique(),
            ColumnFinding(column=c, kind=kinds[c], role="quasi_identifier", score=1.0),
            None,
        )
        for c in qi
    ]
    base = build_base(hist, ladders)
    result = search_lattice(base, ladders, k=5, max_suppression=0.05)
    assert result.nodes_evaluated + result.nodes_tagged + result.nodes_bounded == result.nodes_total
    assert result.nodes_tagged + result.nodes_bounded > 0  # part of the lattice was never evaluated
    con = duckdb.connect()
    con.register("base", base)
    every = [
        _evaluate(con, node, 5, 800, ladders) for node in itertools.product(*(range(lad.height + 1) for lad in ladders))
    ]
    good = [r for r in every if r.suppressed_share <= 0.05 and r.k is not None]
    minimal = [
        r for r in good
        if not any(o is not r and all(o.levels[c] <= r.levels[c] for c in qi) for o in good)
    ]  # fmt: skip
    found = {tuple(r.levels.values()) for r in result.minimal}
    assert found <= {tuple(r.levels.values()) for r in minimal}  # every node reported is minimal
    assert result.chosen is not None
    assert result.chosen.loss == min(r.loss for r in minimal)
    # monotonicity: every successor of a satisfying node satisfies
    ok = {tuple(r.levels.values()) for r in good}
    for node in ok:
        for i in range(len(node)):
            succ = list(node)
            if succ[i] < ladders[i].height:
                succ[i] += 1
                assert tuple(succ) in ok


def test_suggest_drops_identifiers_and_keys_join_keys(tmp_path: Path) -> None:
    table = from_arrow(make_export())
    s = suggest_policy(table, k=5, recipient="Alipay", purpose="nsf-score", policy_dir=tmp_path)
    cols = s.policy.columns
    assert isinstance(cols["phone"], Drop)
    assert isinstance(cols["customer_id"], Pseudonymize)  # the one join key, an ID before a digest
    assert isinstance(cols["phone_sha256"], Drop)
    both = suggest_policy(table, join_keys=["customer_id", "phone_sha256"], policy_dir=tmp_path)
    assert isinstance(both.policy.columns["phone_sha256"], Pseudonymize)
    by_phone = suggest_policy(table, join_keys=["phone"], policy_dir=tmp_path).policy.columns["phone"]
    assert isinstance(by_phone, Pseudonymize) and by_phone.normalize == "digits"
    assert s.policy.key == "env:DATACUSTOMS_KEY"
    assert s.lattice is not None and s.lattice.chosen is not None
    assert s.lattice.chosen.k is not None and s.lattice.chosen.k >= 5
    assert "age" in s.lattice.qi


def test_adult_with_arx_hierarchies_reaches_k5(adult_dir: Path, tmp_path: Path, env_key: str) -> None:
    table = read(adult_dir / "adult.csv")
    s = suggest_policy(
        table, k=5, hierarchies=adult_dir, qi=ADULT_QI, recipient="census", purpose="research", policy_dir=tmp_path
    )
    lat = s.lattice
    assert lat is not None and lat.chosen is not None
    assert lat.heights == {"sex": 1, "age": 4, "race": 1, "marital-status": 2, "education": 3}
    chosen = lat.chosen
    assert chosen.k is not None and chosen.k >= 5
    assert chosen.suppressed_share <= 0.05
    assert sum(chosen.levels.values()) == chosen.height > 0
    assert lat.nodes_evaluated < lat.nodes_total  # monotonicity pruned part of the lattice
    # the written policy, loaded again, protects the table to k >= 5
    path = tmp_path / "policy.yaml"
    path.write_text(dump_policy(s.policy), encoding="utf-8")
    policy = load_policy(path)
    generalized = [c for c, a in policy.columns.items() if isinstance(a, Generalize)]
    assert generalized and all(policy.columns[c].method == "hierarchy" for c in generalized)  # type: ignore[union-attr]
    result = protect_table(table, policy, tmp_path / "adult.parquet")
    assert result.k_after is not None and result.k_after >= 5
    assert result.suppressed_rows == chosen.suppressed_rows
    out = pq.read_table(tmp_path / "adult.parquet")
    assert out.num_rows == 30162 - chosen.suppressed_rows


def test_unknown_qi_is_named(tmp_path: Path) -> None:
    from datacustoms.errors import ColumnError

    with pytest.raises(ColumnError, match="Did you mean 'age'"):
        suggest_policy(from_arrow(make_export()), qi=["agee"])
