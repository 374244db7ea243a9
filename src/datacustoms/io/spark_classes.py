"""A class-data archive for a local master's JVM: Spark's classes mapped from a file, not loaded.

A local master's JVM loads, verifies and links some 15,000 of Spark's classes on every start and
in every first job: about half of a fresh session's start and a second or more of its first jobs
(``docs/scaling.md``: the 10 M-row inspect). Java's application class-data sharing keeps those
classes, already parsed, in a file the next JVM maps. The first session writes the archive when
its JVM exits (``-XX:ArchiveClassesAtExit``, to a name of its own; a session that starts while
another's JVM has yet to write its archive writes none); a later session checks it and moves it
into place, and every session after that maps it (``-XX:SharedArchiveFile``) and sweeps what
sessions that wrote one beside it left.

Java maps an archive without checking its length: a file cut short (a JVM killed while writing
it) crashes the JVM that maps it. So an archive is used only after a JVM that wrote it has exited
(its process is gone) and a throw-away JVM started on it with sharing required (``-Xshare:on``)
ran; anything else is deleted once it is old, never mapped. The archive's name carries a digest of
the Java binary, Spark's jars and the JVM flags, so an upgrade of either writes a new one.

``spark.datacustoms.classArchive=off`` (or JVM options of one's own,
``spark.driver.extraJavaOptions``) leaves it out. The archive (about 160 MiB) lives in
``$DATACUSTOMS_CACHE_DIR``, else ``$XDG_CACHE_HOME/datacustoms``, else ``~/.cache/datacustoms``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from datacustoms.errors import UsageError

ARCHIVE_CONF = "spark.datacustoms.classArchive"
#: an unchecked archive older than this whose writer is gone or unknown is deleted, not kept
STALE_S = 3600
#: how long the throw-away JVM that checks an archive may take
CHECK_TIMEOUT_S = 60
#: the JVM's archive messages (hundreds of lines while it writes one) would go to the user's
#: standard output, the JSON report's stream
QUIET = "-Xlog:cds*=off,class+path*=off"


def archive_choice(conf: dict[str, str]) -> str:
    """The :data:`ARCHIVE_CONF` setting: auto or off (anything else: a usage error)."""
    choice = (conf.get(ARCHIVE_CONF, "auto") or "auto").strip().lower()
    if choice not in ("auto", "off"):
        raise UsageError(
            f"{ARCHIVE_CONF} must be auto or off, not {choice!r}", f"pass --spark-conf {ARCHIVE_CONF}=off (or auto)"
        )
    return choice


def cache_dir() -> Path:
    """Where datacustoms keeps what it may rebuild: ``$DATACUSTOMS_CACHE_DIR``, else the XDG cache."""
    explicit = os.environ.get("DATACUSTOMS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "datacustoms"


def java_binary() -> str | None:
    """The ``java`` Spark's launcher runs: ``$JAVA_HOME/bin/java``, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home, "bin", "java"), os.X_OK):
        return str(Path(home, "bin", "java"))
    return shutil.which("java")


def archive_key(java: str, flags: str) -> str:
    """A digest of what the archive depends on: the Java binary, Spark's jars and the JVM flags."""
    import pyspark

    digest = hashlib.sha256()
    real = Path(java).resolve()
    stat = real.stat()
    digest.update(f"{real}|{stat.st_size}|{stat.st_mtime_ns}|{flags}|{pyspark.__version__}".encode())
    jars = Path(os.environ.get("SPARK_HOME") or Path(pyspark.__file__).parent) / "jars"
    for jar in sorted(jars.glob("*.jar")) if jars.is_dir() else []:
        digest.update(f"|{jar.name}:{jar.stat().st_size}".encode())
    return digest.hexdigest()[:24]


def archive_options(conf: dict[str, str], flags: str) -> str:
    """The JVM options to add to ``flags`` for a local master: map the archive, or write one.

    Empty when the setting is off, Java cannot be found, or the cache folder cannot be written.
    """
    if archive_choice(conf) == "off":
        return ""
    java = java_binary()
    if java is None:
        return ""
    try:
        folder = cache_dir() / "spark-classes"
        if any(c.isspace() for c in str(folder)):
            return ""  # Spark splits its JVM options at white space
        folder.mkdir(parents=True, exist_ok=True)
        key = archive_key(java, flags)
        final = folder / f"{key}.jsa"
        if not final.exists():
            _promote(folder, key, java)
        if final.exists():
            _sweep(folder, key)
            return f"-XX:SharedArchiveFile={final} -Xshare:auto {QUIET}"
        if (folder / f"{key}.failed").exists() or _pending(folder, key):
            return ""  # the check refused one before, or another session's archive is on its way
        return f"-XX:ArchiveClassesAtExit={folder / f'{key}.{os.getpid()}-{time.time_ns()}.partial'} {QUIET}"
    except OSError:
        return ""  # a read-only home, a full disk: run without the archive


