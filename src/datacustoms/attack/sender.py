"""Sender mode: the plaintext source is at hand, so discover the exact recipe, then attack as an outsider.

The sender holds the table the export was made from. Pairing a sample of plaintexts with their
digests (by a join key present in both tables, or row by row) and hashing the plaintexts under
every candidate recipe — a few hundred recipes × 64 values, well under a second — names the
exact recipe. Then the recipe's keyspace is enumerated the way a recipient without the
plaintext would do it, which gives rows reversed, the time taken and the measured rate.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.attack.column import base_result, extrapolate, rate_for
from datacustoms.attack.hashes import keyspaces as ks
from datacustoms.attack.hashes.farm import MaskFarm
from datacustoms.attack.hashes.keyspaces import Keyspace, MaskKeyspace
from datacustoms.attack.hashes.recipes import (
    PHONE_FORMATS,
    TEXT_FORMATS,
    Recipe,
    Salt,
    guess_salts,
    normalise,
    parse_phone,
    render_phone,
)
from datacustoms.attack.hashes.runner import Progress, Runner
from datacustoms.attack.hashes.targets import ParsedColumn, decode_array
from datacustoms.attack.planner import serial_heads
from datacustoms.attack.reverse import header_family, plan_keyspaces
from datacustoms.errors import ColumnError
from datacustoms.model.attack import ColumnAttack
from datacustoms.table import Table

SAMPLE_PAIRS = 64
#: share of sampled pairs a recipe must reproduce to count as the recipe
MIN_MATCH = 0.5

Pairs = dict[str, list[tuple[str, bytes]]]


def _text(arr: pa.Array) -> pa.Array:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr
    return pc.cast(arr, pa.string())


def collect_pairs(
    table: Table,
    column: str,
    parsed: ParsedColumn,
    reference: Table,
    join: str | None,
    limit: int = SAMPLE_PAIRS,
) -> Pairs:
    """(plaintext, digest) pairs per candidate reference column."""
    ref_cols = reference_columns(reference, column, join)
    if join is not None:
        for t, label in ((table, "export"), (reference, "reference")):
            if join not in t.column_names:
                raise ColumnError(join, t.column_names, what=f"join column in the {label}")
        wanted: dict[str, bytes] = {}
        for batch in table.batches([join, column]):
            digests, _ = decode_array(batch.column(1), parsed.fmt)
            keys = _text(batch.column(0))
            ok = pc.and_(keys.is_valid(), digests.is_valid())
            for k, d in zip(keys.filter(ok).to_pylist(), digests.filter(ok).to_pylist(), strict=True):
                wanted.setdefault(k, d)
                if len(wanted) >= limit:
                    break
            if len(wanted) >= limit:
                break
        pairs: Pairs = {c: [] for c in ref_cols}
        key_set = pa.array(list(wanted), pa.string())
        for batch in reference.batches([join, *ref_cols]):
            keys = _text(batch.column(0))
            hit = pc.fill_null(pc.is_in(keys, value_set=key_set), False)
            if not pc.any(hit).as_py():
                continue
            sub = batch.filter(hit)
            sub_keys = _text(sub.column(0)).to_pylist()
            for j, c in enumerate(ref_cols, start=1):
                for k, v in zip(sub_keys, _text(sub.column(j)).to_pylist(), strict=True):
                    if v is not None and k in wanted:
                        pairs[c].append((v, wanted[k]))
        return pairs
    pairs = {c: [] for c in ref_cols}
    export_vals = _head(table, column, limit)
    ref_head = {c: _head(reference, c, limit).to_pylist() for c in ref_cols}
    digests, _ = decode_array(export_vals, parsed.fmt)
    dl = digests.to_pylist()
    for c in ref_cols:
        for v, d in zip(ref_head[c][:limit], dl, strict=False):
            if v is not None and d is not None:
                pairs[c].append((v, d))
    return pairs


def _head(table: Table, column: str, n: int) -> pa.Array:
    got: list[pa.Array] = []
    rows = 0
    for batch in table.batches([column]):
        got.append(_text(batch.column(0)))
        rows += batch.num_rows
        if rows >= n:
            break
    if not got:
        return pa.array([], pa.string())
    return pa.concat_arrays(got).slice(0, n)


def candidate_recipes(
    algorithms: Sequence[str], column: str, dataset: str | None, ref_column: str, phones: bool = True,
    known: Sequence[Salt] = (),
) -> list[Recipe]:  # fmt: skip
    """Every recipe sender mode tries, simplest first (phone formats only for phone-like values);
    ``known`` salts (given by the caller) come before the guessed ones."""
    norms = [*TEXT_FORMATS, *PHONE_FORMATS] if phones else list(TEXT_FORMATS)  # ties go to the simplest
    salts = [*known, *guess_salts(column, dataset)]
    if ref_column not in (column, dataset):
        salts += guess_salts(ref_column, None)
    out: list[Recipe] = []
    for rounds in (1, 2):
        for alg in algorithms:
            out.extend(Recipe(algorithm=alg, normalise=n, rounds=rounds) for n in norms)
    for salt in salts:
        for alg in algorithms:
            for n in norms:
                out.extend(salt.recipes(Recipe(alg, n)))
    return out


def reference_columns(reference: Table, column: str, join: str | None) -> list[str]:
    """Reference columns that may hold the plaintext: the same name, else same header family first."""
    if column in reference.column_names:
        return [column]
    family = header_family(column)
    cols = [c for c in reference.column_names if c != join]
    return sorted(cols, key=lambda c: family is None or header_family(c) != family)


def _phone_like(values: Sequence[str], region: str) -> bool:
    return sum(1 for v in values[:32] if parse_phone(v, region) is not None) * 2 > min(len(values), 32)


def _scan(
    columns: Sequence[tuple[str, list[str]]],
    score: Callable[[Recipe, list[bytes | None]], int],
    algorithms: Sequence[str],
    column: str,
    dataset: str | None,
    region: str,
    salts: Sequence[Salt] = (),
) -> tuple[int, Recipe | None, str | None]:
    """Try every recipe on each column's values (most likely column first); stop at the first that hits."""
    best: tuple[int, Recipe | None, str | None] = (0, None, None)
    for col, values in columns:
        if not values:
            continue
        norm_cache: dict[str, list[bytes | None]] = {}
        phones = _phone_like(values, region)
        for recipe in candidate_recipes(algorithms, column, dataset, col, phones=phones, known=salts):
            if recipe.normalise not in norm_cache:
                norm_cache[recipe.normalise] = [
                    n.encode() if (n := normalise(v, recipe.normalise, region)) is not None else None for v in values
                ]
            hits = score(recipe, norm_cache[recipe.normalise])
            if hits > best[0]:
                best = (hits, recipe, col)
        if best[1] is not None:
            break
    return best


