"""What a recipient holds after a series of releases (rule R17), measured in DuckDB.

One release alone can look harmless; the case this project exists for was a daily export joined
across six years by one unchanging hash. The measure, in four steps:

1. **Columns that link releases**, on up to ``measured`` releases spread over the series (first,
   last and evenly between): a column links when it is near-unique within a release (distinct /
   rows ≥ 0.9) and most of its values recur in another release (a stable hash, pseudonym or ID).
   With a link key, columns whose value per person never changes are *exact-match
   quasi-identifiers*: they join releases by themselves, key or no key.
2. **One streamed pass** over every file writes a compact trace to a private temporary Parquet
   file: a 64-bit hash of the link key, the release number and a 64-bit hash of the row's
   snapshot (the profile columns). Nothing else of the data is kept; the trace is removed after.
3. **Traceable people**: per person, the first and second release they appear in; a person is
   traceable after N releases when the second one is among the first N.
4. **Unicity of linked snapshots** (as :func:`datacustoms.risk.unicity.unicity`, point = release ×
   snapshot) over all releases, and at checkpoints N = 1, 2, 3, 7, 14, 30, … for the growth table.

64-bit hashes can collide: at 40 M people the chance of any collision is about 4·10⁻⁵, and a
collision can only merge two people (lower unicity), never split one.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from datacustoms.errors import ColumnError, InputError, UsageError
from datacustoms.model.findings import Check, Status
from datacustoms.model.series import SeriesColumn, SeriesGrowth, SeriesResult
from datacustoms.risk.classes import connect, quote
from datacustoms.risk.unicity import unicity
from datacustoms.table import Table

LINK_UNIQUE = 0.9
LINK_RECURRING = 0.5
STABLE = 0.99
CHECKPOINTS = (1, 2, 3, 7, 14, 30, 60, 90, 180, 365, 730, 1095, 1460, 1825, 2190)


class ReleaseSeries(Protocol):
    """What the measure needs of a series (:class:`datacustoms.io.series.ReleaseSeries`)."""

    source: str
    key_column: str | None
    key_origin: str
    notes: list[str]

    @property
    def files(self) -> Sequence[Any]: ...  # each with .path and .key

    @property
    def keys(self) -> list[str]: ...

    def scan_sql(self, files: Sequence[Any] | None = None) -> str: ...


def check_options(max_points: int, sample_people: int) -> None:
    """The options every engine's series measure refuses alike, before reading anything."""
    if not 1 <= max_points <= 16:
        raise UsageError(f"max points {max_points} is not between 1 and 16", "e.g. --points 1..8")
    if sample_people < 1:
        raise UsageError("the sample must hold at least one person", "raise --sample-people")


def analyse_series(
    series: ReleaseSeries,
    *,
    link: str | None = None,
    profile: list[str] | None = None,
    max_points: int = 8,
    sample_people: int = 5_000,
    seed: int = 0,
    max_unicity: float = 0.05,
    measured: int = 8,
    growth: bool = True,
) -> SeriesResult:
    """Measure the series as the recipient holds it after every release (see the module doc)."""
    check_options(max_points, sample_people)
    spill = Path(tempfile.mkdtemp(prefix="datacustoms-series-"))
    try:
        with connect() as con:
            columns, keys = _prepare(con, series)
            if len(keys) < 1:
                raise InputError(f"{series.source} holds no release", "check the folder or the pattern")
            measured_rel = spread(len(keys), measured)
            _subset_view(con, series, measured_rel)
            stats = _column_stats(con, columns, series.key_column, len(measured_rel))
            chosen = choose_link(stats, link, columns)
            if chosen is not None:
                _stable_shares(con, stats, chosen)
            qi = [s.column for s in stats if s.column != chosen and (s.stable_share or 0) >= STABLE
                  and s.unique_share < LINK_UNIQUE and not is_constant(s)]  # fmt: skip
            result = SeriesResult(
                source=series.source, releases=len(keys), release_key=series.key_origin, first_key=keys[0],
                last_key=keys[-1], rows=0, measured_releases=[keys[i] for i in measured_rel], columns=stats,
                link=chosen, exact_match_qi=qi, notes=list(series.notes),
                exact_match_unique_share=_combined_unique(con, qi) if qi else None,
            )  # fmt: skip
            if chosen is None:
                result.notes.append("no column links the releases: each release stands alone for the recipient")
                result.rows = int(_scalar(con, "SELECT count(*) FROM dc_src"))
                result.checks = series_checks(result, max_unicity)
                return result
            result.profile = profile if profile is not None else default_profile(stats, chosen, series.key_column)
            check_names(result.profile, columns, "profile column")
            trace = spill / "trace.parquet"
            _write_trace(con, chosen, result.profile, trace)
            _traceability(con, trace, keys, result, growth)
        _trace_unicity(trace, result, keys, max_points=max_points, sample_people=sample_people, seed=seed,
                       growth=growth)  # fmt: skip
        result.checks = series_checks(result, max_unicity)
        return result
    finally:
        shutil.rmtree(spill, ignore_errors=True)


