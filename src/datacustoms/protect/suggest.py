"""``policy suggest``: a starting policy from an inspection, with the least-loss generalisation.

Per column, from detection: clear direct identifiers are dropped (the purpose rarely needs a
phone number in clear); one join key gets a keyed pseudonym — the ``join_keys`` named, else the
first customer ID or account, else the first unkeyed digest (sent so the recipient could match)
— and other keys of the same person are dropped (R9: one is enough to match); sensitive and
other columns are kept; and the
quasi-identifiers are generalised as little as possible so that every equivalence class has at
least k records, allowing at most ``max_suppression`` of the records to be suppressed.

The generalisation is a lattice search in the spirit of ARX's Flash: a node is one level per
quasi-identifier. Nodes are visited bottom-up, in order of precision loss (a topological order:
a predecessor always loses less), using monotonicity — when a node reaches k, all its successors
do, so they are tagged without evaluation and only *minimal* satisfying nodes are evaluated — and
a bound: loss is never below precision loss, so the search stops once the next node's precision
loss reaches the best loss found. Each evaluated node is one DuckDB ``GROUP BY`` over the
pre-joined level columns (integer codes) of the base histogram (the raw QI combinations with
their counts), never a Python loop over rows. Levels come from ARX-format hierarchy files (``--hierarchies``)
or are built per kind (dates → month / quarter / year, ages → bands of 5 / 10 / 20, postcodes →
shorter prefixes, anything → itself / dropped); the top level of a built hierarchy is ``drop``.

Loss (reported, and minimised): precision loss — the mean over QIs of level / height (Sweeney's
Prec) — with suppressed records counting as fully lost: ``loss = s + (1 - s) * prec`` where ``s``
is the suppressed share. Only minimal satisfying nodes are compared: a successor has at least the
same precision loss and can only win by suppressing fewer records, which we do not chase.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from datacustoms.errors import ColumnError, UsageError
from datacustoms.kinds import builtin_kinds
from datacustoms.model.findings import ColumnFinding
from datacustoms.policy import (
    Drop,
    Generalize,
    Keep,
    Policy,
    Pseudonymize,
    Suppression,
    Thresholds,
)
from datacustoms.protect.histogram import COUNT, class_histogram, quote
from datacustoms.protect.operators.generalize import generalize_values
from datacustoms.protect.operators.hierarchy import load_hierarchy
from datacustoms.risk.classes import connect
from datacustoms.table import Table

#: kinds whose column is a join key: pseudonymised, not dropped
JOIN_KEY_KINDS = frozenset({"customer_id", "kr_account", "uuid", "digest"})
DATE_KINDS = frozenset({"date", "birth_date", "timestamp"})
MAX_NODES = 50_000
STAR = "*"


@dataclass(frozen=True)
class QILevels:
    """The generalisation ladder of one quasi-identifier: level 0 keeps the value."""

    column: str
    actions: tuple[Generalize | Keep | Drop, ...]  # actions[i] produces level i
    names: tuple[str, ...]  # short descriptions, for the report
    source: str  # "hierarchy file …" or "built for kind …"

    @property
    def height(self) -> int:
        return len(self.actions) - 1


class NodeResult(BaseModel):
    levels: dict[str, int]
    height: int = Field(description="sum of the levels")
    precision_loss: float = Field(description="mean over QIs of level / height of its hierarchy")
    suppressed_rows: int
    suppressed_share: float
    k: int | None = Field(description="smallest class after suppressing classes below the target k")
    classes: int
    loss: float = Field(description="suppressed share + (1 - suppressed share) × precision loss")


class LatticeResult(BaseModel):
    """What the search did and chose."""

    qi: list[str]
    heights: dict[str, int]
    k_target: int
    max_suppression: float
    rows: int
    nodes_total: int
    nodes_evaluated: int
    nodes_tagged: int = Field(description="successors of a satisfying node, tagged without evaluation")
    nodes_bounded: int = Field(
        default=0, description="nodes left unvisited: their precision loss alone ≥ the best loss"
    )
    seconds: float
    chosen: NodeResult | None
    minimal_count: int = Field(
        default=0, description="minimal satisfying nodes found before the bound stopped the search"
    )
    minimal: list[NodeResult] = Field(default_factory=list, description="minimal satisfying nodes, best first")
    level_names: dict[str, list[str]] = Field(default_factory=dict)


@dataclass
class Suggestion:
    policy: Policy
    lattice: LatticeResult | None
    reasons: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# -- ladders ------------------------------------------------------------------------------------


def find_hierarchy(folder: Path, column: str) -> Path | None:
    """``<column>.csv`` or ARX's ``*_hierarchy_<column>.csv`` in ``folder``."""
    for pattern in (f"{column}.csv", f"*hierarchy_{column}.csv"):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
    return None


