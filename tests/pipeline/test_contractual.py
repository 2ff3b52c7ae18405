"""The contractual run on the bundled subscriptions example: parameters near the truth, predictions, backtest."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data import load_transactions
from clv.data.contracts import is_subscriptions_table, load_subscriptions
from clv.datasets import load_subscriptions_example
from clv.errors import DataValidationError
from clv.forecast.backtest import METRIC_COLUMNS
from clv.pipeline.contractual import SUBSCRIPTION_COLUMNS


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return load_subscriptions_example()


@pytest.fixture(scope="module")
def results(example: pd.DataFrame) -> clv.Results:
    return clv.run(example, clv.Settings(setting="contractual"))


def test_the_run_recovers_the_example_truth_and_chooses_the_bdw_model(
    example: pd.DataFrame, results: clv.Results
) -> None:
    model = results.models["retention_model"]
    assert results.metadata["retention_model"] == model.model_type == example.attrs["truth"]["model"] == "BdW"
    for name in ("alpha", "beta", "c"):
        truth = example.attrs["truth"][name]
        assert abs(model.params_[name] - truth) < 2.5 * model.standard_errors_[name], name
    assert abs(model.params_["c"] - 0.7) < 0.1
    bics = {row["model"]: row["bic"] for row in results.metadata["model_comparison"]}
    assert set(bics) == {"sBG", "BdW"} and bics["BdW"] < bics["sBG"]
    assert any("lower BIC" in note for note in results.metadata["notes"])


def test_predictions_value_active_subscribers_only_and_hold_no_missing_numbers(results: clv.Results) -> None:
    predictions = results.predictions
    assert tuple(predictions.columns) == SUBSCRIPTION_COLUMNS
    assert len(predictions) == 5_000 and predictions["customer_id"].is_unique
    numbers = predictions.drop(columns=["end"])
    assert not numbers.isna().any().any()
    assert predictions["end"].isna().eq(predictions["active"]).all()  # no end date while active
    churned = predictions[~predictions["active"]]
    assert (churned[["clv", "clv_low", "clv_high", "expected_remaining_periods"]] == 0).all().all()
    assert set(churned["churn_risk"].astype(str)) == {"Churned"} and set(
        churned["value_tier"].astype(str)
    ) == {"Rest"}
    active = predictions[predictions["active"]]
    assert (active["clv_low"] < active["clv"]).all() and (active["clv"] < active["clv_high"]).all()
    assert np.allclose(active["clv"], active["price"] * active["derl"])
    assert active["p_churn_next_period"].between(0, 1, inclusive="neither").all()
    # Longer tenure, lower churn (c < 1): the churn probability falls with renewals made.
    by_renewals = active.groupby("renewals")["p_churn_next_period"].mean()
    assert by_renewals.is_monotonic_decreasing
    assert results.total[0] == pytest.approx(active["clv"].sum(), rel=1e-9)
    assert results.total[1] < results.total[0] < results.total[2]
    tiers = results.segments["value_tiers"]
    assert tiers["customers"].sum() == 5_000
    assert set(results.segments) == {"value_tiers", "churn_risk", "cohorts"}
    assert list(results.segments["cohorts"]["segment"]) == ["2022", "2023", "2024"]


def test_the_backtest_holds_out_a_quarter_of_the_history(results: clv.Results) -> None:
    window = results.metadata["backtest"]
    assert window["holdout_periods"] == 9 and window["calibration_end"] == "2024-04-02"
    assert set(results.metrics.index) == {"sBG", "BdW"} and list(results.metrics.columns) == list(
        METRIC_COLUMNS
    )
    assert list(results.tracking["period"]) == list(range(1, 10))
    assert results.tracking["actual_survivors"].is_monotonic_decreasing
    survivors = results.conditional
    assert list(survivors["cohort"]) == ["2022", "2023", "2024"]
    predicted, actual = survivors["predicted_survivors"].sum(), survivors["actual_survivors"].sum()
    assert abs(predicted / actual - 1) < 0.15
    at_calibration = int(survivors["active_at_calibration"].sum())
    assert at_calibration >= results.tracking["actual_survivors"].iloc[0]
    assert any(f"the {at_calibration:,} then active" in note for note in results.metadata["notes"])
    assert len(results.deciles) == 10
    assert any("backtest" in finding for finding in results.insights)


def test_retention_curves_have_actual_fitted_and_projected_per_cohort(results: clv.Results) -> None:
    curves = results.retention
    assert set(curves["curve"]) == {"actual", "fitted", "projected"}
    assert set(curves["cohort"]) == {"2022", "2023", "2024"}
    start = curves[curves["period"] == 0]
    assert np.allclose(start["survival"], 1.0)
    fitted = curves[(curves["curve"] == "fitted") & (curves["cohort"] == "2022")]
    actual = curves[(curves["curve"] == "actual") & (curves["cohort"] == "2022")]
    assert len(fitted) == len(actual)
    assert np.max(np.abs(fitted["survival"].to_numpy()[:13] - actual["survival"].to_numpy()[:13])) < 0.05
    assert not curves.isna().any().any()


def test_a_saved_contractual_run_loads_back(results: clv.Results, tmp_path: Path) -> None:
    loaded = clv.Results.load(results.save(tmp_path / "run"))
    assert loaded.models["retention_model"].params_ == results.models["retention_model"].params_
    pd.testing.assert_frame_equal(loaded.retention, results.retention)
    assert loaded.settings.setting == "contractual"


def test_auto_detects_a_subscriptions_table_by_its_columns_and_not_a_log() -> None:
    assert is_subscriptions_table(["Subscriber ID", "Start Date", "Cancel Date", "Plan"])
    assert not is_subscriptions_table(["customer_id", "start", "end", "order_date", "amount"])
    assert not is_subscriptions_table(["customer_id", "start_date", "amount"])
    raw = (
        load_subscriptions_example()
        .drop(columns=["price", "cohort", "plan"])
        .rename(columns={"customer_id": "Subscriber ID", "start": "Start Date", "end": "Cancel Date"})
    )
    raw.attrs = {}
    results = clv.run(raw, clv.Settings(backtest=False))
    assert results.metadata["setting"] == "contractual"
    assert (results.predictions["price"] == 1.0).all()
    notes = " ".join(results.metadata["notes"])
    assert "no price column" in notes and "signup years" in notes
    assert results.metrics.empty and results.metadata["backtest"] is None


def _payments(contracts: pd.DataFrame, observation_end: str) -> pd.DataFrame:
    """One payment a month (30.4375 days) from each contract's start while it runs, as a payments log holds them (a
    calendar month's ending a day or two past the 30.4375-day grid is no further payment)."""
    end = contracts["end"].fillna(pd.Timestamp(observation_end) + pd.Timedelta(days=2))
    counts = np.maximum(np.ceil(((end - contracts["start"]).dt.days - 2) / 30.4375).astype(int), 1)
    rows = contracts.loc[contracts.index.repeat(counts)]
    k = np.concatenate([np.arange(n) for n in counts])
    dates = rows["start"].to_numpy() + pd.to_timedelta(np.round(k * 30.4375), unit="D").to_numpy()
    return pd.DataFrame(
        {"customer_id": rows["customer_id"].to_numpy(), "date": dates, "amount": rows["price"]}
    )


