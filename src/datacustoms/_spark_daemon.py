"""Spark's Python daemon for a local master, started from the installed, compiled pyspark.

Spark starts its Python workers from a daemon (``python -m pyspark.daemon``) whose ``PYTHONPATH``
puts ``$SPARK_HOME/python/lib/pyspark.zip`` and py4j's source zip first. Python never writes
bytecode for a module imported from a zip, so every session's daemon compiled pyspark afresh
before its first task could run: about 0.6 s of each session's first tasks on a 2-core host
(``docs/scaling.md``, "Python workers"). Where pyspark was installed by pip, that zip ships inside
the installed package and is a copy of it, whose bytecode is cached. Spark lets a session name its
own daemon module (``spark.python.daemon.module``, :data:`datacustoms.io.spark.LOCAL_CONF`): this one
moves such copies behind the installed packages and runs Spark's own daemon. A zip that is not a
copy (another Spark installation, another version) stays first, so the workers import what
Spark shipped.

It lives at the top of the package because running it imports only its parent,
``datacustoms``, which imports nothing heavy: the daemon forks the workers, and must not have
started pyarrow's or numpy's threads before it does.
"""

from __future__ import annotations

import contextlib
import sys
import zipfile
from importlib.machinery import PathFinder
from pathlib import Path

#: the packages whose zips Spark puts on its workers' path, by the file that names their version
VERSION_FILES = {"pyspark": "pyspark/version.py", "py4j": "py4j/version.py"}


def _zipped_version(entry: str, member: str) -> bytes | None:
    try:
        with zipfile.ZipFile(entry) as archive:
            return archive.read(member)
    except (OSError, KeyError, zipfile.BadZipFile):
        return None


def installed_copies(path: list[str]) -> list[str]:
    """The zip entries of ``path`` that pip's pyspark ships inside itself (its ``python/lib``
    folder) holding a package installed, in the same version, in an entry that is not a zip (the
    same ``version.py``, byte for byte). A zip anywhere else (a ``SPARK_HOME`` of its own, whose
    files may differ under the same version) is not counted."""
    plain = [entry for entry in path if not entry.endswith(".zip")]
    spark = PathFinder.find_spec("pyspark", plain)
    if spark is None or spark.origin is None:
        return []
    shipped = Path(spark.origin).parent / "python" / "lib"
    copies = []
    for entry in path:
        if not entry.endswith(".zip") or Path(entry).parent != shipped:
            continue
        for package, member in VERSION_FILES.items():
            zipped = _zipped_version(entry, member)
            if zipped is None:
                continue
            spec = PathFinder.find_spec(package, plain)
            if spec is None or spec.origin is None:
                continue
            installed = Path(spec.origin).parent / "version.py"
            if installed.is_file() and installed.read_bytes() == zipped:
                copies.append(entry)
    return copies


def prefer_installed(path: list[str]) -> list[str]:
    """``path`` with :func:`installed_copies` moved to the end, the rest in its order."""
    copies = installed_copies(path)
    return [entry for entry in path if entry not in copies] + copies


def main() -> None:
    """Spark's daemon (``pyspark.daemon.manager``), importing pyspark from its installed copy.

    Should the path not be read as expected, Spark's order stays: the workers start as slowly as
    before, never differently."""
    with contextlib.suppress(Exception):  # any surprise keeps Spark's own order
        sys.path[:] = prefer_installed(sys.path)
    from pyspark import daemon

    daemon.manager()


if __name__ == "__main__":
    main()
