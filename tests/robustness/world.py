"""A small world for the robustness tests: good inputs with a marker planted in cell values,
a policy, a transfer policy, a keystore with a key, a ledger, a tokenised file — and bad files.

Every cell that could leak carries ``MARKER``; the tests assert it never appears in what a
failing command prints.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sqlite3
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

MARKER = "QZXV7MARK"
KEY_ENV = "DC_ROBUST_KEY"
KEY = "3b1f0c9e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c"
ROWS = 40


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``datacustoms ARGV`` in this process: exit code, stdout, stderr (a traceback propagates)."""
    from datacustoms.cli import main

    out, err = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), out.getvalue(), err.getvalue()


def data_rows(n: int = ROWS) -> list[dict[str, str]]:
    return [
        {
            "phone": f"010-{1000 + i:04d}-{2000 + i:04d}",
            "phone_sha256": hashlib.sha256(f"010{1000 + i:04d}{2000 + i:04d}".encode()).hexdigest(),
            "email": f"{MARKER.lower()}{i}@example.com",
            "name": f"{MARKER}{i}",
            "age": str(20 + i % 40),
            "region": ["Seoul", "Busan", "Incheon"][i % 3],
            "balance": str(100 * i),
            "joined": f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}",
        }
        for i in range(n)
    ]


def csv_text(rows: list[dict[str, str]]) -> str:
    header = list(rows[0])
    return "\n".join([",".join(header)] + [",".join(r[c] for c in header) for r in rows]) + "\n"


POLICY = f"""\
recipient: Alipay Singapore
recipient_country: SG
purpose: NSF score
legal_basis: consent
role: processor
key: env:{KEY_ENV}
default_action: drop
columns:
  phone: {{action: pseudonymize, normalize: digits}}
  phone_sha256: drop
  age: {{action: generalize, method: age, width: 10}}
  region: keep
thresholds: {{k: 1, max_risk: 1.0}}
"""

RECORD = """\
record:
  contact: dpo@alipay.example
  role_questions: {purpose: sender, benefit: sender, control: sender}
  transfer_mechanism: consent (GDPR 49(1)(a))
  subject_categories: [payment customers]
  key_holder: sender
  retention_until: 2027-12-31
  korea:
    overseas_ground: consent
    notice: {items: phone, country_time_method: SG daily, recipient: Alipay, purpose_and_retention: NSF 1y, refusal: settings}
    pseudonym_purpose: NSF score
    pseudonym_use: scoring the risk of non-sufficient funds per customer
    use_until: 2027-12-31
    destruction: deleted at the end of use
"""

TOKEN_POLICY = """\
recipient: Alipay Singapore
purpose: NSF score
key: robust
default_action: drop
columns:
  phone: tokenize
  age: {action: generalize, method: age, width: 10}
  region: keep
thresholds: {k: 1, max_risk: 1.0}
"""


def build(root: Path) -> dict[str, Path]:
    """Create the world under ``root``; the environment must already point at its keystore and ledger."""
    rows = data_rows()
    w: dict[str, Path] = {"root": root}
    w["csv"] = root / "data.csv"
    w["csv"].write_text(csv_text(rows), encoding="utf-8")
    table = pa.table({c: [r[c] for r in rows] for c in rows[0]})
    w["parquet"] = root / "data.parquet"
    pq.write_table(table, w["parquet"])
    w["policy"] = root / "policy.yaml"
    w["policy"].write_text(POLICY, encoding="utf-8")
    w["tpolicy"] = root / "transfer.yaml"
    w["tpolicy"].write_text(POLICY + RECORD, encoding="utf-8")
    w["consents"] = root / "consents.csv"
    w["consents"].write_text(
        "subject,recipient,purpose,countries,given,withdrawn\n"
        + "".join(f"{r['phone']},Alipay Singapore,NSF score,SG,2024-01-01,\n" for r in rows[:30]),
        encoding="utf-8",
    )
    w["keystore"] = Path(os.environ["DATACUSTOMS_KEYSTORE"])
    w["ledger"] = Path(os.environ["DATACUSTOMS_LEDGER"])
    for argv in (
        ["keys", "create", "robust"],
        ["consent", "import", str(w["consents"])],
    ):
        code, _, err = run_cli(argv)
        assert code == 0, (argv, err)
    w["tokpolicy"] = root / "tokens.yaml"
    w["tokpolicy"].write_text(TOKEN_POLICY, encoding="utf-8")
    w["tokens"] = root / "tokens.parquet"
    code, _, err = run_cli(["protect", str(w["csv"]), "-p", str(w["tokpolicy"]), "-o", str(w["tokens"]), "--no-attack"])
    assert code == 0, err
    # one sent transfer, so the ledger holds a record (and every table a transfer creates on first use)
    w["sent"] = root / "sent.csv"
    code, _, err = run_cli(["transfer", str(w["csv"]), "-p", str(w["tpolicy"]), "-o", str(w["sent"]), "--no-attack"])
    assert code == 0, err
    w["audit"] = w["keystore"].with_name(w["keystore"].stem + ".audit.jsonl")
    w["ledger_key"] = w["ledger"].with_name(w["ledger"].name + ".key")
    _bad_files(root, w, rows, table)
    return w


