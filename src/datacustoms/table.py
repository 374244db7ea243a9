"""Table: the one shape every source becomes.

A ``Table`` is an Arrow schema plus a *re-iterable* stream of record batches and a bounded random
sample for detection. It never holds a large table in Python objects: each call to
:meth:`Table.batches` opens the source again and streams it. Sources that DuckDB can scan
directly (Parquet, CSV files) also expose ``duckdb_scan`` so group-bys skip Python entirely.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pyarrow as pa

DEFAULT_SAMPLE_ROWS = 20_000
#: rows per batch when a file is read in bounded batches (the Parquet reader, the Spark driver's sample)
BATCH_ROWS = 65_536


class DictionaryOpener(Protocol):
    """Reads text columns as Arrow dictionaries, as the source stores them (Parquet).

    ``columns`` are read (every column when None), the text and binary ones among ``dictionary``
    dictionary-encoded: all of them (a group-by over codes never decodes the text), or with
    ``stored_only`` only those stored dictionary-encoded in every data page (elsewhere Arrow would
    rebuild the dictionary value by value, slower than the plain read). None when that leaves no
    column to read as a dictionary: the caller reads the plain way.
    """

    def __call__(
        self, dictionary: list[str], columns: list[str] | None = None, *, stored_only: bool = False
    ) -> Iterator[pa.RecordBatch] | None: ...


@dataclass
class Table:
    """A named, streamable table.

    ``open_batches`` returns a fresh iterator of record batches each time it is called, so a
    table can be read more than once (detect, then attack, then measure) without being held.
    """

    name: str
    schema: pa.Schema
    open_batches: Callable[[], Iterator[pa.RecordBatch]]
    source: str = "<memory>"
    format: str = "arrow"
    num_rows_hint: int | None = None
    duckdb_scan: str | None = None
    notes: list[str] = field(default_factory=list)
    #: reads only some columns (Parquet, datasets); ``batches(columns)`` uses it when present
    open_columns: Callable[[list[str]], Iterator[pa.RecordBatch]] | None = None
    #: text columns read as Arrow dictionaries (Parquet): pseudonyms key each distinct value once,
    #: ``encoded_batches`` counts codes; see :class:`DictionaryOpener`
    open_dictionary: DictionaryOpener | None = None
    _sample: pa.Table | None = field(default=None, repr=False)
    _num_rows: int | None = field(default=None, repr=False)

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    def batches(self, columns: Iterable[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Stream the table (optionally only some columns), one record batch at a time."""
        wanted = list(columns) if columns is not None else None
        if wanted is not None and self.open_columns is not None:
            yield from self.open_columns(wanted)
            return
        for batch in self.open_batches():
            if wanted is not None:
                batch = batch.select(wanted)
            yield batch

    def encoded_batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        """Stream ``columns``; where the source stores dictionaries, text comes dictionary-encoded."""
        stream = None if self.open_dictionary is None else self.open_dictionary(columns, columns)
        yield from self.batches(columns) if stream is None else stream

    def reader(self, columns: Iterable[str] | None = None) -> pa.RecordBatchReader:
        """The stream as a ``RecordBatchReader`` (what DuckDB and Arrow writers consume)."""
        wanted = list(columns) if columns is not None else None
        schema = self.schema if wanted is None else pa.schema([self.schema.field(c) for c in wanted])
        return pa.RecordBatchReader.from_batches(schema, self.batches(wanted))

    @property
    def num_rows(self) -> int:
        """Row count; streams the table once if the source did not say."""
        if self._num_rows is None:
            self._num_rows = (
                self.num_rows_hint
                if self.num_rows_hint is not None
                else sum(b.num_rows for b in self.open_batches())
            )
        return self._num_rows

    def sample(self, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = 0) -> pa.Table:
        """A uniform random sample of at most ``rows`` rows (bottom-k reservoir, one pass).

        Every row gets a random priority; the ``rows`` smallest survive. Batches are merged as
        they stream, so memory stays at about two samples whatever the table's size; once the
        sample is full, only a batch's rows under the largest priority kept can enter it, and only
        those are copied.
        """
        if self._sample is not None and self._sample.num_rows <= rows:
            return self._sample
        rng = np.random.default_rng(seed)
        kept: pa.Table | None = None
        kept_keys = np.empty(0)
        total = 0
        for batch in self.open_batches():
            total += batch.num_rows
            keys = rng.random(batch.num_rows)
            if kept is not None and kept.num_rows >= rows:
                entering = np.flatnonzero(keys < kept_keys.max())
                if not len(entering):
                    continue
                batch, keys = batch.take(pa.array(entering)), keys[entering]
            part = pa.Table.from_batches([batch], schema=self.schema)
            if kept is None:
                kept, kept_keys = part, keys
            else:
                kept = pa.concat_tables([kept, part])
                kept_keys = np.concatenate([kept_keys, keys])
            if kept.num_rows > rows:
                order = np.argpartition(kept_keys, rows)[:rows]
                order.sort()
                kept = kept.take(pa.array(order))
                kept_keys = kept_keys[order]
        if kept is None:
            kept = self.schema.empty_table()
        self._num_rows = total
        self._sample = kept.combine_chunks()
        return self._sample


def without_views(table: pa.Table) -> pa.Table:
    """``string_view`` / ``binary_view`` columns (what polars exports) as large string / binary.

    The stages' kernels take the classic layouts; the values are the same.
    """
    wanted = {pa.string_view(): pa.large_string(), pa.binary_view(): pa.large_binary()}
    if not any(f.type in wanted for f in table.schema):
        return table
    return table.cast(pa.schema([f.with_type(wanted.get(f.type, f.type)) for f in table.schema], table.schema.metadata))


def from_arrow(data: pa.Table | pa.RecordBatch | pa.RecordBatchReader, name: str = "table") -> Table:
    """Wrap an in-memory Arrow object. A reader is materialised once (it cannot be re-read)."""
    if isinstance(data, pa.RecordBatchReader):
        data = data.read_all()
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    table: pa.Table = without_views(data)

    def open_batches() -> Iterator[pa.RecordBatch]:
        yield from table.to_batches(max_chunksize=65_536)

    return Table(
        name=name,
        schema=table.schema,
        open_batches=open_batches,
        num_rows_hint=table.num_rows,
        format="arrow",
    )
