"""The SparkSession clv runs on: local mode on one machine, or the cluster a master URL names.

PySpark is an optional dependency (``pip install clv-platform[spark]``, Java 17); it is imported here and in the
other modules of :mod:`clv.spark` only, so the rest of clv never needs it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "the Spark engine needs PySpark and Java 17: pip install 'clv-platform[spark]'"


def require_pyspark() -> None:
    """Raise ImportError with the install command when PySpark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error


def is_local(master: str) -> bool:
    """Whether ``master`` runs Spark inside this process's machine (``local``, ``local[2]``, ``local[*]``)."""
    return master.strip().startswith("local")


def spark_session(master: str | None = None, app_name: str = "clv") -> SparkSession:
    """The active session, or a new one on ``master`` (default ``local[2]`` when no session exists).

    In local mode the driver binds to 127.0.0.1, the web UI is off and the Python workers run this interpreter
    (``PYSPARK_PYTHON``), so a virtual environment's packages are found. On a cluster (``yarn``, ``spark://...``,
    ``k8s://...``) the executors' Python comes from the cluster's configuration (e.g. ``spark.pyspark.python`` or an
    archive given to ``spark-submit``); clv must be installed there.
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = master or "local[2]"
    builder = SparkSession.builder.master(master).appName(app_name)
    if is_local(master):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "8")
        )
    from clv.spark.batches import pandas_checked

    with pandas_checked():  # PySpark warns about pandas >= 3 on start; the engine's conversions are tested
        return builder.getOrCreate()
