"""Bad input across every command: exit 2, one line on stderr, no traceback, no cell value, nothing written.

Each case runs the CLI in this process against a shared world (tests/robustness/world.py) whose
cells carry a marker string. After each case the world and the case's own folder must be
byte-for-byte as before: no output, no temp file, no ledger entry, no audit line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from world import MARKER, run_cli, snapshot

REVEAL = ["--key-name", "robust", "--recipient", "Alipay Singapore", "--purpose", "NSF score"]


@dataclass(frozen=True)
class Case:
    id: str
    argv: list[str]  # {name} is a world path; {out} the case's own folder
    setup: Callable[[Path, dict[str, Path]], None] | None = field(default=None, compare=False)


CASES: list[Case] = []


def case(id: str, *argv: str, setup: Callable[[Path, dict[str, Path]], None] | None = None) -> None:
    CASES.append(Case(id, list(argv), setup))


# ------------------------------------------------------------------ bad input files × readers
BAD_FILES = [
    "empty.csv", "blank_lines.csv", "binary.csv", "latin1.csv", "ragged_early.csv", "ragged_late.csv",
    "unclosed_quote.csv", "utf16_odd.csv", "garbage.parquet", "not_arrow.arrow", "bad.jsonl", "mixed.jsonl",
    "truncated.parquet", "footer_cut.parquet", "truncated.arrow", "fifo.csv", "emptydir", "missing.csv",
]  # fmt: skip
READERS: dict[str, list[str]] = {
    "inspect": ["inspect", "{IN}", "--no-attack", "-f", "json", "-o", "{out}/r.json"],
    "attack": ["attack", "{IN}", "-c", "phone_sha256", "--budget", "1", "-o", "{out}/a.json"],
    "attack-reference": ["attack", "{csv}", "-c", "phone_sha256", "--reference", "{IN}", "--budget", "1"],
    "attack-known": ["attack", "{csv}", "-c", "phone_sha256", "--known", "{IN}", "--budget", "1"],
    "risk": ["risk", "{IN}", "--qi", "age,region", "-o", "{out}/r.txt"],
    "risk-aux": ["risk", "{csv}", "--qi", "age,region", "--aux", "{IN}", "-o", "{out}/r.txt"],
    "unicity": ["unicity", "{IN}", "--person", "phone", "--time", "joined", "-o", "{out}/u.txt"],
    "policy-suggest": ["policy", "suggest", "{IN}", "-o", "{out}/p.yaml"],
    "protect": ["protect", "{IN}", "-p", "{policy}", "-o", "{out}/o.csv", "--no-attack"],
    "transfer": ["transfer", "{IN}", "-p", "{tpolicy}", "-o", "{out}/o.csv", "--no-attack"],
    "reveal": ["reveal", "{IN}", "-c", "phone", "-o", "{out}/r.csv", "--reason", "test", *REVEAL],
    "keys-rekey": ["keys", "rekey", "{IN}", "-c", "phone", "-o", "{out}/k.csv", *REVEAL],
    "consent-import": ["consent", "import", "{IN}"],
}
# a command that reads only the schema, or only the first block, succeeds on a file whose damage
# lies further on; those pairs are not bad input for that command
NOT_BAD: set[tuple[str, str]] = set()
for _file in BAD_FILES:
    for _cmd, _argv in READERS.items():
        if (_file, _cmd) not in NOT_BAD:
            case(f"file-{_file}-{_cmd}", *[a.replace("{IN}", "{bad:" + _file + "}") for a in _argv])


# ------------------------------------------------------------------ output targets × writers
def _mkdir(name: str) -> Callable[[Path, dict[str, Path]], None]:
    return lambda out, w: (out / name).mkdir()


def _fifo(name: str) -> Callable[[Path, dict[str, Path]], None]:
    return lambda out, w: os.mkfifo(out / name)


def _hardlink(name: str, src: str) -> Callable[[Path, dict[str, Path]], None]:
    return lambda out, w: os.link(w[src], out / name)


def _symlink(name: str, src: str) -> Callable[[Path, dict[str, Path]], None]:
    return lambda out, w: os.symlink(w[src], out / name)


WRITERS: dict[str, tuple[str, list[str]]] = {  # name: (the input it reads, argv with {T} the target)
    "inspect": ("csv", ["inspect", "{csv}", "--no-attack", "-f", "json", "-o", "{T}"]),
    "attack": ("csv", ["attack", "{csv}", "-c", "phone_sha256", "--budget", "1", "-o", "{T}"]),
    "risk": ("csv", ["risk", "{csv}", "--qi", "age,region", "-o", "{T}"]),
    "unicity": ("csv", ["unicity", "{csv}", "--person", "phone", "--time", "joined", "-o", "{T}"]),
    "policy-suggest": ("csv", ["policy", "suggest", "{csv}", "-o", "{T}"]),
    "protect-o": ("csv", ["protect", "{csv}", "-p", "{policy}", "-o", "{T}", "--no-attack"]),
    "protect-report": ("csv", ["protect", "{csv}", "-p", "{policy}", "-o", "{out}/ok.csv", "--report", "{T}",
                               "--no-attack"]),
    "transfer-o": ("csv", ["transfer", "{csv}", "-p", "{tpolicy}", "-o", "{T}", "--no-attack"]),
    "transfer-report": ("csv", ["transfer", "{csv}", "-p", "{tpolicy}", "-o", "{out}/ok.csv", "--report", "{T}",
                                "--no-attack"]),
    "reveal": ("tokens", ["reveal", "{tokens}", "-c", "phone", "-o", "{T}", "--reason", "test", *REVEAL]),
    "keys-rekey": ("tokens", ["keys", "rekey", "{tokens}", "-c", "phone", "-o", "{T}", *REVEAL]),
    "ledger-export": ("", ["ledger", "export", "-o", "{T}"]),
    "ledger-anchor": ("", ["ledger", "anchor", "-o", "{T}"]),
}  # fmt: skip
TARGETS: dict[str, tuple[str, Callable[[Path, dict[str, Path]], None] | None]] = {
    "folder": ("{out}/t.csv", _mkdir("t.csv")),
    "missing-folder": ("{out}/no/such/t.csv", None),
    "proc": ("/proc/self/t.csv", None),
    "dev": ("/dev/t.csv", None),
    "fifo": ("{out}/f.csv", _fifo("f.csv")),
    "ledger": ("{ledger}", None),
    "ledger-key": ("{ledger_key}", None),
    "ledger-wal": ("{ledger}-wal", None),
    "keystore": ("{keystore}", None),
    "audit-log": ("{audit}", None),
    "keystore-lock": ("{root}/home/.keystore.json.lock", None),
    "the-policy": ("{POLICY}", None),
}
INPUT_ALIASES = {"input": None, "input-hardlink": _hardlink, "input-symlink": _symlink}
for _cmd, (_src, _argv) in WRITERS.items():
    _targets = dict(TARGETS)
    if _src:
        _targets["input"] = ("{" + _src + "}", None)
        _targets["input-hardlink"] = ("{out}/h.csv", _hardlink("h.csv", _src))
        _targets["input-symlink"] = ("{out}/s.csv", _symlink("s.csv", _src))
    for _name, (_target, _setup) in _targets.items():
        if _name == "the-policy" and not _cmd.startswith(("protect", "transfer")):
            continue
        _policy = "{tpolicy}" if _cmd.startswith("transfer") else "{policy}"
        _target = _target.replace("{POLICY}", _policy)
        case(f"target-{_name}-{_cmd}", *[a.replace("{T}", _target) for a in _argv], setup=_setup)
case("target-same-twice-protect", "protect", "{csv}", "-p", "{policy}", "-o", "{out}/x.csv", "--report", "{out}/x.csv")
case("target-same-twice-transfer", "transfer", "{csv}", "-p", "{tpolicy}", "-o", "{out}/x.csv", "--report",
     "{out}/x.csv", "--no-attack")
for _name in ("folder", "proc", "fifo"):
    _target, _setup = TARGETS[_name]
    case(f"target-{_name}-keys-create", "keys", "create", "other", "--keystore", _target, setup=_setup)
case("target-synth-file", "synth", "kakaopay", "--out", "{csv}", "--customers", "10", "--days", "1")
case("target-synth-proc", "synth", "kakaopay", "--out", "/proc/self/x", "--customers", "10", "--days", "1")
case("target-demo-file", "demo", "--out", "{csv}", "--customers", "10", "--days", "1")

# ------------------------------------------------------------------ options refused
OPTIONS: list[tuple[str, list[str]]] = [
    ("delimiter-two", ["inspect", "{csv}", "--no-attack", "--delimiter", "ab"]),
    ("delimiter-quote", ["inspect", "{csv}", "--no-attack", "--delimiter", '"']),
    ("delimiter-empty", ["inspect", "{csv}", "--no-attack", "--delimiter", ""]),
    ("k-negative-inspect", ["inspect", "{csv}", "--no-attack", "--k", "-3"]),
    ("k-one-inspect", ["inspect", "{csv}", "--no-attack", "--k", "1"]),
    ("k-negative-risk", ["risk", "{csv}", "--qi", "age", "--k", "-3"]),
    ("k-negative-suggest", ["policy", "suggest", "{csv}", "--k", "-3"]),
    ("max-risk-2-inspect", ["inspect", "{csv}", "--no-attack", "--max-risk", "2"]),
    ("max-risk-0-inspect", ["inspect", "{csv}", "--no-attack", "--max-risk", "0"]),
    ("max-risk-2-risk", ["risk", "{csv}", "--qi", "age", "--max-risk", "2"]),
    ("max-risk-negative-risk", ["risk", "{csv}", "--qi", "age", "--max-risk", "-0.5"]),
    ("sample-rows-0", ["inspect", "{csv}", "--no-attack", "--sample-rows", "0"]),
    ("attack-budget-0-inspect", ["inspect", "{csv}", "--attack-budget", "0"]),
    ("attack-budget-0-protect", ["protect", "{csv}", "-p", "{policy}", "-o", "{out}/o.csv", "--attack-budget", "0"]),
    ("attack-budget-0-transfer", ["transfer", "{csv}", "-p", "{tpolicy}", "-o", "{out}/o.csv", "--attack-budget", "-1"]),
    ("budget-0-attack", ["attack", "{csv}", "-c", "phone_sha256", "--budget", "0"]),
    ("region-XX", ["attack", "{csv}", "-c", "phone_sha256", "--region", "XX", "--budget", "1"]),
    ("region-long", ["attack", "{csv}", "-c", "phone_sha256", "--region", "KOREA", "--budget", "1"]),
    ("keyspace-garbage", ["attack", "{csv}", "-c", "phone_sha256", "-k", "garbage", "--budget", "1"]),
    ("keyspace-bad-range", ["attack", "{csv}", "-c", "phone_sha256", "-k", "numeric:9..1", "--budget", "1"]),
    ("join-without-reference", ["attack", "{csv}", "-c", "phone_sha256", "--join", "phone"]),
    ("attack-unknown-column", ["attack", "{csv}", "-c", "nope", "--budget", "1"]),
    ("qi-unknown-inspect", ["inspect", "{csv}", "--no-attack", "--qi", "nope"]),
    ("sensitive-unknown-inspect", ["inspect", "{csv}", "--no-attack", "--sensitive", "nope"]),
    ("qi-unknown-risk", ["risk", "{csv}", "--qi", "nope"]),
    ("qi-unknown-suggest", ["policy", "suggest", "{csv}", "--qi", "nope"]),
    ("input-format-unknown", ["inspect", "{csv}", "--no-attack", "--input-format", "xlsx"]),
    ("encoding-unknown", ["inspect", "{csv}", "--no-attack", "--encoding", "no-such-codec"]),
    ("engine-unknown-inspect", ["inspect", "{csv}", "--no-attack", "--engine", "warp"]),
    ("format-unknown-inspect", ["inspect", "{csv}", "--no-attack", "-f", "pdf"]),
    ("points-garbage", ["unicity", "{csv}", "--person", "phone", "--time", "joined", "--points", "a..b"]),
    ("unicity-unknown-person", ["unicity", "{csv}", "--person", "nope", "--time", "joined"]),
    ("granularity-unknown", ["unicity", "{csv}", "--person", "phone", "--time", "joined", "--time-granularity", "year"]),
    ("population-and-fraction", ["risk", "{csv}", "--qi", "age", "--population", "100", "--sampling-fraction", "0.1"]),
    ("max-suppression-2", ["policy", "suggest", "{csv}", "--max-suppression", "2"]),
    ("protect-no-output", ["protect", "{csv}", "-p", "{policy}"]),
    ("protect-output-suffix", ["protect", "{csv}", "-p", "{policy}", "-o", "{out}/o.xlsx"]),
    ("transfer-output-suffix", ["transfer", "{csv}", "-p", "{tpolicy}", "-o", "{out}/o.txt"]),
    ("reveal-method", ["reveal", "{tokens}", "-c", "phone", "-o", "{out}/r.csv", "--reason", "x", "--method", "rot13",
                       *REVEAL]),
    ("reveal-unknown-column", ["reveal", "{tokens}", "-c", "nope", "-o", "{out}/r.csv", "--reason", "x", *REVEAL]),
    ("reveal-unknown-key", ["reveal", "{tokens}", "-c", "phone", "-o", "{out}/r.csv", "--reason", "x",
                            "--key-name", "nokey", "--recipient", "a", "--purpose", "b"]),
    ("reveal-key-id", ["reveal", "{tokens}", "-c", "phone", "-o", "{out}/r.csv", "--reason", "x", "--key-id", "k0",
                       *REVEAL]),
    ("keys-create-bad-name", ["keys", "create", "bad name!"]),
    ("keys-create-twice", ["keys", "create", "robust"]),
    ("keys-rotate-unknown", ["keys", "rotate", "nokey"]),
    ("ledger-show-unknown", ["ledger", "show", "999999"]),
    ("ledger-destroyed-date", ["ledger", "destroyed", "1", "--on", "2027-13-45", "--method", "m", "--confirmed-by", "c"]),
    ("ledger-destroyed-unknown", ["ledger", "destroyed", "999", "--on", "2027-01-01", "--method", "m",
                                  "--confirmed-by", "c"]),
    ("lookup-both", ["ledger", "lookup", "--phone", "010-1234-5678", "--email", "a@b.c"]),
    ("lookup-bad-phone", ["ledger", "lookup", "--phone", "not a phone"]),
    ("lookup-bad-email", ["ledger", "lookup", "--email", "not-an-email"]),
    ("verify-bad-head", ["ledger", "verify", "--expect-head", "zz"]),
    ("verify-missing-anchor", ["ledger", "verify", "--anchor", "{out}/none.json"]),
    ("verify-anchor-not-json", ["ledger", "verify", "--anchor", "{csv}"]),
    ("synth-bad-start", ["synth", "kakaopay", "--out", "{out}/s", "--start", "2024-02-30"]),
    ("synth-bad-format", ["synth", "kakaopay", "--out", "{out}/s", "--phone-format", "roman"]),
    ("unknown-command", ["inspectt", "{csv}"]),
    ("unknown-option", ["inspect", "{csv}", "--no-such-option"]),
    ("missing-argument", ["inspect"]),
    ("detectors-missing", ["inspect", "{csv}", "--no-attack", "--detectors", "{out}/none.yaml"]),
    ("detectors-binary", ["inspect", "{csv}", "--no-attack", "--detectors", "{parquet}"]),
    ("policy-check-input-column", ["policy", "check", "{policy}", "--input", "{tokens}"]),
    ("spark-conf-without-spark", ["inspect", "{csv}", "--no-attack", "--spark-conf", "a=b"]),
    ("t-2-risk", ["risk", "{csv}", "--qi", "age", "--t", "2"]),
    ("l-0-risk", ["risk", "{csv}", "--qi", "age", "--l", "0"]),
    ("avg-risk-3-risk", ["risk", "{csv}", "--qi", "age", "--avg-risk", "3"]),
    ("sample-people-0", ["unicity", "{csv}", "--person", "phone", "--time", "joined", "--sample-people", "0"]),
    ("amount-bins-0", ["unicity", "{csv}", "--person", "phone", "--time", "joined", "--amount", "balance",
                       "--amount-bins", "0"]),
    ("population-negative", ["inspect", "{csv}", "--no-attack", "--population", "-5"]),
    ("synth-customers-0", ["synth", "kakaopay", "--out", "{out}/s", "--customers", "0"]),
    ("synth-days-negative", ["synth", "kakaopay", "--out", "{out}/s", "--days", "-1"]),
    ("known-empty-list", ["attack", "{csv}", "-c", "phone_sha256", "--known", "{root}/home/../bad/empty.csv"]),
    ("passphrase-file-missing", ["keys", "encrypt", "--passphrase-file", "{out}/none.txt"]),
    ("passphrase-file-binary", ["keys", "encrypt", "--passphrase-file", "{parquet}"]),
    ("consent-bad-date", ["consent", "import", "{out}/c.csv"]),
    ("sql-unreachable", ["inspect", "postgresql+psycopg://nouser:pw@127.0.0.1:1/x", "--table", "t", "--no-attack"]),
]
CONSENTS_BAD_DATE = f"subject,recipient,purpose,countries,given,withdrawn\n010-1000-2000,A,B,SG,{MARKER}-13-45,\n"
for _name, _argv in OPTIONS:
    _setup = (lambda out, w: (out / "c.csv").write_text(CONSENTS_BAD_DATE)) if _name == "consent-bad-date" else None
    case(f"option-{_name}", *_argv, setup=_setup)

# ------------------------------------------------------------------ bad policies
POLICIES: dict[str, str] = {
    "duplicate-key": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ncolumns:\n  phone: drop\n  phone: keep\n",
    "duplicate-top": "recipient: a\nrecipient: b\npurpose: b\nkey: env:DC_ROBUST_KEY\ncolumns: {phone: drop}\n",
    "not-yaml": "recipient: [a\npurpose: b\n",
    "tabs": "recipient: a\n\tpurpose: b\n",
    "a-list": "- recipient: a\n- purpose: b\n",
    "a-scalar": f"{MARKER}\n",
    "empty": "",
    "unknown-action": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\ncolumns:\n  phone: encrypt\n",
    "unknown-field": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\nfoo: 1\ncolumns: {phone: drop}\n",
    "unknown-column": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\ncolumns: {nope: drop}\n",
    "fpe-short": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\n"
                 "columns: {age: fpe, region: keep}\nthresholds: {k: 1, max_risk: 1.0}\n",
    "date-on-text": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\n"
                    "columns:\n  region: {action: generalize, method: date, to: year}\n  age: keep\n"
                    "thresholds: {k: 1, max_risk: 1.0}\n",
    "hierarchy-missing-value": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\n"
                               "columns:\n  region: {action: generalize, method: hierarchy, file: h.csv, level: 1}\n"
                               "thresholds: {k: 1, max_risk: 1.0}\n",
    "key-unset": "recipient: a\npurpose: b\nkey: env:DC_NO_SUCH_KEY\ndefault_action: drop\n"
                 "columns: {phone: pseudonymize, region: keep}\nthresholds: {k: 1, max_risk: 1.0}\n",
    "k-zero": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\ncolumns: {phone: drop}\n"
              "thresholds: {k: 0}\n",
    "max-risk-2": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ndefault_action: drop\ncolumns: {phone: drop}\n"
                  "thresholds: {max_risk: 2}\n",
    "refuse-unlisted": "recipient: a\npurpose: b\nkey: env:DC_ROBUST_KEY\ncolumns: {phone: drop}\n",
    "deep-nesting": "a: " + "[" * 2000 + "]" * 2000 + "\n",
}
PROTECTS = {
    "protect": ["protect", "{csv}", "-p", "{P}", "-o", "{out}/o.csv", "--no-attack"],
    "transfer": ["transfer", "{csv}", "-p", "{P}", "-o", "{out}/o.csv", "--no-attack"],
    "policy-check": ["policy", "check", "{P}", "--input", "{csv}"],
}
def _write_policy(out: Path, text: str, cmd: str) -> None:
    from world import RECORD

    (out / "h.csv").write_text("Seoul;Korea;*\n", encoding="utf-8")
    record = RECORD if cmd == "transfer" and text.startswith("recipient") else ""
    (out / "policy.yaml").write_text(text + record, encoding="utf-8")


#: `policy check --input` checks the policy against the table's columns, not its values
DATA_DEPENDENT = {"fpe-short", "date-on-text", "hierarchy-missing-value"}
for _pname, _text in POLICIES.items():
    for _cmd, _argv in PROTECTS.items():
        if _cmd == "policy-check" and _pname in DATA_DEPENDENT:
            continue
        case(f"policy-{_pname}-{_cmd}", *[a.replace("{P}", "{out}/policy.yaml") for a in _argv],
             setup=(lambda text, cmd: lambda out, w: _write_policy(out, text, cmd))(_text, _cmd))


for _cmd, _argv in PROTECTS.items():
    case(f"policy-binary-{_cmd}", *[a.replace("{P}", "{parquet}") for a in _argv])
    case(f"policy-missing-{_cmd}", *[a.replace("{P}", "{out}/none.yaml") for a in _argv])
    case(f"policy-folder-{_cmd}", *[a.replace("{P}", "{out}") for a in _argv])
case("policy-bad-retention-date", "transfer", "{csv}", "-p", "{out}/policy.yaml", "-o", "{out}/o.csv", "--no-attack",
     setup=lambda out, w: (out / "policy.yaml").write_text(
         w["tpolicy"].read_text().replace("2027-12-31", "2027-13-45")))
case("policy-no-record", "transfer", "{csv}", "-p", "{policy}", "-o", "{out}/o.csv", "--no-attack")

# ------------------------------------------------------------------ damaged ledgers and audit logs
LEDGER_COMMANDS: dict[str, list[str]] = {
    "list": ["ledger", "list"],
    "verify": ["ledger", "verify"],
    "head": ["ledger", "head"],
    "show": ["ledger", "show", "1"],
    "export": ["ledger", "export", "-o", "{out}/e.json"],
    "anchor": ["ledger", "anchor", "-o", "{out}/a.json"],
    "lookup": ["ledger", "lookup", "--phone", "010-1000-2000"],
    "destroyed": ["ledger", "destroyed", "1", "--on", "2027-01-01", "--method", "m", "--confirmed-by", "c"],
    "consent-import": ["consent", "import", "{consents}"],
    "transfer": ["transfer", "{csv}", "-p", "{tpolicy}", "-o", "{out}/o.csv", "--no-attack"],
}
for _ledger in ("garbage_ledger", "text_ledger", "folder"):
    for _cmd, _argv in LEDGER_COMMANDS.items():
        where = "{out}" if _ledger == "folder" else "{" + _ledger + "}"
        case(f"ledger-{_ledger}-{_cmd}", *_argv, "--ledger", where)
for _cmd in ("lookup", "transfer"):
    case(f"ledger-no-subjects-{_cmd}", *LEDGER_COMMANDS[_cmd], "--ledger", "{broken_ledger}")
case("ledger-missing-list", "ledger", "list", "--ledger", "{out}/none.db")
case("ledger-missing-key", "consent", "import", "{consents}", "--ledger", "{out}/nokey.db",
     setup=lambda out, w: (out / "nokey.db").write_bytes(w["ledger"].read_bytes()))
case("keystore-garbage-list", "keys", "list", "--keystore", "{csv}")
case("keystore-folder-list", "keys", "list", "--keystore", "{out}")
case("keystore-open-perms", "keys", "list", "--keystore", "{out}/ks.json",
     setup=lambda out, w: (out / "ks.json").write_bytes(w["keystore"].read_bytes()) or os.chmod(out / "ks.json", 0o644))


def _resolve(arg: str, world: dict[str, Path], out: Path) -> str:
    if "{" not in arg:
        return arg
    text = arg.replace("{out}", str(out))
    for name, path in world.items():
        text = text.replace("{" + name + "}", str(path))
    assert "{" not in text, f"unresolved placeholder in {arg}"
    return text


def test_enough_cases() -> None:
    assert len(CASES) >= 200, len(CASES)
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_exit_2(bad: Case, world: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    if bad.setup is not None:
        bad.setup(out, world)
    audit = world["audit"].read_text(encoding="utf-8")
    before_world, before_out = snapshot(world["root"], skip=world["audit"]), snapshot(out)
    code, stdout, stderr = run_cli([_resolve(a, world, out) for a in bad.argv])
    assert code == 2, (code, stdout[-500:], stderr)
    assert "Traceback" not in stderr + stdout
    assert stderr.startswith("error: ") and stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert MARKER not in stderr + stdout and MARKER.lower() not in stderr + stdout, stderr
    assert snapshot(out) == before_out, "a file was left at (or beside) the target"
    assert snapshot(world["root"], skip=world["audit"]) == before_world, "the world changed: a file or a ledger entry"
    after = world["audit"].read_text(encoding="utf-8")
    assert after.startswith(audit)
    added = [json.loads(line) for line in after[len(audit):].splitlines()]
    # a reveal that fails part-way is logged as refused (who tried, why it stopped); nothing else is
    assert all(entry["action"].endswith("_refused") for entry in added), added