# ------------------------------------------------------------------------------------------ scans


def _prepare(con: duckdb.DuckDBPyConnection, series: ReleaseSeries) -> tuple[list[str], list[str]]:
    """Create ``dc_src`` (every row with its release number ``__rel``); return columns and keys."""
    columns = list(describe_columns(series, con))
    scan = series.scan_sql()
    if series.key_column is not None:
        check_names([series.key_column], columns, "release key column")
        key = quote(series.key_column)
        keys = [str(r[0]) for r in con.execute(
            f"SELECT DISTINCT CAST({key} AS VARCHAR) FROM {scan} WHERE {key} IS NOT NULL ORDER BY 1").fetchall()]
        con.register("dc_keys", pa.table({"k": keys, "rel": list(range(len(keys)))}))
        con.execute(f"CREATE VIEW dc_src AS SELECT s.*, r.rel AS __rel FROM {scan} s "
                    f"JOIN dc_keys r ON CAST(s.{key} AS VARCHAR) = r.k")  # fmt: skip
        return columns, keys
    keys = series.keys
    rel = {k: i for i, k in enumerate(keys)}
    con.register("dc_files", pa.table({"filename": [str(f.path) for f in series.files],
                                       "rel": [rel[f.key] for f in series.files]}))  # fmt: skip
    con.execute(f"CREATE VIEW dc_src AS SELECT s.*, f.rel AS __rel FROM {scan} s JOIN dc_files f USING (filename)")
    return columns, keys


def describe_columns(series: ReleaseSeries, con: duckdb.DuckDBPyConnection | None = None) -> dict[str, str]:
    """Column name -> DuckDB type, as the first file of the series is read (every engine hashes these types)."""
    try:
        sql = f"DESCRIBE SELECT * FROM {series.scan_sql(series.files[:1])}"
        described = (con.execute(sql) if con is not None else duckdb.execute(sql)).fetchall()
    except duckdb.Error as err:
        raise InputError(f"{series.files[0].path.name} could not be read ({_first_line(err)})",
                         "check the file (UTF-8 CSV with a header, or Parquet)") from None  # fmt: skip
    return {str(r[0]): str(r[1]) for r in described if r[0] != "filename"}


def _subset_view(con: duckdb.DuckDBPyConnection, series: ReleaseSeries, measured: list[int]) -> None:
    """``dc_sub``: the measured releases only (their files alone are read when keys come from files)."""
    if series.key_column is not None:
        con.execute(f"CREATE VIEW dc_sub AS SELECT * FROM dc_src WHERE __rel IN ({', '.join(map(str, measured))})")
        return
    keys = series.keys
    wanted = {keys[i] for i in measured}
    files = [f for f in series.files if f.key in wanted]
    con.execute(f"CREATE VIEW dc_sub AS SELECT s.*, f.rel AS __rel FROM {series.scan_sql(files)} s "
                "JOIN dc_files f USING (filename)")  # fmt: skip


def _column_stats(
    con: duckdb.DuckDBPyConnection, columns: list[str], key_column: str | None, measured: int
) -> list[SeriesColumn]:
    """Per column: mean within-release distinct share; for near-unique ones, the recurring share."""
    # exact counts (on the measured releases only): a sketch's few-percent error can flip which column links
    distinct = ", ".join(f"count(DISTINCT {quote(c)})" for c in columns)
    rows = con.execute(f"SELECT count(*), {distinct} FROM dc_sub GROUP BY __rel").fetchall()
    stats = []
    for i, column in enumerate(columns):
        shares = [min(1.0, r[i + 1] / r[0]) if r[0] else 0.0 for r in rows]
        one = all(r[i + 1] <= 1 for r in rows)
        stats.append(SeriesColumn(column=column, unique_share=0.0 if one else sum(shares) / max(len(shares), 1),
                                  links=False))  # fmt: skip
    for s in stats:
        if s.column == key_column or s.unique_share < LINK_UNIQUE or measured < 2:
            continue
        c = quote(s.column)
        total, recurring = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE n) FROM (SELECT min(__rel) < max(__rel) AS n "
            f"FROM dc_sub WHERE {c} IS NOT NULL GROUP BY hash({c}))"
        ).fetchall()[0]
        s.recurring_share = recurring / total if total else 0.0
        s.links = s.recurring_share >= LINK_RECURRING
    return stats


