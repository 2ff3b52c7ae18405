"""Every row of shared/reference/published-results.md, reproduced from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.models import BetaGeo, BetaGeoBetaBinom, GammaGamma, ModifiedBetaGeo, ParetoNBD


def assert_params(model: object, expected: dict[str, float], rel: float) -> None:
    for name, value in expected.items():
        assert model.params_[name] == pytest.approx(value, rel=rel), name  # type: ignore[attr-defined]


def test_bg_nbd_cdnow(cdnow_summary: pd.DataFrame) -> None:
    model = BetaGeo().fit(cdnow_summary)
    assert_params(model, {"r": 0.2426, "alpha": 4.4135, "a": 0.7929, "b": 2.4258}, rel=5e-3)
    assert model.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    assert model.converged_ and model.n_customers_ == 2357 and model.time_unit_ == "W"
    expected = model.expected_purchases_new_customer([0.1429, 1, 3, 31.857, 32, 78])
    np.testing.assert_allclose(expected, [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], rtol=5e-3)
    assert model.expected_purchases(39, 2, 30.43, 38.86)[0] == pytest.approx(1.226, rel=5e-4)


def test_pareto_nbd_cdnow(cdnow_summary: pd.DataFrame) -> None:
    model = ParetoNBD().fit(cdnow_summary)
    assert_params(model, {"r": 0.553, "alpha": 10.578}, rel=5e-3)
    assert_params(model, {"s": 0.606, "beta": 11.669}, rel=2e-2)
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)
    assert model.expected_purchases(52, 26, 30.86, 31)[0] == pytest.approx(25.46, rel=5e-4)


def test_mbg_nbd_cdnow(cdnow_summary: pd.DataFrame) -> None:
    model = ModifiedBetaGeo().fit(cdnow_summary)
    assert_params(model, {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}, rel=5e-3)
    assert model.log_likelihood_ == pytest.approx(-9582.1, abs=0.05)


def test_gamma_gamma_cdnow(cdnow_summary: pd.DataFrame) -> None:
    model = GammaGamma().fit(cdnow_summary)
    assert_params(model, {"p": 6.25, "q": 3.74, "gamma": 15.44}, rel=5e-3)
    assert model.log_likelihood_ == pytest.approx(-4055.9, abs=0.05)
    assert model.n_customers_ == 946
    first_ten = cdnow_summary.head(10)
    expected = model.expected_average_value(first_ten["frequency"], first_ten["monetary_value"])
    published = [24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17]
    np.testing.assert_allclose(expected, published, rtol=5e-4, atol=0.006)
    assert model.population_mean() == pytest.approx(6.249 * 15.448 / (3.745 - 1), rel=1e-3)


def test_bg_bb_donations(donations: pd.DataFrame) -> None:
    model = BetaGeoBetaBinom().fit(
        donations["frequency"], donations["recency"], donations["n"], donations["n_custs"]
    )
    assert_params(model, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}, rel=5e-3)
    assert model.log_likelihood_ == pytest.approx(-33225.6, abs=0.05)
    assert model.n_customers_ == 11_104
    alive = model.probability_alive([0, 2, 6], [0, 4, 6], [6, 6, 6])
    np.testing.assert_allclose(alive, [0.11, 0.59, 0.93], atol=0.005)
    distribution = model.probability_of_purchases(np.arange(7), 6)
    assert distribution.sum() == pytest.approx(1.0, abs=1e-9)
    # The model's P(X(6) = x) matches the observed shares closely (Fader, Hardie & Shang 2010, figure 2).
    observed = donations.groupby("frequency")["n_custs"].sum() / 11_104
    np.testing.assert_allclose(distribution, observed.to_numpy(), atol=0.01)
    mean_from_distribution = float(distribution @ np.arange(7))
    assert model.expected_purchases_new_customer(6)[0] == pytest.approx(mean_from_distribution, rel=1e-9)
