"""The ``clv`` command line: batch runs on files.

Inputs: CSV, Excel (.xlsx), Parquet, a glob of Parquet files (quote it: ``'logs/*.parquet'``) or a CDNOW file.
Outputs take their format from the extension: .csv, .parquet, .xlsx, .json (CSV and Excel formula-safe). Every
command that produces results accepts ``--json`` and then prints one JSON object on stdout (progress and messages
go to stderr).

Exit codes: 0 success; 2 bad input (the data layer's message is printed); 3 a model could not be fitted.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import duckdb
import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import clv
from clv.admin_cli import admin_app
from clv.batch import predict_to_file
from clv.data import connect, load_transactions, summarize
from clv.datasets import load_cdnow, synthetic
from clv.errors import ConvergenceError, DataValidationError, ModelFileError
from clv.evaluate import backtest as run_backtest
from clv.models import compare_models
from clv.report.docx_report import build_run_report
from clv.report.writers import write_table

EXIT_BAD_INPUT = 2
EXIT_MODEL_FAILURE = 3
EXIT_OUT_OF_MEMORY = 5
EXIT_CODES = (
    "Exit codes: 0 success; 2 bad input (the data layer's message is printed); 3 a model could not be fitted; "
    "5 out of memory."
)

app = typer.Typer(
    help="Customer lifetime value from transaction logs (CSV, Excel, Parquet or a glob of Parquet files).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console(stderr=True)
app.add_typer(admin_app, name="admin")


def _examples(*lines: str) -> str:
    """A command's help epilog: examples, one a line, then the exit codes."""
    return (
        "[bold]Examples[/bold]\n\n" + "\n\n".join(f"  {escape(line)}" for line in lines) + f"\n\n{EXIT_CODES}"
    )


@contextmanager
def _exit_codes() -> Iterator[None]:
    try:
        yield
    except (DataValidationError, ModelFileError) as error:
        console.print(f"[red]error:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_BAD_INPUT) from error
    except ConvergenceError as error:
        console.print(f"[red]model failure:[/red] {escape(str(error))}")
        raise typer.Exit(EXIT_MODEL_FAILURE) from error
    except (duckdb.OutOfMemoryException, MemoryError) as error:
        console.print(
            f"[red]out of memory:[/red] {escape(str(error).splitlines()[0])}. Give DuckDB more with --memory-limit "
            "(it spills the rest to a temporary folder: check that its disk has room), or run with --engine spark"
        )
        raise typer.Exit(EXIT_OUT_OF_MEMORY) from error


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, float], None]]:
    """A progress bar on stderr for a long stage; yields the (stage, fraction done) callback clv.run takes."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=1.0)
        yield lambda stage, fraction: progress.update(task, description=stage, completed=fraction)


def _emit(summary: dict[str, Any]) -> None:
    """Print a command's machine-readable summary: one JSON object on stdout."""
    typer.echo(json.dumps(summary, default=str))


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


