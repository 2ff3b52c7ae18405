"""Pareto/NBD: Poisson purchases while alive, exponential lifetimes, gamma heterogeneity in both.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987), "Counting your customers: who are they and what will they
do next?", Management Science 33(1); likelihood as in Fader, Hardie & Lee (2005), "A note on deriving the Pareto/NBD
model and related expressions". Purchase rate ``lambda ~ Gamma(r, alpha)``, dropout rate ``mu ~ Gamma(s, beta)``.

The likelihood is written with the integral that the Gauss hypergeometric terms of the closed form stand for:

.. math::

    L = \\frac{\\Gamma(r+x) \\alpha^r \\beta^s}{\\Gamma(r)}
        \\left[ (\\alpha+T)^{-(r+x)} (\\beta+T)^{-s} + s \\int_{t_x}^{T} (\\alpha+\\tau)^{-(r+x)}
        (\\beta+\\tau)^{-(s+1)} d\\tau \\right]

(the customer either survives to ``T``, or drops out at ``tau`` between the last purchase and ``T``). The integral is
the difference of two tail integrals accumulated per frequency level in log space
(:mod:`clv.models.pareto_integral`): no hypergeometric series, so nothing overflows for frequencies in the thousands,
and the analytic gradient is the same quadrature of the integrand's derivatives.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from clv.errors import DataValidationError
from clv.models.covariate_rows import pareto_rows
from clv.models.covariates import CovariatePurchaseModel, Processes
from clv.models.histories import Histories
from clv.models.pareto_integral import tail_integrals
from clv.models.purchase import log_mixture


class ParetoNBD(CovariatePurchaseModel):
    """Pareto/NBD purchase model: Poisson purchases while alive, exponential lifetimes, gamma heterogeneity in both.

    Purchase rate ``lambda ~ Gamma(r, alpha)`` and dropout rate ``mu ~ Gamma(s, beta)``, both per time unit (the
    summary's ``time_unit``). For ``x`` repeat purchases, the last at ``t_x``, observed for ``T``::

        L(r, alpha, s, beta | x, t_x, T) = Gamma(r + x) alpha^r beta^s / Gamma(r)
            * [ (alpha + T)^-(r+x) (beta + T)^-s + s Integral_{t_x}^{T} (alpha + tau)^-(r+x) (beta + tau)^-(s+1) dtau ]

    The integral stands for the Gauss hypergeometric terms of the closed form; it is computed as the difference of
    two tail integrals per frequency level in log space (:mod:`clv.models.pareto_integral`), so nothing overflows
    for frequencies in the thousands.

    Time-invariant covariates ``z_i`` (``fit(..., covariates=...)``, :mod:`clv.models.covariates`) make ``alpha`` and
    ``beta`` per customer (Fader & Hardie 2007; CLVTools' ``pnbd_staticcov_LL_ind``)::

        alpha_i = alpha_0 exp(-gamma_purchase' z_i),  beta_i = beta_0 exp(-gamma_dropout' z_i)

    so positive coefficients mean more purchases and faster dropout; ``params_`` then holds ``r, alpha_0, s,
    beta_0``.

    Parameters
    ----------
    l2_penalty : float, default 0.0
        Weight of an L2 penalty on the log-parameters, added to the mean negative log-likelihood per customer.
    tol : float, default 1e-9
        Convergence tolerance of the L-BFGS-B optimiser (on the mean log-likelihood per customer).
    max_iter : int, default 1000
        Iterations allowed per start.
    n_starts : int, default 6
        Starting points tried (the first from moments, the rest jittered) until one converges.

    Attributes
    ----------
    params_ : dict of str to float
        The maximum-likelihood estimates: ``r``, ``s`` have no unit, ``alpha`` and ``beta`` are in the time
        unit of the summary.
    standard_errors_ : dict of str to float
        Their standard errors from the inverse Hessian of the log-likelihood (NaN when it is not positive definite).
    log_likelihood_ : float
        The maximised log-likelihood over all customers.
    converged_ : bool
        Whether the optimiser reported convergence.
    covariates_ : CovariateFit or None
        The covariate encoding, coefficients and their covariance (None when fitted without covariates); read them
        as a table with ``coefficients_``.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987), "Counting your customers: who are they and what will
    they do next?", Management Science 33(1), 1-24.
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "A note on deriving the Pareto/NBD model and related
    expressions".
    Fader, P. S. & Hardie, B. G. S. (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD
    models", http://www.brucehardie.com/notes/019/.
    Meierer, M. et al., CLVTools (R package), https://github.com/bachmannpatrick/CLVTools.
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    model_type: ClassVar[str] = "Pareto/NBD"
    time_scale_params: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    effect_phrases: ClassVar[dict[str, str]] = {
        "purchase": "buy {m:.2f}x as often",
        "dropout": "drop out {m:.2f}x as fast",
    }

    def _covariate_processes(self, dropout_form: str) -> Processes:
        """``alpha_i = alpha_0 exp(-g_p' z)``, ``beta_i = beta_0 exp(-g_d' z)`` (CLVTools' ``pnbd_staticcov``)."""
        if dropout_form != "shared":
            raise DataValidationError(
                "dropout_form='separate' is for BG/NBD and MBG/NBD (a and b); Pareto/NBD's dropout has one "
                "covariate-dependent parameter, beta"
            )
        return {"purchase": ((1, -1.0),), "dropout": ((3, -1.0),)}

    def _rows_log_likelihood(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        if not params.size:
            return np.zeros(0), np.zeros((0, 4)) if gradient else None
        terms, grad, _ = pareto_rows(
            params[0, 0], params[:, 1], params[0, 2], params[:, 3], x, t_x, age, gradient
        )
        return terms, grad

    def _rows_alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        if not params.size:
            return np.zeros(0)
        return pareto_rows(params[0, 0], params[:, 1], params[0, 2], params[:, 3], x, t_x, age, False)[2]

    def _history_log_likelihood(
        self, log_params: np.ndarray, histories: Histories, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Survival term per (x, T) point, dropout integral ``G(t_x) - G(T)`` per history from the tail integrals;
        the gradient is gathered onto points (``np.bincount``): each history weighs the tail means at its recency
        and age points by ``s G / L``."""
        r, alpha, s, beta = np.exp(log_params)
        h = histories
        x = h.levels
        point_x = x[h.point_level]
        log_alpha_time = np.log(alpha + h.point_time)
        log_beta_time = np.log(beta + h.point_time)
        log_survive = (-(r + point_x) * log_alpha_time - s * log_beta_time)[h.age_point]
        tails = tail_integrals(r, alpha, s, beta, h, gradient)
        log_tail_recency = tails.log_tail[h.recency_point]
        log_tail_age = tails.log_tail[h.age_point]
        # No gap: recency equals age, or they are so close that the integral between them underflows to zero mass.
        has_gap = (h.recency_point != h.age_point) & np.isfinite(log_tail_recency)
        with np.errstate(divide="ignore", invalid="ignore"):  # rows without a gap are masked
            log_gap = np.where(
                has_gap, log_tail_recency + np.log(-np.expm1(log_tail_age - log_tail_recency)), -np.inf
            )
        log_sum, dropout_share = log_mixture(log_survive, np.log(s) + log_gap)
        level_const = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        terms = level_const[h.level] + log_sum
        if not gradient:
            return terms, None
        assert tails.tail_means is not None
        n_points = h.point_time.size
        weighted_dropout = h.weights * dropout_share
        survive_weight = h.point_weight - np.bincount(
            h.age_point, weights=weighted_dropout, minlength=n_points
        )
        dropout_total = weighted_dropout.sum()
        # d log(G(t_x) - G(T)) = (G(t_x) M(t_x) - G(T) M(T)) / (G(t_x) - G(T)), M the tail mean of d log f; with
        # the weight p_dropout = s (G(t_x) - G(T)) / L this is s G / L at each of the two points.
        log_scale = np.log(s) - log_sum
        from_recency = np.where(has_gap, h.weights * np.exp(log_scale + log_tail_recency), 0.0)
        from_age = np.where(has_gap, h.weights * np.exp(log_scale + log_tail_age), 0.0)
        net = np.bincount(h.recency_point, weights=from_recency, minlength=n_points) - np.bincount(
            h.age_point, weights=from_age, minlength=n_points
        )
        means = tails.tail_means
        count = h.level_weight.sum()
        d_r = (
            h.level_weight @ (digamma(r + x) - digamma(r) + np.log(alpha))
            - survive_weight @ log_alpha_time
            - dropout_total * np.log(alpha)
            - net @ means[:, 0]
        )
        d_alpha = (
            r * count / alpha
            - survive_weight @ ((r + point_x) / (alpha + h.point_time))
            - (net * (r + point_x)) @ means[:, 1]
        )
        d_s = (
            count * np.log(beta)
            - survive_weight @ log_beta_time
            + dropout_total * (1.0 / s - np.log(beta))
            - net @ means[:, 2]
        )
        d_beta = (
            s * count / beta - survive_weight @ (s / (beta + h.point_time)) - (s + 1.0) * (net @ means[:, 3])
        )
        return terms, np.array([d_r * r, d_alpha * alpha, d_s * s, d_beta * beta])

    def _initial_log_params(self, data: Histories) -> np.ndarray:
        return np.log(np.array([0.5, 5.0, 0.5, 5.0]))

    def _probability_alive(self, params: np.ndarray, histories: Histories) -> np.ndarray:
        """P(alive) = the survival term's share of the likelihood (Fader, Hardie & Lee 2005 note, eq. 18)."""
        log_params = np.log(params)
        terms, _ = self._history_log_likelihood(log_params, histories, gradient=False)
        r, alpha, s, beta = params
        x, age = histories.frequency, histories.age
        log_survive = (
            gammaln(r + x)
            - gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta)
            - (r + x) * np.log(alpha + age)
            - s * np.log(beta + age)
        )
        return np.exp(np.minimum(log_survive - terms, 0.0))

    def _expected_if_alive(self, params: np.ndarray, t: float, x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """(r + x) / (alpha + T) x E[min(t, remaining lifetime)] (Schmittlein et al. 1987, eq. 22 without P(alive))."""
        r, alpha, s, beta = params
        return (r + x) / (alpha + age) * _expected_active_time(s, beta + age, np.asarray(t))

    def _draw_if_alive(
        self,
        params: np.ndarray,
        t: float,
        x: np.ndarray,
        age: np.ndarray,
        shape: tuple[int, int],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Rate ``lambda ~ Gamma(r + x, alpha + T)`` and dropout rate ``mu ~ Gamma(s, beta + T)`` from the posterior
        of a customer active at ``T``, a remaining lifetime ``~ Exp(mu)``, and Poisson purchases while active
        within ``t``."""
        r, alpha, s, beta = params
        rate = rng.gamma(r + x, 1.0 / (alpha + age), size=shape)
        death = rng.gamma(s, 1.0 / (beta + age), size=shape)
        lifetime = rng.exponential(1.0, size=shape) / np.maximum(death, 1e-300)
        return rng.poisson(rate * np.minimum(t, lifetime)).astype("float64")

    def _unconditional_expected(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        r, alpha, s, beta = params
        return r / alpha * _expected_active_time(s, beta, t)

    def probability_of_purchases(
        self, n: int | np.ndarray, t: float | np.ndarray, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """P(exactly ``n`` repeat purchases in ``(0, t]``) for a new customer.

        Averages the NBD count over the time active, ``min(t, lifetime)`` with the Pareto (type II) lifetime of the
        model: ``S(t) NBD(n; t) + integral_0^t f(tau) NBD(n; tau) dtau``, by Gauss-Legendre quadrature.
        With covariates, one row per covariate row (a new customer with those covariates).
        """
        per_row = self._per_covariate_row(lambda plain: plain.probability_of_purchases(n, t), covariates)
        if per_row is not None:
            return per_row
        self._check_fitted()
        r, alpha, s, beta = self._params()
        n_arr, t_arr = np.broadcast_arrays(np.asarray(n, dtype="float64"), np.asarray(t, dtype="float64"))
        n_flat, t_flat = n_arr.reshape(-1), t_arr.reshape(-1)

        def log_nbd(count: np.ndarray, active: np.ndarray) -> np.ndarray:
            log_z = np.log(np.where(active > 0, active, 1.0)) - np.log(alpha + active)
            base = (
                gammaln(r + count)
                - gammaln(r)
                - gammaln(count + 1)
                + r * (np.log(alpha) - np.log(alpha + active))
            )
            return (
                base
                + np.where(count > 0, count * log_z, 0.0)
                + np.where((active == 0) & (count > 0), -np.inf, 0.0)
            )

        nodes, weights = np.polynomial.legendre.leggauss(64)
        tau = (nodes[None, :] + 1.0) / 2.0 * t_flat[:, None]
        log_density = np.log(s) + s * np.log(beta) - (s + 1.0) * np.log(beta + tau)
        inside = np.exp(log_density + log_nbd(n_flat[:, None], tau)) @ weights * t_flat / 2.0
        survive = np.exp(s * (np.log(beta) - np.log(beta + t_flat)) + log_nbd(n_flat, t_flat))
        return (survive + inside).reshape(n_arr.shape)


def _expected_active_time(s: float | np.ndarray, scale: np.ndarray | float, t: np.ndarray) -> np.ndarray:
    """E[min(t, L)] for a Lomax lifetime ``L`` with shape ``s`` and scale ``scale``: ``scale/(s-1) (1 - (scale/(scale+t))^(s-1))``,
    written with expm1/log1p so that ``s`` near 1 (where it tends to ``scale log(1 + t/scale)``) stays exact.
    ``s`` may be one value per customer (models with covariates)."""
    log_ratio = np.log1p(np.asarray(t, dtype="float64") / scale)
    shape = s - 1.0
    if np.ndim(shape) > 0:
        near_one = np.abs(shape) < 1e-8
        safe = np.where(near_one, 1.0, shape)
        return np.where(near_one, scale * log_ratio, scale * -np.expm1(-safe * log_ratio) / safe)
    if abs(float(shape)) < 1e-8:
        return scale * log_ratio
    return scale * -np.expm1(-shape * log_ratio) / shape
