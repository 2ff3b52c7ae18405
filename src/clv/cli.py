"""The ``clv`` command line: batch runs on files.

Exit codes: 0 success; 2 bad input (the data layer's message is printed); 3 a model could not be fitted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

import clv
from clv.data import connect, load_transactions, summarize
from clv.datasets import load_cdnow, synthetic
from clv.errors import ConvergenceError, DataValidationError, ModelFileError
from clv.evaluate import backtest as run_backtest
from clv.models import compare_models
from clv.report.docx_report import build_run_report
from clv.report.writers import write_table

EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILURE = 3

app = typer.Typer(
    help="Customer lifetime value from transaction logs.", no_args_is_help=True, add_completion=False
)
console = Console(stderr=True)


@contextmanager
def _exit_codes() -> Iterator[None]:
    try:
        yield
    except (DataValidationError, ModelFileError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(EXIT_BAD_INPUT) from error
    except ConvergenceError as error:
        console.print(f"[red]model failure:[/red] {error}")
        raise typer.Exit(EXIT_MODEL_FAILURE) from error


def _write(frame: pd.DataFrame, output: Path) -> None:
    """Write ``frame`` in the format of ``output``'s extension (csv, parquet, xlsx, json), chunk by chunk."""
    write_table(frame, output)


MemoryLimit = Annotated[
    str | None,
    typer.Option(help="DuckDB memory limit, e.g. 4GB; beyond it DuckDB spills to a temporary folder."),
]


def _table(frame: pd.DataFrame, title: str) -> Table:
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(str(column))
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row])
    return table


@app.command()
def sample(
    output: Annotated[Path, typer.Argument(help="File to write (.csv, .parquet, .xlsx, .json).")],
    dataset: Annotated[str, typer.Option(help="cdnow-master, cdnow-sample or synthetic.")] = "cdnow-master",
    customers: Annotated[int, typer.Option(help="Customers of the synthetic data set.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data set.")] = 0,
) -> None:
    """Write a bundled or synthetic data set.  Example: clv sample orders.csv --dataset synthetic --customers 20000"""
    with _exit_codes():
        if dataset == "synthetic":
            frame = synthetic(customers, seed=seed).transactions
        elif dataset in ("cdnow-master", "cdnow-sample"):
            frame = load_cdnow(dataset.removeprefix("cdnow-"))  # type: ignore[arg-type]
        else:
            raise DataValidationError(
                f"unknown data set {dataset!r}: cdnow-master, cdnow-sample or synthetic"
            )
        _write(frame, output)
        console.print(f"wrote {len(frame):,} rows to {output}")


@app.command("summarize")
def summarize_command(
    source: Annotated[Path, typer.Argument(help="Transaction log: CSV, Excel, Parquet or CDNOW file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Customer summary file.")],
    time_unit: Annotated[str, typer.Option(help="D, W, M (365.25/12 days) or Y.")] = "W",
    observation_end: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default the last date.")] = None,
    memory_limit: MemoryLimit = None,
) -> None:
    """One row per customer (frequency, recency, T, monetary value).  Example: clv summarize orders.csv -o customers.csv"""
    with _exit_codes():
        log, report = load_transactions(source, connection=connect(memory_limit))
        summary = summarize(log, observation_end, time_unit=time_unit)
        _write(summary, output)
        console.print(
            f"{report.rows_kept:,} of {report.rows_in:,} rows kept; {len(summary):,} customers -> {output}"
        )


