"""``datacustoms attack``: exit codes, formats, and plaintexts shown only with --reveal."""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
from pathlib import Path

from typer.testing import CliRunner

from datacustoms.cli import app

EMAILS = [f"planted.person{i}@naver.com" for i in range(40)]
SERIALS = [str(n) for n in (17, 243, 1999, 5021, 88017, 123457)]


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _export(tmp_path: Path) -> Path:
    rows = [[hashlib.sha256(s.encode()).hexdigest(), hashlib.md5(e.encode()).hexdigest()] for s, e in
            zip(SERIALS * 7, EMAILS, strict=False)]  # fmt: skip
    return _csv(tmp_path / "export.csv", ["customer_id", "email_md5"], rows)


def test_blind_reversal_exits_1_and_never_prints_plaintext(tmp_path: Path, cli: CliRunner) -> None:
    export = _export(tmp_path)
    result = cli.invoke(app, ["attack", str(export), "--column", "customer_id", "--kernel", "python"])
    assert result.exit_code == 1, result.output
    assert "REVERSED" in result.output and "sha256(hex) of numbers 1…999999" in result.output
    for s in SERIALS[2:]:
        assert s not in result.output


def test_linkage_json_and_reveal(tmp_path: Path, cli: CliRunner) -> None:
    export = _export(tmp_path)
    known = tmp_path / "customers.txt"
    known.write_text("\n".join(e.upper() for e in EMAILS) + "\n", encoding="utf-8")
    out = tmp_path / "result.json"
    args = ["attack", str(export), "-c", "email_md5", "--known", str(known), "--format", "json"]
    hidden = cli.invoke(app, [*args, "-o", str(out)])
    assert hidden.exit_code == 1, hidden.output
    data = json.loads(out.read_text(encoding="utf-8"))
    col = data["columns"][0]
    assert col["mode"] == "linkage" and col["status"] == "reversed" and col["rows_reversed"] == 40
    assert col["revealed"] is None
    text = out.read_text(encoding="utf-8") + hidden.output
    assert not any(e.split("@")[0] in text or e.upper().split("@")[0] in text for e in EMAILS)
    plain = cli.invoke(app, ["attack", str(export), "-c", "email_md5", "--known", str(known)])
    assert plain.exit_code == 1 and "planted.person" not in plain.output
    shown = cli.invoke(app, [*args, "--reveal"])
    assert shown.exit_code == 1
    revealed = {r["plaintext"] for r in json.loads(shown.output)["columns"][0]["revealed"]}
    assert revealed == {e.upper() for e in EMAILS} or revealed == set(EMAILS)
    text_reveal = cli.invoke(app, ["attack", str(export), "-c", "email_md5", "--known", str(known), "--reveal"])
    assert "PLANTED.PERSON0@NAVER.COM" in text_reveal.output or "planted.person0@naver.com" in text_reveal.output


def test_nothing_reversed_exits_0(tmp_path: Path, cli: CliRunner) -> None:
    key = os.urandom(32)
    rows = [[hmac.new(key, s.encode(), "sha256").hexdigest()] for s in SERIALS]
    export = _csv(tmp_path / "keyed.csv", ["customer_id"], rows)
    result = cli.invoke(app, ["attack", str(export), "--budget", "0.5", "--kernel", "python"])
    assert result.exit_code == 0, result.output
    assert "NOT REVERSED WITHIN THE BUDGET" in result.output and "not evidence of safety" in result.output
    assert "did not finish" in result.output  # never "0% reversible"


def test_bad_input_exits_2(tmp_path: Path, cli: CliRunner) -> None:
    export = _export(tmp_path)
    cases = [
        ["attack", str(tmp_path / "missing.csv")],
        ["attack", str(export), "--column", "custmer_id"],
        ["attack", str(export), "--join", "uid"],
        ["attack", str(export), "--budget", "0"],
        ["attack", str(export), "--reference", str(export), "--known", str(export)],
    ]
    for args in cases:
        result = cli.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.output and "Traceback" not in result.output
    nodigest = _csv(tmp_path / "plain.csv", ["name"], [["kim"], ["lee"]])
    result = cli.invoke(app, ["attack", str(nodigest)])
    assert result.exit_code == 2 and "--column" in result.output


def test_sender_mode_from_the_cli(tmp_path: Path, cli: CliRunner) -> None:
    rows = [[str(i), hashlib.sha1(s.encode()).hexdigest()] for i, s in enumerate(SERIALS)]
    export = _csv(tmp_path / "export.csv", ["uid", "acct_sha1"], rows)
    ref = _csv(tmp_path / "source.csv", ["uid", "acct"], [[str(i), s] for i, s in enumerate(SERIALS)][::-1])
    result = cli.invoke(app, ["attack", str(export), "-c", "acct_sha1", "--reference", str(ref), "--join", "uid"])
    assert result.exit_code == 1, result.output
    assert "sender mode" in result.output and "recipe discovered" in result.output


def test_keyspace_option(tmp_path: Path, cli: CliRunner) -> None:
    # a post-2020 RRN (random tail) is enumerable once the birth date and sex are known: 10^6 candidates
    rrns = ["210304-4000117", "210304-4933201", "210304-4582764"]
    rows = [[hashlib.sha256(r.encode()).hexdigest()] for r in rrns]
    export = _csv(tmp_path / "rrn.csv", ["rrn_hash"], rows)
    result = cli.invoke(app, ["attack", str(export), "--keyspace", "rrn:2021-03-04..2021-03-04:4:random"])
    assert result.exit_code == 1, result.output
    assert 'sha256(hex) of "YYMMDD-SXXXXXX"' in result.output
    assert "210304-4" not in result.output  # masked: only the first two digits stay
    wide = cli.invoke(app, ["attack", str(export), "-k", "rrn:2021-01-01..2021-12-31:random", "--budget", "1"])
    assert wide.exit_code == 0 and "not enumerated" in wide.output and "random tails" in wide.output
    bad = cli.invoke(app, ["attack", str(export), "--keyspace", "numeric:12"])
    assert bad.exit_code == 2 and "LOW..HIGH" in bad.output
