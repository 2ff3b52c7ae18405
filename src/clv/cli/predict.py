"""``clv predict`` and ``clv report``: the whole forecast of every customer, as a table or as a Word report; the
predictions on this machine (DuckDB) or on Apache Spark."""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from clv.cli.common import (
    ColumnMap,
    MemoryLimit,
    column_mapping,
    console,
    emit,
    exit_codes,
    load_log,
    progress_bar,
    say_notes,
    write,
)
from clv.errors import DataValidationError

if TYPE_CHECKING:
    from clv.settings import Settings


class Engine(StrEnum):
    """Where ``clv predict`` runs: DuckDB on this machine, or Apache Spark (local or a cluster)."""

    duckdb = "duckdb"
    spark = "spark"


def predict(
    source: Annotated[
        str,
        typer.Argument(
            help="Transaction log: CSV, Excel, Parquet or a glob of Parquet files, or a CDNOW text file; with "
            "--engine spark also a Parquet/CSV folder or URL (s3a://, gs://, abfss://, hdfs://) or a table name, "
            "but no Excel."
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
    column_map: ColumnMap = None,
    setting: Annotated[
        str,
        typer.Option(
            help="auto (a file with customer, start and end/cancel date columns is subscriptions), "
            "noncontractual (a transaction log) or contractual (subscriptions: --time-unit is the contract "
            "period; --map fields customer_id, start, end, cohort, price; a file without start and end columns "
            "is a payments log, one row per renewal paid)."
        ),
    ] = "auto",
    grace_days: Annotated[
        float,
        typer.Option(help="Payments log: days a renewal may come late and still continue the contract."),
    ] = 7.0,
    by_cohort: Annotated[
        bool,
        typer.Option("--by-cohort", help="Subscriptions: fit the retention model per cohort, not pooled."),
    ] = False,
    observation_end: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD; default the last date in the file.")
    ] = None,
) -> None:
    """Predict every customer's value, churn risk, next purchase and segment; write the predictions table.
    A subscriptions file gets the contractual run: each subscriber's residual value and churn risk."""
    from clv.settings import Settings

    with exit_codes():
        settings = Settings(
            horizon=horizon,
            time_unit=time_unit,
            annual_discount_rate=discount_rate,
            margin=margin,
            backtest=not no_backtest,
            setting=setting,
            observation_end=observation_end,
            grace_days=grace_days,
            retention_by_cohort=by_cohort,
        )
        if engine is Engine.spark and settings.setting == "contractual":
            raise DataValidationError(
                "the Spark engine runs transaction logs: drop --engine spark for a subscriptions file"
            )
        if engine is Engine.duckdb and _is_subscriptions(source, settings):
            summary, notes, findings = _predict_subscriptions(
                Path(source), output, settings, run_dir, column_map
            )
        elif engine is Engine.spark:
            summary, notes, findings = _predict_spark(
                source, output, settings, master, driver_rows, run_dir, column_mapping(column_map)
            )
        else:
            summary, notes, findings = _predict_here(
                Path(source), output, settings, run_dir, memory_limit, column_map
            )
        say_notes(notes)
        if as_json:
            emit(summary)
        else:
            for finding in findings:
                console.print(f"- {escape(finding)}")
            console.print(f"predictions -> {output}")


def _predict_here(
    source: Path,
    output: str,
    settings: Settings,
    run_dir: Path | None,
    memory_limit: str | None,
    column_map: list[str] | None,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``clv predict`` with DuckDB: the JSON summary, the run's notes and its findings."""
    log, _ = load_log(source, column_map, memory_limit)
    from clv.pipeline import run  # the models, once the data is known to be good
    from clv.pipeline.batch import predict_to_file

    with progress_bar("predicting") as progress:
        if run_dir is not None:  # the whole run, held in memory, then saved
            results = run(log, settings, progress=progress)
            write(results.predictions, Path(output))
            results.save(run_dir)
            customers, total, metadata = len(results.predictions), results.total, results.metadata
            findings = results.insights
        else:  # the predictions written part by part as customers are scored
            written = predict_to_file(log, output, settings, progress=progress)
            customers, total, metadata = written.customers, written.total, written.metadata
            findings = written.insights
    summary = {
        "engine": Engine.duckdb.value,
        "customers": customers,
        "total": total[0],
        "total_low": total[1],
        "total_high": total[2],
        "purchase_model": metadata["purchase_model"],
        "output": output,
    }
    return summary, list(metadata["notes"]), findings


def _is_subscriptions(source: str, settings: Settings) -> bool:
    """Whether ``clv predict`` makes the contractual run: ``--setting contractual``, or ``auto`` and the file's
    columns are a subscriptions table's."""
    if settings.setting != "auto":
        return settings.setting == "contractual"
    if "*" in source or not Path(source).is_file():
        return False
    from clv.data.contracts import is_subscriptions_table, source_columns

    return is_subscriptions_table(source_columns(Path(source)))


def _contractual_input(source: Path, column_map: list[str] | None) -> Any:
    """What the contractual run reads: the contracts of a subscriptions file, or a payments log (a file without start
    and end columns, read as a transaction log: one row per renewal paid)."""
    from clv.data.contracts import (
        CONTRACT_FIELD_NAMES,
        REQUIRED_CONTRACT_FIELDS,
        contract_mapping,
        load_subscriptions,
        source_columns,
    )

    mapping = column_mapping(column_map)
    contract_fields = {field: column for field, column in mapping.items() if field in CONTRACT_FIELD_NAMES}
    if set(REQUIRED_CONTRACT_FIELDS) <= set(contract_mapping(source_columns(source), contract_fields)):
        return load_subscriptions(source, mapping)
    return load_log(source, column_map)[0]


def _predict_subscriptions(
    source: Path, output: str, settings: Settings, run_dir: Path | None, column_map: list[str] | None
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``clv predict`` on a subscriptions file (or a payments log): the contractual run, its JSON summary, notes and
    findings."""
    table = _contractual_input(source, column_map)
    from clv.pipeline import run  # the models, once the data is known to be readable

    with progress_bar("predicting subscriptions") as progress:
        results = run(table, replace(settings, setting="contractual"), progress=progress)
    write(results.predictions, Path(output))
    if run_dir is not None:
        results.save(run_dir)
    total = results.total
    summary = {
        "engine": Engine.duckdb.value,
        "setting": "contractual",
        "customers": len(results.predictions),
        "active": int(results.predictions["active"].sum()),
        "total": total[0],
        "total_low": total[1],
        "total_high": total[2],
        "retention_model": results.metadata["retention_model"],
        "output": output,
    }
    return summary, list(results.metadata["notes"]), results.insights


def _predict_spark(
    source: str,
    output: str,
    settings: Settings,
    master: str | None,
    driver_rows: int | None,
    run_dir: Path | None,
    mapping: dict[str, str],
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``clv predict --engine spark``: the JSON summary, the run's notes and its findings."""
    if run_dir is not None:
        raise DataValidationError(
            "--run-dir saves a DuckDB run; the Spark engine writes its description to _clv_run.json beside the "
            "predictions"
        )
    if Path(output).suffix.lower() in (".csv", ".xlsx", ".json"):
        raise DataValidationError(
            f"the Spark engine writes Parquet: give an output folder or a path ending in .parquet, not {output}"
        )
    from clv.spark.files import source_kind

    source_kind(source)  # an Excel workbook, a binary or empty file: refused before Spark starts
    try:
        from clv.spark import SparkOptions, spark_session
        from clv.spark import run as run_spark

        session = spark_session(master)
    except ImportError as error:
        raise DataValidationError(str(error)) from error
    options = SparkOptions(mapping=mapping or None)
    if driver_rows is not None:
        options = replace(options, driver_rows=driver_rows)
    with progress_bar("predicting with Spark") as progress:
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
    return summary, list(result.metadata["notes"]), []


def report(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Word file to write (.docx).")] = Path(
        "clv_report.docx"
    ),
    horizon: Annotated[float, typer.Option(help="Horizon in time units.")] = 12,
    time_unit: Annotated[str, typer.Option(help="D, W, M or Y.")] = "M",
    column_map: ColumnMap = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")] = False,
) -> None:
    """Run the models and write the Word report (key figures, findings, charts, segments, backtest, notes); for a
    subscriptions file, the contractual run's (retention by cohort, residual values)."""
    from clv.settings import Settings

    with exit_codes():
        settings = Settings(horizon=horizon, time_unit=time_unit)
        if _is_subscriptions(str(source), settings):  # the contractual run's report
            data: Any = _contractual_input(source, column_map)
            settings = replace(settings, setting="contractual")
        else:
            data, _ = load_log(source, column_map)
        from clv.pipeline import run
        from clv.report.docx_report import build_run_report

        with progress_bar("predicting") as progress:
            results = run(data, settings, progress=progress)
        say_notes(results.metadata["notes"])
        try:
            output.write_bytes(build_run_report(results))
        except OSError as error:
            raise DataValidationError(f"cannot write {output}: {error.strerror or error}") from error
        if as_json:
            emit({"customers": len(results.predictions), "total": results.total[0], "output": output})
        else:
            console.print(f"report -> {output}")