@app.command(
    epilog=_examples(
        "clv sample orders.csv",
        "clv sample orders.parquet --dataset synthetic --customers 20000 --seed 7",
        "clv sample cdnow.xlsx --dataset cdnow-sample --json",
    )
)
def sample(
    output: Annotated[Path, typer.Argument(help="File to write (.csv, .parquet, .xlsx, .json).")],
    dataset: Annotated[str, typer.Option(help="cdnow-master, cdnow-sample or synthetic.")] = "cdnow-master",
    customers: Annotated[int, typer.Option(help="Customers of the synthetic data set.")] = 5_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data set.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Write a bundled data set (CDNOW) or a synthetic Online-Retail-shaped one."""
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
        if as_json:
            _emit({"dataset": dataset, "rows": len(frame), "columns": list(frame.columns), "output": output})
        else:
            console.print(f"wrote {len(frame):,} rows to {output}")


@app.command(
    "summarize",
    epilog=_examples(
        "clv summarize orders.csv -o customers.parquet",
        "clv summarize 'exports/*.parquet' -o customers.xlsx --time-unit M --observation-end 2011-12-09",
        "clv summarize orders.xlsx -o customers.csv --json",
    ),
)
def summarize_command(
    source: Annotated[
        Path, typer.Argument(help="Transaction log: CSV, Excel, Parquet (or a glob) or CDNOW file.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Customer summary file.")],
    time_unit: Annotated[str, typer.Option(help="D, W, M (365.25/12 days) or Y.")] = "W",
    observation_end: Annotated[str | None, typer.Option(help="YYYY-MM-DD; default the last date.")] = None,
    memory_limit: MemoryLimit = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """One row per customer: frequency, recency, T, monetary value, revenue, orders, first and last purchase."""
    with _exit_codes():
        log, report = load_transactions(source, connection=connect(memory_limit))
        summary = summarize(log, observation_end, time_unit=time_unit)
        _write(summary, output)
        if as_json:
            _emit(
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


@app.command(
    epilog=_examples(
        "clv fit orders.csv --models-dir models/",
        "clv fit orders.parquet --json",
    )
)
def fit(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    models_dir: Annotated[
        Path, typer.Option("--models-dir", help="Folder for the fitted models (JSON).")
    ] = Path("models"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Fit and compare the purchase models (BG/NBD, Pareto/NBD, MBG/NBD; time in weeks) and save them as JSON."""
    with _exit_codes():
        log, _ = load_transactions(source)
        with console.status("fitting BG/NBD, Pareto/NBD and MBG/NBD"):
            comparison = compare_models(summarize(log, time_unit="W"))
        models_dir.mkdir(parents=True, exist_ok=True)
        for name, model in comparison.models.items():
            model.save(models_dir / f"{name.replace('/', '_')}.json")
        if as_json:
            _emit(
                {
                    "best": comparison.best,
                    "comparison": comparison.table.reset_index().to_dict(orient="records"),
                    "models_dir": models_dir,
                }
            )
        else:
            console.print(
                _table(comparison.table.reset_index().drop(columns="note"), f"best: {comparison.best}")
            )


class Engine(StrEnum):
    """Where ``clv predict`` runs: DuckDB on this machine, or Apache Spark (local or a cluster)."""

    duckdb = "duckdb"
    spark = "spark"


@app.command(
    epilog=_examples(
        "clv predict orders.csv -o predictions.parquet",
        "clv predict 'exports/*.parquet' -o predictions.xlsx --horizon 6 --time-unit M --margin 0.3",
        "clv predict orders.xlsx -o predictions.csv --discount-rate 0.1 --no-backtest --json",
        "clv predict orders.parquet -o predictions.parquet --engine spark --master local[2]",
        "clv predict s3a://bucket/orders/ -o s3a://bucket/clv/predictions --engine spark --master yarn",
        "clv predict sales.orders -o hdfs:///clv/predictions --engine spark",
    )
)
def predict(
    source: Annotated[
        str,
        typer.Argument(
            help="Transaction log: CSV, Excel, Parquet or a glob of Parquet files; with --engine spark also a "
            "Parquet/CSV folder or URL (s3a://, gs://, abfss://, hdfs://) or a table name."
        ),
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Predictions file (.csv, .parquet, .xlsx, .json); with --engine spark a Parquet folder or URL.",
        ),
    ],
    horizon: Annotated[float, typer.Option(help="Horizon in time units.")] = 12,
    time_unit: Annotated[str, typer.Option(help="D, W, M (365.25/12 days) or Y.")] = "M",
    discount_rate: Annotated[float, typer.Option(help="Annual discount rate, e.g. 0.1.")] = 0.0,
    margin: Annotated[float, typer.Option(help="Share of revenue that is profit.")] = 1.0,
    no_backtest: Annotated[bool, typer.Option("--no-backtest", help="Skip the backtest.")] = False,
    run_dir: Annotated[
        Path | None,
        typer.Option(
            help="Also save the whole run (Parquet, JSON, LightGBM text), which holds every prediction in memory; DuckDB engine."
        ),
    ] = None,
    engine: Annotated[
        Engine, typer.Option(help="duckdb (this machine) or spark (local Spark or a cluster).")
    ] = (Engine.duckdb),
    master: Annotated[
        str | None,
        typer.Option(
            help="Spark master (local[2], yarn, spark://host:7077, k8s://...); default: the active "
            "session, else local[2]."
        ),
    ] = None,
    driver_rows: Annotated[
        int | None,
        typer.Option(
            help="Spark: most transactions the driver takes to train the learned model and backtest "
            "(beyond it, a random sample of customers; the output says so). Default 2,000,000."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
    memory_limit: MemoryLimit = None,
) -> None:
    """Predict every customer's value, churn risk, next purchase and segment; write the predictions table."""
    with _exit_codes():
        settings = clv.Settings(
            horizon=horizon,
            time_unit=time_unit,
            annual_discount_rate=discount_rate,
            margin=margin,
            backtest=not no_backtest,
        )
        if engine is Engine.spark:
            summary, findings = _predict_spark(source, output, settings, master, driver_rows, run_dir)
        else:
            log, _ = load_transactions(Path(source), connection=connect(memory_limit))
            with _progress("predicting") as progress:
                if run_dir is not None:  # the whole run, held in memory, then saved
                    results = clv.run(log, settings, progress=progress)
                    _write(results.predictions, Path(output))
                    results.save(run_dir)
                    customers, total, metadata = len(results.predictions), results.total, results.metadata
                    findings = results.insights
                else:  # the predictions written part by part as customers are scored
                    written = predict_to_file(log, output, settings, progress=progress)
                    customers, total, metadata = written.customers, written.total, written.metadata
                    findings = written.insights
            summary = {
                "engine": engine.value,
                "customers": customers,
                "total": total[0],
                "total_low": total[1],
                "total_high": total[2],
                "purchase_model": metadata["purchase_model"],
                "output": output,
            }
        if as_json:
            _emit(summary)
        else:
            for finding in findings:
                console.print(f"- {escape(finding)}")
            console.print(f"predictions -> {output}")


def _predict_spark(
    source: str,
    output: str,
    settings: clv.Settings,
    master: str | None,
    driver_rows: int | None,
    run_dir: Path | None,
) -> tuple[dict[str, Any], list[str]]:
    """``clv predict --engine spark``: the JSON summary and the notes to show."""
    if run_dir is not None:
        raise DataValidationError(
            "--run-dir saves a DuckDB run; the Spark engine writes its description to _clv_run.json beside the "
            "predictions"
        )
    if Path(output).suffix.lower() in (".csv", ".xlsx", ".json"):
        raise DataValidationError(
            f"the Spark engine writes Parquet: give an output folder or a path ending in .parquet, not {output}"
        )
    try:
        from clv.spark import SparkOptions, spark_session
        from clv.spark import run as run_spark

        session = spark_session(master)
    except ImportError as error:
        raise DataValidationError(str(error)) from error
    options = SparkOptions() if driver_rows is None else SparkOptions(driver_rows=driver_rows)
    with _progress("predicting with Spark") as progress:
        result = run_spark(source, output, settings, spark=session, options=options, progress=progress)
    summary = {
        "engine": "spark",
        "master": result.metadata["master"],
        "customers": result.metadata["customers"],
        "total": result.total[0],
        "total_low": result.total[1],
        "total_high": result.total[2],
        "purchase_model": result.metadata["purchase_model"],
        "learned_training": result.metadata["learned_training"]["statement"],
        "output": output,
    }
    return summary, list(result.metadata["notes"])


@app.command(
    epilog=_examples(
        "clv backtest CDNOW_master.txt --calibration-end 1997-09-30 --holdout-end 1998-06-30",
        "clv backtest orders.parquet --calibration-end 2011-06-30 --holdout-end 2011-12-09 --json",
    )
)
def backtest(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    calibration_end: Annotated[str, typer.Option(help="Last day the models see (YYYY-MM-DD).")],
    holdout_end: Annotated[str, typer.Option(help="Last day of the holdout (YYYY-MM-DD).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Score every model (and the ensemble and a baseline) on a holdout period no model saw."""
    with _exit_codes():
        log, _ = load_transactions(source, drop_zero_amounts=False)
        with console.status("fitting on the calibration period and scoring the holdout"):
            metrics = run_backtest(log, calibration_end, holdout_end).metrics
        if as_json:
            _emit(
                {
                    "calibration_end": calibration_end,
                    "holdout_end": holdout_end,
                    "metrics": metrics.reset_index().to_dict(orient="records"),
                }
            )
        else:
            console.print(_table(metrics.reset_index(), f"backtest {calibration_end} -> {holdout_end}"))


@app.command(
    epilog=_examples(
        "clv report orders.csv -o report.docx",
        "clv report orders.parquet -o report.docx --horizon 6 --time-unit M --json",
    )
)
def report(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Word file to write (.docx).")] = Path(
        "clv_report.docx"
    ),
    horizon: Annotated[float, typer.Option(help="Horizon in time units.")] = 12,
    time_unit: Annotated[str, typer.Option(help="D, W, M or Y.")] = "M",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Run the models and write the Word report (key figures, findings, charts, segments, backtest, notes)."""
    with _exit_codes():
        log, _ = load_transactions(source)
        with _progress("predicting") as progress:
            results = clv.run(log, clv.Settings(horizon=horizon, time_unit=time_unit), progress=progress)
        try:
            output.write_bytes(build_run_report(results))
        except OSError as error:
            raise DataValidationError(f"cannot write {output}: {error.strerror or error}") from error
        if as_json:
            _emit({"customers": len(results.predictions), "total": results.total[0], "output": output})
        else:
            console.print(f"report -> {output}")


@app.command("app", epilog=_examples("clv app", "clv app --port 8502"))
def app_command(port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501) -> None:
    """Start the web app (Streamlit) on the bundled CDNOW data."""
    from clv.app.serve import streamlit_command

    raise typer.Exit(subprocess.call(streamlit_command(port)))


def main() -> None:
    """Console entry point."""
    app()
