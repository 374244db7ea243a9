"""Handing jobs to several workers through Redis (``serve --queue redis://host:6379/0``).

The database stays the record of every job's state; the queue only says which job to look at
next, so it can neither lose nor double a transfer:

* submitting inserts the row (state ``queued``) and then pushes ``transfer:<id>``; if the push
  fails (Redis down) the row is still queued and :meth:`RedisQueue.reconcile` pushes it later;
* a worker moves an item atomically from the shared list into its own ``working`` list
  (``LMOVE``/``BLMOVE``: an item is never in neither), claims the row with the guarded UPDATE
  (``queued → running``, so a duplicate item finds nothing to claim), runs it, and only then
  removes the item from its working list;
* a worker killed mid-job leaves the item in its working list and the row ``running`` with a
  lease that runs out; the lease-based recovery (:mod:`datacustoms.service.jobs`) decides from
  the ledger whether to adopt the recorded result or queue the job again, and then drops the dead
  worker's item and pushes the job again when it was re-queued.

Without ``--queue`` the workers poll the database (SQLite in one process, or PostgreSQL shared by
several). Needs the ``queue`` extra: ``pip install 'datacustoms[queue]'``.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import sqlalchemy as sa

from datacustoms.errors import MissingDependency, UsageError

log = logging.getLogger("datacustoms.service")

KINDS = ("transfer", "inspection")
DEFAULT_PREFIX = "datacustoms"  #: the Redis keys' prefix unless ``serve --queue-prefix`` names another


def check_queue_url(url: str | None) -> str | None:
    """``None`` (the database is the queue) or a ``redis://``/``rediss://`` URL, checked before anything starts."""
    if url is None or url in ("", "database"):
        return None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--queue must be 'database' or a redis:// URL, not {url.split('://')[0]!r}",
                         "e.g. --queue redis://127.0.0.1:6379/0")
    return url


_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def check_queue_prefix(prefix: str | None, url: str | None) -> str:
    """``--queue-prefix``: the Redis keys' prefix (several services may share one Redis server),
    given only with a Redis queue; the default ``datacustoms`` when not given."""
    if prefix is None:
        return DEFAULT_PREFIX
    if url is None:
        raise UsageError("--queue-prefix names Redis keys: it needs --queue redis://…",
                         "add --queue redis://host:6379/0, or drop --queue-prefix")
    if not _PREFIX.fullmatch(prefix):
        raise UsageError(f"--queue-prefix {prefix[:70]!r} is not 1-64 letters, digits, '.', '_', ':' or '-' "
                         "starting with a letter or digit", "e.g. --queue-prefix datacustoms-eu")
    return prefix


def open_queue(url: str | None, owner: str = "api", name: str = DEFAULT_PREFIX) -> RedisQueue | None:
    """The queue for ``url`` (``None`` when the database is the queue)."""
    url = check_queue_url(url)
    return None if url is None else RedisQueue(url, owner=owner, name=name)


class RedisQueue:
    """A reliable work list in Redis: ``<name>:jobs`` and one ``<name>:working:<owner>`` per worker."""

    def __init__(self, url: str, *, owner: str, name: str = DEFAULT_PREFIX) -> None:
        try:
            import redis
        except ImportError:
            raise MissingDependency("datacustoms serve --queue redis://…", "queue", "redis") from None
        self._redis_errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self.url = url
        self.name = name
        self.owner = owner
        try:
            self.client: Any = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=30)
            self.client.ping()
        except redis.RedisError as err:
            raise UsageError(f"cannot reach the Redis queue at {_safe(url)}: {str(err).splitlines()[0][:120]}",
                             "start Redis or check the URL") from None

    @property
    def jobs_key(self) -> str:
        return f"{self.name}:jobs"

    def working_key(self, owner: str | None = None) -> str:
        return f"{self.name}:working:{owner or self.owner}"

    def for_owner(self, owner: str) -> RedisQueue:
        """The same queue seen by another worker (shares the connection)."""
        other = object.__new__(RedisQueue)
        other.__dict__.update(self.__dict__, owner=owner)
        return other

    def push(self, kind: str, job_id: str) -> bool:
        """Announce a queued job; False (logged) when Redis is unreachable — reconcile pushes it later."""
        try:
            self.client.lpush(self.jobs_key, f"{kind}:{job_id}")
            return True
        except self._redis_errors as err:
            log.warning("queue: could not push %s %s (%s); it will be pushed again", kind, job_id, type(err).__name__)
            return False

    def pop(self, timeout: float = 0.0) -> tuple[str, str] | None:
        """Move the oldest item into this worker's working list and return it (wait up to ``timeout``)."""
        if timeout > 0:
            raw = self.client.blmove(self.jobs_key, self.working_key(), timeout, "RIGHT", "LEFT")
        else:
            raw = self.client.lmove(self.jobs_key, self.working_key(), "RIGHT", "LEFT")
        if raw is None:
            return None
        value = raw.decode() if isinstance(raw, bytes) else str(raw)
        kind, _, job_id = value.partition(":")
        if kind not in KINDS or not job_id:  # not ours: drop it
            self.client.lrem(self.working_key(), 0, value)
            return None
        return kind, job_id

    def ack(self, kind: str, job_id: str, *, owner: str | None = None) -> None:
        """The job's row has moved on: drop its item from a working list (this worker's or a dead one's)."""
        self.client.lrem(self.working_key(owner), 0, f"{kind}:{job_id}")

    def reconcile(self, db: Any, older_than: float) -> int:
        """Push again every queued row not waiting in the list (a failed push, a worker that died
        between its pop and its claim); a duplicate item is harmless. Returns how many were pushed."""
        from datetime import UTC, datetime

        from datacustoms.service.db import inspections_t, transfers_t

        waiting = {v.decode() if isinstance(v, bytes) else v for v in self.client.lrange(self.jobs_key, 0, -1)}
        cutoff = datetime.fromtimestamp(time.time() - older_than, UTC).isoformat(timespec="microseconds")
        pushed = 0
        for kind, table in (("transfer", transfers_t), ("inspection", inspections_t)):
            for row in db.all(sa.select(table.c.id).where(table.c.state == "queued", table.c.updated < cutoff)):
                if f"{kind}:{row['id']}" not in waiting and self.push(kind, row["id"]):
                    pushed += 1
        return pushed

    def close(self) -> None:
        self.client.close()


def _safe(url: str) -> str:
    """The URL without a password."""
    head, sep, tail = url.partition("://")
    if "@" in tail:
        tail = "***@" + tail.split("@", 1)[1]
    return head + sep + tail
