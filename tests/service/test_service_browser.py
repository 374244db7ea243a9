"""The web UI in a real browser (Playwright driving Debian's Chromium) against a real uvicorn server.

submit → review → approve → release → download → look up, and a denied path. Every request the
page makes is checked to stay on the service's own address (no CDN). Skipped, saying why, when
Playwright or Chromium is missing.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from svc_helpers import World, make_world

from datacustoms.service.app import create_app
from datacustoms.service.server import demo_policy

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[World, str]]:
    import uvicorn

    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", f"sqlite:///{tmp_path / 'ledger.db'}")
    w.worker.poll_seconds = 0.2
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(w.svc, worker=w.worker), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    assert server.started
    try:
        yield w, f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        w.svc.close()


def _sign_in(page: Any, base: str, token: str) -> None:
    page.goto(f"{base}/ui/login")
    page.fill("input[name=token]", token)
    page.click("button.primary")


def test_submit_review_approve_download_lookup_and_a_denied_path(served: tuple[World, str], tmp_path: Path) -> None:
    w, base = served
    outside: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context(accept_downloads=True)
        context.on("request", lambda req: outside.append(req.url) if not req.url.startswith(base) else None)
        page = context.new_page()
        _sign_in(page, base, w.tokens["operator"])
        page.goto(f"{base}/ui/submit")
        page.select_option("select[name=recipient]", label="Alipay Singapore (SG, NSF score)")
        page.fill("input[name=output_name]", "daily.parquet")
        page.fill("textarea[name=policy_yaml]", demo_policy())
        page.click("text=Submit for protection, proof and review")
        page.wait_for_url(f"{base}/ui/transfers/*")
        tid = page.url.rsplit("/", 1)[-1]
        for _ in range(300):  # the worker runs in the server; reload until the proof is done
            if page.inner_text("#verdict").startswith("PROOF PASSED"):
                break
            time.sleep(0.2)
            page.reload()
        assert page.inner_text("#verdict").startswith("PROOF PASSED — awaiting review")
        page.click("text=Sign out")

        _sign_in(page, base, w.tokens["reviewer"])
        page.goto(f"{base}/ui/transfers/{tid}")
        for box in page.query_selector_all("input[type=checkbox]"):
            box.check()
        page.click("button[value=approve]")
        assert page.inner_text("#verdict").startswith("APPROVED by rita")
        page.click("text=Sign out")

        _sign_in(page, base, w.tokens["operator"])
        page.goto(f"{base}/ui/transfers/{tid}")
        page.click("text=Create the recipient's one-time link")
        link = page.inner_text("#link")
        page.click("text=Sign out")

        _sign_in(page, base, w.tokens["recipient"])
        assert "daily.parquet" in page.inner_text("main")
        page.fill("input[name=link]", link)
        with page.expect_download() as info:
            page.click("button.primary")
        saved = tmp_path / "got.parquet"
        info.value.save_as(saved)
        assert saved.read_bytes()[:4] == b"PAR1"
        denied = page.goto(f"{base}/ui/ledger")  # the denied path: a recipient may not read the ledger
        assert denied is not None and denied.status == 403
        page.goto(f"{base}/ui/releases")
        page.click("text=Sign out")

        _sign_in(page, base, w.tokens["auditor"])
        page.goto(f"{base}/ui/subjects")
        phone = (w.svc.config.data_dir / "demo-customers.csv").read_text().splitlines()[1].split(",")[0]
        page.fill("input[name=identifier]", phone)
        page.click("button.primary")
        row = page.inner_text("#subject-transfers")
        assert "Alipay Singapore" in row and "approved" in row
        page.goto(f"{base}/ui/ledger")
        assert "VERIFIED" in page.inner_text("#verify")
        browser.close()
    assert outside == []
    assert w.state(tid)["state"] == "released"