def _bad_files(root: Path, w: dict[str, Path], rows: list[dict[str, str]], table: pa.Table) -> None:
    bad = root / "bad"
    bad.mkdir()
    text = csv_text(rows)
    files: dict[str, bytes] = {
        "empty.csv": b"",
        "blank_lines.csv": b"\n\n\n",
        "binary.csv": bytes(range(256)) * 8 + MARKER.encode() + b"\x00" * 64,
        "latin1.csv": f"name,city\n{MARKER}Jos\xe9,S\xe3o Paulo\n".encode("latin-1") + b"\xff\xfe\n",
        "ragged_early.csv": f"a,b\n{MARKER},2\n3,{MARKER},5\n".encode(),
        "ragged_late.csv": (text + "\n".join([text.splitlines()[1]] * 3000) + f"\n{MARKER},1,2,3,4,5,6,7,8\n").encode(),
        "unclosed_quote.csv": f'a,b\n"{MARKER},2\n3,4\n'.encode(),
        "utf16_odd.csv": b"\xff\xfe" + "a,b\n".encode("utf-16-le") + b"\x00",
        "garbage.parquet": b"PAR1" + MARKER.encode() + b"\x00" * 100,
        "not_arrow.arrow": b"ARROW1\x00\x00" + MARKER.encode() * 10,
        "bad.jsonl": f'{{"name": "{MARKER}", "age": 3\n{{"name": '.encode(),
        "mixed.jsonl": f'{{"name": "{MARKER}"}}\n[1, 2]\n"{MARKER}"\n'.encode(),
    }
    parquet = w["parquet"].read_bytes()
    files["truncated.parquet"] = parquet[: len(parquet) // 2]
    files["footer_cut.parquet"] = parquet[:-12] + b"PAR1"
    sink = io.BytesIO()
    feather.write_feather(table, sink)
    arrow = sink.getvalue()
    files["truncated.arrow"] = arrow[: len(arrow) // 2]
    for name, data in files.items():
        (bad / name).write_bytes(data)
        w[f"bad:{name}"] = bad / name
    os.mkfifo(bad / "fifo.csv")
    w["bad:fifo.csv"] = bad / "fifo.csv"
    (bad / "emptydir").mkdir()
    w["bad:emptydir"] = bad / "emptydir"
    w["bad:missing.csv"] = bad / "missing.csv"
    # a ledger without its subject index, and files that are not ledgers or audit logs
    broken = root / "broken.db"
    with sqlite3.connect(w["ledger"]) as src, sqlite3.connect(broken) as dst:
        src.backup(dst)
    (root / "broken.db.key").write_bytes(w["ledger_key"].read_bytes())
    os.chmod(root / "broken.db.key", 0o600)
    with sqlite3.connect(broken) as conn:
        conn.execute("DROP TABLE dc_subjects")
    w["broken_ledger"] = broken
    w["garbage_ledger"] = root / "garbage.db"
    w["garbage_ledger"].write_bytes(b"SQLite format 3\x00" + MARKER.encode() * 200)
    w["text_ledger"] = root / "text.db"
    w["text_ledger"].write_text(f"{MARKER}\n" * 50, encoding="utf-8")
    # a copy of the keystore whose audit log is not one
    (root / "ks2").mkdir(mode=0o700)
    w["ks2"] = root / "ks2" / w["keystore"].name
    w["ks2"].write_bytes(w["keystore"].read_bytes())
    os.chmod(w["ks2"], 0o600)
    w["ks2"].with_name(w["ks2"].stem + ".audit.jsonl").write_text(f"{MARKER} not json\n", encoding="utf-8")


def snapshot(root: Path, skip: Path | None = None) -> dict[str, str]:
    """Every file under ``root`` (but ``skip``) with its SHA-256 (FIFOs and folders by name)."""
    state: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            state[os.path.join(dirpath, name)] = "dir"
        for name in filenames:
            path = os.path.join(dirpath, name)
            if skip is not None and path == str(skip):
                continue
            if not os.path.isfile(path):
                state[path] = "special"
                continue
            with open(path, "rb") as fh:
                state[path] = hashlib.sha256(fh.read()).hexdigest()
    return state


def write_yaml(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