def record_writer(options: str, jvm: Any) -> None:
    """Note, beside an archive being written, which JVM writes it, with what options and class path
    (``jvm``: the session's py4j view of the JVM); the check at a later start needs all three."""
    prefix = "-XX:ArchiveClassesAtExit="
    if not options.startswith(prefix):
        return
    partial = Path(options.split()[0][len(prefix) :])
    try:
        lang = jvm.java.lang
        runtime = jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
        note = {
            "pid": int(lang.ProcessHandle.current().pid()),
            "classpath": str(lang.System.getProperty("java.class.path")),
            "options": [str(a) for a in runtime.getInputArguments() if not str(a).startswith(prefix)],
        }
        _atomic_write(partial.with_suffix(".writer"), json.dumps(note))
    except Exception:  # a py4j hiccup: the archive is never checked, so never used, and goes when old
        pass


def _promote(folder: Path, key: str, java: str) -> None:
    """Move a finished, checked archive into place; delete one that fails or was left behind."""
    now = time.time()
    for writer in folder.glob(f"{key}.*.writer"):  # notes of JVMs that never wrote their archive
        if not writer.with_suffix(".partial").exists() and now - writer.stat().st_mtime > STALE_S:
            writer.unlink(missing_ok=True)
    for partial in sorted(folder.glob(f"{key}.*.partial")):
        writer = partial.with_suffix(".writer")
        try:
            note = json.loads(writer.read_text())
            pid, classpath, options = int(note["pid"]), str(note["classpath"]), [str(o) for o in note["options"]]
        except (OSError, ValueError, KeyError, TypeError):
            if now - partial.stat().st_mtime > STALE_S:  # its writer never said who it was: never mapped
                _remove(partial, writer)
            continue
        if _alive(pid):
            continue  # still running, or writing it now
        if _usable(java, options, partial, classpath):
            os.replace(partial, folder / f"{key}.jsa")
            writer.unlink(missing_ok=True)
            return
        _remove(partial, writer)
        (folder / f"{key}.failed").touch()  # not written again for this Java, Spark and flags


def _pending(folder: Path, key: str) -> bool:
    """True while another session's archive exists unchecked or its JVM still runs (the JVM writes
    it only when it exits, after its Python driver is gone)."""
    if any(folder.glob(f"{key}.*.partial")):
        return True
    now = time.time()
    return any(
        _alive(pid)
        for writer in folder.glob(f"{key}.*.writer")
        if now - writer.stat().st_mtime <= STALE_S and (pid := _writer_pid(writer)) is not None
    )


def _sweep(folder: Path, key: str) -> None:
    """Delete what sessions that wrote an archive beside the one in place left, once their JVMs are
    gone (a note that names no JVM, once it is old)."""
    now = time.time()
    for writer in folder.glob(f"{key}.*.writer"):
        pid = _writer_pid(writer)
        if (pid is not None and not _alive(pid)) or (pid is None and now - writer.stat().st_mtime > STALE_S):
            _remove(writer.with_suffix(".partial"), writer)
    for partial in folder.glob(f"{key}.*.partial"):
        if not partial.with_suffix(".writer").exists() and now - partial.stat().st_mtime > STALE_S:
            partial.unlink(missing_ok=True)


def _writer_pid(writer: Path) -> int | None:
    try:
        return int(json.loads(writer.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _usable(java: str, options: list[str], archive: Path, classpath: str) -> bool:
    """True when a JVM started as the session's was, with sharing required, runs on ``archive``
    (a damaged one fails or crashes this throw-away JVM, never the session's)."""
    command = [java, *options, f"-XX:SharedArchiveFile={archive}", "-Xshare:on", "-XX:ErrorFile=/dev/null",
               "-XX:-CreateCoredumpOnCrash", "-cp", classpath, "-version"]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, timeout=CHECK_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
