"""``clv.run``: from a transaction log (or a customer table) to predictions, backtest, segments and insights.

Usage::

    import clv
    from clv.data import load_transactions

    log, report = load_transactions("orders.csv")
    results = clv.run(log, clv.Settings(horizon=12, time_unit="M"))
    results.predictions.head()
    results.save("run-folder")

The horizon is counted in ``time_unit`` periods (a month is 365.25/12 days); money is in the data's currency. The
forecast and its parts are described in :mod:`clv.forecast.ensemble`; the backtest in :mod:`clv.forecast.backtest`.

A run, in order: the purchase and spend models are fitted at the observation end on DuckDB's distinct customer
statistics (:func:`clv.data.summary.summary_statistics`); the backtest starts on a second thread; the learned model is
trained (:func:`clv.forecast.ensemble.train_learned`), both on the log of a hash sample of customers past
``SAMPLE_CUSTOMERS``; every customer is scored a part at a time (:mod:`clv.forecast.scoring`); segments rank every customer
at the end. :func:`clv.pipeline.batch.predict_to_file` runs the same steps and writes the parts to a file instead of keeping
them."""

from __future__ import annotations

import time

import pandas as pd

from clv.config import days_per_unit
from clv.data.transactions import Transactions
from clv.errors import DataValidationError
from clv.explain.insights import insights
from clv.forecast.backtest import Backtest
from clv.forecast.history import TIME_UNIT
from clv.forecast.probabilistic import fit_on_statistics
from clv.forecast.scoring import score_part
from clv.models.base import one_blas_thread
from clv.pipeline.backtesting import backtest_tables
from clv.pipeline.contractual import is_contractual, run_contractual
from clv.pipeline.fitting import Fitted, fitted_at_end
from clv.pipeline.metadata import run_metadata
from clv.pipeline.predictions import add_segments, segment_tables
from clv.pipeline.progress import Progress
from clv.pipeline.results import Results
from clv.pipeline.tally import Tally, process_share, scored_parts
from clv.settings import Settings


def run(
    data: Transactions | pd.DataFrame,
    settings: Settings | None = None,
    progress: Progress | None = None,
    *,
    wait_for_backtest: bool = True,
) -> Results:
    """Predict every customer's value over the horizon, backtest the models, segment and explain.

    ``data``: a :class:`~clv.data.Transactions` log, a DataFrame with the canonical transaction columns
    (customer_id, timestamp, amount ...), or a customer-level summary (frequency, recency, T, monetary_value, as from
    :func:`clv.data.load_customer_summary`), which runs the probabilistic models only and says so. ``progress`` is
    called with (stage name, fraction done). With ``wait_for_backtest=False`` the results come as soon as every
    customer is valued, the backtest still running on its thread: :attr:`Results.backtest_ready` tells when it is
    done and :meth:`Results.with_backtest` adds it (what the app does, to show results sooner).

    A subscriptions table (customer, start and end dates; ``settings.setting`` ``"contractual"``, or ``"auto"`` and
    such columns) makes a contractual run instead: :func:`clv.pipeline.contractual.run_contractual`.
    """
    with one_blas_thread():
        return _run(
            data, settings or Settings(), progress or (lambda stage, fraction: None), wait_for_backtest
        )


def _run(
    data: Transactions | pd.DataFrame, settings: Settings, report: Progress, wait_for_backtest: bool
) -> Results:
    if is_contractual(data, settings):  # a subscriptions table: clv.pipeline.contractual
        return run_contractual(data, settings, report)  # type: ignore[arg-type]
    if isinstance(data, pd.DataFrame) and {"frequency", "recency", "T"} <= set(data.columns):
        return _run_customer_level(data, settings, report)
    log = data if isinstance(data, Transactions) else Transactions.from_pandas(data)
    started = time.perf_counter()
    report("Fitting the purchase and spend models and the learned model", 0.05)
    # Results first: the backtest then starts after the valuation, not competing with it.
    with fitted_at_end(log, settings, backtest_now=wait_for_backtest) as (fitted, testing):
        timings = {"forecast": time.perf_counter() - started}
        report("Valuing customers over the horizon", 0.55)
        tally, frames, texts = Tally(), [], []
        for part in scored_parts(log, fitted, settings, report, drivers=True):
            tally.add(part)
            frames.append(part.predictions)
            texts.extend([part.drivers] if part.drivers is not None else [])
        predictions = pd.concat(frames, ignore_index=True)
        del frames  # the parts are copied into the whole
        timings["valuation"] = time.perf_counter() - started - timings["forecast"]
        testing.start()
        pending = testing.detach() if not wait_for_backtest and testing.running else None
        tested = None
        if pending is None:
            tested, timings["backtest"] = testing.wait(report, 0.7, fitted.notes)
    report("Segmenting and writing insights", 0.95)
    results = _results(predictions, texts, tally, fitted, tested, settings, len(log), timings)
    results.backtest_pending = pending
    timings["total"] = time.perf_counter() - started
    report("Done", 1.0)
    return results


