"""Fuzz the readers: any bytes give a clean table or a DatacustomsError — never another exception.

Three generators (CSV-like text and raw bytes, damaged Parquet, JSON Lines-like text), each with a
fixed budget of examples. Every table that opens is read to the end (schema, every batch, the
row count and the detection sample). Where a marker sits only in data rows, no error may quote it.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from world import MARKER

from datacustoms.errors import DatacustomsError
from datacustoms.io import read

BUDGET = settings(max_examples=150, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CELL = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from([MARKER, f'"{MARKER}', f"{MARKER},", f"{MARKER}\n", '""', '"', "\r", "\t", ";", "|"]),
)
LINE = st.lists(CELL, min_size=0, max_size=6).map(lambda cells: ",".join(cells))
CSV_TEXT = st.lists(LINE, min_size=0, max_size=12).map(lambda lines: "a,b,c\n" + "\n".join(lines))
ENCODED = st.tuples(CSV_TEXT, st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16", "latin-1"])).map(
    lambda pair: pair[0].encode(pair[1], errors="replace")
)


def _consume(data: bytes, suffix: str, marker_in_data_only: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            table = read(str(path))
            _ = table.column_names
            rows = sum(batch.num_rows for batch in table.batches())
            assert table.num_rows == rows
            table.sample(50)
        except DatacustomsError as err:
            text = err.one_line()
            assert "\n" not in text
            if marker_in_data_only:
                assert MARKER not in text, text


@BUDGET
@given(data=st.one_of(ENCODED, st.binary(max_size=400)))
def test_csv_reader(data: bytes) -> None:
    _consume(data, ".csv", marker_in_data_only=data.startswith(b"a,b,c\n"))


def _parquet_bytes() -> bytes:
    table = pa.table({"name": [f"{MARKER}{i}" for i in range(50)], "n": list(range(50))})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=10)
    return sink.getvalue()


PARQUET = _parquet_bytes()


@st.composite
def damaged_parquet(draw: st.DrawFn) -> bytes:
    data = bytearray(PARQUET)
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))
    return bytes(data if cut is None else data[:cut])


@BUDGET
@given(data=damaged_parquet())
def test_parquet_reader(data: bytes) -> None:
    _consume(data, ".parquet", marker_in_data_only=True)


JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=8),
              st.just(MARKER)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def json_lines(draw: st.DrawFn) -> bytes:
    import json

    lines = []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["object", "value", "broken"]))
        if kind == "object":
            lines.append(json.dumps(draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), JSON_VALUE, max_size=3))))
        elif kind == "value":
            lines.append(json.dumps(draw(JSON_VALUE)))
        else:
            lines.append(draw(st.text(max_size=20)))
    return "\n".join(lines).encode("utf-8", errors="replace")


@BUDGET
@given(data=json_lines())
def test_jsonl_reader(data: bytes) -> None:
    _consume(data, ".jsonl", marker_in_data_only=False)
