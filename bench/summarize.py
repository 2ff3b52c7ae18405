"""Benchmark: load_transactions + summarize end to end on 1M and 10M-row logs, against a bare DuckDB GROUP BY.

Usage: python bench/summarize.py [--rows 1000000 10000000] [--folder /tmp/clv-bench]

For each size it writes an Online-Retail-shaped log as CSV and Parquet (with DuckDB, never through pandas), then in a
fresh subprocess per case (modules imported before the clock starts) times (a) ``clv.data.load_transactions`` + ``clv.data.summarize`` and (b) the floor: a bare
DuckDB ``SELECT customer, count(*), sum(quantity * price) ... GROUP BY customer`` over the same file. It prints
rows/s, peak RSS and the ratio ours/floor. Targets on a 2-core machine: Parquet within 2x the floor, CSV within 1.5x,
peak RSS under 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import duckdb


def write_log(folder: Path, rows: int) -> dict[str, Path]:
    """An Online-Retail-shaped log of ``rows`` lines (about 2 % cancellations, 5 % without customer id), as CSV with
    text dates and as Parquet with typed timestamps."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"parquet": folder / f"log_{rows}.parquet", "csv": folder / f"log_{rows}.csv"}
    if all(p.exists() for p in paths.values()):
        return paths
    connection = duckdb.connect()
    connection.execute("SET threads = 2")
    customers = max(rows // 12, 1)
    connection.execute(
        f"""
        CREATE TABLE log AS
        SELECT CASE WHEN i % 50 = 0 THEN 'C' ELSE '' END || CAST(500000 + i // 3 AS VARCHAR) AS InvoiceNo,
               CAST(10000 + hash(i) % 3000 AS VARCHAR) AS StockCode,
               'PRODUCT ' || CAST(hash(i) % 3000 AS VARCHAR) AS Description,
               CASE WHEN i % 50 = 0 THEN -1 ELSE 1 + CAST(hash(i * 7) % 12 AS INTEGER) END AS Quantity,
               strftime(TIMESTAMP '2010-12-01' + to_seconds(CAST(hash(i * 13) % 63072000 AS BIGINT)),
                        '%m/%d/%Y %H:%M') AS InvoiceDate,
               round(0.5 + (hash(i * 17) % 2000) / 100.0, 2) AS UnitPrice,
               CASE WHEN i % 20 = 7 THEN NULL ELSE CAST(12000 + hash(i * 31) % {customers} AS DOUBLE) END
                   AS CustomerID,
               'United Kingdom' AS Country
        FROM range({rows}) t(i)
        """
    )
    # CSV carries text dates in the Online Retail style; Parquet from a warehouse carries typed timestamps.
    connection.execute(f"COPY log TO '{paths['csv']}' (FORMAT csv, HEADER)")
    connection.execute(
        f"COPY (SELECT * REPLACE (strptime(InvoiceDate, '%m/%d/%Y %H:%M') AS InvoiceDate) FROM log) "
        f"TO '{paths['parquet']}' (FORMAT parquet)"
    )
    return paths


def run_case(kind: str, path: Path) -> dict[str, float]:
    """Run one measurement in this process (called in a fresh subprocess by ``main``)."""
    from clv.data import load_transactions, summarize  # imported before the clock starts, like duckdb

    start = time.perf_counter()
    if kind == "ours":
        log, report = load_transactions(path, max_bytes=50 * 1024**3)
        summary = summarize(log, time_unit="W")
        customers = len(summary)
        rows_in = report.rows_in
    else:
        connection = duckdb.connect()
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        result = connection.execute(
            f"SELECT CustomerID, count(*), sum(Quantity * UnitPrice) FROM {reader}('{path}') GROUP BY CustomerID"
        ).fetchall()
        customers = len(result)
        rows_in = 0
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "customers": customers, "rows_in": rows_in}


def measure(kind: str, path: Path) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--case", kind, str(path)], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "clv-bench")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], Path(args.case[1]))))
        return
    print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print("| rows | format | ours (s) | rows/s | peak RSS (MB) | floor (s) | floor RSS (MB) | ours/floor |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        paths = write_log(args.folder, rows)
        for kind, path in paths.items():
            ours = measure("ours", path)
            floor = measure("floor", path)
            print(
                f"| {rows:,} | {kind} | {ours['seconds']:.2f} | {rows / ours['seconds']:,.0f} | "
                f"{ours['peak_mb']:,.0f} | {floor['seconds']:.2f} | {floor['peak_mb']:,.0f} | "
                f"{ours['seconds'] / floor['seconds']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
