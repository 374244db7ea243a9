"""Memory of building a transfer's subject index through the sender's customers table.

A customers table of ``--customers`` people (phone, e-mail, RRN, customer ID; Parquet, 256 k-row
row groups) and an export of 10,000 of them whose customer ID left keyed (``protect`` with a
keystore key, so the keystore's audit log names the key): an HMAC pseudonym by default, an AES-SIV
token with ``--derivation tokenize``, an FF1 value with ``--derivation fpe``. Each side runs in a
fresh process and reports its wall time and peak RSS:

* ours: :func:`datacustoms.ledger.subject_index.derived_index` — customers streamed in Arrow
  batches, each customer's keyed value (pseudonym, token or FF1 value) computed under the
  keystore's key and looked up among the export's distinct values; only the matched customers
  get their subject hashes;
* baseline: what the index did before streaming — the customers' identifier columns read whole
  (``read_all``) and every customer's four keyed subject hashes kept as Python strings (the
  ``Customers`` class), before any matching. It cannot match keyed pseudonyms at all, so this is
  a lower bound of its cost.

It prints both peaks and their ratio for each size.

    python benchmarks/subject_index_memory.py                      # 1 M and 2 M customers
    python benchmarks/subject_index_memory.py --customers 5000000  # one size
    python benchmarks/subject_index_memory.py --quick              # 200 k
    python benchmarks/subject_index_memory.py --derivation tokenize --customers 1000000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

EXPORT_ROWS = 10_000
DERIVATIONS = {"pseudonymize": "HMAC-pseudonymised", "tokenize": "AES-SIV-tokenised", "fpe": "FF1-encrypted"}
CHILD = """
import sys, time
sys.path.insert(0, {here!r})
from peak import peak_rss_mb
t = time.perf_counter()
{body}
print(f"{{time.perf_counter() - t:.2f}} {{peak_rss_mb():.0f}} {{n}}")
"""
SETUP = """
from types import SimpleNamespace
from datacustoms.io import read
from datacustoms.ledger.model import SubjectTable
from datacustoms.ledger.subjects import SubjectHasher
spec = SimpleNamespace(subject_table=SubjectTable(path={customers!r}, phone="phone", email="email", rrn="rrn",
                                                  customer_id="customer_id"))
hasher = SubjectHasher(bytes(range(32)))
"""
OURS = """
from datacustoms.ledger.subject_index import derived_index
from datacustoms.ledger.subject_keys import KeyRing
tokens, coverage = derived_index(hasher, read({export!r}), spec, [], None, None, keys=KeyRing({keystore!r}))
assert not coverage.not_indexed and coverage.sources[0].rows_matched == {rows}, coverage
n = len(tokens)
"""
BASELINE = """
columns = {{"phone": "phone", "email": "email", "rrn": "rrn", "customer_id": "customer_id"}}
data = read({customers!r}).reader(list(columns.values())).read_all()
values = {{kind: data.column(col).combine_chunks() for kind, col in columns.items()}}
tokens = [hasher.hash_kind_array(arr, kind) for kind, arr in values.items()]
n = sum(len(t) for t in tokens)
"""


def write_customers(path: Path, customers: int, chunk: int = 262_144) -> None:
    schema = pa.schema([(c, pa.string()) for c in ("customer_id", "phone", "email", "rrn")])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, customers, chunk):
            ids = np.arange(start, min(start + chunk, customers))
            mid, last = (2000 + ids // 10_000).astype(str), np.char.zfill((ids % 10_000).astype(str), 4)
            writer.write_table(pa.table({
                "customer_id": pa.array((100_000_000 + ids).astype(str)),
                "phone": pa.array(np.char.add(np.char.add(np.char.add("010-", mid), "-"), last)),
                "email": pa.array(np.char.add(np.char.add("u", ids.astype(str)), "@example.com")),
                "rrn": pa.array(np.char.add("900101-", (1_000_000 + ids).astype(str))),
            }), row_group_size=chunk)  # fmt: skip


def write_export(folder: Path, customers: Path, derivation: str = "pseudonymize") -> tuple[Path, Path]:
    """10,000 customers' IDs made keyed by ``derivation`` with a keystore key (the audit log records it)."""
    from datacustoms.policy import load_policy
    from datacustoms.protect.keys import Keystore
    from datacustoms.protect.pipeline import protect_table
    from datacustoms.table import from_arrow

    rows = np.random.default_rng(3).choice(pq.ParquetFile(customers).metadata.num_rows, EXPORT_ROWS, replace=False)
    part = pq.read_table(customers, columns=["customer_id"]).take(pa.array(np.sort(rows)))
    part = part.append_column("segment", pa.array(np.random.default_rng(4).choice(["A", "B"], EXPORT_ROWS)))
    keystore = folder / "keys" / "keystore.json"
    Keystore(keystore).create("export-key")
    policy = folder / "protect.yaml"
    policy.write_text(textwrap.dedent("""
        recipient: Partner
        purpose: scoring
        key: keystore:export-key
        default_action: keep
        columns:
          customer_id: DERIVATION
          segment: keep
        thresholds: {k: 1, max_risk: 1.0}
    """).replace("DERIVATION", derivation), encoding="utf-8")  # fmt: skip
    out = folder / "export.parquet"
    protect_table(from_arrow(part, name="export"), load_policy(policy), out, keystore=str(keystore))
    return out, keystore


def run(body: str) -> tuple[float, float, int]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(body=body, here=str(Path(__file__).parent))],
                         capture_output=True, text=True, check=True)  # fmt: skip
    seconds, rss, n = out.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(rss), int(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, action="append", help="table size (repeatable; default 1 M and 2 M)")
    parser.add_argument("--quick", action="store_true", help="200 k customers")
    parser.add_argument("--derivation", choices=DERIVATIONS, default="pseudonymize", help="how the ID left (default pseudonymize)")
    args = parser.parse_args()
    sizes = [200_000] if args.quick else (args.customers or [1_000_000, 2_000_000])
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            customers = folder / "customers.parquet"
            write_customers(customers, size)
            export, keystore = write_export(folder, customers, args.derivation)
            setup = SETUP.format(customers=str(customers))
            t_ours, m_ours, n_ours = run(setup + OURS.format(export=str(export), keystore=str(keystore),
                                                             rows=EXPORT_ROWS))  # fmt: skip
            t_base, m_base, n_base = run(setup + BASELINE.format(customers=str(customers)))
            print(f"{size:,} customers, {EXPORT_ROWS:,} rows sent ({DERIVATIONS[args.derivation]} customer ID):")
            print(f"  ours (streamed, keyed join):           {m_ours:7.0f} MiB peak  {t_ours:6.1f} s  "
                  f"{n_ours:,} subject hashes indexed")
            print(f"  baseline (read_all, every customer's hashes): {m_base:7.0f} MiB peak  {t_base:6.1f} s  "
                  f"{n_base:,} hashes held")
            print(f"  peak memory ratio baseline/ours: {m_base / m_ours:.1f}x")


if __name__ == "__main__":
    main()
