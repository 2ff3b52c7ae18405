"""Everything fitted at the observation end: the purchase and spend models on every customer's distinct
statistics, the learned model on the log (of a hash sample past ``SAMPLE_CUSTOMERS``), the backtest started beside."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from clv.config import release_freed_memory
from clv.data.summary import summary_statistics
from clv.data.transactions import Transactions
from clv.errors import DataValidationError
from clv.forecast.history import TIME_UNIT, History
from clv.forecast.probabilistic import fit_on_statistics
from clv.forecast.training import LearnedFit, train_learned
from clv.models import GammaGamma, PurchaseModel
from clv.pipeline.backtesting import BacktestThread
from clv.settings import Settings

SAMPLE_CUSTOMERS = 200_000
"""Beyond this many customers at the observation end, the learned model is trained and the backtest run on the log
of a hash sample of about this many customers (their time and memory grow with the rows); every customer is scored."""


@dataclass
class Fitted:
    """Everything scoring needs, fitted at the observation end ``end``: the chosen purchase model and the spend model
    (on every customer's statistics), the purchase models' comparison table, the learned model with its blend weights
    (None without one), the number of customers, and notes on what was done."""

    end: pd.Timestamp
    purchase_model: PurchaseModel
    spend_model: GammaGamma
    comparison: pd.DataFrame
    customers: int
    notes: list[str]
    fit: LearnedFit | None = None


@contextmanager
def fitted_at_end(
    log: Transactions, settings: Settings, backtest_now: bool = True
) -> Iterator[tuple[Fitted, BacktestThread]]:
    """Fit everything at the observation end, with the backtest on a second thread (waited for on leaving unless
    detached), started now or, without ``backtest_now``, when the caller starts it. The probabilistic models are
    fitted on the distinct statistics of every customer; the learned model and the backtest use the log of a hash
    sample of customers when there are more than ``SAMPLE_CUSTOMERS``."""
    end = (
        pd.Timestamp(settings.observation_end).normalize()
        if settings.observation_end is not None
        else log.date_range()[1].normalize()
    )
    statistics = summary_statistics(log, end, TIME_UNIT)
    if statistics.empty:
        raise DataValidationError(f"{log.source_name}: no customer has a purchase on or before {end.date()}")
    customers = int(statistics["weight"].sum())
    notes: list[str] = []
    learning_log = log
    if customers > SAMPLE_CUSTOMERS and (settings.learned or settings.backtest):
        learning_log = log.customer_sample(SAMPLE_CUSTOMERS / customers)
        notes.append(
            f"the learned model was trained and the backtest run on the log of a random "
            f"{SAMPLE_CUSTOMERS / customers:.1%} of the {customers:,} customers (chosen by a hash of the id; "
            f"{len(learning_log):,} of {len(log):,} transactions); every customer was scored"
        )
    history = History(learning_log)
    with BacktestThread(learning_log, history, end, settings, start=backtest_now) as testing:
        purchase_model, spend_model, comparison = fit_on_statistics(
            statistics, settings.purchase_models, settings.horizon_weeks, notes
        )
        fitted = Fitted(end, purchase_model, spend_model, comparison, customers, notes)
        if settings.learned:
            fitted.fit = learned_at_end(
                history, end, settings, (purchase_model, spend_model), statistics, notes
            )
        del history  # its per-cutoff tables are not needed to score; the backtest keeps what it uses
        release_freed_memory()
        yield fitted, testing


def learned_at_end(
    history: History,
    end: pd.Timestamp,
    settings: Settings,
    models: tuple[PurchaseModel, GammaGamma],
    statistics: pd.DataFrame,
    notes: list[str],
) -> LearnedFit | None:
    """The learned model for the observation end (:func:`clv.forecast.ensemble.train_learned` on ``history``, from the
    chosen purchase and spend ``models`` and the customers' distinct ``statistics``), how it was trained and blended
    added to ``notes`` (or why there is none)."""
    fit = train_learned(history, end, settings.horizon_weeks, models, statistics, settings.seed, notes)
    notes.extend(fit.notes if fit is not None else [])
    return fit
