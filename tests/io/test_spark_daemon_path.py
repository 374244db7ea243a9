"""The Spark daemon's path: the zips pip's pyspark ships inside itself, copies of the installed
packages (the same ``version.py``), move behind them; any other zip keeps its place (no Spark)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from datacustoms._spark_daemon import installed_copies, prefer_installed


def _installed(site: Path, package: str, version: str) -> None:
    (site / package).mkdir(parents=True, exist_ok=True)
    (site / package / "__init__.py").write_text("")
    (site / package / "version.py").write_text(f'__version__ = "{version}"\n')


def _zip(path: Path, package: str, version: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/version.py", f'__version__ = "{version}"\n')
    return str(path)


def test_the_zips_pip_ships_inside_pyspark_move_behind_the_installed_packages(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _installed(site, "pyspark", "4.3.0")
    _installed(site, "py4j", "0.10.9.9")
    lib = site / "pyspark" / "python" / "lib"
    spark_zip = _zip(lib / "pyspark.zip", "pyspark", "4.3.0")
    py4j_zip = _zip(lib / "py4j-0.10.9.9-src.zip", "py4j", "0.10.9.9")
    path = [spark_zip, py4j_zip, "/somewhere/user", str(site)]
    assert installed_copies(path) == [spark_zip, py4j_zip]
    assert prefer_installed(path) == ["/somewhere/user", str(site), spark_zip, py4j_zip]


def test_other_zips_keep_their_place(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _installed(site, "pyspark", "4.3.0")  # py4j is not installed at all
    lib = site / "pyspark" / "python" / "lib"
    other_version = _zip(lib / "pyspark.zip", "pyspark", "4.2.1")
    not_installed = _zip(lib / "py4j-0.10.9.9-src.zip", "py4j", "0.10.9.9")
    garbled = lib / "broken.zip"
    garbled.write_bytes(b"not a zip")
    # a SPARK_HOME of its own: the same version, but its files are not known to be the installed ones
    elsewhere = _zip(tmp_path / "spark-home" / "python" / "lib" / "pyspark.zip", "pyspark", "4.3.0")
    path = [other_version, not_installed, str(garbled), str(lib / "missing.zip"), elsewhere, str(site)]
    assert installed_copies(path) == []
    assert prefer_installed(path) == path
    assert installed_copies([elsewhere, str(tmp_path / "no-pyspark-here")]) == []
