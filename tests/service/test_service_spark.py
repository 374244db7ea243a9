"""``serve --engine spark``: a transfer job reads its source and runs its inspection on Spark.

The Spark session starts with the first job (``local[2]`` here); the suite skips cleanly when
pyspark or Java is missing. Without pyspark the option is refused in one line naming the extra.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from svc_helpers import make_world

from datacustoms.cli import main


@pytest.mark.spark
def test_a_transfer_and_an_inspection_run_on_the_spark_engine(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'datacustoms[spark]')")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed: Spark needs a JVM")
    from datacustoms.engines.spark import SparkEngine

    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", f"sqlite:///{tmp_path / 'ledger.db'}",
                   engine="spark", spark_master="local[2]")
    try:
        tid = w.ready()
        assert isinstance(w.svc.engine(), SparkEngine)
        s = w.state(tid)
        assert s["progress"]["rows_total"] == 400 and s["progress"]["rows_done"] == 400
        record = w.svc.ledger.get(str(s["ledger_entry"])).body
        assert record["status"] == "sent" and record["source_rows"] == 400
        iid = w.client.post("/api/v1/inspections", headers=w.h("operator"),
                            json={"source": "demo-customers", "attack": False}).json()["id"]
        w.run_jobs()
        i = w.client.get(f"/api/v1/inspections/{iid}", headers=w.h("auditor")).json()
        assert i["state"] == "done" and i["progress"]["rows_total"] == 400, i
    finally:
        w.svc.close()


def test_engine_spark_without_pyspark_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real(name, *a))
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--engine", "spark", "--data-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "pip install 'datacustoms[spark]'" in err


def test_a_job_whose_engine_cannot_start_fails_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from datacustoms import engines
    from datacustoms.errors import MissingDependency

    def missing(master: str, conf: dict[str, str]) -> None:
        raise MissingDependency("the Spark engine", "spark", "pyspark")

    monkeypatch.setitem(engines.ENGINE_FACTORIES, "spark", missing)
    w = make_world(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", f"sqlite:///{tmp_path / 'ledger.db'}",
                   engine="spark")
    try:
        tid = w.submit()["id"]
        w.run_jobs()
        s = w.state(tid)
        assert s["state"] == "failed" and "pip install 'datacustoms[spark]'" in s["error"] and "\n" not in s["error"]
        assert [e for e in w.svc.ledger.iter_entries("transfer")] == []
    finally:
        w.svc.close()
