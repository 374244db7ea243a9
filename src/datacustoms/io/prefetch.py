"""Read Arrow batches on a background thread so that reading overlaps the work done on them.

Parquet and CSV decoding release the GIL, so on two cores the next batch is decoded while the
current one is hashed, coded or written. Used by protection (read → protect → write) and by the
risk profile's numpy path (read → code).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pyarrow as pa


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_DONE = object()


def prefetch(batches: Iterator[pa.RecordBatch], depth: int = 4) -> Iterator[pa.RecordBatch]:
    """Read ``batches`` on a background thread, at most ``depth`` ahead, so reading overlaps writing.

    Errors raised while reading are re-raised here, in order. When the consumer stops early, the
    reader is told to stop and nothing more is read.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for batch in batches:
                if not put(batch):
                    return
            put(_DONE)
        except BaseException as err:  # handed to the consumer, raised there
            put(_Failure(err))

    reader = threading.Thread(target=run, name="read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        reader.join(timeout=10)
