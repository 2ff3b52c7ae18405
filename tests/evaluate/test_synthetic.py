"""Known truth: on a log simulated from BG/NBD and Gamma-Gamma, the forecasts are compared with each customer's true
expected holdout revenue, computed from the latent rate, dropout probability and mean spend that generated them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.data import load_transactions
from clv.datasets import synthetic
from clv.forecast.backtest import Backtest, backtest


@pytest.fixture(scope="module")
def simulated() -> tuple[Backtest, pd.Series]:
    data = synthetic(n_customers=4_000, start="2022-01-01", end="2023-12-31", seed=7, seasonality=False)
    log, _ = load_transactions(data.transactions)
    result = backtest(log, "2023-03-31", "2023-12-31")
    summary = result.forecast.summary
    truth = data.customers.set_index("customer_id").reindex(summary.index)
    rate, dropout = truth["purchase_rate_per_week"], truth["dropout_probability"]
    x, t_x, age = summary["frequency"], summary["recency"], summary["T"]
    # BG/NBD with known (lambda, p): P(alive | history) and expected purchases of an active customer in H weeks.
    alive = 1.0 / (1.0 + np.where(x > 0, dropout / (1 - dropout) * np.exp(rate * (age - t_x)), 0.0))
    purchases = -np.expm1(-rate * dropout * result.forecast.horizon_weeks) / dropout
    return result, (alive * purchases * truth["mean_spend"]).rename("truth")


def test_the_true_expectation_explains_the_holdout(simulated: tuple[Backtest, pd.Series]) -> None:
    result, truth = simulated
    actual = result.predictions["actual"]
    assert truth.sum() == pytest.approx(actual.sum(), rel=0.05)


def test_ensemble_tracks_the_true_expectation(simulated: tuple[Backtest, pd.Series]) -> None:
    result, truth = simulated
    metrics, predictions = result.metrics, result.predictions
    assert result.forecast.purchase_model.model_type in {"BG/NBD", "MBG/NBD"}
    assert "learned" in metrics.index
    truth = truth.reindex(predictions.index)
    # The data follow the probabilistic model exactly, so the learned part must not spoil its ranking.
    assert metrics.loc["ensemble", "gini"] >= metrics.loc["BG/NBD x Gamma-Gamma", "gini"] - 0.005
    reference = predictions["BG/NBD x Gamma-Gamma"]
    for method in ("pearson", "spearman"):
        assert (
            predictions["ensemble"].corr(truth, method=method) >= reference.corr(truth, method=method) - 0.02
        )
    assert predictions["ensemble"].corr(truth) > 0.85
    # Least squares on one validation window shrinks the blend's level here (0.89 of the truth): see docs/run.md, "Other splits".
    assert predictions["ensemble"].sum() / truth.sum() == pytest.approx(1.0, abs=0.15)
    assert predictions["learned"].sum() / truth.sum() == pytest.approx(1.0, abs=0.1)
