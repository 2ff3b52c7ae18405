"""Predictions of a log too large for memory, written to a file part by part as customers are scored.

Usage::

    from clv.pipeline.batch import predict_to_file
    from clv.data import connect, load_transactions

    log, _ = load_transactions("orders.parquet", connection=connect(memory_limit="2GB"))
    run = predict_to_file(log, "predictions.parquet", clv.Settings(horizon=12, time_unit="M"))

What ``clv predict`` runs. The rows and the total are those of :func:`clv.run`; the run's building blocks are in
:mod:`clv.pipeline`.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clv.config import release_freed_memory
from clv.data.transactions import Transactions
from clv.explain.insights import insights
from clv.models.base import one_blas_thread
from clv.pipeline.fitting import fitted_at_end
from clv.pipeline.metadata import run_metadata
from clv.pipeline.predictions import SEGMENT_COLUMNS, SEGMENT_INPUTS, add_segments, in_column_order
from clv.pipeline.progress import Progress
from clv.pipeline.tally import Tally, scored_parts
from clv.report.writers import TableWriter, check_format, read_parquet_parts
from clv.settings import Settings


@dataclass
class FileRun:
    """What :func:`predict_to_file` produced besides the file: the number of customers, the total with its interval,
    the insights and the run's metadata (notes included)."""

    output: Path
    customers: int
    total: tuple[float, float, float]
    insights: list[str]
    metadata: dict[str, Any]


def predict_to_file(
    log: Transactions,
    output: str | os.PathLike[str],
    settings: Settings | None = None,
    progress: Progress | None = None,
) -> FileRun:
    """:func:`clv.run` for logs whose predictions need not fit in memory: the predictions table is written to
    ``output`` (.csv, .parquet, .json, .xlsx) part by part, as it is scored (no drivers: they are not part of the
    table). The rows and the total are those of :func:`run`. Segments need every customer's value, so each part is
    first written to a temporary Parquet file next to ``output`` and copied into ``output`` with its segments."""
    settings = settings or Settings()
    report = progress or (lambda stage, fraction: None)
    target = Path(output)
    check_format(target)
    with one_blas_thread():
        started = time.perf_counter()
        report("Fitting the purchase and spend models and the learned model", 0.05)
        with (
            fitted_at_end(log, settings) as (fitted, testing),
            tempfile.TemporaryDirectory(
                prefix=".clv-", dir=target.parent if target.parent.exists() else None
            ) as folder,
        ):
            check_format(target, fitted.customers)
            timings = {"forecast": time.perf_counter() - started}
            report("Valuing customers over the horizon", 0.55)
            tally, inputs = Tally(), _SegmentInputs(fitted.customers)
            unsegmented = Path(folder) / "unsegmented.parquet"
            with TableWriter(unsegmented, neutralise=False) as writer:
                for part in scored_parts(log, fitted, settings, report, drivers=False):
                    tally.add(part)
                    writer.write(part.predictions)
                    inputs.add(part.predictions)
            timings["valuation"] = time.perf_counter() - started - timings["forecast"]
            tested, timings["backtest"] = testing.wait(report, 0.7, fitted.notes)
            report(f"Segmenting customers and writing {target.name}", 0.9)
            release_freed_memory()
            segmented = inputs.frame()
            add_segments(segmented, settings)
            del inputs
            with TableWriter(target) as writer:
                written = 0
                for rows in read_parquet_parts(unsegmented):
                    segments = segmented.iloc[written : written + len(rows)]
                    for column in SEGMENT_COLUMNS:
                        rows[column] = segments[column].to_numpy()
                    writer.write(in_column_order(rows.drop(columns="weeks_since_last")))
                    written += len(rows)
        total = tally.total(fitted, settings)
        metrics = tested.metrics if tested is not None else pd.DataFrame()
        metadata = run_metadata(fitted, tested, settings, tally, len(log), timings)
        timings["total"] = time.perf_counter() - started
        report("Done", 1.0)
        return FileRun(
            output=target,
            customers=tally.customers,
            total=total,
            insights=insights(segmented, total, settings, None, metrics, tally.predictive(fitted, settings)),
            metadata=metadata,
        )


class _SegmentInputs:
    """The columns of every customer's scored row that the segments need (``SEGMENT_INPUTS``), in arrays of the
    final size filled part by part (nothing is copied when the parts are joined)."""

    def __init__(self, customers: int) -> None:
        self._columns = {
            name: np.empty(customers, dtype=np.int64 if name == "frequency" else np.float64)
            for name in SEGMENT_INPUTS
        }
        self._filled = 0

    def add(self, rows: pd.DataFrame) -> None:
        """Append the inputs of ``rows``."""
        end = self._filled + len(rows)
        for name, values in self._columns.items():
            values[self._filled : end] = rows[name].to_numpy()
        self._filled = end

    def frame(self) -> pd.DataFrame:
        """The inputs added so far, as a DataFrame over the same arrays."""
        return pd.DataFrame(
            {name: values[: self._filled] for name, values in self._columns.items()}, copy=False
        )
