"""The release-series measure (R17) on Spark: the same four steps as :mod:`datacustoms.risk.series`.

Spark reads every release, counts and groups; the driver only ever holds what is bounded by the
sample or the number of releases (per-release counts, the sampled people, the points chosen for
them), never a whole column. The figures are the embedded engine's, exactly:

* the compact trace ``(person, release, snapshot)`` is hashed by the *same* function as the
  embedded engine's (DuckDB's ``hash``), run on each Arrow batch inside ``mapInArrow`` with the
  column types DuckDB reads the files as (CSV text is cast as DuckDB's sniffer types it), so the
  same people are sampled and the same points drawn for them;
* traceable people after N releases: one ``groupBy(person)`` with, per checkpoint N, the latest
  release before N — a person is traceable when it differs from their first release;
* unicity: the sample is the first ``sample_people`` people by ``hash(person, seed)``; each one's
  points are ranked by ``hash(sid, day, snapshot, NULL, seed)`` as
  :func:`datacustoms.risk.unicity.unicity` ranks them; who else holds a person's first p points:
  the trace joined against the *distinct* chosen points (a broadcast table; at most one match per
  trace row), tagged with the buckets of sampled people that chose them, so a point's holders
  travel once per bucket; each bucket runs the embedded engine's intersection on its people.

The column statistics that pick the link and the quasi-identifiers are exact distinct counts in
both engines (a sketch's few-percent error could pick another link). Unsigned 64-bit hashes travel through Spark (which has no unsigned type) shifted by 2⁶³, which
keeps their order and equality.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterator, Sequence
from functools import reduce
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from datacustoms.errors import InputError
from datacustoms.io.series import ReleaseSeries
from datacustoms.model.risk import UnicityResult
from datacustoms.model.series import SeriesColumn, SeriesGrowth, SeriesResult
from datacustoms.risk.series import (
    LINK_RECURRING,
    LINK_UNIQUE,
    STABLE,
    check_names,
    check_options,
    checkpoints,
    choose_link,
    default_profile,
    describe_columns,
    is_constant,
    series_checks,
    spread,
)
from datacustoms.risk.unicity import _first_unique as unicity_first_unique
from datacustoms.risk.unicity import _points, _time_expr

_SHIFT = "9223372036854775808"  # 2**63: UBIGINT <-> BIGINT, order kept
Kernel = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]


def spark_series(
    series: ReleaseSeries,
    spark: Any,
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
    """Measure ``series`` on ``spark`` as :func:`datacustoms.risk.series.analyse_series` does."""
    check_options(max_points, sample_people)
    types = describe_columns(series)
    columns = list(types)
    src, keys = _releases(spark, series, columns)
    if not keys:
        raise InputError(f"{series.source} holds no release", "check the folder or the pattern")
    measured_rel = spread(len(keys), measured)
    sub = _measured(spark, series, src, keys, measured_rel, columns)
    stats = _column_stats(sub, columns, series.key_column, len(measured_rel))
    chosen = choose_link(stats, link, columns)
    if chosen is not None:
        _stable_shares(sub, stats, chosen)
    qi = [s.column for s in stats if s.column != chosen and (s.stable_share or 0) >= STABLE
          and s.unique_share < LINK_UNIQUE and not is_constant(s)]  # fmt: skip
    result = SeriesResult(
        source=series.source, releases=len(keys), release_key=series.key_origin, first_key=keys[0],
        last_key=keys[-1], rows=0, measured_releases=[keys[i] for i in measured_rel], columns=stats,
        link=chosen, exact_match_qi=qi, notes=[*series.notes, f"engine: spark ({spark.sparkContext.master})"],
        exact_match_unique_share=_combined_unique(sub, qi) if qi else None,
    )  # fmt: skip
    if chosen is None:
        result.notes.append("no column links the releases: each release stands alone for the recipient")
        result.rows = int(src.count())
        result.checks = series_checks(result, max_unicity)
        return result
    result.profile = profile if profile is not None else default_profile(stats, chosen, series.key_column)
    check_names(result.profile, columns, "profile column")
    trace = _trace(src, chosen, result.profile, types).persist()
    people = None
    try:
        people = _traceability(trace, keys, result, growth, seed)
        _trace_unicity(trace, people, result, keys, max_points=max_points, sample_people=sample_people, seed=seed)
    finally:
        if people is not None:
            people.unpersist()
        trace.unpersist()
    result.checks = series_checks(result, max_unicity)
    return result


# ------------------------------------------------------------------------------------------ reading


def _col(name: str) -> Any:
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def _load(spark: Any, series: ReleaseSeries, files: Sequence[Any]) -> Any:
    """The files as one DataFrame (CSV as text, as DuckDB's cast will type it) with ``__path``."""
    from pyspark.sql import functions as F

    reader = spark.read
    if series.format == "csv":
        reader = reader.option("header", "true").option("inferSchema", "false")
    try:
        df = reader.format(series.format).load([str(f.path) for f in files])
    except Exception as err:
        first = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise InputError(f"Spark cannot read the series {series.source} ({first})", "check the files") from None
    path = F.regexp_replace(F.expr("url_decode(_metadata.file_path)"), "^file:/*", "/")
    return df.withColumn("__path", path)


def _releases(spark: Any, series: ReleaseSeries, columns: list[str]) -> tuple[Any, list[str]]:
    """Every row with its release number ``__rel`` (0-based, keys in order), and the keys."""
    from pyspark.sql import functions as F

    df = _load(spark, series, series.files)
    if series.key_column is not None:
        check_names([series.key_column], columns, "release key column")
        key = _col(series.key_column).cast("string")
        found = df.select(key.alias("k")).where(F.col("k").isNotNull()).distinct().collect()  # one row a release
        keys = sorted(str(r[0]) for r in found)
        table = spark.createDataFrame([(k, i) for i, k in enumerate(keys)], "__k string, __rel int")
        return df.join(F.broadcast(table), key == F.col("__k")).drop("__k", "__path"), keys
    keys = series.keys
    rel = {k: i for i, k in enumerate(keys)}
    files = spark.createDataFrame([(str(f.path.resolve()), rel[f.key]) for f in series.files],
                                  "__path string, __rel int")  # fmt: skip
    return df.join(F.broadcast(files), "__path").drop("__path"), keys


def _measured(spark: Any, series: ReleaseSeries, src: Any, keys: list[str], measured: list[int],
              columns: list[str]) -> Any:  # fmt: skip
    """The measured releases only (only their files are read when keys come from the files)."""
    from pyspark.sql import functions as F

    if series.key_column is not None:
        return src.where(F.col("__rel").isin(measured))
    wanted = {keys[i] for i in measured}
    files = [f for f in series.files if f.key in wanted]
    rel = {k: i for i, k in enumerate(keys)}
    table = spark.createDataFrame([(str(f.path.resolve()), rel[f.key]) for f in files], "__path string, __rel int")
    return _load(spark, series, files).join(F.broadcast(table), "__path").drop("__path")


# ------------------------------------------------------------------------------------------ columns


def _column_stats(sub: Any, columns: list[str], key_column: str | None, measured: int) -> list[SeriesColumn]:
    """Per column: mean within-release distinct share; for near-unique ones, the recurring share."""
    from pyspark.sql import functions as F

    aggs = [F.count_distinct(_col(c)).alias(f"d{i}") for i, c in enumerate(columns)]
    rows = [tuple(r) for r in sub.groupBy("__rel").agg(F.count(F.lit(1)).alias("n"), *aggs).drop("__rel").collect()]
    stats = []
    for i, column in enumerate(columns):
        shares = [min(1.0, r[i + 1] / r[0]) if r[0] else 0.0 for r in rows]
        one = all(r[i + 1] <= 1 for r in rows)
        stats.append(SeriesColumn(column=column, unique_share=0.0 if one else sum(shares) / max(len(shares), 1),
                                  links=False))  # fmt: skip
    near = [s for s in stats if s.column != key_column and s.unique_share >= LINK_UNIQUE and measured >= 2]
    _recurring_shares(sub, near)
    return stats


def _recurring_shares(sub: Any, near: list[SeriesColumn]) -> None:
    """Per near-unique column, the share of its values seen in two or more measured releases: one
    job per Spark type among them (the columns' values unioned, so equality stays the type's own)."""
    from pyspark.sql import functions as F

    types = dict(sub.dtypes)
    for kind in dict.fromkeys(types[s.column] for s in near):
        group = [s for s in near if types[s.column] == kind]
        values = [sub.select(F.lit(i).alias("i"), _col(s.column).alias("v"), "__rel").where(F.col("v").isNotNull())
                  for i, s in enumerate(group)]  # fmt: skip
        per_value = reduce(lambda a, b: a.union(b), values).groupBy("i", "v").agg(
            (F.min("__rel") < F.max("__rel")).alias("n"))  # fmt: skip
        found = {int(r[0]): (int(r[1]), int(r[2] or 0))
                 for r in per_value.groupBy("i").agg(F.count(F.lit(1)), F.sum(F.col("n").cast("long"))).collect()}  # fmt: skip
        for i, s in enumerate(group):
            total, recurring = found.get(i, (0, 0))
            s.recurring_share = recurring / total if total else 0.0
            s.links = s.recurring_share >= LINK_RECURRING


def _stable_shares(sub: Any, stats: list[SeriesColumn], link: str) -> None:
    """Share of people (seen in two or more measured releases) whose value never changes."""
    from pyspark.sql import functions as F

    others = [s for s in stats if s.column != link]
    if not others:
        return
    # min = max of a 64-bit hash: one value per person (a null is a value, as in DuckDB's hash)
    same = [(F.min(F.xxhash64(_col(s.column))) == F.max(F.xxhash64(_col(s.column)))).alias(f"s{i}")
            for i, s in enumerate(others)]  # fmt: skip
    people = (sub.where(_col(link).isNotNull()).groupBy(F.xxhash64(_col(link)))
              .agg((F.min("__rel") < F.max("__rel")).alias("m"), *same).where("m"))  # fmt: skip
    row = people.agg(F.count(F.lit(1)), *[F.avg(F.col(f"s{i}").cast("double")) for i in range(len(others))]).collect()[0]
    if not row[0]:
        return
    for i, s in enumerate(others):
        s.stable_share = float(row[i + 1]) if row[i + 1] is not None else None


def _combined_unique(sub: Any, qi: list[str]) -> float:
    from pyspark.sql import functions as F

    combos = F.count_distinct(F.struct(*[_col(c) for c in qi]))  # a null is a value, as in DuckDB's hash
    rows = sub.groupBy("__rel").agg(F.count(F.lit(1)), combos).collect()  # one row a measured release
    shares = [min(1.0, r[2] / r[1]) for r in rows if r[1]]
    return sum(shares) / len(shares) if shares else 0.0


# ------------------------------------------------------------------------------------------ kernels


def duckdb_kernel(sql: str, schema: pa.Schema) -> Kernel:
    """Executor side: ``sql`` (over the batch as ``b``) run by a one-thread DuckDB on each Arrow batch."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        con = duckdb.connect(":memory:")
        try:
            con.execute("SET threads = 1")
            for batch in batches:
                con.register("b", pa.Table.from_batches([batch]))
                out = con.sql(sql).to_arrow_table().cast(schema)
                con.unregister("b")
                yield from out.to_batches()
        finally:
            con.close()

    return run


def _map(df: Any, sql: str, fields: Sequence[tuple[str, pa.DataType]]) -> Any:
    from datacustoms.io.spark import spark_schema

    schema = pa.schema(list(fields))
    return df.mapInArrow(duckdb_kernel(sql, schema), spark_schema(schema))


def _shifted(expr: str) -> str:
    """A UBIGINT expression as an order-keeping BIGINT (what Spark can carry)."""
    return f"CAST(CAST({expr} AS HUGEINT) - {_SHIFT} AS BIGINT)"


def _unshifted(column: str) -> str:
    return f"CAST(CAST({column} AS HUGEINT) + {_SHIFT} AS UBIGINT)"


def _trace(src: Any, link: str, profile: list[str], types: dict[str, str]) -> Any:
    """``(person, rel, profile)`` per row with a link: DuckDB's hashes of the DuckDB-typed values."""
    from pyspark.sql import functions as F

    cols = [_col(link).alias("l"), F.col("__rel").alias("rel"), *[_col(c).alias(f"p{i}") for i, c in enumerate(profile)]]
    snap = (f"hash({', '.join(f'TRY_CAST(p{i} AS {types[c]})' for i, c in enumerate(profile))})" if profile
            else "0::UBIGINT")  # fmt: skip
    sql = (f"SELECT {_shifted(f'hash(TRY_CAST(l AS {types[link]}))')} AS person, CAST(rel AS INTEGER) AS rel, "
           f"{_shifted(snap)} AS profile FROM b")  # fmt: skip
    return _map(src.where(_col(link).isNotNull()).select(*cols), sql,
                [("person", pa.int64()), ("rel", pa.int32()), ("profile", pa.int64())])  # fmt: skip


# ------------------------------------------------------------------------------------------ traceability


def _traceability(trace: Any, keys: list[str], result: SeriesResult, growth: bool, seed: int) -> Any:
    """People and traceable people after the first N releases, for each checkpoint N; returns
    every person with their first release ``f`` and sampling hash ``h`` (persisted)."""
    from pyspark.sql import functions as F

    per_rel = {int(r[0]): int(r[1]) for r in trace.groupBy("rel").count().collect()}  # one row a release
    marks = checkpoints(len(keys)) if growth else [len(keys)]
    rel = F.col("rel")
    aggs = trace.groupBy("person").agg(F.min(rel).alias("f"),
                                       *[F.max(F.when(rel < n, rel)).alias(f"m{j}") for j, n in enumerate(marks)])  # fmt: skip
    person_hash = _shifted(f"hash({_unshifted('person')}, {int(seed)})")
    fields = [("person", pa.int64()), ("f", pa.int32()), *[(f"m{j}", pa.int32()) for j in range(len(marks))]]
    people = _map(aggs, f"SELECT *, {person_hash} AS h FROM b", [*fields, ("h", pa.int64())]).persist()
    sums = []
    for j, n in enumerate(marks):
        seen = F.col("f") < n
        sums += [F.sum(seen.cast("long")), F.sum((seen & (F.col(f"m{j}") > F.col("f"))).cast("long"))]
    row = people.agg(*sums).collect()[0]
    for j, n in enumerate(marks):
        rows = sum(per_rel.get(i, 0) for i in range(n))
        count, traceable = int(row[2 * j] or 0), int(row[2 * j + 1] or 0)
        result.growth.append(SeriesGrowth(releases=n, last_key=keys[n - 1], rows=rows, people=count,
                                          traceable=traceable, traceable_share=traceable / count if count else 0.0))  # fmt: skip
    last = result.growth[-1]
    result.rows, result.people, result.traceable, result.traceable_share = (
        last.rows, last.people, last.traceable, last.traceable_share)  # fmt: skip
    if not growth:
        result.growth = []
    return people


# ------------------------------------------------------------------------------------------ unicity


def _trace_unicity(trace: Any, people: Any, result: SeriesResult, keys: list[str], *, max_points: int,
                   sample_people: int, seed: int) -> None:  # fmt: skip
    """Unicity over all linked snapshots, then ε at p = min(N, max_points) for each checkpoint N.

    Each is :func:`datacustoms.risk.unicity.unicity` of the first N releases of the trace (point =
    day × snapshot), with the same sample and draws; all checkpoints share three Spark jobs.
    """
    total = len(keys)
    counts = {g.releases: (g.people, g.rows) for g in result.growth}
    counts[total] = (result.people, result.rows)
    caps = {n: min(n, max_points) for n in counts}
    sample = _sample(people, sorted(caps), sample_people)
    head = _heads(trace, sample, caps, seed)
    firsts = _first_unique(trace, head, caps)
    found: dict[int, UnicityResult] = {}
    for n, (count, rows) in counts.items():
        ps = range(1, caps[n] + 1) if n == total else (caps[n],)
        mine = head.filter(pc.equal(head.column("n"), n))
        npts = np.asarray(mine.filter(pc.equal(mine.column("rn"), 1)).column("npts"), dtype=np.int64)
        found[n] = UnicityResult(
            people=count, events=rows, sampled=len(npts), time_granularity="day", place="profile", amount=None,
            amount_bins=None, median_points=float(statistics.median(npts)) if len(npts) else 0.0,
            confidence=0.95, seed=seed, points=_points(firsts.get(n, np.empty(0, np.int64)), sorted(ps),
                                                       int(np.count_nonzero(npts >= caps[n])), 0.95),
        )  # fmt: skip
    result.unicity = found[total]
    for g in result.growth:
        point = next(x for x in found[g.releases].points if x.p == caps[g.releases])
        g.p, g.epsilon, g.ci_low, g.ci_high = point.p, point.epsilon, point.ci_low, point.ci_high


def _sample(people: Any, marks: list[int], sample_people: int) -> Any:
    """Per checkpoint N, the first ``sample_people`` people seen before N by ``hash(person, seed)``,
    numbered ``sid`` in that order: ``(n, person, sid)``, one Spark job (a top-k per checkpoint)."""
    from pyspark.sql import functions as F

    spark = people.sparkSession
    tops = [people.where(F.col("f") < n).orderBy("h", "person").limit(int(sample_people))
            .select(F.lit(n).cast("int").alias("n"), "person", "h") for n in marks]  # fmt: skip
    got = reduce(lambda a, b: a.unionByName(b), tops).toArrow()  # ≤ sample × checkpoints rows
    n, person, h = (np.asarray(got.column(c), dtype=np.int64) for c in ("n", "person", "h"))
    order = np.lexsort((person, h, n))
    n, person = n[order], person[order]
    starts = np.searchsorted(n, n, side="left")
    sid = np.arange(len(n)) - starts + 1
    table = pa.table({"n": pa.array(n, pa.int32()), "person": person, "sid": pa.array(sid, pa.int32())})
    return F.broadcast(spark.createDataFrame(table))


def _heads(trace: Any, sample: Any, caps: dict[int, int], seed: int) -> pa.Table:
    """Per checkpoint N and sampled person, their first ``caps[N]`` distinct points before N, ranked
    as the embedded engine ranks them, with how many they hold: ``(n, sid, rn, rel, profile, npts)``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    points = trace.join(sample, "person").where(F.col("rel") < F.col("n")).select("n", "sid", "rel", "profile")
    tb = _time_expr("t", pa.int64(), "day")
    point_hash = _shifted(f"hash(CAST(sid AS INTEGER), {tb}, pl, NULL::INTEGER, {int(seed)})")
    sql = (f"SELECT n, sid, rel, profile, {point_hash} "
           f"AS h FROM (SELECT *, CAST(rel AS BIGINT) * 86400 AS t, {_unshifted('profile')} AS pl FROM b)")  # fmt: skip
    hashed = _map(points.distinct(), sql, [("n", pa.int32()), ("sid", pa.int32()), ("rel", pa.int32()),
                                           ("profile", pa.int64()), ("h", pa.int64())])  # fmt: skip
    by_sid = Window.partitionBy("n", "sid")
    cap = F.least(F.col("n"), F.lit(max(caps.values())))  # caps[N] = min(N, max_points), N ≤ the last N
    ranked = (hashed.withColumn("rn", F.row_number().over(by_sid.orderBy("h", "rel", "profile")))
              .withColumn("npts", F.count(F.lit(1)).over(by_sid)))  # fmt: skip
    return ranked.where(F.col("rn") <= cap).select("n", "sid", "rn", "rel", "profile", "npts").toArrow()


def _first_unique(trace: Any, head: pa.Table, caps: dict[int, int]) -> dict[int, np.ndarray]:
    """Per checkpoint N, per eligible sampled person (one holding at least ``caps[N]`` points), the
    smallest p at which only they hold their first p points (``caps[N] + 1``: never).

    The sampled people are split into as many buckets as Spark has cores. The trace is joined
    against the distinct chosen points, each tagged with the buckets whose people chose it (a small
    broadcast table; a point of release r is held in the first N releases only when r < N, so one
    join serves every checkpoint): a point's holders travel once per bucket that needs them, not
    once per person who chose it (a common point is chosen by many). Each bucket then runs the
    embedded engine's intersection (:func:`datacustoms.risk.unicity._first_unique`) on its people.
    """
    from pyspark.sql import functions as F

    cap = np.vectorize(caps.__getitem__, otypes=[np.int64])
    narr = np.asarray(head.column("n"), dtype=np.int64)
    chosen = head.filter(pa.array(np.asarray(head.column("npts")) >= cap(narr))) if len(narr) else head
    if chosen.num_rows == 0:
        return {}
    spark = trace.sparkSession
    buckets = max(1, int(spark.sparkContext.defaultParallelism))
    keys = np.stack([np.asarray(chosen.column(c), dtype=np.int64) for c in ("rel", "profile")], axis=1)
    points, pid = np.unique(keys, axis=0, return_inverse=True)
    n, sid, rn = (np.asarray(chosen.column(c), dtype=np.int64) for c in ("n", "sid", "rn"))
    order = np.lexsort((rn, sid, n))
    n, sid, pid = n[order], sid[order], pid.reshape(-1)[order].astype(np.int64)
    wanted = np.unique(np.stack([pid, sid % buckets], axis=1), axis=0)  # (point, bucket) pairs
    table = pa.table({"rel": pa.array(points[wanted[:, 0], 0], pa.int32()), "profile": points[wanted[:, 0], 1],
                      "pid": pa.array(wanted[:, 0], pa.int32()), "bucket": pa.array(wanted[:, 1], pa.int32())})  # fmt: skip
    matched = trace.join(F.broadcast(spark.createDataFrame(table)), ["rel", "profile"]).select("bucket", "pid", "person")
    kernel = _bucket_kernel(n, sid, pid, cap(n), buckets)
    got = matched.groupBy("bucket").applyInArrow(kernel, "n int, first int").toArrow()
    gn, first = np.asarray(got.column("n"), dtype=np.int64), np.asarray(got.column("first"), dtype=np.int64)
    return {int(k): first[gn == k] for k in np.unique(gn)}


def _bucket_kernel(n: np.ndarray, sid: np.ndarray, pid: np.ndarray, cap: np.ndarray,
                   buckets: int) -> Callable[[pa.Table], pa.Table]:  # fmt: skip
    """Executor side: one bucket's holders ``(bucket, pid, person)`` → ``(n, first)`` for its people."""

    def run(holders: pa.Table) -> pa.Table:
        mine = sid % buckets == int(holders.column("bucket")[0].as_py())
        people, idx = np.unique(np.asarray(holders.column("person"), dtype=np.int64), return_inverse=True)
        size = len(people)
        held = np.unique(np.asarray(holders.column("pid"), dtype=np.int64) * size + idx.reshape(-1))  # sorted
        out_n, out_first = [], []
        for k in np.unique(n[mine]):
            sel = mine & (n == k)
            first = unicity_first_unique(held // size, held % size, sid[sel], pid[sel], people=size,
                                         max_p=int(cap[sel][0]))  # fmt: skip
            out_n.append(np.full(len(first), k, dtype=np.int32))
            out_first.append(first.astype(np.int32))
        return pa.table({"n": pa.array(np.concatenate(out_n) if out_n else np.empty(0, np.int32)),
                         "first": pa.array(np.concatenate(out_first) if out_first else np.empty(0, np.int32))})  # fmt: skip

    return run
