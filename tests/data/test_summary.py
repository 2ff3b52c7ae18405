"""The DuckDB summary against the published CDNOW summary, an independent pandas computation and invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clv.data import Transactions, load_transactions, weekly_activity
from clv.data.summary import calibration_holdout, summarize
from clv.datasets import load_cdnow
from clv.errors import DataValidationError


@pytest.fixture(scope="module")
def cdnow_sample_summary() -> pd.DataFrame:
    return summarize(load_cdnow("sample"), observation_end="1997-09-30", time_unit="W")


def test_reproduces_the_published_cdnow_calibration_summary(
    cdnow_sample_summary: pd.DataFrame, cdnow_files: Path
) -> None:
    reference = pd.read_csv(cdnow_files / "cdnow_customers_summary_with_transactions.csv")
    ours = cdnow_sample_summary.assign(ID=cdnow_sample_summary["customer_id"].astype(int))
    merged = reference.merge(ours, on="ID", how="outer", validate="one_to_one", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert len(merged) == 2357
    np.testing.assert_array_equal(merged["x"], merged["frequency"])
    # The file holds 2 decimals (rounded half up): ours must round to the same value.
    for published, computed in (("t_x", "recency"), ("T_x", "T_y"), ("zbar", "monetary_value")):
        assert np.max(np.abs(merged[published] - merged[computed])) <= 0.005 + 1e-9, published


def test_summary_records_units_and_observation_end(cdnow_sample_summary: pd.DataFrame) -> None:
    assert cdnow_sample_summary.attrs["time_unit"] == "W"
    assert cdnow_sample_summary.attrs["observation_end"] == pd.Timestamp("1997-09-30")
    assert list(cdnow_sample_summary["customer_id"]) == sorted(cdnow_sample_summary["customer_id"])


def test_time_units_are_calendar_correct() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "timestamp": pd.to_datetime(["2020-01-01 09:00", "2020-01-01 17:00", "2020-07-01 00:00"]),
            "amount": [10.0, 5.0, 20.0],
        }
    )
    in_days = summarize(log, observation_end="2021-01-01", time_unit="D")
    in_months = summarize(log, observation_end="2021-01-01", time_unit="M")
    assert in_days.loc[0, "frequency"] == 1  # two orders on one day are one purchase
    assert in_days.loc[0, "recency"] == 182
    assert in_days.loc[0, "T"] == 366
    assert in_months.loc[0, "T"] == pytest.approx(366 / (365.25 / 12))
    assert in_days.loc[0, "monetary_value"] == 20.0  # the first day (15.0) is not a repeat purchase
    assert in_days.loc[0, "total_revenue"] == 35.0


def test_rows_after_the_observation_end_are_ignored() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "timestamp": pd.to_datetime(["2020-01-01", "2020-03-01", "2020-03-01"]),
            "amount": [10.0, 5.0, 7.0],
        }
    )
    summary = summarize(log, observation_end="2020-02-01")
    assert list(summary["customer_id"]) == ["a"]
    assert summary.loc[0, "frequency"] == 0
    assert summary.loc[0, "monetary_value"] == 0.0


def test_calibration_holdout_counts_holdout_purchases_per_day() -> None:
    result = calibration_holdout(load_cdnow("master"), "1997-09-30", "1998-06-30", time_unit="W")
    master = load_cdnow("master")
    days = (
        master.assign(day=master["timestamp"].dt.normalize()).groupby(["customer_id", "day"])["amount"].sum()
    )
    days = days.reset_index()
    holdout = days[(days["day"] > "1997-09-30") & (days["day"] <= "1998-06-30")]
    expected = holdout.groupby("customer_id").agg(n=("amount", "size"), revenue=("amount", "sum"))
    merged = result.set_index("customer_id").join(expected, how="left").fillna({"n": 0, "revenue": 0.0})
    np.testing.assert_array_equal(merged["frequency_holdout"], merged["n"])
    np.testing.assert_allclose(merged["revenue_holdout"], merged["revenue"], rtol=1e-12)
    assert result["duration_holdout"].iloc[0] == pytest.approx(273 / 7)
    assert len(result) == 23570


def test_money_is_summed_exactly_whatever_the_row_order() -> None:
    # 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floats added in this order, 0.6 in another: exact sums do not depend
    # on the order in which DuckDB's threads add (the spend model turned such last bits into run-to-run differences).
    amounts = [0.1, 0.2, 0.3, 0.7, 0.1, 0.2]
    days = ["2020-01-01", "2020-01-01", "2020-01-01", "2020-01-02", "2020-01-03", "2020-01-03"]
    log = pd.DataFrame({"customer_id": "a", "timestamp": pd.to_datetime(days), "amount": amounts})
    summaries = [summarize(log.iloc[order]) for order in ([0, 1, 2, 3, 4, 5], [2, 5, 1, 3, 0, 4])]
    for summary in summaries:
        assert summary.loc[0, "total_revenue"] == 1.6
        assert summary.loc[0, "monetary_value"] == 0.5
    pd.testing.assert_frame_equal(*summaries, check_exact=True)


def test_amounts_too_large_to_sum_exactly_are_refused_by_name() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "timestamp": pd.to_datetime(["2020-01-01", "2020-02-01"]),
            "amount": [1e30, 5.0],
        }
    )
    with pytest.raises(
        DataValidationError, match="column 'amount': an amount or a customer's total is too large"
    ):
        summarize(log)


def test_holdout_end_before_calibration_end_is_refused() -> None:
    with pytest.raises(DataValidationError, match="must be after the calibration end"):
        calibration_holdout(load_cdnow("sample"), "1997-09-30", "1997-01-01")


logs = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(min_value=0, max_value=400),
        st.floats(min_value=0.01, max_value=1000.0, allow_nan=False),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=logs, unit=st.sampled_from(["D", "W", "M"]))
def test_summary_invariants_and_independent_computation(
    rows: list[tuple[str, int, float]], unit: str
) -> None:
    log = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    log["timestamp"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(log.pop("day"), unit="D")
    summary = summarize(log, time_unit=unit).set_index("customer_id")
    scale = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}[unit]
    end = log["timestamp"].max()
    for customer, group in log.groupby("customer_id"):
        per_day = group.groupby("timestamp")["amount"].sum().sort_index()
        row = summary.loc[customer]
        assert row["frequency"] == len(per_day) - 1
        assert row["recency"] == pytest.approx((per_day.index[-1] - per_day.index[0]).days / scale)
        assert row["T"] == pytest.approx((end - per_day.index[0]).days / scale)
        expected_mean = per_day.iloc[1:].mean() if len(per_day) > 1 else 0.0
        assert row["monetary_value"] == pytest.approx(expected_mean)
        assert 0 <= row["recency"] <= row["T"]
    assert summary["total_revenue"].sum() == pytest.approx(log["amount"].sum())


def test_weekly_activity_has_every_week_from_monday_with_zeros_for_quiet_weeks() -> None:
    log = Transactions.from_pandas(
        pd.DataFrame(
            {
                "customer_id": ["a", "a", "b", "c"],
                # Wednesday and Sunday of one week, nothing in the next, then a Monday.
                "timestamp": pd.to_datetime(
                    ["2024-01-03 09:00", "2024-01-07 23:00", "2024-01-07 12:00", "2024-01-15 08:00"]
                ),
                "amount": [10.0, 5.0, 2.5, 7.0],
            }
        )
    )
    activity = weekly_activity(log)
    assert activity["week"].tolist() == list(pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"]))
    assert activity["revenue"].tolist() == [17.5, 0.0, 7.0]
    assert activity["customers"].tolist() == [2, 0, 1]
    assert weekly_activity(log).equals(activity)  # computed once, read again


def test_weekly_activity_adds_up_to_the_log() -> None:
    log = load_transactions(load_cdnow("sample"), drop_zero_amounts=False)[0]
    activity = weekly_activity(log)
    revenue = log.connection.execute(f"SELECT sum(amount) FROM {log.table}").fetchall()[0][0]
    assert activity["revenue"].sum() == pytest.approx(revenue)
    assert (activity["week"].diff().dropna() == pd.Timedelta(weeks=1)).all()
    assert (activity["week"].dt.day_of_week == 0).all()
