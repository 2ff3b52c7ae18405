"""``clv sample`` and ``clv summarize``: bundled data sets out, transaction logs in as one row per customer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clv.cli.common import ColumnMap, JsonFlag, MemoryLimit, console, emit, exit_codes, load_log, write
from clv.errors import DataValidationError


def sample(
    output: Annotated[Path, typer.Argument(help="File to write (.csv, .parquet, .xlsx, .json).")],
    dataset: Annotated[
        str, typer.Option(help="cdnow-master, cdnow-sample, synthetic or subscriptions.")
    ] = "cdnow-master",
    customers: Annotated[int, typer.Option(help="Customers of the synthetic data set.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data set.")] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Write a bundled data set (CDNOW, the subscriptions example) or a synthetic Online-Retail-shaped one."""
    from clv.datasets import load_cdnow, load_subscriptions_example, synthetic

    with exit_codes():
        if dataset == "synthetic":
            frame = synthetic(customers, seed=seed).transactions
        elif dataset == "subscriptions":
            frame = load_subscriptions_example()
        elif dataset in ("cdnow-master", "cdnow-sample"):
            frame = load_cdnow(dataset.removeprefix("cdnow-"))  # type: ignore[arg-type]
        else:
            raise DataValidationError(
                f"unknown data set {dataset!r}: cdnow-master, cdnow-sample, synthetic or subscriptions"
            )
        write(frame, output)
        if as_json:
            emit({"dataset": dataset, "rows": len(frame), "columns": list(frame.columns), "output": output})
        else:
            console.print(f"wrote {len(frame):,} rows to {output}")


def summarize(
    source: Annotated[
        Path, typer.Argument(help="Transaction log: CSV, Excel, Parquet (or a glob) or CDNOW file.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Customer summary file.")],
    time_unit: Annotated[str, typer.Option(help="D, W, M (365.25/12 days) or Y.")] = "W",
    observation_end: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default the last date.")] = None,
    memory_limit: MemoryLimit = None,
    column_map: ColumnMap = None,
    as_json: JsonFlag = False,
) -> None:
    """One row per customer: frequency, recency, T, monetary value, revenue, orders, first and last purchase."""
    from clv.data import summarize as summarize_log

    with exit_codes():
        log, report = load_log(source, column_map, memory_limit)
        summary = summarize_log(log, observation_end, time_unit=time_unit)
        write(summary, output)
        if as_json:
            emit(
                {
                    "customers": len(summary),
                    "rows_in": report.rows_in,
                    "rows_kept": report.rows_kept,
                    "dropped": {rule: count for rule, count in report.dropped.items() if count},
                    "warnings": report.warnings,
                    "time_unit": summary.attrs["time_unit"],
                    "observation_end": summary.attrs["observation_end"].date(),
                    "output": output,
                }
            )
        else:
            console.print(
                f"{report.rows_kept:,} of {report.rows_in:,} rows kept; {len(summary):,} customers -> {output}"
            )
