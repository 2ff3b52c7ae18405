"""``clv fit`` and ``clv backtest``: the purchase models compared and saved, and scored on a holdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clv.cli.common import ColumnMap, TableFormat, console, emit, exit_codes, load_log, show_table


def fit(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    models_dir: Annotated[
        Path, typer.Option("--models-dir", "--output", "-o", help="Folder for the fitted models (JSON).")
    ] = Path("models"),
    column_map: ColumnMap = None,
    table_format: TableFormat = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Fit and compare the purchase models (BG/NBD, Pareto/NBD, MBG/NBD; time in weeks) and save them as JSON."""
    from clv.data import summarize
    from clv.models import compare_models

    with exit_codes():
        log, _ = load_log(source, column_map)
        with console.status("fitting BG/NBD, Pareto/NBD and MBG/NBD"):
            comparison = compare_models(summarize(log, time_unit="W"))
        models_dir.mkdir(parents=True, exist_ok=True)
        for name, model in comparison.models.items():
            model.save(models_dir / f"{name.replace('/', '_')}.json")
        if as_json:
            emit(
                {
                    "best": comparison.best,
                    "comparison": comparison.table.reset_index().to_dict(orient="records"),
                    "models_dir": models_dir,
                }
            )
        else:
            show_table(
                comparison.table.reset_index().drop(columns="note"), f"best: {comparison.best}", table_format
            )


def backtest(
    source: Annotated[Path, typer.Argument(help="Transaction log.")],
    calibration_end: Annotated[str, typer.Option(help="Last day the models see (YYYY-MM-DD).")],
    holdout_end: Annotated[str, typer.Option(help="Last day of the holdout (YYYY-MM-DD).")],
    column_map: ColumnMap = None,
    table_format: TableFormat = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Score every model (and the ensemble and a baseline) on a holdout period no model saw."""
    from clv.forecast.backtest import backtest as run_backtest

    with exit_codes():
        log, _ = load_log(source, column_map, drop_zero_amounts=False)
        with console.status("fitting on the calibration period and scoring the holdout"):
            metrics = run_backtest(log, calibration_end, holdout_end).metrics
        if as_json:
            emit(
                {
                    "calibration_end": calibration_end,
                    "holdout_end": holdout_end,
                    "metrics": metrics.reset_index().to_dict(orient="records"),
                }
            )
        else:
            show_table(metrics.reset_index(), f"backtest {calibration_end} -> {holdout_end}", table_format)