def discover(
    pairs: Pairs, algorithms: Sequence[str], column: str, dataset: str | None, region: str = "KR",
    salts: Sequence[Salt] = (),
) -> tuple[Recipe | None, str | None, int, int]:  # fmt: skip
    """The recipe that reproduces most sampled digests: (recipe, reference column, matched, sampled)."""
    digests: dict[str, list[bytes]] = {c: [d for _, d in p] for c, p in pairs.items()}
    current: dict[str, list[bytes]] = {}

    def score(recipe: Recipe, normed: list[bytes | None]) -> int:
        want = current["d"]
        return sum(1 for n, d in zip(normed, want, strict=True) if n is not None and recipe.digest(n) == d)

    best: tuple[int, Recipe | None, str | None] = (0, None, None)
    total = 0
    for col, sample in pairs.items():
        current["d"] = digests[col]
        hits, recipe, ref_col = _scan(
            [(col, [v for v, _ in sample])], score, algorithms, column, dataset, region, salts
        )
        if hits >= max(1, MIN_MATCH * len(sample)):
            return recipe, ref_col, hits, len(sample)
        if hits > best[0]:
            best, total = (hits, recipe, ref_col), len(sample)
    return None, None, best[0], total


def discover_unpaired(
    reference: Table, column: str, parsed: ParsedColumn, dataset: str | None, region: str = "KR",
    limit: int = 64, join: str | None = None, salts: Sequence[Salt] = (),
) -> tuple[Recipe | None, str | None, int, int, list[str]]:  # fmt: skip
    """Without pairs: hash a sample of reference values under every recipe and count those in the export.

    A digest match cannot happen by chance, so one hit proves the recipe; the best recipe is the
    one that puts the most sampled values into the export.
    """
    from datacustoms.attack.column import head_values
    from datacustoms.attack.hashes.runner import KeyIndex

    index = KeyIndex(parsed.sorted_keys)
    columns = [
        (c, [v for v in _text(head_values(reference, c, limit)).to_pylist() if v])
        for c in reference_columns(reference, column, join)
    ]

    def score(recipe: Recipe, normed: list[bytes | None]) -> int:
        digests = [recipe.digest(n) for n in normed if n is not None]
        return int(index.find(digests)[1].sum()) if digests else 0

    hits, recipe, col = _scan(columns, score, parsed.fmt.algorithms, column, dataset, region, salts)
    values = dict(columns).get(col, []) if col is not None else []
    total = len(values) if col is not None else max((len(v) for _, v in columns), default=0)
    return recipe, col, hits, total, values


