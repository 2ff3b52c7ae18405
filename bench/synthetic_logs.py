"""Benchmark inputs: synthetic Online-Retail-shaped logs of a given number of lines, as Parquet and as CSV.

The lines come from :func:`clv.datasets.write_synthetic_parquet` (BG/NBD purchases, Gamma-Gamma spend, 1-5 lines per
invoice, 2 % cancellations, 5 % anonymous lines, 1 % exact duplicate lines; about 6.2 lines per customer over two
years), written chunk by chunk so even 50M lines need little memory. Parquet carries typed columns (timestamps, a
float customer id) as a warehouse exports them; the CSV is written from it by DuckDB with the UCI Online Retail's
text conventions (``12/1/2010 8:26`` dates, ``17850.0`` customer ids, empty cells for missing ids). Files are cached
in the folder by size, so re-running a benchmark does not regenerate them.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

LINES_PER_CUSTOMER = 6.2
DUPLICATE_RATE = 0.01


def log_files(folder: Path, rows: int, formats: tuple[str, ...] = ("parquet", "csv")) -> dict[str, Path]:
    """Paths of the log of about ``rows`` lines in each of ``formats``, generated when missing."""
    folder.mkdir(parents=True, exist_ok=True)
    parquet = folder / f"synthetic_{rows}.parquet"
    if not parquet.exists():
        # Imported here so the benchmarks can also time older clv versions on cached files.
        from clv.datasets import write_synthetic_parquet

        started = time.perf_counter()
        partial = parquet.with_suffix(".partial")
        written = write_synthetic_parquet(
            partial, max(round(rows / LINES_PER_CUSTOMER), 1), seed=2024, duplicate_rate=DUPLICATE_RATE
        )
        partial.rename(parquet)
        print(
            f"generated {written:,} lines in {time.perf_counter() - started:.0f} s -> {parquet}", flush=True
        )
    paths = {"parquet": parquet}
    if "csv" in formats:
        paths["csv"] = folder / f"synthetic_{rows}.csv"
        if not paths["csv"].exists():
            partial = paths["csv"].with_suffix(".partial")
            connection = duckdb.connect()
            connection.execute("SET threads = 2")
            connection.execute("SET preserve_insertion_order = false")
            connection.execute("SET enable_progress_bar = false")
            connection.execute(
                f"COPY (SELECT * REPLACE (strftime(InvoiceDate, '%-m/%-d/%Y %-H:%M') AS InvoiceDate) "
                f"FROM read_parquet('{parquet}')) TO '{partial}' (FORMAT csv, HEADER)"
            )
            partial.rename(paths["csv"])
    return {kind: paths[kind] for kind in formats}