def test_a_contractual_run_of_a_payments_log_derives_the_contracts(
    example: pd.DataFrame, results: clv.Results
) -> None:
    observation_end = example.attrs["observation_end"]
    payments = _payments(example, observation_end)
    log, _ = load_transactions(payments, file_name="payments.csv")
    derived = clv.run(
        log, clv.Settings(setting="contractual", observation_end=observation_end, backtest=False)
    )
    assert "contracts derived from the payments of payments.csv: 5,000 contract(s)" in " ".join(
        derived.metadata["notes"]
    )
    by_id = derived.predictions.set_index("customer_id")
    expected = results.predictions.set_index("customer_id")
    assert len(by_id) == 5_000
    # A subscriber whose renewal is not yet due (the last payment less than a period and the grace days before the
    # observation end) is still active; every other subscriber is as the contracts say.
    late = by_id["active"] & ~expected.loc[by_id.index, "active"]
    ended = example.set_index("customer_id").loc[late[late].index, "end"]
    assert (ended > pd.Timestamp(observation_end) - pd.Timedelta(days=30.4375 + 7)).all()
    assert (expected["active"] <= by_id.loc[expected.index, "active"]).all()
    difference = (by_id["renewals"] - expected.loc[by_id.index, "renewals"]).abs()
    assert difference[~late].max() == 0 and difference[late].max() <= 1
    model, truth = derived.models["retention_model"], example.attrs["truth"]
    assert model.model_type == "BdW" and abs(model.params_["c"] - truth["c"]) < 0.1
    with pytest.raises(DataValidationError, match="grace period"):
        clv.Settings(grace_days=-1)
    with pytest.raises(DataValidationError, match="unknown setting"):
        clv.Settings(setting="subscriptions")


def test_an_end_before_its_start_names_the_file_the_column_and_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "subs.csv"
    path.write_text(
        "customer_id,start,end,price\nA,2024-01-01,2024-03-01,10\nB,2024-02-01,2024-01-15,10\n"
        "C,2024-01-01,,10\nD,2024-03-01,2024-02-01,10\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as caught:
        clv.run(load_subscriptions(path), clv.Settings())
    message = str(caught.value)
    assert "subs.csv" in message and "column 'end'" in message and "rows 3, 5" in message
    path.write_text("customer_id,start,end\nA,2024-01-01,2024-03-01\nB,2024-02-01,\n", encoding="utf-8")
    with pytest.raises(
        DataValidationError, match=r"subs\.csv: only 2 customers: the sBG model needs at least"
    ):
        clv.run(load_subscriptions(path), clv.Settings())


def test_retention_by_cohort_values_each_cohort_with_its_own_model(example: pd.DataFrame) -> None:
    settings = clv.Settings(
        setting="contractual", backtest=False, observation_end=example.attrs["observation_end"]
    )
    by_cohort = clv.run(example, replace(settings, retention_by_cohort=True))
    assert sorted(by_cohort.models) == [
        "retention_model_2022",
        "retention_model_2023",
        "retention_model_2024",
    ]
    assert by_cohort.metadata["retention_model"].startswith("by cohort: 2022 ")
    assert set(by_cohort.retention["cohort"]) == {"2022", "2023", "2024"}
    total, low, high = by_cohort.total
    assert low < total < high and total == pytest.approx(by_cohort.predictions["clv"].sum(), rel=1e-9)
    # A cohort's subscribers are valued as a run on that cohort alone values them.
    alone = clv.run(example[example["cohort"] == "2023"], settings)
    mine = by_cohort.predictions.set_index("customer_id").loc[alone.predictions["customer_id"]]
    np.testing.assert_allclose(mine["clv"], alone.predictions["clv"], rtol=1e-9)
    assert by_cohort.models["retention_model_2023"].params_ == alone.models["retention_model"].params_
    # The value tiers rank every subscriber, not each cohort apart.
    assert (by_cohort.predictions["value_tier"] == "Top 1%").sum() == round(
        0.01 * by_cohort.predictions["active"].sum()
    )