def identifier_family(values: Sequence[str], recipe: Recipe, region: str = "KR") -> tuple[str | None, list[str]]:
    """What the plaintexts are (phone, rrn, numeric, date, email) and the phone blocks seen."""
    normed = [n for v in values if (n := normalise(v, recipe.normalise, region)) is not None]
    if not normed:
        return None, []
    if all("@" in v for v in normed):
        return "email", []
    if all(re.fullmatch(r"\d{6}-?\d{7}", v) for v in normed):
        return "rrn", []
    if all(re.fullmatch(r"(19|20)\d{2}[-./]?\d{2}[-./]?\d{2}", v) for v in normed):
        return "date", []
    shaped = recipe.normalise in PHONE_FORMATS
    phones = [
        p
        for v in normed
        if (shaped or v.startswith(("0", "+")) or not v.isdigit())
        and (p := parse_phone(v, region)) is not None
        and _valid_phone(v, region)
    ]
    if len(phones) * 5 >= len(normed) * 4:
        blocks = set()
        for p in phones:
            nsn = "".join(p.groups)
            blocks.add(
                "mobile" if nsn.startswith("10") else ("legacy" if nsn[:2] in ks.KR_LEGACY_PREFIXES else "landline")
            )
        return "phone", sorted(blocks)
    if all(re.fullmatch(r"\d{1,18}", v) for v in normed):
        return "numeric", [str(max(len(v) for v in normed))]
    return None, []


def _valid_phone(value: str, region: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, region))
    except phonenumbers.NumberParseException:
        return False


def outsider_keyspaces(family: str | None, detail: list[str], region: str = "KR") -> list[Keyspace]:
    """The keyspaces an outsider enumerates for this kind of identifier."""
    if family == "phone" and region == "KR":
        blocks: list[tuple[Keyspace, str]] = [
            (ks.kr_mobile(), "mobile"), (ks.kr_mobile_legacy(), "legacy"), (ks.kr_landline(), "landline")
        ]  # fmt: skip
        chosen = [k for k, name in blocks if name in detail]
        return chosen or [ks.kr_mobile()]
    if family == "numeric":  # the rungs blind mode plans, the head of each rung included
        digits = int(detail[0]) if detail else 10
        rungs = [*serial_heads(max(digits, 6)), *ks.serial_ladder(max(digits, 6))]
        return [k for k in rungs if len(str(k.parts(k.formats[0])[0].start)) <= digits]  # holds such numbers
    return plan_keyspaces(family, region) if family else []


def specialise(recipe: Recipe, keyspace: Keyspace, sample: Sequence[str], region: str) -> list[Recipe]:
    """The recipe in the keyspace's formats whose shape fits the sampled plaintexts."""
    normed = [n for v in sample if (n := normalise(v, recipe.normalise, region)) is not None]
    out = []
    for fmt in keyspace.formats:
        if isinstance(keyspace, MaskKeyspace):
            pats = [
                re.compile(re.escape(p.template).replace("X", r"\d").replace("C", r"\d")) for p in keyspace.parts(fmt)
            ]
            fits = any(any(p.fullmatch(v) for p in pats) for v in normed)
        else:
            fits = any(v.encode() in set(keyspace.candidates(fmt)) for v in normed[:8])
        if fits:
            out.append(replace(recipe, normalise=fmt))
    return out


