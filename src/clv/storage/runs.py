"""Stored model runs: one row per prediction made in the app (settings, totals, duration) and its backtest
metrics, one row per (model, metric)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from clv.storage.db import Database, to_frame, utc_now
from clv.storage.schema import model_run_metrics, model_runs

if TYPE_CHECKING:
    from clv.pipeline import Results


def record_run(
    database: Database,
    results: Results,
    data_name: str,
    duration_seconds: float,
    session_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Store ``results``' summary and backtest metrics (numeric columns of ``results.metrics``); returns the id."""
    total, low, high = results.total
    run = {
        "created_at": now or utc_now(),
        "session_id": session_id,
        "data_name": data_name[:200],
        "customers": int(results.metadata.get("customers", len(results.predictions))),
        "transactions": int(results.metadata.get("transactions", 0)),
        "purchase_model": str(results.metadata.get("purchase_model", ""))[:40],
        "settings": results.settings.to_dict(),
        "total": float(total),
        "total_low": float(low),
        "total_high": float(high),
        "duration_seconds": float(duration_seconds),
        "fingerprint": str(results.metadata.get("fingerprint", ""))[:32],
    }
    metrics = _metric_rows(results.metrics)

    def work(connection: Connection) -> int:
        run_id = int(
            connection.execute(insert(model_runs).values(**run).returning(model_runs.c.id)).scalar_one()
        )
        if metrics:
            connection.execute(insert(model_run_metrics), [{"run_id": run_id, **row} for row in metrics])
        return run_id

    return database.write(work, "storing the model run")


def list_runs(database: Database, limit: int = 500) -> pd.DataFrame:
    """The newest ``limit`` runs, newest first (settings as a dict)."""
    query = select(model_runs).order_by(model_runs.c.id.desc()).limit(limit)
    return database.read(lambda connection: to_frame(connection.execute(query)), "reading stored runs")


def run_metrics(database: Database, run_id: int) -> pd.DataFrame:
    """Run ``run_id``'s backtest: one row per model, one column per metric (empty without a backtest)."""
    query = (
        select(model_run_metrics.c.model, model_run_metrics.c.metric, model_run_metrics.c.value)
        .where(model_run_metrics.c.run_id == run_id)
        .order_by(model_run_metrics.c.id)
    )
    long = database.read(lambda connection: to_frame(connection.execute(query)), "reading run metrics")
    if long.empty:
        return pd.DataFrame()
    order = list(dict.fromkeys(long["metric"]))
    models = list(dict.fromkeys(long["model"]))
    wide = long.pivot(index="model", columns="metric", values="value")
    return wide.loc[models, order].rename_axis(columns=None)


def _metric_rows(metrics: pd.DataFrame) -> list[dict[str, Any]]:
    if metrics.empty:
        return []
    numeric = metrics.select_dtypes("number")
    rows = []
    for model, values in numeric.iterrows():
        for metric, value in values.items():
            number = float(value)
            rows.append(
                {
                    "model": str(model)[:60],
                    "metric": str(metric)[:60],
                    "value": number if math.isfinite(number) else None,
                }
            )
    return rows
