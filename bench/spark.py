"""Benchmark: the Spark engine against the DuckDB engine (``clv.run``) on CDNOW master, same settings.

Usage: python bench/spark.py [--master local[2]] [--learned] [--repeat 2]

Both engines read the same Parquet file and run ``clv.Settings(horizon=12, time_unit="M", backtest=False)`` (with
the learned model when ``--learned``). Spark runs after its session has started (the JVM start is reported apart) and
``--repeat`` times, the later runs showing a warm JVM. It prints each engine's seconds, the ratio Spark / DuckDB, and
how far the predictions are apart (largest relative difference per column group; categories must be equal).
Spark's value is scale-out: on one small machine it is expected to be slower than DuckDB.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import clv
from clv.data import load_transactions
from clv.datasets import load_cdnow


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--learned", action="store_true", help="include the learned model (LightGBM)")
    parser.add_argument("--repeat", type=int, default=2)
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from clv.spark import SparkOptions, run, spark_session

    folder = Path(tempfile.mkdtemp(prefix="clv-bench-spark-"))
    source = folder / "cdnow_master.parquet"
    load_cdnow("master").to_parquet(source)
    settings = clv.Settings(horizon=12, time_unit="M", backtest=False, learned=arguments.learned)
    options = SparkOptions(drop_zero_amounts=False)

    started = time.perf_counter()
    log, _ = load_transactions(source, drop_zero_amounts=False)
    duckdb_results = clv.run(log, settings)
    duckdb_seconds = time.perf_counter() - started

    started = time.perf_counter()
    spark = spark_session(arguments.master)
    spark.sparkContext.setLogLevel("ERROR")
    session_seconds = time.perf_counter() - started
    print(f"Spark session ({arguments.master}) started in {session_seconds:.1f} s")
    print(f"{'engine':<22}{'seconds':>10}{'x DuckDB':>10}")
    print(f"{'DuckDB (clv.run)':<22}{duckdb_seconds:>10.2f}{1.0:>10.2f}")
    for attempt in range(1, arguments.repeat + 1):
        output = folder / f"predictions_{attempt}"
        started = time.perf_counter()
        result = run(str(source), str(output), settings, spark=spark, options=options)
        seconds = time.perf_counter() - started
        print(f"{f'Spark, run {attempt}':<22}{seconds:>10.2f}{seconds / duckdb_seconds:>10.2f}")
    stages = ", ".join(f"{k} {v:.1f}" for k, v in result.metadata["timings_seconds"].items())
    print(f"last Spark run by stage (s): {stages}")

    ours = pd.read_parquet(output).sort_values("customer_id").reset_index(drop=True)
    theirs = duckdb_results.predictions.sort_values("customer_id").reset_index(drop=True)
    numeric = [c for c in theirs.columns if theirs[c].dtype.kind == "f" and theirs[c].notna().any()]
    relative = {
        c: float(np.nanmax(np.abs(ours[c] - theirs[c]) / np.maximum(np.abs(theirs[c]), 1e-300)))
        for c in numeric
    }
    worst = max(relative, key=lambda c: relative[c])
    categories = [c for c in ("value_tier", "churn_risk", "rfm_score", "rfm_segment")]
    equal = all((ours[c].astype(str) == theirs[c].astype(str)).all() for c in categories)
    total = abs(result.total[0] - duckdb_results.total[0]) / duckdb_results.total[0]
    print(f"customers: {len(ours):,} (DuckDB {len(theirs):,}); segments equal: {equal}")
    print(f"largest relative difference: {relative[worst]:.1e} ({worst}); total: {total:.1e}")
    spark.stop()


if __name__ == "__main__":
    main()