def choose_link(stats: list[SeriesColumn], link: str | None, columns: list[str]) -> str | None:
    if link is not None:
        check_names([link], columns, "link column")
        return link
    linking = [s for s in stats if s.links]
    if not linking:
        return None
    return max(linking, key=lambda s: (s.recurring_share or 0.0, s.unique_share)).column


def _stable_shares(con: duckdb.DuckDBPyConnection, stats: list[SeriesColumn], link: str) -> None:
    """Share of people (seen in two or more measured releases) whose value never changes."""
    others = [s for s in stats if s.column != link]
    if not others:
        return
    # min = max of a 64-bit hash: one value per person (cheaper than count(DISTINCT ...))
    same = ", ".join(f"min(hash({quote(s.column)})) = max(hash({quote(s.column)})) AS s{i}" for i, s in enumerate(others))
    avgs = ", ".join(f"avg(s{i}::DOUBLE)" for i in range(len(others)))
    row = con.execute(
        f"SELECT count(*), {avgs} FROM (SELECT {same} FROM dc_sub WHERE {quote(link)} IS NOT NULL "
        f"GROUP BY hash({quote(link)}) HAVING min(__rel) < max(__rel))"
    ).fetchall()[0]
    if not row[0]:
        return
    for i, s in enumerate(others):
        s.stable_share = float(row[i + 1]) if row[i + 1] is not None else None


def _combined_unique(con: duckdb.DuckDBPyConnection, qi: list[str]) -> float:
    cols = ", ".join(quote(c) for c in qi)
    rows = con.execute(f"SELECT count(*), count(DISTINCT hash({cols})) FROM dc_sub GROUP BY __rel").fetchall()
    shares = [min(1.0, d / n) for n, d in rows if n]
    return sum(shares) / len(shares) if shares else 0.0


def _write_trace(con: duckdb.DuckDBPyConnection, link: str, profile: list[str], target: Path) -> None:
    """The one full pass: (hash of the link key, release number, hash of the snapshot) per row."""
    snap = f"hash({', '.join(quote(c) for c in profile)})" if profile else "0::UBIGINT"
    con.execute(
        f"COPY (SELECT hash({quote(link)}) AS person, __rel::INTEGER AS rel, {snap} AS profile FROM dc_src "
        f"WHERE {quote(link)} IS NOT NULL) TO '{_sql_path(target)}' (FORMAT parquet, COMPRESSION zstd)"
    )


def _traceability(con: duckdb.DuckDBPyConnection, trace: Path, keys: list[str], result: SeriesResult,
                  growth: bool) -> None:  # fmt: skip
    """People and traceable people after the first N releases, for each checkpoint N."""
    src = f"read_parquet('{_sql_path(trace)}')"
    per_rel = dict(con.execute(f"SELECT rel, count(*) FROM {src} GROUP BY rel").fetchall())
    con.execute(f"CREATE TEMP TABLE dc_firsts AS SELECT person, m[1] AS f, m[2] AS s FROM "
                f"(SELECT person, min(rel, 2) AS m FROM {src} GROUP BY person)")  # fmt: skip
    # a person twice in one release has s = f: their second *release* is looked up exactly
    con.execute(f"UPDATE dc_firsts SET s = d.s FROM (SELECT t.person, min(t.rel) AS s FROM {src} t JOIN "
                "(SELECT person, f FROM dc_firsts WHERE s = f) x ON t.person = x.person AND t.rel > x.f "
                "GROUP BY t.person) d WHERE dc_firsts.person = d.person")  # fmt: skip
    con.execute("UPDATE dc_firsts SET s = NULL WHERE s = f")
    marks = checkpoints(len(keys)) if growth else [len(keys)]
    sums = ", ".join(f"count(*) FILTER (WHERE f < {n}), count(*) FILTER (WHERE s < {n})" for n in marks)
    row = con.execute(f"SELECT {sums} FROM dc_firsts").fetchall()[0]
    rows = 0
    for j, n in enumerate(marks):
        rows = sum(int(per_rel.get(i, 0)) for i in range(n))
        people, traceable = int(row[2 * j]), int(row[2 * j + 1])
        result.growth.append(SeriesGrowth(releases=n, last_key=keys[n - 1], rows=rows, people=people,
                                          traceable=traceable, traceable_share=traceable / people if people else 0.0))  # fmt: skip
    last = result.growth[-1]
    result.rows, result.people, result.traceable, result.traceable_share = (
        last.rows, last.people, last.traceable, last.traceable_share)  # fmt: skip
    if not growth:
        result.growth = []


