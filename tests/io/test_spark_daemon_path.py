"""The Spark daemon's path: a zip that copies an installed package (the same ``version.py``) moves
behind the installed packages; any other zip keeps its place (no Spark needed)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from datacustoms._spark_daemon import installed_copies, prefer_installed


def _installed(site: Path, package: str, version: str) -> None:
    (site / package).mkdir(parents=True)
    (site / package / "__init__.py").write_text("")
    (site / package / "version.py").write_text(f'__version__ = "{version}"\n')


def _zip(path: Path, package: str, version: str) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{package}/__init__.py", "")
        archive.writestr(f"{package}/version.py", f'__version__ = "{version}"\n')
    return str(path)


def test_zips_of_the_installed_versions_move_behind_the_installed_packages(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _installed(site, "pyspark", "4.3.0")
    _installed(site, "py4j", "0.10.9.9")
    spark_zip = _zip(tmp_path / "pyspark.zip", "pyspark", "4.3.0")
    py4j_zip = _zip(tmp_path / "py4j-0.10.9.9-src.zip", "py4j", "0.10.9.9")
    path = [spark_zip, py4j_zip, "/somewhere/user", str(site)]
    assert installed_copies(path) == [spark_zip, py4j_zip]
    assert prefer_installed(path) == ["/somewhere/user", str(site), spark_zip, py4j_zip]


def test_a_zip_of_another_version_or_of_no_installed_package_keeps_its_place(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _installed(site, "pyspark", "4.3.0")  # py4j is not installed at all
    other_spark = _zip(tmp_path / "pyspark.zip", "pyspark", "4.2.1")  # a SPARK_HOME of another version
    py4j_zip = _zip(tmp_path / "py4j-0.10.9.9-src.zip", "py4j", "0.10.9.9")
    garbled = tmp_path / "broken.zip"
    garbled.write_bytes(b"not a zip")
    path = [other_spark, py4j_zip, str(garbled), str(tmp_path / "missing.zip"), str(site)]
    assert installed_copies(path) == []
    assert prefer_installed(path) == path
