"""Benchmark: ``clv summarize`` and ``clv predict`` on 1M, 10M and 50M-line Parquet logs with bounded memory.

Usage::

    python bench/scale.py                                   # 1M, 10M, 50M lines; summarize and predict; 2GB limit
    python bench/scale.py --quick                           # 1M lines only
    python bench/scale.py --rows 50000000 --commands summarize --memory-limit 2GB

Each command runs in a fresh subprocess exactly as a user would run it (``clv <command> LOG -o OUT
--memory-limit ...``, the output written chunk by chunk) and reports wall seconds, CPU seconds, lines per second and
the peak RSS of the whole process (DuckDB, pandas, the models). The floor is a bare DuckDB aggregation of the same
file (``SELECT CustomerID, count(*), sum(Quantity * UnitPrice) ... GROUP BY CustomerID``, no memory limit); the
ratio is ours over the floor. The logs come from ``bench/synthetic_logs.py`` (about 6.2 lines per customer, so 50M
lines are about 8M customers); outputs are written next to them and deleted. Target (issue 7): peak RSS under 4 GB
for 50M lines.
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

from synthetic_logs import log_files

LARGE_FILE_MB = 1 << 20  # the CLI's upload limit does not apply to these benchmark files


def run_case(command: str, path: Path, memory_limit: str) -> dict[str, float]:
    """One measurement in this process (``main`` calls it in a fresh subprocess)."""
    import duckdb

    from clv.cli import app

    started, cpu = time.perf_counter(), _cpu_seconds()
    if command == "floor":
        rows = duckdb.connect().execute(
            f"SELECT CustomerID, count(*), sum(Quantity * UnitPrice) FROM read_parquet('{path}') GROUP BY CustomerID"
        )
        customers = len(rows.fetchall())
    else:
        output = path.with_name(f"{path.stem}-{command}-output.parquet")
        arguments = [command, str(path), "-o", str(output), "--memory-limit", memory_limit]
        if command == "predict":
            arguments.append("--json")
        try:
            app(arguments, standalone_mode=False)
            customers = int(
                duckdb.connect().execute(f"SELECT count(*) FROM read_parquet('{output}')").fetchall()[0][0]
            )
        finally:
            output.unlink(missing_ok=True)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu_seconds() - cpu,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "customers": customers,
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(command: str, path: Path, memory_limit: str) -> dict[str, float]:
    environment = {**os.environ, "CLV_MAX_UPLOAD_MB": str(LARGE_FILE_MB)}
    output = subprocess.run(
        [sys.executable, __file__, "--case", command, str(path), "--memory-limit", memory_limit],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000, 50_000_000])
    parser.add_argument(
        "--commands", nargs="+", default=["summarize", "predict"], choices=["summarize", "predict"]
    )
    parser.add_argument("--memory-limit", default="2GB", help="passed to clv --memory-limit (DuckDB's share)")
    parser.add_argument("--quick", action="store_true", help="1M lines only")
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "clv-bench")
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case[0], Path(args.case[1]), args.memory_limit)))
        return
    sizes = [1_000_000] if args.quick else args.rows
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; --memory-limit {args.memory_limit}"
    )
    print("| lines | command | customers | wall s | cpu s | lines/s | peak RSS MB | floor s | ours/floor |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for rows in sizes:
        path = log_files(args.folder, rows, ("parquet",))["parquet"]
        lines = _lines(path)
        floor = measure("floor", path, args.memory_limit)
        for command in args.commands:
            ours = measure(command, path, args.memory_limit)
            print(
                f"| {lines:,} | {command} | {ours['customers']:,} | {ours['seconds']:.1f} | {ours['cpu']:.1f} | "
                f"{lines / ours['seconds']:,.0f} | {ours['peak_mb']:,.0f} | {floor['seconds']:.2f} | "
                f"{ours['seconds'] / floor['seconds']:.1f} |",
                flush=True,
            )


def _lines(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)


if __name__ == "__main__":
    main()
