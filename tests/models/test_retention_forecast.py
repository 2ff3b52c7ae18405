"""clv.forecast.retention and the subscriber segments: model choice, per-period discounting, survival ahead,
remaining periods under a heavy tail, churn bands, and the retention chart."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from clv.datasets.subscriptions import simulate_lifetimes
from clv.explain.segments import subscriber_bands
from clv.forecast.retention import (
    expected_remaining,
    fit_retention,
    period_discount_rate,
    retention_curves,
    survival_ahead,
)
from clv.models import ShiftedBetaGeometric
from clv.report import charts


@pytest.fixture(scope="module")
def geometric() -> pd.DataFrame:
    """sBG lifetimes (c = 1): the BdW's extra parameter should not pay its BIC price."""
    return simulate_lifetimes(4_000, alpha=0.8, beta=2.0, c=1.0, max_periods=24, seed=3)


def test_fit_retention_compares_both_and_chooses_the_lower_bic(geometric: pd.DataFrame) -> None:
    notes: list[str] = []
    fit = fit_retention(geometric, notes)
    assert set(fit.models) == {"sBG", "BdW"}
    assert fit.chosen.model_type == "sBG" and fit.chosen.bic_ < fit.models["BdW"].bic_
    assert fit.comparison.set_index("model")["chosen"].to_dict() == {"sBG": True, "BdW": False}
    assert notes == [
        f"retention model: sBG, the lower BIC ({fit.chosen.bic_:,.1f} against BdW {fit.models['BdW'].bic_:,.1f})"
    ]


def test_the_annual_rate_becomes_a_rate_per_period() -> None:
    assert period_discount_rate(0.10, 365.25 / 12) == pytest.approx(1.1 ** (1 / 12) - 1, rel=1e-12)
    assert period_discount_rate(0.10, 365.25) == pytest.approx(0.10, rel=1e-12)


def test_survival_ahead_is_the_conditional_survival(geometric: pd.DataFrame) -> None:
    model = ShiftedBetaGeometric().fit(geometric)
    n = np.array([0.0, 5.0, 0.0, 12.0])
    ahead = survival_ahead(model, n, np.array([1, 3]))
    expected = np.column_stack([model.survival(n + j) / model.survival(n) for j in (1, 3)])
    assert ahead.shape == (4, 2) and np.allclose(ahead, expected, rtol=1e-12)
    alpha, beta = model.params_["alpha"], model.params_["beta"]
    assert ahead[1, 0] == pytest.approx((beta + 5) / (alpha + beta + 5))  # r(6) of Fader & Hardie (2007)


def test_remaining_periods_are_capped_and_noted_when_the_mean_lifetime_is_infinite(
    geometric: pd.DataFrame,
) -> None:
    model = ShiftedBetaGeometric().fit(geometric)
    assert model.params_["alpha"] < 1  # a heavy tail: E[T] is infinite
    notes: list[str] = []
    remaining = expected_remaining(model, np.array([0.0, 10.0]), 365.25 / 12, notes)
    assert np.all(np.isfinite(remaining)) and remaining[1] > remaining[0] > 1
    months = np.arange(1200)
    direct = (model.survival(months) / model.survival(np.array([0.0]))).sum()
    assert remaining[0] == pytest.approx(direct, rel=1e-9)
    assert len(notes) == 1 and "100 years" in notes[0]


def test_subscriber_bands_put_the_churned_apart() -> None:
    bands = subscriber_bands(pd.Series([0.1, 0.5, 0.9, 0.9]), pd.Series([True, True, True, False]))
    assert list(bands.astype(str)) == ["High risk", "Medium risk", "Low risk", "Churned"]
    assert list(bands.cat.categories) == ["High risk", "Medium risk", "Low risk", "Churned"]


def test_retention_chart_shows_every_curve_per_cohort(geometric: pd.DataFrame) -> None:
    lifetimes = geometric.assign(cohort=np.where(np.arange(len(geometric)) % 2, "A", "B"))
    model = ShiftedBetaGeometric().fit(lifetimes)
    curves = retention_curves(lifetimes, model, projected_periods=6, level=0.8)
    projected = curves[(curves["curve"] == "projected") & (curves["cohort"] == "A")]
    last = int(curves.loc[(curves["curve"] == "actual") & (curves["cohort"] == "A"), "period"].max())
    assert list(projected["period"]) == list(range(last, last + 7))
    assert (curves["low"] <= curves["survival"]).all() and (curves["survival"] <= curves["high"]).all()
    spec = charts.retention_chart(curves, "months").to_dict()
    assert spec["encoding"]["x"]["title"] == "Tenure (months renewed)"
    assert spec["encoding"]["strokeDash"]["scale"]["domain"] == ["actual", "fitted", "projected"]
    rows = spec["datasets"][spec["data"]["name"]]
    assert {(row["cohort"], row["curve"]) for row in rows} == {
        (c, k) for c in "AB" for k in ("actual", "fitted", "projected")
    }
    assert not math.isnan(sum(row["survival"] for row in rows))
