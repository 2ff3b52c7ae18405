"""The grouped likelihoods against independent computations: scipy's adaptive quadrature for Pareto/NBD's integral,
finite differences for every analytic gradient, and the history grouping against the customers it came from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate
from scipy.special import gammaln

from clv.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD
from clv.models.base import compress
from clv.models.gamma_gamma import SpendRows
from clv.models.histories import Histories


def _pareto_log_likelihood_by_quad(params: np.ndarray, x: float, t_x: float, age: float) -> float:
    """One customer's Pareto/NBD log-likelihood with the dropout integral by scipy's adaptive quad."""
    r, alpha, s, beta = params

    def log_f(tau: float) -> float:
        return float(-(r + x) * np.log(alpha + tau) - (s + 1) * np.log(beta + tau))

    anchor = log_f(t_x)
    scaled = 0.0
    if age > t_x:
        # Break points at geometric distances from t_x: the integrand can fall by many orders of magnitude.
        points = t_x + (age - t_x) * np.logspace(-12, 0, 25)
        for low, high in zip(np.r_[t_x, points[:-1]], points, strict=True):
            scaled += integrate.quad(
                lambda tau: np.exp(log_f(tau) - anchor), low, high, epsabs=0, epsrel=1e-12, limit=200
            )[0]
    log_survive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    log_dropout = np.log(s) + anchor + np.log(scaled) if scaled > 0 else -np.inf
    return float(
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(log_survive, log_dropout)
    )


# Histories sharing frequency levels, so that the tail integrals chain several segments per level, with short and
# long gaps, T = 0, t_x = T and frequencies up to 5,000.
FREQUENCY = np.array([0, 0, 0, 0, 1, 1, 1, 3, 3, 3, 40, 40, 300, 300, 5000, 5000], dtype=float)
RECENCY = np.array([0, 0, 0, 0, 0.5, 7.0, 30.0, 1.0, 20.0, 38.0, 35.0, 37.9, 50.0, 51.99, 51.9, 52.0])
AGE = np.array([0, 0.01, 12.0, 52.0, 38.0, 38.0, 30.0, 38.0, 38.5, 38.0, 38.0, 38.0, 52.0, 52.0, 52.0, 52.0])
PARETO_PARAMS = [
    (0.553, 10.58, 0.606, 11.67),  # CDNOW (weeks)
    (0.05, 0.05, 0.05, 50.0),  # beta / alpha = 1000, small shapes
    (5.0, 30.0, 5.0, 0.03),  # beta / alpha = 1e-3, large shapes
    (0.3, 2.0, 1.5, 2.0),  # alpha = beta
]


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # on pieces far below the total
@pytest.mark.parametrize("params", PARETO_PARAMS)
def test_pareto_nbd_likelihood_equals_adaptive_quadrature(params: tuple[float, ...]) -> None:
    histories = Histories.from_customers(FREQUENCY, RECENCY, AGE, np.ones(FREQUENCY.size))
    ours, _ = ParetoNBD()._history_log_likelihood(np.log(params), histories, gradient=False)
    ours = ours[histories.customer_history]
    reference = [
        _pareto_log_likelihood_by_quad(np.array(params), x, t_x, age)
        for x, t_x, age in zip(FREQUENCY, RECENCY, AGE, strict=True)
    ]
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-9)
    alive = _with_params(ParetoNBD, list(params)).probability_alive(FREQUENCY, RECENCY, AGE)  # type: ignore[attr-defined]
    assert np.all((alive >= 0) & (alive <= 1))


def _finite_difference(function: object, point: np.ndarray, step: float = 1e-6) -> np.ndarray:
    columns = []
    for i in range(point.size):
        shift = np.zeros(point.size)
        shift[i] = step
        columns.append((function(point + shift) - function(point - shift)) / (2 * step))  # type: ignore[operator]
    return np.array(columns)


@pytest.mark.parametrize(
    ("model", "log_params"),
    [
        (BetaGeo(), np.log([0.3, 5.0, 0.9, 2.0])),
        (ModifiedBetaGeo(), np.log([0.4, 6.0, 1.2, 1.5])),
        (ParetoNBD(), np.log([0.6, 9.0, 0.5, 14.0])),
        (ParetoNBD(), np.log([0.6, 14.0, 0.5, 9.0])),  # alpha > beta: the other integration base
    ],
)
def test_purchase_model_gradients_equal_finite_differences(
    model: object, log_params: np.ndarray, cdnow_summary: pd.DataFrame
) -> None:
    histories = Histories.from_customers(
        cdnow_summary["frequency"].to_numpy(float),
        cdnow_summary["recency"].to_numpy(float),
        cdnow_summary["T"].to_numpy(float),
        np.ones(len(cdnow_summary)),
    )
    _, gradient = model._log_likelihood(log_params, histories, gradient=True)  # type: ignore[attr-defined]
    numeric = _finite_difference(lambda p: model._log_likelihood(p, histories, False)[0], log_params)  # type: ignore[attr-defined]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-4)


def test_gamma_gamma_gradient_equals_finite_differences(cdnow_summary: pd.DataFrame) -> None:
    repeat = cdnow_summary[cdnow_summary["frequency"] > 0]
    rows = SpendRows.from_customers(
        repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float), np.ones(len(repeat))
    )
    log_params = np.log([4.0, 3.0, 20.0])
    _, gradient = GammaGamma()._log_likelihood(log_params, rows, gradient=True)
    numeric = _finite_difference(lambda p: GammaGamma()._log_likelihood(p, rows, False)[0], log_params)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-4)


def test_histories_group_customers_exactly() -> None:
    rng = np.random.default_rng(3)
    frequency = rng.integers(0, 6, 5_000).astype(float)
    age = rng.integers(1, 60, 5_000).astype(float) / 7.0
    recency = np.where(frequency > 0, np.floor(rng.uniform(0, 1, 5_000) * age * 7) / 7.0, 0.0)
    weights = rng.integers(1, 4, 5_000).astype(float)
    h = Histories.from_customers(frequency, recency, age, weights)
    rows = h.customer_history
    np.testing.assert_array_equal(h.frequency[rows], frequency)
    np.testing.assert_array_equal(h.recency[rows], recency)
    np.testing.assert_array_equal(h.age[rows], age)
    assert h.weights.sum() == weights.sum()
    distinct = pd.DataFrame({"x": frequency, "t": recency, "T": age}).drop_duplicates()
    assert h.weights.size == len(distinct)
    # Points are sorted by level then time, and each history's points carry its frequency and times.
    order = np.lexsort((h.point_time, h.point_level))
    np.testing.assert_array_equal(order, np.arange(order.size))
    np.testing.assert_array_equal(h.levels[h.point_level[h.recency_point]], h.frequency)
    np.testing.assert_array_equal(h.point_time[h.recency_point], h.recency)
    np.testing.assert_array_equal(h.point_time[h.age_point], h.age)


def test_grouped_rows_do_not_depend_on_the_customers_order_or_pregrouping(
    cdnow_summary: pd.DataFrame,
) -> None:
    """What lets the Spark engine's weighted distinct rows fit exactly (bit for bit) as DuckDB's customers."""
    x, t_x, age = (cdnow_summary[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    shuffled = np.random.default_rng(0).permutation(x.size)
    one_by_one = Histories.from_customers(x, t_x, age, np.ones(x.size))
    reordered = Histories.from_customers(x[shuffled], t_x[shuffled], age[shuffled], np.ones(x.size))
    (gx, gt, gT), counts, _ = compress(x, t_x, age, weights=np.ones(x.size))
    grouped = Histories.from_customers(gx[::-1], gt[::-1], gT[::-1], counts[::-1])
    for other in (reordered, grouped):
        for name in ("frequency", "recency", "age", "weights", "point_time", "recency_point", "age_point"):
            np.testing.assert_array_equal(getattr(other, name), getattr(one_by_one, name))
    model = ParetoNBD().fit(x, t_x, age)
    again = ParetoNBD().fit(gx[::-1], gt[::-1], gT[::-1], weights=counts[::-1])
    assert again.params_ == model.params_
    spend = cdnow_summary["monetary_value"].to_numpy(float)
    assert GammaGamma().fit(x[shuffled], spend[shuffled]).params_ == GammaGamma().fit(x, spend).params_


@pytest.mark.parametrize("model_class", [BetaGeo, ModifiedBetaGeo, ParetoNBD])
def test_ages_that_underflow_give_finite_predictions(model_class: type, cdnow_summary: pd.DataFrame) -> None:
    model = model_class().fit(cdnow_summary)
    tiny = [0.0, 5e-324, 1e-310]
    alive = model.probability_alive([0, 0, 0], [0.0] * 3, tiny)
    expected = model.expected_purchases(4.0, [0, 0, 0], [0.0] * 3, tiny)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    # A customer seen for an instant is a new customer: the same forecast as at T = 0.
    np.testing.assert_allclose(expected, expected[0], rtol=1e-12)


def _with_params(model_class: type, params: list[float]) -> object:
    model = model_class()
    model.log_params_ = np.log(params)
    model.params_ = dict(zip(model.param_names, params, strict=True))
    return model


def _expected_by_integral(r: float, alpha: float, a: float, b: float, t: float) -> float:
    """E over p ~ Beta(a, b), lambda ~ Gamma(r, alpha) of (1 - exp(-lambda p t)) / p, by the trapezoid rule in
    logit(p) (exponentially accurate for this smooth, exponentially decaying integrand)."""
    from scipy.special import betaln

    step = 0.02
    v = np.arange(-40 / min(a, 1) - 10, 40 / min(b, 1) + 10, step)
    log_p, log_q = -np.logaddexp(0, -v), -np.logaddexp(0, v)
    p = np.exp(log_p)
    inner = -np.expm1(-r * np.log1p(p * t / alpha)) / p
    return float(step * np.sum(np.exp(a * log_p + b * log_q - betaln(a, b)) * inner))


@pytest.mark.parametrize("model_class", [BetaGeo, ModifiedBetaGeo])
@pytest.mark.parametrize(
    "params",
    [
        [0.3, 5.0, 0.3, 0.4],  # a + b < 1
        [0.3, 5.0, 0.6, 0.4],  # a + b = 1 (removable 0/0 in the closed form)
        [0.3, 5.0, 1.0, 0.4],  # a = 1 (removable 0/0)
        [0.3, 5.0, 1.0000004, 2.0],
        [0.25, 4.4, 0.79, 2.43],  # CDNOW
    ],
)
def test_bg_expectations_are_finite_and_exact_at_awkward_parameters(
    model_class: type, params: list[float]
) -> None:
    model = _with_params(model_class, params)
    r, alpha, a, b = params
    k = model.dropout_shift  # type: ignore[attr-defined]
    with np.errstate(all="raise"):
        new = model.expected_purchases_new_customer([0.5, 10.0, 100.0])  # type: ignore[attr-defined]
        reference = [
            _expected_by_integral(r, alpha, a, b + k, t) * (b / (a + b) if k else 1.0)
            for t in (0.5, 10.0, 100.0)
        ]
        np.testing.assert_allclose(new, reference, rtol=1e-8)
        # Conditional: the posterior of a customer alive after x = 2 purchases, T = 10, is Gamma(r + 2, alpha + 10)
        # x Beta(a, b + 2 + k).
        alive_expectation = model._expected_if_alive(
            np.array(params), 20.0, np.array([2.0]), np.array([10.0])
        )  # type: ignore[attr-defined]
        assert alive_expectation[0] == pytest.approx(
            _expected_by_integral(r + 2, alpha + 10, a, b + 2 + k, 20.0), rel=1e-8
        )
        conditional = model.expected_purchases(20.0, [0, 2, 7], [0.0, 3.0, 9.5], [10.0, 10.0, 10.0])  # type: ignore[attr-defined]
        alive = model.probability_alive([0, 2, 7], [0.0, 3.0, 9.5], [10.0, 10.0, 10.0])  # type: ignore[attr-defined]
    assert np.all(np.isfinite(conditional)) and np.all(conditional >= 0)
    assert np.all((alive >= 0) & (alive <= 1))


@pytest.mark.parametrize(
    ("model_class", "params"),
    [
        (BetaGeo, [0.25, 4.4, 0.79, 2.43]),
        (BetaGeo, [0.3, 5.0, 0.3, 0.4]),
        (ModifiedBetaGeo, [0.52, 6.2, 0.89, 1.61]),
        (ParetoNBD, [0.55, 10.6, 0.61, 11.7]),
    ],
)
def test_probability_of_purchases_is_a_distribution_with_the_expected_mean(
    model_class: type, params: list[float]
) -> None:
    model = _with_params(model_class, params)
    counts = np.arange(600)
    for t in (1.0, 39.0, 78.0):
        distribution = model.probability_of_purchases(counts, t)  # type: ignore[attr-defined]
        assert np.all(distribution >= 0)
        assert distribution.sum() == pytest.approx(1.0, abs=1e-6)
        mean = model.expected_purchases_new_customer(t)[0]  # type: ignore[attr-defined]
        assert distribution @ counts == pytest.approx(mean, rel=1e-5)


@pytest.mark.parametrize("gamma", [0.657, 1.0, 1.000003, 2.5])
def test_bg_bb_conditional_expectations_add_up_to_the_population_increment(gamma: float) -> None:
    """Summed over every possible history after n opportunities (each weighted by its probability: the number of
    purchase sequences times L), E[X(n, n + t) | history] must equal E[X(n + t)] - E[X(n)] for a new customer."""
    from math import comb

    from clv.models import BetaGeoBetaBinom

    model = _with_params(BetaGeoBetaBinom, [1.204, 0.750, gamma, 2.783])
    n, t = 6, 5
    histories = [(0, 0)] + [(x, t_x) for t_x in range(1, n + 1) for x in range(1, t_x + 1)]
    x = np.array([h[0] for h in histories], dtype=float)
    t_x = np.array([h[1] for h in histories], dtype=float)
    periods = np.full(x.size, float(n))
    sequences = np.array([1.0 if h[0] == 0 else comb(h[1] - 1, h[0] - 1) for h in histories])
    probability = sequences * np.exp(model.log_likelihood(x, t_x, periods))  # type: ignore[attr-defined]
    assert probability.sum() == pytest.approx(1.0, abs=1e-12)
    conditional = model.expected_purchases(t, x, t_x, periods)  # type: ignore[attr-defined]
    new = model.expected_purchases_new_customer([n, n + t])  # type: ignore[attr-defined]
    assert probability @ conditional == pytest.approx(new[1] - new[0], rel=1e-9)
