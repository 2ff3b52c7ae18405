"""Feature tables see nothing after their cutoff."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clv.data import Transactions
from clv.datasets import load_cdnow
from clv.forecast.ensemble import forecast
from clv.forecast.features import feature_table, revenue_between

CUTOFF = pd.Timestamp("1997-06-30")


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow("sample")


def test_features_by_hand() -> None:
    log = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a"],
            "timestamp": pd.to_datetime(["2020-01-01", "2020-01-01", "2020-03-01", "2020-06-20"]),
            "amount": [10.0, 5.0, 20.0, 40.0],
        }
    )
    row = feature_table(Transactions.from_pandas(log), pd.Timestamp("2020-06-30")).loc["a"]
    assert row["frequency"] == 2
    assert row["days_since_last"] == 10
    assert row["first_order_value"] == 15.0
    assert row["monetary_max"] == 40.0
    assert row["orders_30d"] == 1 and row["revenue_30d"] == 40.0
    assert row["gap_mean_days"] == pytest.approx((60 + 111) / 2)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    shift_days=st.integers(min_value=1, max_value=300),
    scale=st.floats(min_value=0.01, max_value=100.0),
    seed=st.integers(0, 1000),
)
def test_changing_transactions_after_the_cutoff_never_changes_features(
    sample: pd.DataFrame, shift_days: int, scale: float, seed: int
) -> None:
    before = feature_table(Transactions.from_pandas(sample), CUTOFF)
    rng = np.random.default_rng(seed)
    changed = sample.copy()
    later = changed["timestamp"] > CUTOFF
    changed.loc[later, "amount"] *= scale
    changed.loc[later, "timestamp"] += pd.to_timedelta(rng.integers(0, shift_days, later.sum()), unit="D")
    extra = changed[later].head(20).assign(customer_id="new-customer-after-cutoff")
    changed = pd.concat([changed, extra])
    after = feature_table(Transactions.from_pandas(changed), CUTOFF)
    pd.testing.assert_frame_equal(before, after)


def test_revenue_between_counts_the_half_open_window(sample: pd.DataFrame) -> None:
    revenue = revenue_between(Transactions.from_pandas(sample), CUTOFF, pd.Timestamp("1997-09-30"))
    mask = (sample["timestamp"] > CUTOFF) & (sample["timestamp"] <= "1997-09-30")
    assert revenue.sum() == pytest.approx(sample.loc[mask, "amount"].sum())


def test_a_whole_forecast_ignores_transactions_after_its_cutoff(sample: pd.DataFrame) -> None:
    """Every model input, training target and forecast at a cutoff is blind to what happens after it."""
    cutoff = pd.Timestamp("1997-09-30")
    changed = sample.copy()
    later = changed["timestamp"] > cutoff
    changed.loc[later, "amount"] *= 7.0
    changed.loc[later, "timestamp"] -= pd.to_timedelta(np.arange(later.sum()) % 50, unit="D")
    changed.loc[later, "timestamp"] = changed.loc[later, "timestamp"].clip(
        lower=cutoff + pd.Timedelta(days=1)
    )
    newcomer = changed[later].head(30).assign(customer_id="joined-after-the-cutoff")
    changed = pd.concat([changed, newcomer], ignore_index=True)
    original = forecast(Transactions.from_pandas(sample), cutoff, 39.0)
    modified = forecast(Transactions.from_pandas(changed), cutoff, 39.0)
    assert original.learned is not None and modified.learned is not None
    pd.testing.assert_frame_equal(original.probabilistic, modified.probabilistic)
    pd.testing.assert_frame_equal(original.features, modified.features)
    pd.testing.assert_series_equal(original.learned, modified.learned, rtol=1e-9)
    pd.testing.assert_series_equal(original.ensemble, modified.ensemble, rtol=1e-9)
    assert original.weights == pytest.approx(modified.weights, rel=1e-9)
