"""``--spark-conf``: settings reach the Spark session, bad ones stop before Spark starts, values stay secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from datacustoms.cli import app
from datacustoms.engines import parse_spark_conf
from datacustoms.errors import UsageError


def test_settings_are_parsed() -> None:
    conf = parse_spark_conf(["spark.driver.maxResultSize=8g", " spark.sql.x = a=b "], "spark")
    assert conf == {"spark.driver.maxResultSize": "8g", "spark.sql.x": "a=b"}
    assert parse_spark_conf(None, "embedded") == {}


@pytest.mark.parametrize("item", ["spark.driver.memory", "spark.driver.memory=", "=8g", "fs.s3a.secret.key=hunter2"])
def test_malformed_settings_are_refused_without_their_value(item: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_spark_conf([item], "spark")
    assert "hunter2" not in str(err.value) and "KEY=VALUE" in str(err.value)


def test_settings_need_the_spark_engine() -> None:
    with pytest.raises(UsageError, match="Spark engine only"):
        parse_spark_conf(["spark.a=1"], "embedded")


@pytest.mark.parametrize("command", ["inspect", "protect", "transfer"])
def test_cli_refuses_a_bad_setting_in_one_line(command: str, tmp_path: Path, cli: CliRunner) -> None:
    src = tmp_path / "t.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    args = {
        "inspect": [],
        "protect": ["-p", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "o.parquet")],
        "transfer": ["-p", str(tmp_path / "p.yaml"), "-o", str(tmp_path / "o.csv")],
    }[command]
    (tmp_path / "p.yaml").write_text("recipient: r\npurpose: p\ncolumns: {}\n", encoding="utf-8")
    res = cli.invoke(app, [command, str(src), *args, "--engine", "spark", "--spark-conf", "fs.s3a.secret.key=hunter2"])
    assert res.exit_code == 2, res.output
    assert "fs.s3a.secret.key" in res.output and "hunter2" not in res.output


def test_settings_start_the_session(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cli: CliRunner) -> None:
    seen: dict[str, Any] = {}

    def fake_session(master: str, conf: dict[str, str] | None = None) -> Any:
        seen.update(master=master, conf=conf)
        raise UsageError("stopped by the test", "nothing to do")

    monkeypatch.setattr("datacustoms.engines.spark.session", fake_session)
    src = tmp_path / "t.csv"
    src.write_text("a\n1\n", encoding="utf-8")
    res = cli.invoke(
        app,
        ["inspect", str(src), "--engine", "spark", "--spark-master", "local[1]",
         "--spark-conf", "spark.driver.maxResultSize=8g", "--spark-conf", "spark.sql.shuffle.partitions=3"],
    )  # fmt: skip
    assert res.exit_code == 2 and "stopped by the test" in res.output
    assert seen == {"master": "local[1]", "conf": {"spark.driver.maxResultSize": "8g", "spark.sql.shuffle.partitions": "3"}}
