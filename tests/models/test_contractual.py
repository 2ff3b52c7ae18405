"""The contractual retention models: Fader & Hardie (2007)'s published fits, DERL against direct sums, the BdW/sBG
nesting, parameter recovery on simulated subscriptions, gradients, persistence and input errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln

from clv.data.subscriptions import lifetimes_from_survivors
from clv.datasets.subscriptions import simulate_lifetimes
from clv.errors import DataValidationError, ModelFileError, NotFittedError
from clv.models import VALUE_COLUMNS, BetaDiscreteWeibull, ShiftedBetaGeometric
from clv.models.contractual import Lifetimes

# Fader & Hardie (2007), "How to project customer retention", table 1: % of 1,000 customers still subscribed after
# 0..12 years. The sBG is fitted on years 0-7 and projects years 8-12.
REGULAR = [100.0, 63.1, 46.8, 38.2, 32.6, 28.9, 26.2, 24.1, 22.3, 20.7, 19.4, 18.3, 17.3]
HIGH_END = [100.0, 86.9, 74.3, 65.3, 59.3, 55.1, 51.7, 49.1, 46.8, 44.5, 42.7, 40.9, 39.4]


def cohort(percent: list[float]) -> pd.DataFrame:
    """Years 0-7 of a published curve as survivor counts of 1,000 customers."""
    return lifetimes_from_survivors(np.round(np.array(percent[:8]) * 10.0), period="Y")


def survival_by_formula(alpha: float, beta: float, c: float, t: np.ndarray) -> np.ndarray:
    """``B(alpha, beta + t^c) / B(alpha, beta)``, written out here independently of the models."""
    return np.exp(betaln(alpha, beta + t**c) - betaln(alpha, beta))


@pytest.mark.parametrize(
    ("curve", "alpha", "beta", "projection_tolerance"),
    [
        (REGULAR, 0.704, 1.182, [1.0] * 5),
        # High End: the sBG projection falls below the observed curve by 0.8, 0.9, 1.3, 1.4 and 1.6 points.
        (HIGH_END, 0.668, 3.806, [1.0, 1.0, 2.0, 2.0, 2.0]),
    ],
    ids=["regular", "high-end"],
)
def test_sbg_fader_hardie_2007(
    curve: list[float], alpha: float, beta: float, projection_tolerance: list[float]
) -> None:
    model = ShiftedBetaGeometric().fit(cohort(curve))
    assert model.params_["alpha"] == pytest.approx(alpha, rel=5e-3)
    assert model.params_["beta"] == pytest.approx(beta, rel=5e-3)
    assert model.converged_ and model.n_customers_ == 1000 and model.time_unit_ == "Y"
    projected = 100.0 * model.survival(np.arange(8, 13))
    print("projected years 8-12:", np.round(projected, 1), "observed:", curve[8:])
    assert np.all(np.abs(projected - np.array(curve[8:])) <= projection_tolerance)
    # The fitted years stay within 2 points of the data they came from (High End's year 1 is 1.8 below).
    np.testing.assert_allclose(100.0 * model.survival(np.arange(8)), curve[:8], atol=2.0)
    data = cohort(curve)
    per_row = model.log_likelihood(data["periods"], data["churned"])
    assert float(per_row @ data["customers"]) == pytest.approx(model.log_likelihood_, rel=1e-12)
    # Shares instead of counts (same proportions) give the same parameters.
    shares = ShiftedBetaGeometric().fit(lifetimes_from_survivors(curve[:8]))
    assert shares.params_["alpha"] == pytest.approx(model.params_["alpha"], rel=1e-6)


@pytest.mark.parametrize("curve", [REGULAR, HIGH_END], ids=["regular", "high-end"])
def test_bdw_nests_sbg(curve: list[float]) -> None:
    data = cohort(curve)
    sbg = ShiftedBetaGeometric().fit(data)
    fixed = BetaDiscreteWeibull(fixed_c=1.0).fit(data)
    free = BetaDiscreteWeibull().fit(data)
    for name in ("alpha", "beta"):
        assert fixed.params_[name] == pytest.approx(sbg.params_[name], rel=1e-6)
        assert fixed.standard_errors_[name] == pytest.approx(sbg.standard_errors_[name], rel=1e-3)
    assert fixed.params_["c"] == 1.0 and fixed.standard_errors_["c"] == 0.0
    assert fixed.log_likelihood_ == pytest.approx(sbg.log_likelihood_, abs=1e-6)
    assert free.log_likelihood_ >= sbg.log_likelihood_ - 1e-9
    assert free.standard_errors_["c"] > 0
    renewals = np.array([0, 3, 40])
    np.testing.assert_allclose(fixed.derl(renewals, 0.1), sbg.derl(renewals, 0.1), rtol=1e-9)
    sbg_interval = np.array(sbg.derl_interval(renewals, 0.1, level=0.9))
    np.testing.assert_allclose(
        np.array(fixed.derl_interval(renewals, 0.1, level=0.9)), sbg_interval, rtol=1e-4
    )


def test_bdw_matches_an_independent_implementation() -> None:
    """retenmod (A. Wheeler's Python port of the R package foretell) documents its BdW fit of High End years 0-4 in
    its README: parameters (0.25934, 1.72256, 1.58435), -LL 122.27493 (shares as 100 customers), projection to year
    10 ending 45.669, 43.604, 41.823."""
    model = BetaDiscreteWeibull().fit(lifetimes_from_survivors(HIGH_END[:5]))
    np.testing.assert_allclose(list(model.params_.values()), [0.25934, 1.72256, 1.58435], rtol=2e-4)
    assert -model.log_likelihood_ == pytest.approx(122.27493, abs=1e-4)
    np.testing.assert_allclose(100 * model.survival([8, 9, 10]), [45.669, 43.604, 41.823], atol=2e-3)


def test_predictions_follow_the_formulas() -> None:
    model = ShiftedBetaGeometric().fit(cohort(REGULAR))
    alpha, beta = model.params_["alpha"], model.params_["beta"]
    t = np.arange(1, 30)
    np.testing.assert_allclose(model.retention_rate(t), (beta + t - 1) / (alpha + beta + t - 1), rtol=1e-12)
    np.testing.assert_allclose(model.survival(t), survival_by_formula(alpha, beta, 1.0, t), rtol=1e-12)
    assert model.survival([0])[0] == 1.0
    np.testing.assert_allclose(model.churn_probability(t - 1), 1.0 - model.retention_rate(t), rtol=1e-12)
    # alpha < 1: the mean lifetime diverges.
    assert np.all(np.isinf(model.expected_remaining_lifetime([0, 5])))
    estimate, low, high = model.survival_interval(t)
    assert np.all((low < estimate) & (estimate < high))


@pytest.mark.parametrize("discount_rate", [0.1, 0.02, 0.01])
@pytest.mark.parametrize("c", [1.0, 0.6, 1.7])
def test_derl_against_a_direct_discounted_sum(discount_rate: float, c: float) -> None:
    alpha, beta = 0.9, 2.3
    model = (ShiftedBetaGeometric() if c == 1.0 else BetaDiscreteWeibull()).fit(
        simulate_lifetimes(2000, alpha, beta, c, seed=1)
    )
    fitted = model.params_
    renewals = np.array([0, 1, 4, 25, 300])
    k = np.arange(10_000)
    direct = [
        np.sum(
            survival_by_formula(fitted["alpha"], fitted["beta"], fitted.get("c", 1.0), n + 1.0 + k)
            / survival_by_formula(fitted["alpha"], fitted["beta"], fitted.get("c", 1.0), np.array([float(n)]))
            * (1.0 + discount_rate) ** -k
        )
        for n in renewals
    ]
    np.testing.assert_allclose(model.derl(renewals, discount_rate), direct, rtol=1e-8)


def test_sbg_expected_lifetime_closed_form_matches_the_bdw_sum() -> None:
    data = simulate_lifetimes(20_000, 1.6, 2.0, 1.0, seed=4)
    sbg, bdw = ShiftedBetaGeometric().fit(data), BetaDiscreteWeibull(fixed_c=1.0).fit(data)
    alpha, beta = sbg.params_["alpha"], sbg.params_["beta"]
    renewals = np.array([0, 2, 10, 100])
    closed = sbg.expected_remaining_lifetime(renewals)
    np.testing.assert_allclose(closed, (alpha + beta + renewals - 1) / (alpha - 1), rtol=1e-12)
    np.testing.assert_allclose(bdw.expected_remaining_lifetime(renewals), closed, rtol=1e-7)
    # Rising churn (c > 1) shortens what is left: finite whenever c * alpha > 1.
    rising = BetaDiscreteWeibull().fit(simulate_lifetimes(20_000, 1.6, 2.0, 1.5, seed=4))
    assert np.all(np.isfinite(rising.expected_remaining_lifetime(renewals)))


def test_expected_value_scales_derl_by_price() -> None:
    model = ShiftedBetaGeometric().fit(cohort(HIGH_END))
    value = model.expected_value([0, 0, 7], [10.0, 20.0, 10.0], discount_rate=0.1, level=0.8)
    assert list(value.columns) == list(VALUE_COLUMNS)
    assert value["value"].iloc[1] == pytest.approx(2 * value["value"].iloc[0], rel=1e-12)
    assert np.all(value["derl_low"] < value["derl"]) and np.all(value["derl"] < value["derl_high"])
    total, low, high = value.attrs["total"]
    assert total == pytest.approx(value["value"].sum(), rel=1e-12)
    # d log(total) is the value-weighted mean of the customers' d log(value): by the triangle inequality and Jensen,
    # the total's upper bound is at most the sum of theirs.
    assert low < total < high <= value["value_high"].sum() * (1 + 1e-9)
    # Loyal customers (more renewals) are worth more: their posterior churn probability is lower.
    assert value["derl"].iloc[2] > value["derl"].iloc[0]


@pytest.mark.parametrize("model", [ShiftedBetaGeometric(), BetaDiscreteWeibull()], ids=["sBG", "BdW"])
def test_analytic_gradient_matches_finite_differences(
    model: ShiftedBetaGeometric | BetaDiscreteWeibull,
) -> None:
    data = Lifetimes(
        periods=np.array([1.0, 2, 3, 7, 0, 4, 12]),
        churned=np.array([1.0, 1, 1, 1, 0, 0, 0]),
        weights=np.array([30.0, 12, 8, 3, 5, 20, 40]),
    )
    point = np.log([0.7, 2.5, 0.8])[: model.n_params]
    _, gradient = model._log_likelihood(point, data, gradient=True)
    step = 1e-6
    numeric = [
        (
            model._log_likelihood(point + step * e, data, False)[0]
            - model._log_likelihood(point - step * e, data, False)[0]
        )
        / (2 * step)
        for e in np.eye(point.size)
    ]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6)


@pytest.mark.parametrize(
    ("kind", "truth"),
    [
        (BetaDiscreteWeibull, {"alpha": 0.8, "beta": 2.5, "c": 0.7}),
        (ShiftedBetaGeometric, {"alpha": 1.3, "beta": 4.0}),
    ],
    ids=["BdW", "sBG"],
)
def test_parameter_recovery_and_interval_coverage(
    kind: type[ShiftedBetaGeometric | BetaDiscreteWeibull], truth: dict[str, float]
) -> None:
    covered, estimates = [], []
    for seed in range(20):
        model = kind().fit(simulate_lifetimes(5000, **truth, max_periods=24, seed=seed))
        summary = model.summary(level=0.95)
        estimates.append(summary["estimate"].to_numpy())
        covered.append([summary.loc[n, "lower"] <= v <= summary.loc[n, "upper"] for n, v in truth.items()])
    coverage = np.mean(covered, axis=0)
    print(
        f"{kind.model_type}: 95 % interval coverage over 20 seeds {dict(zip(truth, coverage, strict=True))}"
    )
    # 20 seeds: a true 95 % rate gives at least 16/20 with probability 0.997.
    assert np.all(coverage >= 0.8)
    np.testing.assert_allclose(np.mean(estimates, axis=0), list(truth.values()), rtol=0.1)


@pytest.mark.parametrize(
    "model",
    [ShiftedBetaGeometric(), BetaDiscreteWeibull(), BetaDiscreteWeibull(fixed_c=0.8)],
    ids=["sBG", "BdW", "BdW-fixed-c"],
)
def test_json_round_trip(model: ShiftedBetaGeometric | BetaDiscreteWeibull, tmp_path: Path) -> None:
    model.fit(cohort(REGULAR))
    path = tmp_path / "model.json"
    model.save(path)
    loaded = type(model).load(path)
    assert loaded.params_ == model.params_
    np.testing.assert_array_equal(loaded.covariance_log_, model.covariance_log_)
    assert getattr(loaded, "fixed_c", None) == getattr(model, "fixed_c", None)
    renewals = [0, 4, 9]
    np.testing.assert_allclose(
        loaded.derl_interval(renewals, 0.1), model.derl_interval(renewals, 0.1), rtol=1e-9
    )
    other = BetaDiscreteWeibull if isinstance(model, ShiftedBetaGeometric) else ShiftedBetaGeometric
    with pytest.raises(ModelFileError, match="not a"):
        other.load(path)
    payload = json.loads(path.read_text())
    payload["params"]["alpha"] *= 1.01
    path.write_text(json.dumps(payload))
    with pytest.raises(ModelFileError, match="checksum"):
        type(model).load(path)


@pytest.mark.parametrize(
    ("periods", "churned", "message"),
    [
        ([1, 2, 3, 1.5] * 5, [1, 1, 0, 0] * 5, "whole number"),
        ([1, 2, 3, -1] * 5, [1, 1, 0, 0] * 5, "whole number"),
        ([1, 2, 3, 4] * 5, [1, 2, 0, 0] * 5, "0/1"),
        ([0, 2, 3, 4] * 5, [1, 1, 0, 0] * 5, "at least one period"),
        ([1, 2, 3, 4] * 5, [0, 0, 0, 0] * 5, "no customer churned"),
        ([1, 1, 1, 1] * 5, [1, 1, 1, 1] * 5, "needs some renewals"),
        ([1, 2, 3, 4], [1, 1, 0, 0], "at least 10"),
        ([1, 2, np.nan, 4] * 5, [1, 1, 0, 0] * 5, "missing or infinite"),
    ],
)
def test_bad_lifetimes_are_refused(periods: list[float], churned: list[int], message: str) -> None:
    with pytest.raises(DataValidationError, match=message):
        ShiftedBetaGeometric().fit(periods, churned)


def test_bad_prediction_inputs_are_refused() -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        ShiftedBetaGeometric().derl([0], 0.1)
    model = ShiftedBetaGeometric().fit(cohort(REGULAR))
    for rate in (0.0, -0.1, float("nan")):
        with pytest.raises(DataValidationError, match="discount rate"):
            model.derl([0], rate)
    with pytest.raises(DataValidationError, match="renewals must be whole"):
        model.derl([0.5], 0.1)
    with pytest.raises(DataValidationError, match=">= 1"):
        model.retention_rate([0])
    with pytest.raises(DataValidationError, match="price"):
        model.expected_value([0, 1], [10.0], 0.1)
    with pytest.raises(DataValidationError, match="fixed_c"):
        BetaDiscreteWeibull(fixed_c=0.0)
    with pytest.raises(DataValidationError, match="needs a sum over"):  # BdW sums; the sBG has a closed form
        BetaDiscreteWeibull().fit(cohort(REGULAR)).derl([0], 1e-9)


def test_bdw_lifetime_is_infinite_when_c_alpha_is_at_most_one() -> None:
    model = BetaDiscreteWeibull().fit(cohort(REGULAR))
    assert model.params_["c"] * model.params_["alpha"] < 1.0
    assert np.all(np.isinf(model.expected_remaining_lifetime([0, 3])))
    assert np.all(np.isfinite(model.derl([0, 3], 0.1)))
