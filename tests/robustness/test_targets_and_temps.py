"""Targets, temp files, disk full, plaintext modes, large fields and the version flag."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from world import MARKER, run_cli

from datacustoms.errors import (
    InputError,
    LedgerError,
    OutputError,
    PolicyError,
    forget_reader_errors,
    from_exception,
)
from datacustoms.io import read
from datacustoms.io.atomic import PROCESS_START, atomic_path, atomic_write_text, sweep_stale
from datacustoms.io.targets import check_outputs, sqlite_family


def test_hard_link_and_symlink_to_a_protected_file_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("a\n1\n")
    os.link(source, tmp_path / "hard.csv")
    os.symlink(source, tmp_path / "soft.csv")
    for alias in ("hard.csv", "soft.csv", "sub/../in.csv"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(OutputError, match="is an input"):
            check_outputs([("-o", tmp_path / alias)], [("an input", source)])
    check_outputs([("-o", tmp_path / "other.csv")], [("an input", source)])  # a new file is fine


def test_the_ledger_family_is_protected_even_before_it_exists(tmp_path: Path) -> None:
    db = tmp_path / "ledger.db"
    for suffix in ("", "-wal", "-shm", "-journal", ".key"):
        with pytest.raises(OutputError, match="ledger"):
            check_outputs([("-o", Path(str(db) + suffix))], sqlite_family(db))


def test_two_outputs_on_one_file_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="also the target"):
        check_outputs([("-o", tmp_path / "x.csv"), ("--report", tmp_path / "x.csv")])


def test_stale_temp_files_of_dead_writers_are_swept_and_nothing_else(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has exited
    old = PROCESS_START - 60  # older than this process
    ours_dead = tmp_path / f".out.csv.{pid}.abcd1234.tmp"
    ours_alive = tmp_path / f".out.csv.{os.getppid()}.abcd1234.tmp"  # our parent is alive
    staging = tmp_path / f".out.csv.transfer-0123456789ab.{pid}"
    foreign = tmp_path / ".out.csv.notours.tmp"
    recent = tmp_path / f".new.csv.{pid}.zzzz9999.tmp"
    for path in (ours_dead, ours_alive, foreign, recent):
        path.write_text("partial")
    staging.mkdir()
    (staging / "out.csv").write_text("staged")
    for path in (ours_dead, ours_alive, foreign, staging):
        os.utime(path, (old, old))
    assert sweep_stale(tmp_path) == 2
    assert not ours_dead.exists() and not staging.exists()
    assert ours_alive.exists() and foreign.exists() and recent.exists()  # alive, not ours, or newer than us


def test_a_writer_killed_just_before_the_next_run_starts_is_swept(tmp_path: Path) -> None:
    """The kill test's race: a dead writer's staging folder touched a moment before the next run
    started is older than that run (the start is not rounded down to whole seconds)."""
    writer = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    staging = tmp_path / f".out.csv.transfer-0123456789ab.{int(writer.stdout)}"
    staging.mkdir()
    (staging / "out.csv").write_text("staged")  # the folder's mtime: just now, after the writer exited
    code = "import sys; from datacustoms.io.atomic import sweep_stale; print(sweep_stale(sys.argv[1]))"
    next_run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert next_run.stdout.strip() == "1", next_run.stderr
    assert not staging.exists()


def test_disk_full_is_one_line_and_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """ENOSPC while writing: the temp file is removed, the error is an OutputError."""
    target = tmp_path / "report.json"

    def full(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(OSError) as caught:
        atomic_write_text(target, "x" * 1000)
    error = from_exception(caught.value, "in.csv")
    assert isinstance(error, OutputError) and "no space left" in error.one_line()
    assert "in.csv" not in error.one_line()  # a write error does not blame the input
    assert list(tmp_path.iterdir()) == []


def _tiny_tmpfs(tmp_path: Path) -> Path:
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root); the monkeypatched test covers ENOSPC")
    return mount


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_disk_full_on_a_real_file_system(world: dict[str, Path], tmp_path: Path, suffix: str) -> None:
    from world import csv_text, data_rows

    mount = _tiny_tmpfs(tmp_path)
    try:
        big = tmp_path / "big.csv"
        big.write_text(csv_text(data_rows(5000)), encoding="utf-8")
        target = mount / f"out{suffix}"
        code, out, err = run_cli(["protect", str(big), "-p", str(world["policy"]), "-o", str(target), "--no-attack"])
        assert code == 2 and err.count("\n") == 1 and "no space left" in err, err
        assert "Traceback" not in err and MARKER not in err + out
        assert list(mount.iterdir()) == []
        code, _, err = run_cli(["inspect", str(big), "--no-attack", "-f", "json", "-o", str(mount / "r.json")])
        if code == 2:  # the report may fit; when it does not, nothing is left
            assert "no space left" in err and list(mount.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_reveal_reports_are_owner_only(world: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, _, err = run_cli(["inspect", str(world["csv"]), "--no-attack", "--reveal", "-f", "json", "-o", str(target)])
    assert code in (0, 1), err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    plain = tmp_path / "plain.json"
    run_cli(["inspect", str(world["csv"]), "--no-attack", "-f", "json", "-o", str(plain)])
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(plain.stat().st_mode) == 0o666 & ~mask  # without --reveal: as any file


def test_a_private_temp_file_is_owner_only_before_any_byte(tmp_path: Path) -> None:
    with atomic_path(tmp_path / "secret.csv", mode=0o600) as tmp:
        assert stat.S_IMODE(tmp.stat().st_mode) == 0o600
        tmp.write_text("x")


def test_a_five_megabyte_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    rows = ["id,note"] + [f"{i},short" for i in range(20_000)] + ["20000," + "x" * 5_000_000, "20001,after"]
    path.write_text("\n".join(rows) + "\n")
    table = read(str(path))
    batches = list(table.batches())
    assert sum(b.num_rows for b in batches) == 20_002
    notes = [v for b in batches for v in b.column("note").to_pylist()]
    assert len(notes[20_000]) == 5_000_000 and notes[-1] == "after" and notes[:2] == ["short", "short"]


def test_a_blank_first_line_does_not_make_the_first_record_a_header(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(f"\n\nname,phone\n{MARKER},010-1234-5678\n")
    table = read(str(path))
    assert table.column_names == ["name", "phone"] and table.num_rows == 1


def test_headerless_csv_errors_quote_no_record(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(f"\n{MARKER},010-1234-5678,a@b.c\n{MARKER}2,010-1234-5679\n")
    with pytest.raises(InputError) as caught:
        list(read(str(path)).batches())
    assert MARKER not in caught.value.one_line()


def test_library_errors_are_translated_without_their_text() -> None:
    import duckdb
    import pyarrow as pa
    import sqlalchemy.exc
    import yaml

    forget_reader_errors()  # an earlier test's reader error would stand in for these
    leaking = f"Expected 3 columns, got 1: {MARKER},010-1234-5678 at row 7"
    cases = [
        (pa.ArrowInvalid(f"CSV parse error: {leaking}"), InputError),
        (duckdb.ConversionException(f"Could not convert string '{MARKER}' to DATE"), InputError),
        (duckdb.InvalidInputException(f"bad value {MARKER}"), InputError),
        (sqlalchemy.exc.OperationalError("SELECT 1", {"v": MARKER}, Exception("no such table: dc_subjects")), LedgerError),
        (yaml.YAMLError(MARKER), PolicyError),
        (UnicodeDecodeError("utf-8", MARKER.encode(), 0, 1, "bad"), InputError),
    ]
    for exc, cls in cases:
        error = from_exception(exc, "/data/customers.csv")
        assert isinstance(error, cls), (exc, error)
        assert MARKER not in error.one_line() and "\n" not in error.one_line()
    assert "row 7" in (from_exception(cases[0][0], "x.csv") or InputError("")).one_line()
    assert from_exception(KeyError("x")) is None  # not a library error: a bug, shown as one


def test_version_flag() -> None:
    from datacustoms import __version__

    code, out, err = run_cli(["--version"])
    assert code == 0 and out.strip() == f"datacustoms {__version__}", (out, err)


def test_transfer_report_folder_leaves_no_record_and_no_file(world: dict[str, Path], tmp_path: Path) -> None:
    from datacustoms.ledger import LedgerStore

    ledger = tmp_path / "ledger.db"
    code, _, err = run_cli(["consent", "import", str(world["consents"]), "--ledger", str(ledger)])
    assert code == 0, err
    (tmp_path / "report").mkdir()
    (tmp_path / "out.csv").mkdir()
    for extra in (["-o", str(tmp_path / "ok.csv"), "--report", str(tmp_path / "report")],
                  ["-o", str(tmp_path / "out.csv")]):
        code, _, err = run_cli(["transfer", str(world["csv"]), "-p", str(world["tpolicy"]), "--ledger", str(ledger),
                                "--no-attack", *extra])
        assert code == 2 and "is a folder" in err, err
    with LedgerStore(str(ledger)) as store:
        assert store.entries("transfer") == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.db", "ledger.db.key", "out.csv", "report"]
    code, _, err = run_cli(["transfer", str(world["csv"]), "-p", str(world["tpolicy"]), "--ledger", str(ledger),
                            "--no-attack", "-o", str(tmp_path / "ok.csv"), "--report", str(tmp_path / "r.json")])
    assert code == 0, err  # the same transfer with good targets is sent and recorded
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "sent"


def test_a_keystore_copy_left_by_a_killed_writer_is_removed(tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    store = tmp_path / "ks" / "keystore.json"
    store.parent.mkdir(mode=0o700)
    left = store.with_name(f".keystore.json.{int(dead.stdout)}.0a1b2c3d.tmp")
    left.write_text('{"keys": "material"}')
    os.utime(left, (PROCESS_START - 60, PROCESS_START - 60))  # older than this process
    code, _, err = run_cli(["keys", "create", "fresh", "--keystore", str(store)])
    assert code == 0, err
    assert not left.exists() and store.exists()


def test_a_missing_header_is_noted_without_quoting_it(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(f"\n{MARKER},010-1234-5678,kim@example.com\n{MARKER}2,010-1234-5679,lee@example.com\n")
    table = read(str(path))
    assert any("header is missing" in n or "is the header missing" in n for n in table.notes)
    assert not any(MARKER in n for n in table.notes)
    assert read(str(tmp_path / "customers.csv")).num_rows == 1
    ok = tmp_path / "ok.csv"
    ok.write_text("phone,email\n010-1234-5678,kim@example.com\n")
    assert not any("header" in n for n in read(str(ok)).notes)