@app.command()
def fit(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    models_dir: Annotated[
        Path, typer.Option("--models-dir", help="Folder for the fitted models (JSON).")
    ] = Path("models"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Fit and compare the purchase models (weeks), save them as JSON.  Example: clv fit orders.csv --models-dir m/"""
    with _exit_codes():
        log, _ = load_transactions(source)
        comparison = compare_models(summarize(log, time_unit="W"))
        models_dir.mkdir(parents=True, exist_ok=True)
        for name, model in comparison.models.items():
            model.save(models_dir / f"{name.replace('/', '_')}.json")
        if as_json:
            typer.echo(comparison.table.reset_index().to_json(orient="records"))
        else:
            console.print(
                _table(comparison.table.reset_index().drop(columns="note"), f"best: {comparison.best}")
            )


@app.command()
def predict(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Predictions file (.csv, .parquet, .xlsx, .json).")
    ],
    horizon: Annotated[float, typer.Option(help="Horizon in time units.")] = 12,
    time_unit: Annotated[str, typer.Option(help="D, W, M or Y.")] = "M",
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate, e.g. 0.1.")] = 0.0,
    margin: Annotated[float, typer.Option(help="Share of revenue that is profit.")] = 1.0,
    no_backtest: Annotated[bool, typer.Option("--no-backtest", help="Skip the backtest.")] = False,
    run_dir: Annotated[
        Path | None, typer.Option(help="Also save the whole run (Parquet, JSON, LightGBM text).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")] = False,
    memory_limit: MemoryLimit = None,
) -> None:
    """Predict every customer's value.  Example: clv predict orders.csv -o predictions.parquet --horizon 12"""
    with _exit_codes():
        log, _ = load_transactions(source, connection=connect(memory_limit))
        settings = clv.Settings(
            horizon=horizon,
            time_unit=time_unit,
            annual_discount_rate=discount_rate,
            margin=margin,
            backtest=not no_backtest,
        )
        with console.status("predicting") as status:
            results = clv.run(log, settings, progress=lambda stage, _: status.update(stage))
        _write(results.predictions, output)
        if run_dir is not None:
            results.save(run_dir)
        summary: dict[str, Any] = {
            "customers": len(results.predictions),
            "total": results.total[0],
            "total_low": results.total[1],
            "total_high": results.total[2],
            "purchase_model": results.metadata["purchase_model"],
            "output": str(output),
        }
        if as_json:
            typer.echo(json.dumps(summary))
        else:
            for finding in results.insights:
                console.print(f"- {finding}")
            console.print(f"predictions -> {output}")


@app.command()
def backtest(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    calibration_end: Annotated[str, typer.Option(help="Last day the models see (YYYY-MM-DD).")],
    holdout_end: Annotated[str, typer.Option(help="Last day of the holdout (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Score every model on a holdout.  Example: clv backtest cdnow.txt --calibration-end 1997-09-30 --holdout-end 1998-06-30"""
    with _exit_codes():
        log, _ = load_transactions(source, drop_zero_amounts=False)
        metrics = run_backtest(log, calibration_end, holdout_end).metrics
        if as_json:
            typer.echo(metrics.reset_index().to_json(orient="records"))
        else:
            console.print(_table(metrics.reset_index(), f"backtest {calibration_end} -> {holdout_end}"))


@app.command()
def report(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Word file to write (.docx).")] = Path(
        "clv_report.docx"
    ),
    horizon: Annotated[float, typer.Option(help="Horizon in time units.")] = 12,
    time_unit: Annotated[str, typer.Option(help="D, W, M or Y.")] = "M",
) -> None:
    """Run the models and write the Word report.  Example: clv report orders.csv -o report.docx"""
    with _exit_codes():
        log, _ = load_transactions(source)
        with console.status("predicting") as status:
            results = clv.run(
                log,
                clv.Settings(horizon=horizon, time_unit=time_unit),
                progress=lambda s, _: status.update(s),
            )
        output.write_bytes(build_run_report(results))
        console.print(f"report -> {output}")


@app.command("app")
def app_command(port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501) -> None:
    """Start the web app.  Example: clv app --port 8502"""
    entry = Path(__file__).resolve().parents[2] / "app.py"
    raise typer.Exit(
        subprocess.call([sys.executable, "-m", "streamlit", "run", str(entry), f"--server.port={port}"])
    )


def main() -> None:
    """Console entry point."""
    app()
