"""Memory stays bounded on a large CSV: ``inspect`` (detection + risk, no attack) vs pandas.

Writes a CSV of about ``--gigabytes`` GB shaped like an export (a phone digest, an e-mail, a birth
year, a sex, a postcode, an amount), then runs, each in a fresh process:

* ours: ``datacustoms inspect FILE --no-attack --format json`` (stream, reservoir sample, DuckDB
  histogram), reporting wall time and peak RSS;
* baseline: ``pandas.read_csv(FILE, dtype=str)``, the obvious way to look at a table in Python.

It prints both peaks and their ratio; ours should stay flat as the file grows. With ``--parquet``
the same rows are also written as Parquet (1 M-row row groups) and measured the same way, against
``pandas.read_parquet``.

    python benchmarks/read_memory.py                  # about 1 GB
    python benchmarks/read_memory.py --quick          # about 0.2 GB
    python benchmarks/read_memory.py --gigabytes 10   # the 10 GB case (needs disk and time)
    python benchmarks/read_memory.py --parquet        # the CSV, then the same rows as Parquet
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

ROW_BYTES = 150  # about, for the columns below
CHILD = """
import sys, time
sys.path.insert(0, {here!r})
from peak import peak_rss_mb
t = time.perf_counter()
{body}
print(f"{{time.perf_counter() - t:.2f}} {{peak_rss_mb():.0f}}")
"""


def write_csv(path: Path, rows: int, chunk: int = 500_000) -> None:
    rng = np.random.default_rng(1)
    with pacsv.CSVWriter(path, pa.schema([(n, pa.string()) for n in
                         ("phone_sha256", "email", "birth_year", "sex", "postcode", "amount")])) as writer:  # fmt: skip
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            digest = rng.integers(0, 2**63, size=(n, 4), dtype=np.int64).view(np.uint8).reshape(n, 32)
            hexes = np.char.mod("%064x", [int.from_bytes(d.tobytes(), "big") for d in digest])
            ids = np.arange(start, start + n)
            writer.write_table(pa.table({
                "phone_sha256": pa.array(hexes),
                "email": pa.array(np.char.add(np.char.add("user", ids.astype(str)), "@naver.com")),
                "birth_year": pa.array(rng.integers(1940, 2006, n).astype(str)),
                "sex": pa.array(rng.choice(["M", "F"], n)),
                "postcode": pa.array(np.char.zfill(rng.integers(1000, 63644, n).astype(str), 5)),
                "amount": pa.array(rng.integers(0, 10_000_000, n).astype(str)),
            }))  # fmt: skip


def write_parquet(csv: Path, path: Path) -> None:
    """The CSV's rows as Parquet, streamed (never the whole table in memory)."""
    opts = pacsv.ConvertOptions(column_types={n: pa.string() for n in ("birth_year", "postcode", "amount")})
    reader = pacsv.open_csv(csv, convert_options=opts, read_options=pacsv.ReadOptions(block_size=64 << 20))
    with pq.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch, row_group_size=1 << 20)


def inspect_body(path: Path) -> str:
    return (
        "from datacustoms.cli import main\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main(['inspect', {str(path)!r}, '--no-attack', '--format', 'json'])\n"
        "    except SystemExit: pass"
    )


def run(body: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(body=body, here=str(Path(__file__).parent))],
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, rss = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="about 0.2 GB")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--parquet", action="store_true", help="also measure the same rows as Parquet")
    args = parser.parse_args()
    size = 0.2 if args.quick else args.gigabytes
    rows = int(size * 1e9 / ROW_BYTES)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        t = time.perf_counter()
        write_csv(path, rows)
        print(f"wrote {rows:,} rows, {path.stat().st_size / 1e9:.2f} GB in {time.perf_counter() - t:.0f} s")
        compare(path, "CSV", "pd.read_csv({path!r}, dtype=str)", args.skip_baseline)
        if not args.parquet:
            return
        parquet = Path(tmp) / "big.parquet"
        write_parquet(path, parquet)
        path.unlink()
        print(f"as Parquet: {parquet.stat().st_size / 1e9:.2f} GB")
        compare(parquet, "Parquet", "pd.read_parquet({path!r})", args.skip_baseline)


def compare(path: Path, kind: str, pandas_call: str, skip_baseline: bool) -> None:
    """Our inspect and the pandas load of one file, each in a fresh process, and the peak ratio."""
    ours = run(inspect_body(path))
    print(f"datacustoms inspect --no-attack ({kind}): {ours[0]:.1f} s, peak RSS {ours[1]:,.0f} MiB")
    if skip_baseline:
        return
    call = pandas_call.format(path=str(path))
    base = run(f"import pandas as pd\ndf = {call}")
    print(f"{call.split('(')[0]} (baseline): {base[0]:.1f} s, peak RSS {base[1]:,.0f} MiB")
    print(f"peak memory ratio (pandas / ours): {base[1] / ours[1]:.1f}x")


if __name__ == "__main__":
    main()