def _results(
    predictions: pd.DataFrame,
    driver_texts: list[pd.Series],
    tally: Tally,
    fitted: Fitted,
    tested: Backtest | None,
    settings: Settings,
    transactions: int,
    timings: dict[str, float],
) -> Results:
    """The run's results from every customer's scored rows (in customer order) and their drivers' texts."""
    drivers = _drivers(predictions, driver_texts, tally)
    add_segments(predictions, settings)
    tables = backtest_tables(tested)
    total = tally.total(fitted, settings)
    return Results(
        predictions=predictions,
        **tables,
        segments=segment_tables(predictions),
        insights=insights(
            predictions,
            total,
            settings,
            drivers.get("importance"),
            tables["metrics"],
            tally.predictive(fitted, settings),
        ),
        drivers=drivers,
        models={"purchase_model": fitted.purchase_model, "spend_model": fitted.spend_model},
        learned_model=fitted.fit.model if fitted.fit is not None else None,
        metadata=run_metadata(fitted, tested, settings, tally, transactions, timings),
        total=total,
        settings=settings,
    )


def _drivers(predictions: pd.DataFrame, texts: list[pd.Series], tally: Tally) -> dict[str, pd.DataFrame]:
    importance = tally.importance()
    if importance is None:
        return {}
    return {
        "importance": importance,
        "customers": pd.DataFrame(
            {"customer_id": predictions["customer_id"].array, "drivers": pd.concat(texts).to_numpy()}
        ),
    }


def _run_customer_level(summary: pd.DataFrame, settings: Settings, report: Progress) -> Results:
    """Customer-level input: the probabilistic models only (no log, so no learned model and no backtest)."""
    started = time.perf_counter()
    unit = summary.attrs.get("time_unit")
    if unit is None:
        raise DataValidationError(
            "the customer table does not say its time unit: load it with load_customer_summary"
        )
    weeks = summary.copy()
    scale = days_per_unit(unit) / 7.0
    weeks[["recency", "T"]] = weeks[["recency", "T"]] * scale
    weeks.attrs["time_unit"] = TIME_UNIT
    if "total_revenue" not in weeks:
        weeks["total_revenue"] = weeks["monetary_value"] * weeks["frequency"]
    report("Fitting the purchase and spend models", 0.2)
    notes = [
        "customer-level input: probabilistic models only (no transaction log for a learned model or a backtest)"
    ]
    purchase_model, spend_model, comparison = fit_on_statistics(
        weeks.assign(weight=1.0), settings.purchase_models, settings.horizon_weeks, notes
    )
    # Without a log there is no calendar date to count the next purchase from unless the table carries one.
    end = summary.attrs.get("observation_end")
    fitted = Fitted(
        pd.Timestamp(end) if end is not None else pd.NaT,  # type: ignore[arg-type]
        purchase_model,
        spend_model,
        comparison,
        len(weeks),
        notes,
    )
    part = score_part(
        weeks.set_index("customer_id", drop=False),
        None,
        fitted.end,
        settings,
        (purchase_model, spend_model),
        None,
        process_share=process_share(len(weeks)),
    )
    tally = Tally()
    tally.add(part)
    timings = {"forecast": time.perf_counter() - started}
    return _results(part.predictions, [], tally, fitted, None, settings, len(weeks), timings)