def _trace_unicity(trace: Path, result: SeriesResult, keys: list[str], *, max_points: int, sample_people: int,
                   seed: int, growth: bool) -> None:  # fmt: skip
    """Unicity over all linked snapshots, then ε at p = min(N, max_points) for each checkpoint N."""
    total = len(keys)
    result.unicity = unicity(_trace_table(trace, total), "person", "t", place="profile",
                             points=tuple(range(1, min(total, max_points) + 1)), time_granularity="day",
                             sample_people=sample_people, seed=seed)  # fmt: skip
    for g in result.growth:
        p = min(g.releases, max_points)
        if g.releases == total:
            u = result.unicity
        else:
            u = unicity(_trace_table(trace, g.releases), "person", "t", place="profile", points=(p,),
                        time_granularity="day", sample_people=sample_people, seed=seed)  # fmt: skip
        point = next(x for x in u.points if x.p == p)
        g.p, g.epsilon, g.ci_low, g.ci_high = p, point.epsilon, point.ci_low, point.ci_high


def _trace_table(trace: Path, releases: int) -> Table:
    """The compact trace of the first ``releases`` releases, as a Table DuckDB scans directly."""
    schema = pa.schema([("person", pa.uint64()), ("t", pa.int64()), ("profile", pa.uint64())])

    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from pq.ParquetFile(trace).iter_batches()

    scan = (f"(SELECT person, rel::BIGINT * 86400 AS t, profile FROM read_parquet('{_sql_path(trace)}') "
            f"WHERE rel < {int(releases)})")  # fmt: skip
    return Table(name="linked snapshots", schema=schema, open_batches=open_batches, source="trace",
                 format="parquet", duckdb_scan=scan)  # fmt: skip


# ------------------------------------------------------------------------------------------ verdict


def series_checks(result: SeriesResult, max_unicity: float) -> list[Check]:
    """R17: the releases judged together."""
    if result.link is None and not result.exact_match_qi:
        return [Check(rule="R17", subject="release series", status="pass",
                      message=f"{result.releases} releases: no column links them")]  # fmt: skip
    worst = max((p for p in (result.unicity.points if result.unicity else []) if p.eligible),
                key=lambda p: p.epsilon, default=None)  # fmt: skip
    linked = (f"{result.releases} releases joined by {result.link!r}: {result.traceable:,} of {result.people:,} "
              f"people traceable across releases ({result.traceable_share:.0%})")  # fmt: skip
    if worst is None:
        return [Check(rule="R17", subject="release series", status="warn",
                      message=f"{linked}; unicity could not be measured (too few snapshots per person)")]  # fmt: skip
    status: Status = "fail" if worst.epsilon > max_unicity else "warn"
    return [Check(rule="R17", subject="release series", status=status,
                  message=f"{linked}; {worst.p} linked snapshot(s) single out {worst.epsilon:.0%} of sampled people "
                          f"(limit {max_unicity:.0%})")]  # fmt: skip


# ------------------------------------------------------------------------------------------ helpers


def default_profile(stats: list[SeriesColumn], link: str, key_column: str | None) -> list[str]:
    """Every column but identifiers (near-unique), constants within a release and the release key."""
    return [s.column for s in stats
            if s.column not in (link, key_column) and s.unique_share < LINK_UNIQUE and not is_constant(s)]  # fmt: skip


def is_constant(s: SeriesColumn) -> bool:
    return s.unique_share == 0.0


def spread(n: int, most: int) -> list[int]:
    """Up to ``most`` release numbers spread from the first to the last."""
    if n <= most:
        return list(range(n))
    return sorted({round(i * (n - 1) / (most - 1)) for i in range(most)})


def checkpoints(n: int) -> list[int]:
    return sorted({c for c in CHECKPOINTS if c < n} | {n})


def check_names(names: list[str], columns: list[str], what: str) -> None:
    for name in names:
        if name not in columns:
            raise ColumnError(name, columns, what)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _first_line(err: Exception) -> str:
    return str(err).splitlines()[0][:160] if str(err) else type(err).__name__
