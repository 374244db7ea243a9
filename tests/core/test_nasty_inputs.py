"""Each nasty input gives a correct result or one clear line with exit 2 — never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CASES: dict[str, bytes] = {
    "empty.csv": b"",
    "binary.csv": bytes(range(256)) * 40,
    "latin1.csv": "name,city\nJos\xe9,S\xe3o Paulo\n".encode("latin-1") + b"\xff\xfe\n",
    "header_only.csv": b"phone,email\n",
    "nulls.csv": b"phone,note\n,\n,\n,\n",
    "one_column.csv": b"email\nkim@naver.com\nlee@gmail.com\n",
    "korean_cp949.csv": "휴대폰번호,이메일\n010-1234-5678,kim@naver.com\n".encode("cp949"),
    "duplicate_headers.csv": b"id,id,id\n1,2,3\n",
    "wide.csv": (",".join(f"c{i}" for i in range(2000)) + "\n" + ",".join("1" for _ in range(2000)) + "\n").encode(),
    "ragged.csv": b"a,b\n1,2\n3,4,5\n",
    "bad_digest.csv": b"phone_sha256\n" + b"\n".join([b"a" * 64] * 5 + [b"not-a-digest"]) + b"\n",
    "garbage.parquet": b"PAR1" + b"\x00" * 100,
}
EXPECT_EXIT_2 = {"empty.csv", "binary.csv", "latin1.csv", "ragged.csv", "garbage.parquet"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_inspect_nasty_input(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(CASES[name])
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "datacustoms", "inspect", str(path), "--format", "json", "-o", str(out), "--attack-budget", "2"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    if name in EXPECT_EXIT_2:
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("error: ") and proc.stderr.count("\n") == 1
        assert not out.exists(), "no report may be left behind for bad input"
    else:
        assert proc.returncode in (0, 1), proc.stderr
        assert out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