def _parses_as_numbers(values: pa.Array) -> bool:
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    ok = pc.match_substring_regex(text, r"^[+-]?(\d+\.?\d*|\.\d+)$")
    return bool(len(values)) and bool(pc.all(ok).as_py())


def _parses_as_dates(values: pa.Array) -> bool:
    text = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    ok = pc.match_substring_regex(text, r"^\d{4}-\d{2}-\d{2}")
    return bool(len(values)) and bool(pc.all(ok).as_py())


def _whole(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


def build_ladder(column: str, distinct: pa.Array, finding: ColumnFinding | None, hierarchies: Path | None) -> QILevels:
    """The generalisation levels for one QI: from a hierarchy file if there is one, else by kind."""
    if hierarchies is not None:
        path = find_hierarchy(hierarchies, column)
        if path is not None:
            h = load_hierarchy(path)
            acts: list[Generalize | Keep | Drop] = [Keep()]
            acts += [Generalize(method="hierarchy", file=str(path), level=i) for i in range(1, h.height + 1)]
            names = ["value"] + [f"level {i}" for i in range(1, h.height + 1)]
            return QILevels(column, tuple(acts), tuple(names), f"hierarchy {path.name}")
    kind = finding.kind if finding is not None else "other"
    values = distinct.drop_null()
    if kind in DATE_KINDS or (kind == "other" and _parses_as_dates(values)):
        ladder: list[tuple[Generalize | Keep | Drop, str]] = [
            (Keep(), "day"),
            (Generalize(method="date", to="month"), "month"),
            (Generalize(method="date", to="quarter"), "quarter"),
            (Generalize(method="date", to="year"), "year"),
        ]
    elif kind in ("age", "birth_year") and _parses_as_numbers(values):
        method: Literal["age", "number"] = "age" if kind == "age" else "number"
        ladder = [(Keep(), "value")]
        ladder += [(Generalize(method=method, width=w), f"bands of {w}") for w in (5, 10, 20)]
    elif kind == "kr_postcode" or "post" in column.lower() or "zip" in column.lower():
        width = int(pc.max(pc.utf8_length(pc.cast(values, pa.string()))).as_py() or 5) if len(values) else 5
        ladder = [(Keep(), "value")] + [
            (Generalize(method="prefix", keep=n), f"first {n}") for n in range(width - 1, 0, -1)
        ]
    elif _parses_as_numbers(values) and len(values) > 20:
        nums = pc.cast(pc.cast(values, pa.string()), pa.float64())
        span = float(pc.max(nums).as_py() - pc.min(nums).as_py()) or 1.0
        base = 10.0 ** math.floor(math.log10(span / 100)) if span > 100 else 1.0
        ladder = [(Keep(), "value")] + [
            (Generalize(method="number", width=_whole(base * m)), f"bins of {base * m:g}") for m in (1, 10, 100)
        ]
    else:
        ladder = [(Keep(), "value")]
    ladder.append((Drop(), "dropped"))
    return QILevels(column, tuple(a for a, _ in ladder), tuple(n for _, n in ladder), f"built for kind {kind}")


def _level_values(ladder: QILevels, distinct: pa.Array, base_dir: Path | None) -> list[pa.Array]:
    """``distinct`` mapped to every level of ``ladder`` (one array per level, aligned)."""
    out: list[pa.Array] = []
    probe = Policy(recipient="-", purpose="-", columns={ladder.column: Keep()}, base_dir=str(base_dir or ""))
    for act in ladder.actions:
        if isinstance(act, Keep):
            out.append(pc.cast(distinct, pa.large_string()))
        elif isinstance(act, Drop):
            out.append(pa.array([STAR] * len(distinct), pa.large_string()))
        else:
            out.append(pc.cast(generalize_values(distinct, act, ladder.column, probe), pa.large_string()))
    return out


# -- the lattice --------------------------------------------------------------------------------


def _col(i: int, level: int) -> str:
    return f"q{i}_l{level}"


def build_base(hist: pa.Table, ladders: list[QILevels]) -> pa.Table:
    """The base histogram with one column per (QI, level): what every node's GROUP BY reads.

    Each level column holds small integer codes of the generalised labels (grouping on integers
    is cheaper than on text, and groups are the same).
    """
    arrays: dict[str, pa.Array] = {}
    for i, ladder in enumerate(ladders):
        raw = hist.column(ladder.column).combine_chunks()
        distinct = pc.unique(raw)
        idx = pc.index_in(raw, value_set=distinct)
        for level, mapped in enumerate(_level_values(ladder, distinct, None)):
            codes = pc.index_in(mapped, value_set=pc.unique(mapped), skip_nulls=False)
            arrays[_col(i, level)] = pc.take(codes, idx)
    arrays[COUNT] = hist.column(COUNT).combine_chunks()
    return pa.table(arrays)


def precision_loss(node: tuple[int, ...], heights: list[int]) -> float:
    """Sweeney's precision loss: the mean over QIs of level / height."""
    return sum(lv / h for lv, h in zip(node, heights, strict=True) if h) / len(node) if node else 0.0


def _evaluate(
    con: duckdb.DuckDBPyConnection, node: tuple[int, ...], k: int, rows: int, ladders: list[QILevels]
) -> NodeResult:
    cols = ", ".join(quote(_col(i, lv)) for i, lv in enumerate(node))
    group = f"GROUP BY {cols}" if cols else ""
    sql = (
        f"SELECT coalesce(sum(c) FILTER (WHERE c < {k}), 0), count(*) FILTER (WHERE c >= {k}), "
        f"min(c) FILTER (WHERE c >= {k}) FROM (SELECT sum({COUNT}) AS c FROM base {group})"
    )
    row = con.execute(sql).fetchone()
    assert row is not None
    suppressed, classes, smallest = int(row[0]), int(row[1]), row[2]
    prec = precision_loss(node, [lad.height for lad in ladders])
    share = suppressed / rows if rows else 0.0
    return NodeResult(
        levels={lad.column: lv for lad, lv in zip(ladders, node, strict=True)},
        height=sum(node),
        precision_loss=round(prec, 6),
        suppressed_rows=suppressed,
        suppressed_share=round(share, 6),
        k=int(smallest) if smallest is not None else None,
        classes=classes,
        loss=round(share + (1 - share) * prec, 6),
    )


def search_lattice(base: pa.Table, ladders: list[QILevels], k: int, max_suppression: float) -> LatticeResult:
    """Bottom-up search with monotonicity tagging and a loss bound; returns the least-loss node.

    Nodes are visited in order of precision loss, which is a topological order of the lattice (a
    predecessor always has a lower precision loss), so a node's predecessors are settled before
    it: a node above a satisfying node is tagged, not evaluated. Because loss ≥ precision loss,
    the search stops as soon as the next node's precision loss reaches the best loss found.
    """
    start = time.perf_counter()
    heights = [lad.height for lad in ladders]
    rows = int(pc.sum(base.column(COUNT)).as_py() or 0)
    total = math.prod(h + 1 for h in heights)
    if total > MAX_NODES:
        raise UsageError(
            f"the generalisation lattice has {total:,} nodes (more than {MAX_NODES:,})",
            "name fewer quasi-identifiers with --qi or use hierarchies with fewer levels",
        )
    order = sorted(
        itertools.product(*(range(h + 1) for h in heights)),
        key=lambda node: (precision_loss(node, heights), sum(node), node),
    )
    minimal: list[NodeResult] = []
    minimal_nodes: list[tuple[int, ...]] = []
    evaluated = tagged = bounded = 0
    best = math.inf
    with connect() as con:
        con.register("base_arrow", base)
        con.execute("CREATE TABLE base AS SELECT * FROM base_arrow")
        for position, node in enumerate(order):
            if precision_loss(node, heights) >= best:
                bounded = total - position  # no node from here on can lose less than the best
                break
            if any(all(a <= b for a, b in zip(m, node, strict=True)) for m in minimal_nodes):
                tagged += 1  # a successor of a satisfying node: satisfies, never minimal
                continue
            result = _evaluate(con, node, k, rows, ladders)
            evaluated += 1
            if rows and result.suppressed_share <= max_suppression and result.k is not None:
                minimal.append(result)
                minimal_nodes.append(node)
                best = min(best, result.loss)
    minimal.sort(key=lambda r: (r.loss, r.height, list(r.levels.values())))
    return LatticeResult(
        qi=[lad.column for lad in ladders],
        heights={lad.column: lad.height for lad in ladders},
        k_target=k,
        max_suppression=max_suppression,
        rows=rows,
        nodes_total=total,
        nodes_evaluated=evaluated,
        nodes_tagged=tagged,
        nodes_bounded=bounded,
        seconds=round(time.perf_counter() - start, 3),
        chosen=minimal[0] if minimal else None,
        minimal_count=len(minimal),
        minimal=minimal[:10],
        level_names={lad.column: list(lad.names) for lad in ladders},
    )


# -- the suggestion -----------------------------------------------------------------------------


#: the trade-off of a stable pseudonym key, said with every suggested join key (R17)
ROTATE_TRADE_OFF = (
    "rotate: never (suggested) keeps one pseudonym per person in every release, so the recipient can join "
    "releases and each transfer is judged on everything it holds (R17, `ledger exposure`); if the purpose "
    "does not need releases joined, set rotate: daily, monthly or per_transfer — a key per epoch (HKDF of the "
    "master key), so releases of different epochs do not link"
)


def _column_actions(
    names: list[str], qi: list[str], by_col: dict[str, ColumnFinding], chosen_keys: list[str],
    candidates: list[str], chosen_sensitive: list[str], columns: dict[str, Any], reasons: dict[str, str],
) -> None:  # fmt: skip
    """The action and its reason for every column but the quasi-identifiers (join keys, drops, keeps)."""
    why = "join key: the recipient matches records on it; keyed so it cannot be reversed (R2, R8)"
    for name in names:
        f = by_col.get(name)
        if name in qi:
            continue
        if name in chosen_keys:
            columns[name] = Pseudonymize(why=why, normalize=_normalization(f))
            reasons[name] = f"pseudonymize — {f.kind if f else 'join key'}: {why}; {ROTATE_TRADE_OFF}"
        elif name in candidates:
            columns[name] = Drop()
            reasons[name] = (
                f"drop — another key of the same person ({f.kind if f else 'id'}); {chosen_keys[0]!r} is "
                "the join key; name more with --join-key (R9)"
                if chosen_keys
                else "drop"
            )
        elif f is not None and f.role == "direct_identifier":
            columns[name] = Drop()
            reasons[name] = f"drop — a clear {f.kind}; the purpose does not need it (R1, R29)"
        else:
            if f is not None and f.role == "sensitive" and name not in chosen_sensitive:
                chosen_sensitive.append(name)
            columns[name] = Keep()
            reasons[name] = f"keep — {f.role if f else 'other'} ({f.kind if f else 'unknown'})"


def _generalise(
    table: Table, qi: list[str], by_col: dict[str, ColumnFinding], folder: Path | None, k: int,
    max_suppression: float, policy_dir: str | Path | None, columns: dict[str, Any], reasons: dict[str, str],
    notes: list[str],
) -> LatticeResult | None:  # fmt: skip
    """The least-loss generalisation of ``qi`` reaching k: its actions go into ``columns`` and ``reasons``."""
    if not qi:
        return None
    hist = class_histogram(table.batches(qi), qi)
    ladders = []
    for name in qi:
        distinct = pc.unique(hist.column(name).combine_chunks())
        ladders.append(build_ladder(name, distinct, by_col.get(name), folder))
    lattice = search_lattice(build_base(hist, ladders), ladders, k, max_suppression)
    if lattice.chosen is None:
        notes.append(
            f"no generalisation reaches k={k} with at most {max_suppression:.0%} suppressed; every QI is dropped"
        )
    levels = lattice.chosen.levels if lattice.chosen else {lad.column: lad.height for lad in ladders}
    for lad in ladders:
        act = lad.actions[levels[lad.column]]
        if isinstance(act, Generalize) and act.file is not None and policy_dir is not None:
            rel = _relative(Path(act.file), Path(policy_dir))
            act = act.model_copy(update={"file": rel})
        columns[lad.column] = act
        reasons[lad.column] = (
            f"{act.action} — quasi-identifier, {lad.names[levels[lad.column]]} "
            f"(level {levels[lad.column]} of {lad.height}, {lad.source})"
        )
    return lattice


def suggest_policy(
    table: Table,
    *,
    k: int = 5,
    max_suppression: float = 0.05,
    hierarchies: str | Path | None = None,
    recipient: str | None = None,
    purpose: str | None = None,
    qi: list[str] | None = None,
    sensitive: list[str] | None = None,
    join_keys: list[str] | None = None,
    key: str = "env:DATACUSTOMS_KEY",
    findings: list[ColumnFinding] | None = None,
    policy_dir: str | Path | None = None,
) -> Suggestion:
    """Inspect ``table`` and propose a policy (see the module docstring for the rules)."""
    names = table.column_names
    for group in (qi or [], sensitive or [], join_keys or []):
        for name in group:
            if name not in names:
                raise ColumnError(name, names)
    folder = Path(hierarchies) if hierarchies is not None else None
    if folder is not None and not folder.is_dir():
        raise UsageError(f"hierarchy folder {str(folder)!r} not found", "pass a folder of <column>.csv files")
    if findings is None:
        from datacustoms.detect import detect_columns

        findings = detect_columns(table)
    by_col = {f.column: f for f in findings}
    reasons: dict[str, str] = {}
    notes: list[str] = []
    chosen_sensitive = list(sensitive or [])
    if qi is None:
        qi = [
            c for c in names
            if c not in chosen_sensitive and c not in (join_keys or [])
            and (
                (c in by_col and by_col[c].role == "quasi_identifier")
                or (folder is not None and find_hierarchy(folder, c) is not None
                    and (c not in by_col or by_col[c].role in ("quasi_identifier", "other")))
            )
        ]  # fmt: skip
    columns: dict[str, Any] = {}
    candidates = [
        c for c in names
        if c not in qi and c in by_col and (by_col[c].role == "pseudonym" or by_col[c].kind in JOIN_KEY_KINDS)
    ]  # fmt: skip
    # one join key is enough to match records (R9): the declared ones, else the best candidate
    # (an ID before a digest of a phone or email), and the other candidates are dropped
    chosen_keys = list(join_keys) if join_keys else sorted(candidates, key=lambda c: by_col[c].kind == "digest")[:1]
    _column_actions(names, qi, by_col, chosen_keys, candidates, chosen_sensitive, columns, reasons)
    lattice = _generalise(table, qi, by_col, folder, k, max_suppression, policy_dir, columns, reasons, notes)
    kept_qi = [c for c in qi if not isinstance(columns[c], Drop)]
    ordered = {name: columns[name] for name in names}
    needs_key = any(isinstance(a, Pseudonymize) for a in ordered.values())
    if recipient is None or purpose is None:
        notes.append("name the recipient and the purpose in the policy before using it (--recipient, --purpose)")
    policy = Policy(
        recipient=recipient or "unnamed recipient",
        purpose=purpose or "unstated purpose",
        thresholds=Thresholds(k=k, max_risk=round(1 / k, 6)),
        key=key if needs_key else None,
        quasi_identifiers=kept_qi or None,
        sensitive=[c for c in chosen_sensitive if not isinstance(ordered.get(c), Drop)],
        suppression=Suppression(max_share=max_suppression) if kept_qi else None,
        columns=ordered,
        base_dir=str(policy_dir) if policy_dir is not None else None,
    )
    return Suggestion(policy=policy, lattice=lattice, reasons=reasons, notes=notes)


def _normalization(finding: ColumnFinding | None) -> Literal["trim", "lower", "digits"]:
    """Phones are keyed on their digits and e-mails in lower case, so formats do not split people."""
    kind = finding.kind if finding is not None else ""
    spec = builtin_kinds().get(kind)
    if spec is not None:
        return spec.pseudonym
    if "mobile" in kind or "phone" in kind or "landline" in kind or kind == "kr_rrn":
        return "digits"
    if kind == "email":
        return "lower"
    return "trim"


def _relative(path: Path, folder: Path) -> str:
    import os

    try:
        return os.path.relpath(path.resolve(), folder.resolve())
    except ValueError:  # another drive on Windows
        return str(path.resolve())
