"""Large mask searches on Spark's executors (the :class:`~datacustoms.attack.hashes.farm.MaskFarm`
of the Spark engine).

The driver writes the current shard of the distinct digests to a file once and ships it with
``SparkContext.addFile`` (every executor fetches it from the driver), or, where
``spark.datacustoms.sharedDir`` names a folder every machine mounts, writes it there and the
tasks map it from there; each task searches slices of the keyspace against the whole shard on
one core (:mod:`datacustoms.engines.spark_search_task`). Tasks run a wave at a time, as many as
Spark runs at once, so the hits come back in order, the driver's memory holds one wave's hits,
and the runner can stop at its deadline between waves.

Whether to farm: ``spark.datacustoms.enumerate`` (``--spark-conf``) is ``executors``, ``driver``
or ``auto`` (the default: executors unless the master is local, whose executors are this
machine's own cores, which the driver's search already uses).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
import weakref
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from datacustoms.attack.hashes.farm import SLICE_HITS, Unit, UnitHits
from datacustoms.engines.spark_commit import raise_job_error
from datacustoms.engines.spark_search_task import task
from datacustoms.errors import DatacustomsError, UsageError
from datacustoms.io.spark import shared_folder

#: the Spark setting that chooses where large masks are enumerated
ENUMERATE_CONF = "spark.datacustoms.enumerate"
#: what farming a mask costs beyond its hashing: shipping the digests, each Python worker
#: building its lookup tables, the Spark jobs (measured as about 10 s for 9.5 M digests, 8 tasks
#: on 2 cores: docs/scaling.md, "Enumerating a keyspace")
OVERHEAD_S = 10.0
#: with ``executors`` asked for, masks of fewer candidates still stay on the driver
FORCED_MIN = 1 << 20
#: slices of a mask per task slot (each a wave of its own, between which the deadline is checked)
SLICES_PER_SLOT = 4


def enumerate_choice(spark: Any) -> str:
    """``spark``'s :data:`ENUMERATE_CONF`: auto, executors or driver (anything else: a usage error)."""
    choice = (spark.conf.get(ENUMERATE_CONF, "auto") or "auto").strip().lower()
    if choice not in ("auto", "executors", "driver"):
        raise UsageError(
            f"{ENUMERATE_CONF} must be auto, executors or driver, not {choice!r}",
            f"pass --spark-conf {ENUMERATE_CONF}=executors (or driver, or auto)",
        )
    return str(choice)


def farm_for(spark: Any) -> SparkMaskFarm | None:
    """The farm ``spark``'s setting asks for, or None when masks stay on the driver."""
    choice = enumerate_choice(spark)
    local = str(spark.sparkContext.master).startswith("local")
    if choice == "driver" or (choice == "auto" and local):
        return None
    return SparkMaskFarm(spark, forced=choice == "executors")


class SparkMaskFarm:
    """Searches mask slices in Spark tasks, a wave of task slots at a time.

    A mask goes to the executors when that ends sooner (:meth:`worth`): on the driver it takes
    K / (r·d) for K candidates at r per core on d cores, on E executor cores K / (r·E) + O with
    the overhead O (:data:`OVERHEAD_S`), so only when K > O·r / (1/d − 1/E). With ``forced``
    (``spark.datacustoms.enumerate=executors``) every mask of :data:`FORCED_MIN` or more does.
    """

    def __init__(self, spark: Any, slots: int | None = None, *, forced: bool = False) -> None:
        self.spark = spark
        self.slots = max(1, slots or int(spark.sparkContext.defaultParallelism))
        self.forced = forced
        self._shipped: dict[int, tuple[weakref.ref[np.ndarray], str]] = {}
        self._folder = ""  # made with the first shard: in the shared folder, if the session names one
        self._shared = False  # shards in a folder every executor mounts: no addFile

    def worth(self, candidates: int, local_rate: float) -> bool:
        if self.forced:
            return candidates >= FORCED_MIN
        driver = os.cpu_count() or 1
        if self.slots <= driver or local_rate <= 0:
            return False
        per_core = local_rate / driver
        return candidates > OVERHEAD_S * per_core / (1 / driver - 1 / self.slots)

    def pieces(self, candidates: int, digests: int) -> int:
        """4 slices a task slot, none under 2^20 candidates; where the digests outnumber
        :data:`SLICE_HITS`, as many as it takes for no slice to hold more candidates than that
        (a candidate is at most one hit)."""
        most = max(1, min(self.slots * SLICES_PER_SLOT, candidates // (1 << 20)))
        return most if digests <= SLICE_HITS else max(most, -(-candidates // SLICE_HITS))

    def search(
        self, tasks: Sequence[Sequence[Unit]], digests: np.ndarray, algorithm: str, rounds: int
    ) -> Iterator[list[UnitHits]]:
        size = int(digests.shape[1])
        name = self._ship(digests)
        sc = self.spark.sparkContext
        units = [u for t in tasks for u in t]
        numbered: list[list[tuple[int, Unit]]] = []  # each task's units with their place in ``units``
        first = 0
        for t in tasks:
            numbered.append(list(enumerate(t, start=first)))
            first += len(t)
        for lo in range(0, len(numbered), self.slots):  # one Spark job a wave: one task per slot
            wave = numbered[lo : lo + self.slots]
            rdd = sc.parallelize(wave, len(wave))  # one task's units a partition
            try:
                raw = rdd.mapPartitions(task(name, size, algorithm, rounds)).collect()
            except DatacustomsError:
                raise
            except Exception as err:  # Py4JJavaError, a lost executor …
                raise_job_error(err, "searching masks on the executors", "no hits were recorded from this wave")
            yield [_unit_hits(units[k], size, rest) for k, *rest in sorted(raw, key=lambda r: r[0])]

    def _ship(self, digests: np.ndarray) -> str:
        """What tasks read ``digests`` from, written once per array: the file's path in the shared
        folder, or its name among the files added to Spark."""
        if not self._folder:
            shared = shared_folder(self.spark)
            self._shared = shared is not None
            self._folder = tempfile.mkdtemp(prefix="datacustoms-shards-", dir=shared)
            weakref.finalize(self, _remove_folder, self._folder)
        key = id(digests)
        known = self._shipped.get(key)
        if known is not None and known[0]() is digests:
            return known[1]
        for old in list(self._shipped)[: max(0, len(self._shipped) - 1)]:  # an earlier shard's file
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self._folder, os.path.basename(self._shipped.pop(old)[1])))
        name = f"dc-shard-{uuid.uuid4().hex}.bin"
        path = os.path.join(self._folder, name)
        tmp = path + ".part"
        np.ascontiguousarray(digests).tofile(tmp)
        os.replace(tmp, path)
        if self._shared:
            name = path
        else:
            self.spark.sparkContext.addFile(path)
        self._shipped[key] = (weakref.ref(digests), name)
        return name


def _unit_hits(unit: Unit, size: int, rest: list[Any]) -> UnitHits:
    indices_b, digests_b, rows_b = rest
    digests = np.frombuffer(digests_b, np.uint8).reshape(-1, size)
    return UnitHits(unit, np.frombuffer(indices_b, np.int64), digests, np.frombuffer(rows_b, np.int64))


def _remove_folder(folder: str) -> None:
    for entry in os.scandir(folder):
        os.unlink(entry.path)
    os.rmdir(folder)
