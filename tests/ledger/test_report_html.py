"""The HTML report: verdict first, self-contained, no network reference, secrets absent."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from datacustoms.model.attack import ColumnAttack, Extrapolation, RecipeTried, Revealed
from datacustoms.model.findings import Check, ColumnFinding
from datacustoms.model.report import Report, SourceInfo
from datacustoms.model.risk import AttackerRisk, ClassHistogram, RiskProfile, UnicityPoint, UnicityResult
from datacustoms.model.thresholds import Thresholds
from datacustoms.report.html import class_size_chart, render_html, render_protect_html

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
URL_REF = re.compile(r"""(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def _report(failing: bool) -> Report:
    checks = [Check(rule="R1", subject="phone", status="fail", message="kr_mobile in clear <script>x</script>")]
    return Report(
        source=SourceInfo(name="export.csv", path="export.csv", format="csv", rows=44, columns=3),
        findings=[ColumnFinding(column="phone", kind="kr_mobile", role="direct_identifier", score=0.99)],
        checks=checks if failing else [Check(rule="R10", subject="table", status="pass", message="k = 5")],
        created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def _risk() -> RiskProfile:
    prosecutor = AttackerRisk(model="prosecutor", highest=1.0, average=0.16, records_at_highest=3)
    return RiskProfile(
        rows=44,
        qi=["age", "zip"],
        thresholds=Thresholds(k=5),
        k=1,
        classes=7,
        histogram=ClassHistogram(sizes=[1, 2, 7, 30], counts=[3, 2, 1, 1]),
        classes_below_k=5,
        records_below_k=7,
        sample_uniques=3,
        prosecutor=prosecutor,
        journalist=prosecutor,
        marketer=prosecutor,
    )


def assert_offline(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert not URL_REF.search(html)
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert "default-src 'none'" in html  # and the page forbids itself any request


def test_verdict_first_and_escaped() -> None:
    html = render_html(_report(failing=True))
    body = html.split("<body>", 1)[1]
    assert body.index('id="verdict"') < body.index('id="columns"')
    assert "FAIL" in body and "1 check(s) failed" in body
    assert "&lt;script&gt;" in html and "<script>x" not in html
    assert_offline(html)
    assert "PASS" in render_html(_report(failing=False))


def test_charts_and_stages_render_when_present() -> None:
    report = _report(failing=True)
    unicity = UnicityResult(
        people=10,
        events=100,
        sampled=10,
        time_granularity="day",
        place=None,
        amount=None,
        amount_bins=None,
        median_points=5,
        seed=0,
        points=[
            UnicityPoint(p=1, eligible=10, unique=2, epsilon=0.2, ci_low=0.1, ci_high=0.3),
            UnicityPoint(p=4, eligible=10, unique=9, epsilon=0.9, ci_low=0.8, ci_high=0.95),
        ],
    )
    attacks = [
        ColumnAttack(
            column="phone_sha256",
            mode="blind",
            status="reversed",
            reason="every digest matched",
            recipe="sha256(hex) of 01XXXXXXXXX",
            keyspace_covered=100_000_000,
            candidates_per_second=4.2e7,
            seconds=2.4,
            rows=44,
            rows_reversed=44,
            rows_reversed_share=1.0,
            examples=["010-****-5678"],
            recipes_tried=[
                RecipeTried(
                    recipe="sha256(hex) of 01XXXXXXXXX",
                    keyspace="kr_mobile",
                    size=100_000_000,
                    covered=100_000_000,
                    complete=True,
                    hits=44,
                    seconds=2.4,
                    engine="avx512",
                )
            ],
            extrapolations=[
                Extrapolation(label="one GPU", candidates=100_000_000, rate=2e10, seconds=0.005, measured=False)
            ],
            revealed=[Revealed(digest="ab" * 32, plaintext="01012345678")],
        )
    ]
    view = {**report.model_dump(), "risk": _risk(), "unicity": unicity, "attacks": attacks}
    after = {**view, "risk": _risk().model_copy(update={"k": 5, "records_below_k": 0}), "attacks": []}
    html = render_html(
        after,
        before=view,
        actions={"phone": "pseudonymize"},
        record={"status": "sent", "recipient": {"name": "Partner", "country": "SG"}},
    )
    assert html.count("<svg") == 3  # class sizes, unicity, before → after
    assert "Records by equivalence-class size" in html and "p=4" in html and "90.0%" in html
    assert "sha256(hex) of 01XXXXXXXXX" in html and "010-****-5678" in html and "100,000,000" in html
    assert "kr_mobile" in html and "one GPU: 5 ms" in html and "reversed" in html
    assert "01012345678" not in html  # revealed plaintexts are never rendered
    assert "Transfer record" in html and "recipient.country" in html and "pseudonymize" in html
    assert_offline(html)


def test_class_size_chart_marks_classes_below_k() -> None:
    svg = str(class_size_chart(ClassHistogram(sizes=[1, 6], counts=[2, 1]), 5))
    assert svg.count('class="bar hot"') == 4 and "25.0%" in svg and "75.0%" in svg


CHROME_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
]
#: the browser's own service hosts, in case a build still calls home despite the flags
BROWSER_HOSTS = ("google.com", "googleapis.com", "gvt1.com", "gstatic.com")


class _RecordingProxy:
    """A proxy that answers nothing and records the first line of every request it receives."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                self.lines.append(conn.recv(4096).split(b"\r\n")[0].decode(errors="replace"))
            conn.close()

    def page_requests(self) -> list[str]:
        return [line for line in self.lines if not any(h in line for h in BROWSER_HOSTS)]


def _chromium(page: Path, profile: Path, proxy: _RecordingProxy) -> str:
    assert CHROMIUM is not None
    proc = subprocess.run(
        [CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={profile}", f"--proxy-server=127.0.0.1:{proxy.port}",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium')")
def test_renders_in_headless_chromium_without_a_request(tmp_path: Path) -> None:
    proxy = _RecordingProxy()
    # control: a page with an external image does reach the proxy, so silence below means something
    control = tmp_path / "control.html"
    control.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>', encoding="utf-8")
    _chromium(control, tmp_path / "p1", proxy)
    assert any("example.invalid" in line for line in proxy.page_requests()), proxy.lines
    proxy.lines.clear()
    page = tmp_path / "report.html"
    page.write_text(render_html({**_report(failing=True).model_dump(), "risk": _risk()}), encoding="utf-8")
    dom = _chromium(page, tmp_path / "p2", proxy)
    assert 'id="verdict"' in dom and "FAIL" in dom and "<svg" in dom
    assert "Records by equivalence-class size" in dom
    assert proxy.page_requests() == []


def test_protect_page_from_a_result_and_its_proof() -> None:
    from datacustoms.protect.pipeline import ProtectResult, StepInfo
    from datacustoms.protect.prove import ColumnState, Proof, Snapshot

    result = ProtectResult(input="in.csv", output="out.parquet", format="parquet", recipient="Partner",
                           purpose="scoring", rows_in=10, rows_out=10, k_required=5,
                           steps=[StepInfo(column="phone", action="pseudonymize", detail="HMAC-SHA-256")],
                           dropped=["email"])
    before = Snapshot(rows=10, columns=[ColumnState(column="phone", kind="kr_mobile", role="direct_identifier"),
                                        ColumnState(column="email", kind="email", role="direct_identifier")])
    after = Snapshot(rows=10, columns=[ColumnState(column="phone", kind="digest:md5/hex", role="pseudonym",
                                                   attacked=True, reversed_share=0.0, attack_status="not_reversed")])
    html = render_protect_html(result, Proof(before=before, after=after, failures=[
        Check(rule="R10", subject="table", status="fail", message="k = 2 is below the policy's 5")]))
    assert "FAIL" in html and "R10" in html and "pseudonymize (HMAC-SHA-256)" in html and "not sent" in html
    assert_offline(html)


RECORD_SECTION = """
recipient_country: SG
legal_basis: consent
role: processor
record:
  consent: not_required
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
    credit_data: true
"""


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    src = str(Path(__file__).resolve().parents[2] / "src")
    return subprocess.run([sys.executable, "-m", "datacustoms", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": src, **env}, check=False, timeout=600)


def _text(dom: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom)))


@pytest.fixture(scope="module")
def kakaopay_transfer(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """synth kakaopay (small) → policy suggest + a record section → transfer, sent and refused."""
    work = tmp_path_factory.mktemp("kakaopay")
    env = {"DC_HTML_KEY": "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0"}
    done = _cli("synth", "kakaopay", "--out", str(work / "data"), "--customers", "300", "--days", "1", env=env)
    assert done.returncode == 0, done.stderr
    export = next((work / "data" / "export").glob("*.csv"))
    done = _cli("policy", "suggest", str(export), "--recipient", "Alipay Singapore", "--purpose", "NSF score",
                "--key", "env:DC_HTML_KEY", "-o", str(work / "suggested.yaml"), env=env)
    assert done.returncode == 0, done.stderr
    import yaml

    suggested = yaml.safe_load((work / "suggested.yaml").read_text(encoding="utf-8"))
    terms = yaml.safe_load(RECORD_SECTION)  # the suggested record template's demo terms, filled in
    (work / "refused.yaml").write_text(yaml.safe_dump({**suggested, **terms}), encoding="utf-8")  # no destruction: R34
    terms["record"]["korea"]["destruction"] = "deleted at the end of use"
    (work / "sent.yaml").write_text(yaml.safe_dump({**suggested, **terms}), encoding="utf-8")
    pages = {}
    for name in ("sent", "refused"):
        page = work / f"{name}.html"
        done = _cli("transfer", str(export), "-p", str(work / f"{name}.yaml"), "-o", str(work / f"{name}.parquet"),
                    "--ledger", str(work / f"{name}.db"), "--format", "html", "--report", str(page),
                    "--attack-budget", "2", env=env)
        assert done.returncode == (0 if name == "sent" else 1), done.stderr
        assert "<html" not in done.stdout  # the page went to --report, the terminal got the summary
        pages[name] = page
    return pages


def test_transfer_page_names_the_source_and_the_protection(kakaopay_transfer: dict[str, Path]) -> None:
    sent = kakaopay_transfer["sent"].read_text(encoding="utf-8")
    text = _text(sent)
    assert "kakaopay_to_alipay_20240514.csv · csv · 300 rows · 12 columns" in text
    assert re.search(r"→ sent\.parquet · parquet · \d+ rows · \d+ columns", text)
    assert "keyed pseudonym (HMAC-SHA-256) / pseudonym" in text and "digest:md5" not in text
    before = sent.split("<h3>before protection</h3>", 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", before, re.S)[1:]:  # no column of the reversal table is all "—"
        cells = [_text(c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert any(c not in ("", "—") for c in cells[2:]), cells
    refused = _text(kakaopay_transfer["refused"].read_text(encoding="utf-8"))
    verdict = refused.split("REFUSED", 1)[1].split("Transfer record", 1)[0]
    assert "Columns:" not in refused  # refused before protection: nothing was detected to show
    assert verdict.count("R34") == 1, verdict
    assert "kakaopay_to_alipay_20240514.csv · csv · 300 rows · 12 columns" in refused
    assert "parquet · 0 columns" not in refused


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium')")
def test_transfer_page_in_chromium(kakaopay_transfer: dict[str, Path], tmp_path: Path) -> None:
    """The page as a browser shows it: verdict line, the source's format and columns, the output kinds."""
    assert CHROMIUM is not None
    proxy = _RecordingProxy()
    dom = _chromium(kakaopay_transfer["sent"], tmp_path / "profile", proxy)
    verdict = re.search(r'<section id="verdict"[^>]*>(.*?)</section>', dom, re.S)
    assert verdict is not None and _text(verdict.group(1)).strip().startswith("SENT — PASS No check failed")
    source = re.search(r'<span id="source">(.*?)</span>', dom, re.S)
    assert source is not None and _text(source.group(1)).endswith("csv · 300 rows · 12 columns")
    columns = dom.split('id="columns"', 1)[1].split("</table>", 1)[0]  # the columns table only
    kinds = dict(re.findall(r"<tr><td><code>(\w+)</code></td>.*?<td>[^<]*</td><td>([^<]*)</td></tr>", columns, re.S))
    assert kinds["account_sha256"] == "keyed pseudonym (HMAC-SHA-256) / pseudonym"
    assert kinds["phone_sha256"] == "not sent" and kinds["signup_date"].startswith("category")
    shot = tmp_path / "page.png"
    done = subprocess.run([CHROMIUM, *CHROME_FLAGS, f"--user-data-dir={tmp_path / 'p2'}",
                           f"--proxy-server=127.0.0.1:{proxy.port}", f"--screenshot={shot}", "--window-size=1280,2400",
                           kakaopay_transfer["sent"].as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert proxy.page_requests() == []


def test_transfer_and_ledger_json_follow_their_schemas(kakaopay_transfer: dict[str, Path]) -> None:
    """transfer --format json|sarif|junit and ledger list/lookup --format json, on the same ledger."""
    import json
    import xml.etree.ElementTree as ET

    import jsonschema

    from datacustoms.flows.documents import schema_texts

    work = kakaopay_transfer["sent"].parent
    env = {"DC_HTML_KEY": "520d2ed6a1cc4cb307b27fbebba02bcb7e0140e54dd0baa7523542b1e24b61d0"}
    export = next((work / "data" / "export").glob("*.csv"))
    ledger = str(work / "refused.db")
    base = ["transfer", str(export), "-p", str(work / "refused.yaml"), "-o", str(work / "again.parquet"),
            "--ledger", ledger, "--no-attack"]
    done = _cli(*base, "--format", "json", env=env)
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    jsonschema.validate(doc, json.loads(schema_texts()["transfer.schema.json"]()))
    assert doc["status"] == "refused" and doc["schema_version"] == "1.0"
    sarif = json.loads(_cli(*base, "--format", "sarif", env=env).stdout)
    result = sarif["runs"][0]["results"][0]
    assert result["ruleId"] == "R34" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == str(export)
    junit = _cli(*base, "--format", "junit", env=env).stdout
    failures = ET.fromstring(junit.split("\n", 1)[1]).findall("testsuite/testcase/failure")
    assert [f.get("type") for f in failures] == ["R34"]
    listed = _cli("ledger", "list", "--ledger", ledger, "--format", "json", env=env)
    entries = json.loads(listed.stdout)
    jsonschema.validate(entries, json.loads(schema_texts()["ledger-list.schema.json"]()))
    assert [e["body"]["status"] for e in entries["entries"]] == ["refused"] * 4
    for flag in (["--format", "json"], ["--json"]):  # --json stays as a hidden alias
        found = _cli("ledger", "lookup", "--phone", "010-1234-5678", "--ledger", ledger, *flag, env=env)
        assert found.returncode == 0, found.stderr
        jsonschema.validate(json.loads(found.stdout), json.loads(schema_texts()["ledger-lookup.schema.json"]()))
