"""A release series: many files (one per day, a partitioned dataset) read as one sequence of releases.

A series is opened from a folder, a glob (``export/*.csv``) or a hive-partitioned Parquet dataset
(``day=2024-05-14/part-0.parquet``). Each file belongs to one release; the release key is

- the value of ``release_key`` when a column is named (a file may then hold several releases),
- else a ``name=value`` folder of a partitioned dataset,
- else a date in the file name (``…20240514.csv`` or ``…2024-05-14…``), written ISO,
- else the file name without its extension.

Releases are ordered by key. Nothing is read here but the file list and the first file's schema;
:meth:`ReleaseSeries.scan_sql` gives a DuckDB expression that streams every file once, and
:meth:`ReleaseSeries.release_table` opens one release as a :class:`~datacustoms.table.Table`.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from datacustoms.errors import InputError
from datacustoms.table import Table

DATA_EXTENSIONS = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}
_DATE = re.compile(r"(?<!\d)(\d{4})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
_PARTITION = re.compile(r"^([A-Za-z_][\w.-]*)=(.+)$")
#: a folder of Parquet parts with no key in their names stays one table (as before)
RELEASE_KEY_FILE = "file name"
RELEASE_KEY_PARTITION = "partition"


@dataclass(frozen=True)
class ReleaseFile:
    path: Path
    key: str


@dataclass
class ReleaseSeries:
    """The files of a series, their release keys, and how to scan them."""

    source: str
    files: list[ReleaseFile]
    format: str
    key_column: str | None = None
    key_origin: str = RELEASE_KEY_FILE
    notes: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """Release keys in order (from the files; with a key column, read by the measure)."""
        return sorted({f.key for f in self.files})

    def scan_sql(self, files: Sequence[ReleaseFile] | None = None) -> str:
        """A DuckDB table expression over ``files`` (all by default) with a ``filename`` column."""
        chosen = files if files is not None else self.files
        paths = "[" + ", ".join(_literal(str(f.path)) for f in chosen) + "]"
        if self.format == "parquet":
            return f"read_parquet({paths}, filename = true, union_by_name = true, hive_partitioning = false)"
        return f"read_csv({paths}, filename = true, union_by_name = true, header = true)"

    def release_table(self, key: str) -> Table:
        """One release as a Table (the first file of that key; a key column is not filtered)."""
        from datacustoms.io.sources import read

        path = next(f.path for f in self.files if f.key == key)
        return read(str(path))

    def latest_file(self) -> ReleaseFile:
        """The first file of the latest release."""
        last = self.keys[-1]
        return next(f for f in self.files if f.key == last)

    def latest(self) -> Table:
        return self.release_table(self.keys[-1])


def looks_like_series(source: str) -> bool:
    """True for a glob, or a folder whose files carry release keys (dates, partitions) or are CSV."""
    if "://" in source:
        return False
    if any(ch in source for ch in "*?[") and not Path(source).exists():
        return True
    path = Path(source)
    if not path.is_dir():
        return False
    files = _data_files(path)
    if len(files) < 2:
        return False
    if any(DATA_EXTENSIONS[f.suffix.lower()] == "csv" for f in files):
        return True  # a folder of CSVs can only be a series
    return len({key_from_path(f, path)[0] for f in files}) > 1 and all(key_from_path(f, path)[1] for f in files)


def open_series(source: str, *, release_key: str | None = None) -> ReleaseSeries:
    """The releases under ``source`` (a folder, a glob or a partitioned dataset), ordered by key."""
    if any(ch in source for ch in "*?[") and not Path(source).exists():
        paths = sorted(Path(p) for p in glob.glob(source, recursive=True) if Path(p).is_file())
        root = Path(_glob_root(source))
        paths = [p for p in paths if p.suffix.lower() in DATA_EXTENSIONS]
    else:
        root = Path(source)
        if not root.is_dir():
            raise InputError(f"{source} is not a folder or a glob", "pass a folder of releases or a pattern such as 'export/*.csv'")
        paths = _data_files(root)
    if not paths:
        raise InputError(f"{source} matches no CSV or Parquet file", "check the folder or the pattern")
    formats = {DATA_EXTENSIONS[p.suffix.lower()] for p in paths}
    if len(formats) > 1:
        raise InputError(f"{source} mixes CSV and Parquet files", "keep one format per series")
    origins: set[str] = set()
    files = []
    for p in paths:
        key, origin = key_from_path(p, root)
        origins.add(origin or RELEASE_KEY_FILE)
        files.append(ReleaseFile(p, key))
    files.sort(key=lambda f: (f.key, str(f.path)))
    origin = release_key or (RELEASE_KEY_PARTITION if origins == {RELEASE_KEY_PARTITION} else RELEASE_KEY_FILE)
    series = ReleaseSeries(source=source, files=files, format=formats.pop(), key_column=release_key, key_origin=origin)
    if release_key is None and len(series.keys) < len(files):
        series.notes.append(f"{len(files)} files make {len(series.keys)} releases (several files share a key)")
    return series


def _data_files(root: Path) -> list[Path]:
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in DATA_EXTENSIONS
        and not any(part.startswith((".", "_")) for part in p.relative_to(root).parts)
    )  # fmt: skip


def key_from_path(path: Path, root: Path) -> tuple[str, str | None]:
    """(key, origin): a partition folder, a date in the name, or the stem (origin None)."""
    try:
        parts = path.relative_to(root).parts[:-1]
    except ValueError:
        parts = path.parts[:-1]
    partitions = [m.group(2) for m in (_PARTITION.match(p) for p in parts) if m]
    if partitions:
        return "/".join(partitions), RELEASE_KEY_PARTITION
    match = _DATE.search(path.stem)
    if match:
        return f"{match.group(1)}-{match.group(2)}-{match.group(3)}", RELEASE_KEY_FILE
    return path.stem, None


def _glob_root(pattern: str) -> str:
    head = re.split(r"[*?\[]", pattern, maxsplit=1)[0]
    return head if head.endswith("/") else str(Path(head).parent)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
