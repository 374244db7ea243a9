"""The local master's class-data archive: written by one session, checked and moved into place by
a later one, never mapped before a JVM that requires sharing started on it."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from datacustoms.errors import UsageError
from datacustoms.io import spark_classes
from datacustoms.io.spark_classes import ARCHIVE_CONF, archive_options

FLAGS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pytest.importorskip("pyspark")
    monkeypatch.setenv("DATACUSTOMS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(spark_classes, "java_binary", lambda: shutil.which("java") or "/bin/sh")
    return tmp_path / "cache" / "spark-classes"


def _key() -> str:
    java = spark_classes.java_binary()
    assert java is not None
    return spark_classes.archive_key(java, FLAGS)


def _written(cache: Path, pid: int, age_s: float = 0.0) -> Path:
    """An archive left by a session whose JVM had ``pid``, written ``age_s`` ago."""
    partial = cache / f"{_key()}.{pid}-1.partial"
    partial.write_bytes(b"not really an archive")
    partial.with_suffix(".writer").write_text(json.dumps({"pid": pid, "classpath": "x.jar", "options": ["-Xmx1g"]}))
    then = time.time() - age_s
    os.utime(partial, (then, then))
    return partial


def _gone_pid() -> int:
    """A process number no process has now."""
    pid = 999_999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_first_session_writes_an_archive_of_its_own_name(cache: Path) -> None:
    options = archive_options({}, FLAGS)
    assert options.startswith(f"-XX:ArchiveClassesAtExit={cache}/{_key()}.{os.getpid()}-")
    assert options.endswith(".partial -Xlog:cds*=off,class+path*=off") and cache.is_dir()


def test_a_checked_archive_is_moved_into_place_and_mapped(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.mkdir(parents=True)
    partial = _written(cache, _gone_pid())
    checked: list[tuple[list[str], str]] = []

    def usable(java: str, options: list[str], archive: Path, classpath: str) -> bool:
        checked.append((options, classpath))
        assert archive == partial
        return True

    monkeypatch.setattr(spark_classes, "_usable", usable)
    options = archive_options({}, FLAGS)
    final = cache / f"{_key()}.jsa"
    assert options == f"-XX:SharedArchiveFile={final} -Xshare:auto -Xlog:cds*=off,class+path*=off"
    assert checked == [(["-Xmx1g"], "x.jar")]  # the writer JVM's own options and class path
    assert final.read_bytes() == b"not really an archive" and not partial.exists()
    assert not partial.with_suffix(".writer").exists()


def test_an_archive_that_fails_its_check_is_deleted_and_not_written_again(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.mkdir(parents=True)
    partial = _written(cache, _gone_pid())
    monkeypatch.setattr(spark_classes, "_usable", lambda *a: False)
    assert archive_options({}, FLAGS) == ""
    assert not partial.exists() and not (cache / f"{_key()}.jsa").exists()
    assert archive_options({}, FLAGS) == ""  # the failed marker: no loop of writing and deleting


def test_an_archive_whose_writer_still_runs_is_left_alone(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.mkdir(parents=True)
    partial = _written(cache, os.getpid())  # this process stands for a JVM still writing
    monkeypatch.setattr(spark_classes, "_usable", lambda *a: pytest.fail("checked while being written"))
    assert archive_options({}, FLAGS) == ""  # nor does a second session write one beside it
    assert partial.exists()


def test_an_archive_without_a_writer_note_is_never_mapped(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.mkdir(parents=True)
    young = _written(cache, _gone_pid())
    young.with_suffix(".writer").unlink()
    monkeypatch.setattr(spark_classes, "_usable", lambda *a: pytest.fail("an unknown writer's file was checked"))
    assert archive_options({}, FLAGS) == ""  # kept a while: its writer may still note itself
    assert young.exists()
    then = time.time() - 2 * spark_classes.STALE_S
    os.utime(young, (then, then))
    assert archive_options({}, FLAGS).startswith("-XX:ArchiveClassesAtExit=")  # old: deleted, written anew
    assert not young.exists()


@pytest.mark.skipif(shutil.which("java") is None, reason="needs Java")
def test_a_damaged_archive_fails_the_throw_away_jvm_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Java maps an archive without checking its length (a cut one crashes the JVM that maps it):
    the check runs such a JVM in a child process, whose crash leaves no file behind."""
    monkeypatch.chdir(tmp_path)
    damaged = tmp_path / "cut.jsa"
    damaged.write_bytes(b"\x00" * 4096)
    java = shutil.which("java")
    assert java is not None
    assert not spark_classes._usable(java, [], damaged, str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["cut.jsa"]  # no hs_err file, no core


def test_the_setting(cache: Path) -> None:
    assert archive_options({ARCHIVE_CONF: "off"}, FLAGS) == ""
    assert not cache.exists()
    with pytest.raises(UsageError, match=f"{ARCHIVE_CONF} must be auto or off"):
        archive_options({ARCHIVE_CONF: "sometimes"}, FLAGS)


def test_no_archive_without_java_or_a_writable_cache(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_classes, "java_binary", lambda: None)
    assert archive_options({}, FLAGS) == ""
    monkeypatch.setattr(spark_classes, "java_binary", lambda: shutil.which("java") or "/bin/sh")
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("DATACUSTOMS_CACHE_DIR", str(blocker))  # a file where the folder should be
    assert archive_options({}, FLAGS) == ""
    monkeypatch.setenv("DATACUSTOMS_CACHE_DIR", str(tmp_path / "with space"))  # Spark splits options at spaces
    assert archive_options({}, FLAGS) == ""


def test_the_key_follows_java_spark_and_the_flags(cache: Path) -> None:
    java = spark_classes.java_binary()
    assert java is not None
    assert spark_classes.archive_key(java, FLAGS) == spark_classes.archive_key(java, FLAGS)
    assert spark_classes.archive_key(java, FLAGS) != spark_classes.archive_key(java, FLAGS + " -Xss4m")


def test_no_second_archive_while_a_jvm_is_still_to_write_one(cache: Path) -> None:
    """A JVM writes its archive only when it exits, after its Python driver: until then only its
    note is there, and a session starting meanwhile writes no second one."""
    cache.mkdir(parents=True)
    note = cache / f"{_key()}.{os.getpid()}-1.writer"
    note.write_text(json.dumps({"pid": os.getpid(), "classpath": "x.jar", "options": []}))
    assert archive_options({}, FLAGS) == ""
    then = time.time() - 2 * spark_classes.STALE_S  # a note that old names a JVM long gone (or a reused number)
    os.utime(note, (then, then))
    assert archive_options({}, FLAGS).startswith("-XX:ArchiveClassesAtExit=")


def test_archives_written_beside_the_one_in_place_are_swept(cache: Path) -> None:
    cache.mkdir(parents=True)
    final = cache / f"{_key()}.jsa"
    final.write_bytes(b"checked")
    gone = _written(cache, _gone_pid())
    running = _written(cache, os.getpid())
    assert archive_options({}, FLAGS).startswith(f"-XX:SharedArchiveFile={final} ")
    assert not gone.exists() and not gone.with_suffix(".writer").exists()
    assert running.exists()  # its JVM may still be writing it: swept by a later session
