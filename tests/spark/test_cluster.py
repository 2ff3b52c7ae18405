"""``clv predict --engine spark`` on a real standalone cluster: a master and two workers started from PySpark's own
launcher (``$SPARK_HOME/bin/spark-class``; the pip package ships no ``sbin/start-master.sh``), each a JVM of its own
on 127.0.0.1 with one core and 1 GB, executors running this interpreter. The predictions equal the DuckDB engine's.

Marked ``cluster``: the default test run leaves it out and ``.ci/run`` runs it once (``make pytest
PYTEST_ARGS="-m cluster"``); it takes about 2.5 minutes on two cores.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import clv
from clv.cli import app
from tests.spark.test_engine import assert_same_predictions

pytestmark = [pytest.mark.spark, pytest.mark.cluster]
START_SECONDS = 120


@dataclass
class Cluster:
    """A running standalone cluster: its master URL, the environment a driver needs, and its daemons' logs."""

    master: str
    environment: dict[str, str]
    logs: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def alive_workers(web_port: int) -> int:
    """The number of workers the master's status page lists as ALIVE (0 while it is not up)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/json/", timeout=5) as answer:
            status = json.load(answer)
    except OSError:
        return 0
    return sum(worker["state"] == "ALIVE" for worker in status.get("workers", []))


def cluster_environment(spark_home: Path, scratch: Path) -> dict[str, str]:
    """Daemons and driver on 127.0.0.1, small JVMs, this interpreter and this checkout's clv in every Python."""
    source = str(Path(clv.__file__).resolve().parents[1])
    conf = scratch / "conf"
    conf.mkdir()
    return {
        **os.environ,
        "SPARK_HOME": str(spark_home),
        "SPARK_CONF_DIR": str(conf),  # nothing from a spark-defaults.conf elsewhere
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": "512m",
        "SPARK_WORKER_DIR": str(scratch / "work"),
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p),
    }


@pytest.fixture(scope="module")
def standalone_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    pyspark = pytest.importorskip(
        "pyspark", reason="PySpark is not installed: pip install 'clv-platform[spark]'"
    )
    spark_home = Path(pyspark.__file__).parent
    launcher = spark_home / "bin" / "spark-class"
    assert launcher.exists(), launcher
    scratch = tmp_path_factory.mktemp("cluster")
    environment = cluster_environment(spark_home, scratch)
    port, web_port = free_port(), free_port()
    master = f"spark://127.0.0.1:{port}"
    web = ["--webui-port", str(web_port)]
    daemons = [
        (
            "master",
            ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port), *web],
        )
    ]
    for i in (1, 2):
        worker = ["org.apache.spark.deploy.worker.Worker", master, "--host", "127.0.0.1", "--cores", "1"]
        worker += [
            "--memory",
            "1g",
            "--webui-port",
            str(free_port()),
            "--work-dir",
            str(scratch / f"work-{i}"),
        ]
        daemons.append((f"worker-{i}", worker))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, arguments in daemons:
            with (scratch / f"{name}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [str(launcher), *arguments], env=environment, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        deadline = time.monotonic() + START_SECONDS
        while alive_workers(web_port) < 2:
            assert all(p.poll() is None for p in processes), f"a daemon stopped: see {scratch}"
            assert time.monotonic() < deadline, f"2 workers not alive after {START_SECONDS} s: see {scratch}"
            time.sleep(1)
        yield Cluster(master=master, environment=environment, logs=scratch)
    finally:
        for process in reversed(processes):  # workers first, then the master
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_predict_on_a_standalone_cluster_equals_the_duckdb_engine(
    standalone_cluster: Cluster, cdnow_files: Path, tmp_path: Path
) -> None:
    source = cdnow_files / "CDNOW_master.txt"
    output = tmp_path / "out.parquet"
    command = [sys.executable, "-c", "from clv.cli import main; main()", "predict", str(source)]
    command += ["--engine", "spark", "--master", standalone_cluster.master, "-o", str(output), "--json"]
    answer = subprocess.run(
        command, env=standalone_cluster.environment, capture_output=True, text=True, timeout=900, check=False
    )
    assert answer.returncode == 0, answer.stderr[-4000:]
    summary = json.loads(answer.stdout)
    assert summary["engine"] == "spark" and summary["master"] == standalone_cluster.master
    duckdb_output = tmp_path / "duckdb.parquet"
    expected = CliRunner().invoke(app, ["predict", str(source), "-o", str(duckdb_output), "--json"])
    assert expected.exit_code == 0, expected.output
    theirs = json.loads(expected.stdout)
    # By default both engines drop CDNOW's $0 orders (80 lines), and with them 68 customers who had only those.
    assert summary["customers"] == theirs["customers"] == 23_502
    assert summary["purchase_model"] == theirs["purchase_model"]
    assert summary["total"] == pytest.approx(theirs["total"], rel=1e-9)
    assert_same_predictions(pd.read_parquet(output), pd.read_parquet(duckdb_output))
    # The work ran on the workers' executors, in this interpreter: each worker ran one.
    executors = sorted(standalone_cluster.logs.glob("work-*/app-*/*/stderr"))
    assert {path.parts[-4] for path in executors} == {"work-1", "work-2"}
