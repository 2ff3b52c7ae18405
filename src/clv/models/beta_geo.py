"""BG/NBD: the beta-geometric / negative binomial distribution model.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2), 275-284. While active a customer buys as a Poisson process with rate
``lambda ~ Gamma(r, alpha)``; after each repeat purchase they become inactive with probability ``p ~ Beta(a, b)``.

With ``A1 = B(a, b + x) / B(a, b) (alpha + T)^-(r+x)`` and ``A2 = B(a + 1, b + x - 1) / B(a, b) (alpha + t_x)^-(r+x)``
(``A2`` only when ``x > 0``), the likelihood is ``Gamma(r + x) alpha^r / Gamma(r) (A1 + A2)``, summed in log space
with log-sum-exp. :class:`~clv.models.modified_beta_geo.ModifiedBetaGeo` shifts ``b + x`` by one (dropout may also
follow the first purchase) and keeps the second term for ``x = 0``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from clv.errors import DataValidationError
from clv.models.base import ArrayLike
from clv.models.covariate_rows import beta_geo_rows
from clv.models.covariates import CovariatePurchaseModel, Processes
from clv.models.histories import Histories
from clv.models.purchase import log_mixture, purchase_inputs


class BetaGeo(CovariatePurchaseModel):
    """BG/NBD purchase model: Poisson purchases while active, dropout after each repeat purchase.

    While active a customer buys at rate ``lambda ~ Gamma(r, alpha)`` per time unit; after each repeat purchase they
    become inactive with probability ``p ~ Beta(a, b)``. For a customer with ``x`` repeat purchases, the last at
    ``t_x``, observed for ``T`` time units (days, weeks or months: the summary's ``time_unit``)::

        L(r, alpha, a, b | x, t_x, T) = Gamma(r + x) alpha^r / Gamma(r)
            * [ B(a, b + x) / B(a, b) (alpha + T)^-(r+x)
                + 1{x > 0} B(a + 1, b + x - 1) / B(a, b) (alpha + t_x)^-(r+x) ]

    summed in log space with log-sum-exp.

    Time-invariant covariates ``z_i`` (``fit(..., covariates=...)``, :mod:`clv.models.covariates`) make ``alpha``,
    ``a`` and ``b`` per customer, as in CLVTools (Meierer et al., ``bgnbd_staticcov_LL_ind``) after Fader & Hardie
    (2007)::

        alpha_i = alpha_0 exp(-gamma_purchase' z_i)
        a_i = a_0 exp(gamma_dropout' z_i),  b_i = b_0 exp(gamma_dropout' z_i)      (dropout_form="shared")
        a_i = a_0 exp(gamma_a' z_i),        b_i = b_0 exp(gamma_b' z_i)            (dropout_form="separate")

    so a positive purchase coefficient means more purchases; ``params_`` then holds ``r, alpha_0, a_0, b_0`` (the
    customer with all covariates 0 or at their reference level).

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
        The maximum-likelihood estimates: ``r``, ``a``, ``b`` have no unit, ``alpha`` is in the time unit of
        the summary.
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
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "Counting your customers the easy way: an alternative to the
    Pareto/NBD model", Marketing Science 24(2), 275-284.
    Fader, P. S. & Hardie, B. G. S. (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD
    models", http://www.brucehardie.com/notes/019/.
    Meierer, M. et al., CLVTools (R package), https://github.com/bachmannpatrick/CLVTools.
    """

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    model_type: ClassVar[str] = "BG/NBD"
    # 0 for BG/NBD; 1 for MBG/NBD, where a customer may drop out right after the first purchase.
    dropout_shift: ClassVar[int] = 0
    effect_phrases: ClassVar[dict[str, str]] = {
        "purchase": "buy {m:.2f}x as often",
        "dropout": "have the dropout Beta(a, b) with a and b {m:.2f}x (the same mean dropout probability, "
        "{m:.2f}x the concentration a + b)",
        "dropout_a": "have the dropout Beta's a {m:.2f}x (a larger a means a higher dropout probability)",
        "dropout_b": "have the dropout Beta's b {m:.2f}x (a larger b means a lower dropout probability)",
    }

    def _covariate_processes(self, dropout_form: str) -> Processes:
        """``alpha_i = alpha_0 exp(-g_p' z)``; ``a_i = a_0 exp(g_d' z)``, ``b_i = b_0 exp(g_d' z)`` (shared, as
        CLVTools' ``bgnbd_staticcov_LL_ind``) or with ``g_a``, ``g_b`` (separate)."""
        if dropout_form == "shared":
            return {"purchase": ((1, -1.0),), "dropout": ((2, 1.0), (3, 1.0))}
        if dropout_form == "separate":
            return {"purchase": ((1, -1.0),), "dropout_a": ((2, 1.0),), "dropout_b": ((3, 1.0),)}
        raise DataValidationError(f"dropout_form must be 'shared' or 'separate'; got {dropout_form!r}")

    def _rows_log_likelihood(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        r = float(params[0, 0]) if params.size else 1.0
        return beta_geo_rows(
            r, params[:, 1], params[:, 2], params[:, 3], x, t_x, age, self.dropout_shift, gradient
        )

    def _rows_alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        return self._alive(params.T, x, t_x, age)

    def _history_log_likelihood(
        self, log_params: np.ndarray, histories: Histories, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``log A1`` depends on the (x, T) point only and ``log A2`` on the (x, t_x) point, so the logarithms are taken
        once per point; each history adds one log-sum-exp, and the gradient is gathered back onto points and levels
        with weighted counts (``np.bincount``) rather than formed per history."""
        r, alpha, a, b = np.exp(log_params)
        h = histories
        k = self.dropout_shift
        x = h.levels
        # Per frequency level: the beta-function ratios and the NBD constant.
        has_second = (x > 0) | (k == 1)
        b_first = b + x + k
        b_second = np.where(has_second, b + x + k - 1, b + 1.0)  # a valid value where the term is absent
        log_beta_ab = betaln(a, b)
        first_const = betaln(a, b_first) - log_beta_ab
        second_const = np.where(has_second, betaln(a + 1, b_second) - log_beta_ab, -np.inf)
        level_const = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        # Per point: (r + x) log(alpha + time).
        point_x = x[h.point_level]
        log_alpha_time = np.log(alpha + h.point_time)
        rate_term = (r + point_x) * log_alpha_time
        log_a1 = (first_const[h.point_level] - rate_term)[h.age_point]
        log_a2 = (second_const[h.point_level] - rate_term)[h.recency_point]
        log_sum, second_share = log_mixture(log_a1, log_a2)
        terms = level_const[h.level] + log_sum
        if not gradient:
            return terms, None
        n_points = h.point_time.size
        weighted_second = h.weights * second_share
        second_weight = np.bincount(h.recency_point, weights=weighted_second, minlength=n_points)
        first_weight = h.point_weight - np.bincount(h.age_point, weights=weighted_second, minlength=n_points)
        point_total = first_weight + second_weight
        first_level = np.bincount(h.point_level, weights=first_weight, minlength=x.size)
        second_level = np.bincount(h.point_level, weights=second_weight, minlength=x.size)
        level_weight = h.level_weight
        d_r = level_weight @ (digamma(r + x) - digamma(r) + np.log(alpha)) - point_total @ log_alpha_time
        d_alpha = r * level_weight.sum() / alpha - point_total @ ((r + point_x) / (alpha + h.point_time))
        d_a = (
            first_level @ (digamma(a) - digamma(a + b_first))
            + second_level @ np.where(has_second, digamma(a + 1) - digamma(a + 1 + b_second), 0.0)
            - level_weight.sum() * (digamma(a) - digamma(a + b))
        )
        d_b = (
            first_level @ (digamma(b_first) - digamma(a + b_first))
            + second_level @ np.where(has_second, digamma(b_second) - digamma(a + 1 + b_second), 0.0)
            - level_weight.sum() * (digamma(b) - digamma(a + b))
        )
        return terms, np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Probability that each customer is still active at the observation end (Fader, Hardie & Lee 2005,
        eq. 11). The closed form is cheap, so it is evaluated per customer without grouping into histories."""
        if self.covariates_ is not None or covariates is not None:
            return super().probability_alive(frequency, recency, T, covariates)
        params = self._params()
        x, t_x, age, _ = purchase_inputs(frequency, recency, T)
        return self._alive(params, x, t_x, age)

    def _probability_alive(self, params: np.ndarray, histories: Histories) -> np.ndarray:
        return self._alive(params, histories.frequency, histories.recency, histories.age)

    def _alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """``1 / (1 + a / (b + x + k - 1) ((alpha + T) / (alpha + t_x))^(r + x))``, and 1 when the model has no
        dropout term for the customer (BG/NBD with x = 0)."""
        r, alpha, a, b = params
        k = self.dropout_shift
        has_second = (x > 0) | (k == 1)
        log_ratio = (
            np.log(a)
            - np.log(np.where(has_second, b + x + k - 1, 1.0))
            + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x))
        )
        return np.where(has_second, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0))), 1.0)

    def _expected_if_alive(self, params: np.ndarray, t: float, x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Fader, Hardie & Lee (2005) eq. 10 without its P(alive) factor (Batislam et al. 2007 for MBG/NBD): the
        expectation under the posterior ``lambda ~ Gamma(r + x, alpha + T)``, ``p ~ Beta(a, b + x + k)``."""
        r, alpha, a, b = params
        return _expected_given_posterior(r + x, alpha + age, a, b + x + self.dropout_shift, t)

    def _draw_if_alive(
        self,
        params: np.ndarray,
        t: float,
        x: np.ndarray,
        age: np.ndarray,
        shape: tuple[int, int],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Rate ``lambda ~ Gamma(r + x, alpha + T)`` and dropout ``p ~ Beta(a, b + x + k)`` from the posterior of an
        active customer (``k`` = 1 for MBG/NBD), then Poisson arrivals over ``t``, each purchase followed by a
        dropout with probability ``p``: the purchases are the fewer of the arrivals and the geometric number of
        purchases until the one after which the customer leaves."""
        r, alpha, a, b = params
        rate = rng.gamma(r + x, 1.0 / (alpha + age), size=shape)
        leave = np.clip(rng.beta(a, b + x + self.dropout_shift, size=shape), 1e-12, 1.0)
        return np.minimum(rng.poisson(rate * t), rng.geometric(leave)).astype("float64")

    def _unconditional_expected(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        """E[X(t)] for a new customer, Fader, Hardie & Lee (2005) eq. 9; for MBG/NBD (Batislam et al. 2007) the
        customer first survives the dropout at time 0 (probability ``b / (a + b)``), then ``p ~ Beta(a, b + 1)``."""
        r, alpha, a, b = params
        k = self.dropout_shift
        survive_first = b / (a + b) if k == 1 else 1.0
        return survive_first * _expected_given_posterior(
            np.full_like(t, r), np.full_like(t, alpha), a, np.full_like(t, b + k), t
        )

    def probability_of_purchases(
        self, n: int | np.ndarray, t: float | np.ndarray, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """P(exactly ``n`` repeat purchases in ``(0, t]``) for a new customer (Fader, Hardie & Lee 2005 eq. 8).

        With ``J`` the number of repeat purchases before dropout and ``N(t)`` the NBD count,
        ``P(X = n) = P(N = n) P(J > n) + P(N >= n) P(J = n)``, each averaged over ``p ~ Beta(a, b)``.

        With covariates, one row per covariate row (a new customer with those covariates).
        """
        per_row = self._per_covariate_row(lambda plain: plain.probability_of_purchases(n, t), covariates)
        if per_row is not None:
            return per_row
        self._check_fitted()
        r, alpha, a, b = self._params()
        k = self.dropout_shift
        n_arr, t_arr = np.broadcast_arrays(np.asarray(n, dtype="float64"), np.asarray(t, dtype="float64"))
        log_q = np.log(alpha) - np.log(alpha + t_arr)
        log_z = np.log(t_arr) - np.log(alpha + t_arr)

        def log_nbd(j: np.ndarray) -> np.ndarray:
            return gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * log_q + j * np.where(j > 0, log_z, 0.0)

        survive = np.exp(betaln(a, b + n_arr + k) - betaln(a, b))
        stop_here = np.where(
            (n_arr > 0) | (k == 1),
            np.exp(betaln(a + 1, np.maximum(b + n_arr + k - 1, 1e-12)) - betaln(a, b)),
            0.0,
        )
        max_n = int(np.max(n_arr)) if n_arr.size else 0
        js = np.arange(max_n + 1, dtype="float64")
        below = (
            np.array([np.exp(log_nbd(np.full_like(t_arr, j))) for j in js]) if max_n >= 0 else np.zeros((1,))
        )
        cumulative = np.cumsum(below, axis=0)
        index = n_arr.astype(int)
        at_least = 1.0 - np.where(
            index > 0, np.take_along_axis(cumulative, np.maximum(index - 1, 0)[None], 0)[0], 0.0
        )
        return np.exp(log_nbd(n_arr)) * survive + at_least * stop_here


SINGULAR_GAP = 1e-6  # closer than this to a = 1 or a + b = 1, the closed form is interpolated


def _expected_given_posterior(
    shape: np.ndarray, scale: np.ndarray, a: float | np.ndarray, b: np.ndarray, t: float | np.ndarray
) -> np.ndarray:
    """``E[(1 - exp(-lambda p t)) / p]`` for ``lambda ~ Gamma(shape, scale)``, ``p ~ Beta(a, b)``: the expected
    purchases in ``t`` of a customer who is active now (Fader, Hardie & Lee 2005, eqs. 9 and 10):

    ``(a + b - 1) / (a - 1) [1 - (scale / (scale + t))^shape 2F1(shape, b; a + b - 1; t / (scale + t))]``.

    The expectation is finite for all ``a, b > 0``, but the closed form is 0/0 at ``a = 1`` and at ``a + b = 1``
    (possible when ``a + b < 1``); within 1e-6 of either it is interpolated linearly between points 2e-6 away on
    both sides, which is accurate to about 1e-11. For ``a + b < 1`` the hypergeometric function may be negative, so the bracket is then
    formed without logarithms.
    ``a`` may be one value per customer (models with covariates).
    """
    if np.ndim(a) > 0:
        a = np.asarray(a, dtype="float64")
        near_one = np.abs(a - 1.0) < SINGULAR_GAP
        if near_one.any():
            below, above = np.full_like(a, 1.0 - 2 * SINGULAR_GAP), np.full_like(a, 1.0 + 2 * SINGULAR_GAP)
            weight = (a - below) / (above - below)
            interpolated = (1 - weight) * _expected_given_posterior(shape, scale, below, b, t) + weight * (
                _expected_given_posterior(shape, scale, above, b, t)
            )
            regular = _expected_given_posterior(shape, scale, np.where(near_one, above, a), b, t)
            return np.where(near_one, interpolated, regular)
    elif abs(float(a) - 1.0) < SINGULAR_GAP:
        low, high = 1.0 - 2 * SINGULAR_GAP, 1.0 + 2 * SINGULAR_GAP
        share = (a - low) / (high - low)
        return (1 - share) * _expected_given_posterior(shape, scale, low, b, t) + share * (
            _expected_given_posterior(shape, scale, high, b, t)
        )
    near_zero_c = np.abs(a + b - 1.0) < SINGULAR_GAP
    if near_zero_c.any():
        low_b = np.maximum(1.0 - a - 2 * SINGULAR_GAP, SINGULAR_GAP)
        high_b = 1.0 - a + 2 * SINGULAR_GAP
        share = (b - low_b) / (high_b - low_b)
        interpolated = (1 - share) * _expected_given_posterior(shape, scale, a, np.full_like(b, low_b), t) + (
            share * _expected_given_posterior(shape, scale, a, np.full_like(b, high_b), t)
        )
        b = np.where(near_zero_c, high_b, b)  # any regular value: replaced by the interpolation
        return np.where(near_zero_c, interpolated, _expected_given_posterior(shape, scale, a, b, t))
    c = a + b - 1.0
    z = t / (scale + t)
    hyp = hyp2f1(shape, b, c, z)
    log_factor = shape * np.log1p(-z)
    positive = hyp > 0
    bracket = np.where(
        positive,
        -np.expm1(log_factor + np.log(np.where(positive, hyp, 1.0))),
        1.0 - np.exp(log_factor) * hyp,
    )
    return np.maximum(c / (a - 1.0) * bracket, 0.0)
