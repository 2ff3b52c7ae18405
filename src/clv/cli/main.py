"""The ``clv`` command line: batch runs on files, and the administrators' commands.

Inputs: CSV, Excel (.xlsx), Parquet, a glob of Parquet files (quote it: ``'logs/*.parquet'``) or a CDNOW file.
Outputs take their format from the extension: .csv, .parquet, .xlsx, .json (CSV and Excel formula-safe). Every
command that produces results accepts ``--json`` and then prints one JSON object on stdout (progress and messages
go to stderr).

Exit codes: 0 success; 2 bad input (the data layer's message is printed); 3 a model could not be fitted; 5 out of
memory.

The commands, with their examples, in the order of a user's day: :mod:`clv.cli.data` (sample, summarize),
:mod:`clv.cli.models` (fit, backtest), :mod:`clv.cli.predict` (predict, report), the app, :mod:`clv.cli.admin`.
"""

from __future__ import annotations

import subprocess
from typing import Annotated

import typer

from clv.cli import data, models, predict
from clv.cli.admin import admin_app
from clv.cli.common import EXIT_CODES, examples

app = typer.Typer(
    help="Customer lifetime value from transaction logs (CSV, Excel, Parquet or a glob of Parquet files).",
    epilog=EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.command(
    epilog=examples(
        "clv sample orders.csv",
        "clv sample orders.parquet --dataset synthetic --customers 20000 --seed 7",
        "clv sample cdnow.xlsx --dataset cdnow-sample --json",
        "clv sample subscriptions.csv --dataset subscriptions",
    )
)(data.sample)
app.command(
    "summarize",
    epilog=examples(
        "clv summarize orders.csv -o customers.parquet",
        "clv summarize 'exports/*.parquet' -o customers.xlsx --time-unit M --observation-end 2011-12-09",
        "clv summarize orders.xlsx -o customers.csv --json",
    ),
)(data.summarize)
app.command(epilog=examples("clv fit orders.csv --models-dir models/", "clv fit orders.parquet --json"))(
    models.fit
)
app.command(
    epilog=examples(
        "clv predict orders.csv -o predictions.parquet",
        "clv predict 'exports/*.parquet' -o predictions.xlsx --horizon 6 --time-unit M --margin 0.3",
        "clv predict orders.xlsx -o predictions.csv --discount-rate 0.1 --no-backtest --json",
        "clv predict orders.parquet -o predictions.parquet --engine spark --master local[2]",
        "clv predict s3a://bucket/orders/ -o s3a://bucket/clv/predictions --engine spark --master yarn",
        "clv predict sales.orders -o hdfs:///clv/predictions --engine spark",
        "clv predict subscriptions.csv -o subscribers.csv --setting contractual --time-unit M --discount-rate 0.1",
    )
)(predict.predict)
app.command(
    epilog=examples(
        "clv backtest CDNOW_master.txt --calibration-end 1997-09-30 --holdout-end 1998-06-30",
        "clv backtest orders.parquet --calibration-end 2011-06-30 --holdout-end 2011-12-09 --json",
    )
)(models.backtest)
app.command(
    epilog=examples(
        "clv report orders.csv -o report.docx",
        "clv report orders.parquet -o report.docx --horizon 6 --time-unit M --json",
    )
)(predict.report)
app.add_typer(admin_app, name="admin")


def _show_version(asked: bool) -> None:
    if asked:
        import clv

        typer.echo(f"clv {clv.__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="Print the version (pyproject.toml's) and exit.",
        ),
    ] = False,
) -> None:
    """Customer lifetime value from transaction logs (CSV, Excel, Parquet or a glob of Parquet files)."""


@app.command("app", epilog=examples("clv app", "clv app --port 8502"))
def app_command(port: Annotated[int, typer.Option(help="Port to listen on.")] = 8501) -> None:
    """Start the web app (Streamlit) on the bundled CDNOW data."""
    from clv.app.serve import streamlit_command

    raise typer.Exit(subprocess.call(streamlit_command(port)))


def main() -> None:
    """Console entry point."""
    app()