def attack_sender(
    table: Table,
    column: str,
    parsed: ParsedColumn,
    reference: Table,
    *,
    join: str | None,
    budget_s: float,
    reveal: bool,
    engine: str,
    progress: Progress | None,
    started: float,
    keyspaces: Sequence[Keyspace] | None,
    region: str,
    salts: Sequence[Salt] = (),
    farm: MaskFarm | None = None,
) -> ColumnAttack:
    """Discover the recipe from the reference, then enumerate its keyspace as an outsider."""
    from datacustoms.attack.api import attack_blind

    aligned = join is not None or table.num_rows == reference.num_rows
    pairs: Pairs = collect_pairs(table, column, parsed, reference, join) if aligned else {}
    recipe, ref_col, hits, total = discover(pairs, parsed.fmt.algorithms, column, table.name, region, salts)
    how = "sampled digests" if recipe is not None else ""
    sample: list[str] = [v for v, _ in pairs[ref_col]] if ref_col is not None else []
    if recipe is None:  # no usable pairing: hash reference values and look them up among all digests
        recipe, ref_col, hits, total, sample = discover_unpaired(
            reference, column, parsed, table.name, region, join=join, salts=salts
        )
        how = "sampled reference values found among the export's digests"
    discovery_s = time.perf_counter() - started
    if recipe is None or ref_col is None:
        return _no_recipe(column, parsed, total, discovery_s)
    family, detail = identifier_family(sample, recipe, region)
    subjects = {"email": "e-mail", "phone": "phone number", "rrn": "RRN", "numeric": "number", "date": "date"}
    recipe = replace(recipe, subject=subjects.get(family or "", "value"))
    spaces = list(keyspaces) if keyspaces is not None else outsider_keyspaces(family, detail, region)
    # one recipe per format, however many keyspaces share it (each job then runs once)
    only = list(dict.fromkeys(r for k in spaces for r in specialise(recipe, k, sample, region)))
    found = str(recipe.with_encoding(_encoding(parsed)))
    if only:
        shaped = [r for r in only if r.shape] or only
        found = str(_shape_from_sample(shaped[0], sample, region).with_encoding(_encoding(parsed)))
        res = attack_blind(
            table, column, parsed, header=column, budget_s=budget_s, reveal=reveal, engine=engine,
            progress=progress, started=started, keyspaces=spaces, region=region, only=only, mode="sender",
            stop_when_confirmed=True, farm=farm,
        )  # fmt: skip
    else:
        res = base_result(column, "sender", parsed)
        res.status = "not_reversed"
        res.reason = f"recipe found, but no enumerable keyspace fits these {family or 'identifiers'}"
        if family == "email":
            res.reason += ": a recipient with a list of e-mails links them (linkage mode, --known)"
        runner = Runner(parsed, engine="auto" if engine == "hashcat" else engine)
        rate, _ = rate_for(runner, recipe)
        res.candidates_per_second = rate
        res.seconds = round(time.perf_counter() - started, 4)
    res.recipe = res.recipe or found
    res.notes.insert(
        0,
        f"recipe discovered in {discovery_s:.3f} s: it reproduces {hits} of {total} {how} "
        f"(reference column {ref_col!r})",
    )
    if only and res.status in ("not_reversed", "incomplete"):  # the recipe is known: what the keyspace costs
        size = sum(k.size for k in spaces)
        runner = Runner(parsed, engine="auto" if engine == "hashcat" else engine)
        rate, _ = rate_for(runner, only[0])
        res.extrapolations = extrapolate(f"the full keyspace under {found}", size, rate)
        res.reason = (
            f"recipe found ({found}) but the budget ended before a hit: its {size:,} candidates take "
            f"{size / rate:,.1f} s on this machine — the column is reversible"
            if rate > 0
            else f"recipe found ({found}); not reversed within the budget"
        )
    return res


def _no_recipe(column: str, parsed: ParsedColumn, total: int, seconds: float) -> ColumnAttack:
    res = base_result(column, "sender", parsed)
    res.status = "not_reversed"
    res.reason = (
        f"no candidate recipe turns the reference's values into these digests ({total} values tried per "
        "recipe): consistent with a keyed hash (HMAC), an unusual recipe, or a reference of other people"
    )
    res.seconds = round(seconds, 4)
    return res


def _encoding(parsed: ParsedColumn) -> str:
    if parsed.fmt.encoding == "hex":
        return "HEX" if parsed.fmt.case == "upper" else "hex"
    return parsed.fmt.encoding


def _shape_from_sample(recipe: Recipe, sample: Sequence[str], region: str) -> Recipe:
    if recipe.shape or recipe.normalise not in PHONE_FORMATS:
        return recipe
    for v in sample:
        p = parse_phone(v, region)
        if p is not None:
            groups = [p.groups[0], *("X" * len(g) for g in p.groups[1:])]
            return replace(recipe, shape=render_phone(p.cc, p.trunk, groups, recipe.normalise))
    return recipe
