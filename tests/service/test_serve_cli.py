"""``datacustoms serve``: the real command starts, serves the demo, refuses bad options in one line."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from datacustoms.cli import main


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_without_the_extra_it_names_the_install_line(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "fastapi" else real(name, *a))
    code, _, err = _run(["serve"], capsys)
    assert code == 2 and err.count("\n") == 1 and "pip install 'datacustoms[serve]'" in err


@pytest.mark.parametrize(("argv", "needle"), [
    (["serve", "--port", "0"], "--port must be between 1 and 65535"),
    (["serve", "--no-worker", "--worker-only"], "exclude each other"),
    (["serve", "--hold-hours", "0"], "--hold-hours must be positive"),
    (["serve", "--database", "notadialect://x"], "cannot open the service database"),
])
def test_bad_options_are_one_line_exit_2(argv: list[str], needle: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([*argv, "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1 and "Traceback" not in err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_demo_starts_and_prints_its_tokens_once(tmp_path: Path) -> None:
    port = _free_port()
    cmd = [sys.executable, "-m", "datacustoms", "serve", "--demo", "--port", str(port), "--data-dir", str(tmp_path)]
    env = {k: v for k, v in os.environ.items() if k != "DATACUSTOMS_DEMO_KEY"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = [proc.stdout.readline() for _ in range(7)] if proc.stdout else []
        tokens = {ln.split()[0]: ln.split()[2] for ln in lines if ln.startswith("  ")}
        assert set(tokens) == {"admin", "operator", "reviewer", "auditor", "recipient"}, lines
        health = None
        for _ in range(300):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as r:
                    health = json.loads(r.read())
                break
            except OSError:
                time.sleep(0.1)
        assert health is not None and health["status"] == "ok"
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/sources",
                                     headers={"authorization": f"Bearer {tokens['operator']}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert [s["name"] for s in json.loads(r.read())] == ["demo-customers"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert (tmp_path / "service.db").is_file() and (tmp_path / "ledger.db").is_file()


@pytest.mark.parametrize(("argv", "needle"), [
    (["serve", "--queue", "amqp://guest@127.0.0.1"], "--queue must be 'database' or a redis:// URL"),
    (["serve", "--engine", "sparkk"], "unknown engine 'sparkk'"),
])
def test_bad_queue_or_engine_is_one_line_exit_2(argv: list[str], needle: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([*argv, "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_queue_without_the_redis_package_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "redis" else real(name, *a))
    code, _, err = _run(["serve", "--queue", "redis://127.0.0.1:6379/0", "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and err.count("\n") == 1 and "pip install 'datacustoms[queue]'" in err


def test_queue_on_an_unreachable_redis_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("redis")
    code, _, err = _run(["serve", "--queue", "redis://127.0.0.1:1/0", "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and "cannot reach the Redis queue" in err and err.count("\n") == 1


@pytest.mark.parametrize(("argv", "needle"), [
    (["serve", "--queue-prefix", "eu"], "--queue-prefix names Redis keys: it needs --queue redis://"),
    (["serve", "--queue", "redis://127.0.0.1:6379/0", "--queue-prefix", "eu west"], "is not 1-64 letters"),
    (["serve", "--queue", "redis://127.0.0.1:6379/0", "--queue-prefix", ""], "is not 1-64 letters"),
    (["serve", "--queue", "redis://127.0.0.1:6379/0", "--queue-prefix", "x" * 65], "is not 1-64 letters"),
])
def test_bad_queue_prefix_is_one_line_exit_2(argv: list[str], needle: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run([*argv, "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and needle in err and err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize(("argv", "prefix"), [
    (["--queue", "redis://127.0.0.1:6379/0", "--queue-prefix", "datacustoms-eu:1"], "datacustoms-eu:1"),
    (["--queue", "redis://127.0.0.1:6379/0"], "datacustoms"),
    ([], "datacustoms"),
])
def test_queue_prefix_reaches_the_service_config(argv: list[str], prefix: str, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The prefix the command was given is the one the service opens its Redis queue with."""
    pytest.importorskip("redis")
    from datacustoms.cli import serve

    seen = []
    monkeypatch.setattr(serve, "_serve", lambda config, *rest: seen.append(config))
    with pytest.raises(SystemExit) as exc:
        main(["serve", *argv, "--data-dir", str(tmp_path)])
    assert not exc.value.code and [c.queue_name for c in seen] == [prefix]
    assert seen[0].queue_url == (argv[1] if argv else None)
