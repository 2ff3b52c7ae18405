"""BG/BB: the beta-geometric / beta-binomial model for discrete purchase opportunities.

Fader, P. S., Hardie, B. G. S. & Shang, J. (2010), "Customer-base analysis in a discrete-time noncontractual
setting", Marketing Science 29(6). At each of ``n`` opportunities an active customer buys with probability
``p ~ Beta(alpha, beta)``; before each opportunity an active customer drops out with probability
``theta ~ Beta(gamma, delta)``. For a customer with ``x`` purchases, the last at opportunity ``t_x``:

.. math::

    L = \\frac{B(\\alpha+x, \\beta+n-x)}{B(\\alpha,\\beta)} \\frac{B(\\gamma, \\delta+n)}{B(\\gamma,\\delta)}
      + \\sum_{i=0}^{n-t_x-1} \\frac{B(\\alpha+x, \\beta+t_x-x+i)}{B(\\alpha,\\beta)}
        \\frac{B(\\gamma+1, \\delta+t_x+i)}{B(\\gamma,\\delta)}

summed in log space. Times are counted in opportunities ("periods").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, logsumexp

from clv.errors import DataValidationError
from clv.models.base import (
    MIN_CUSTOMERS,
    ArrayLike,
    Model,
    check_weights,
    compress,
    single_blas_thread,
)
from clv.models.persistence import fingerprint
from clv.models.purchase import purchase_inputs

MAX_WAIT_PERIODS = 100_000


def _log_beta_ratio_grad(
    first: np.ndarray, second: np.ndarray, a: float, b: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log B(a + first, b + second) - log B(a, b) and its derivatives with respect to a and b."""
    value = betaln(a + first, b + second) - betaln(a, b)
    total = digamma(a + first + b + second)
    d_a = digamma(a + first) - total - digamma(a) + digamma(a + b)
    d_b = digamma(b + second) - total - digamma(b) + digamma(a + b)
    return value, d_a, d_b


@dataclass(frozen=True)
class Opportunities:
    """Distinct (purchases, opportunity of the last purchase, opportunities) rows and their customer counts."""

    frequency: np.ndarray
    recency: np.ndarray
    n_periods: np.ndarray
    weights: np.ndarray


class BetaGeoBetaBinom(Model):
    """BG/BB model for discrete purchase opportunities (periods).

    At each of ``n`` opportunities an active customer buys with probability ``p ~ Beta(alpha, beta)``; before each
    opportunity an active customer drops out with probability ``theta ~ Beta(gamma, delta)``. For ``x`` purchases, the
    last at opportunity ``t_x``::

        L = B(alpha + x, beta + n - x) / B(alpha, beta) * B(gamma, delta + n) / B(gamma, delta)
            + sum_{i=0}^{n-t_x-1} B(alpha + x, beta + t_x - x + i) / B(alpha, beta)
                                  * B(gamma + 1, delta + t_x + i) / B(gamma, delta)

    summed in log space.

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
        The maximum-likelihood estimates (all four without unit; times are counted in opportunities).
    standard_errors_ : dict of str to float
        Their standard errors from the inverse Hessian of the log-likelihood (NaN when it is not positive definite).
    log_likelihood_ : float
        The maximised log-likelihood over all customers.
    converged_ : bool
        Whether the optimiser reported convergence.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Shang, J. (2010), "Customer-base analysis in a discrete-time noncontractual
    setting", Marketing Science 29(6), 1086-1108.
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    model_type: ClassVar[str] = "BG/BB"

    @single_blas_thread
    def fit(
        self,
        frequency: ArrayLike | pd.DataFrame,
        recency: ArrayLike | None = None,
        n_periods: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Fit on (purchases, opportunity of the last purchase, number of opportunities) per customer."""
        x, t_x, n = self._inputs(frequency, recency, n_periods)
        w = check_weights(weights, x.size)
        if w.sum() < MIN_CUSTOMERS:
            raise DataValidationError(
                f"only {w.sum():,.0f} customers: the BG/BB model needs at least {MIN_CUSTOMERS}"
            )
        if not np.any((x > 0) & (w > 0)):
            raise DataValidationError("no repeat purchases: a purchase model cannot be fitted")
        (ux, utx, un), uw, _ = compress(x, t_x, n, weights=w)
        opportunities = Opportunities(ux, utx, un, uw)
        log_params, converged, message = self._maximise(opportunities)
        self._set_fit(log_params, opportunities)
        self.converged_ = converged
        self.optimizer_message_ = message
        self.time_unit_ = "periods"
        self.data_fingerprint_ = fingerprint(x, t_x, n, w)
        return self

    @staticmethod
    def _inputs(
        frequency: ArrayLike | pd.DataFrame, recency: ArrayLike | None, n_periods: ArrayLike | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if isinstance(frequency, pd.DataFrame) and n_periods is None and "n_periods" not in frequency:
            n_periods = frequency.get("n")
        x, t_x, n, _ = purchase_inputs(frequency, recency, n_periods, periods_name="n_periods")
        if np.any(n != np.floor(n)) or np.any(t_x != np.floor(t_x)) or np.any(x > t_x):
            raise DataValidationError(
                "BG/BB needs whole numbers of opportunities, with recency (opportunity of the last purchase) "
                ">= frequency"
            )
        return x, t_x, n

    def _initial_log_params(self, data: Opportunities) -> np.ndarray:
        return np.zeros(4)

    def _log_likelihood(
        self, log_params: np.ndarray, data: Opportunities, gradient: bool
    ) -> tuple[float, np.ndarray | None]:
        terms, grads = self._row_log_likelihood(log_params, data, gradient)
        return float(data.weights @ terms), (None if grads is None else data.weights @ grads)

    def _row_log_likelihood(
        self, log_params: np.ndarray, data: Opportunities, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Log-likelihood of each row and, if ``gradient``, its derivatives with respect to ``log_params``."""
        alpha, beta, gamma, delta = np.exp(log_params)
        x, t_x, n = data.frequency[:, None], data.recency[:, None], data.n_periods[:, None]
        i = np.arange(int(np.max(data.n_periods) if data.n_periods.size else 0) + 1)[None, :]
        # Column 0: alive through all n opportunities; columns 1..: dropout right after opportunity t_x + i.
        purchase_second = np.concatenate([n - x, t_x - x + i[:, :-1] + 0 * x], axis=1)
        dropout_first = np.concatenate([0 * x, 1 + 0 * i[:, :-1] + 0 * x], axis=1)
        dropout_second = np.concatenate([n, t_x + i[:, :-1] + 0 * x], axis=1)
        present = np.concatenate([np.ones_like(x, dtype=bool), i[:, :-1] < (n - t_x)], axis=1)
        lp, dp_a, dp_b = _log_beta_ratio_grad(x + 0 * purchase_second, purchase_second, alpha, beta)
        ld, dd_a, dd_b = _log_beta_ratio_grad(dropout_first, dropout_second, gamma, delta)
        log_terms = np.where(present, lp + ld, -np.inf)
        total = logsumexp(log_terms, axis=1)
        if not gradient:
            return total, None
        share = np.exp(log_terms - total[:, None])
        grads = np.column_stack(
            [
                (share * dp_a).sum(axis=1) * alpha,
                (share * dp_b).sum(axis=1) * beta,
                (share * dd_a).sum(axis=1) * gamma,
                (share * dd_b).sum(axis=1) * delta,
            ]
        )
        return total, grads

    def _data(
        self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_fitted()
        return self._inputs(frequency, recency, n_periods)

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        x, t_x, n = self._data(frequency, recency, n_periods)
        return self._row_log_likelihood(self.log_params_, Opportunities(x, t_x, n, np.ones(x.size)), False)[0]

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike) -> np.ndarray:
        """P(the customer is still active after the last of the ``n_periods`` opportunities), FHS (2010) eq. 11."""
        x, t_x, n = self._data(frequency, recency, n_periods)
        return self._probability_alive(self._params(), x, t_x, n)

    def expected_purchases(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
    ) -> np.ndarray:
        """Expected purchases in the next ``t`` opportunities given each customer's history, FHS (2010) eq. 13."""
        x, t_x, n = self._data(frequency, recency, n_periods)
        return self._expected_purchases(self._params(), np.asarray(t, dtype="float64"), x, t_x, n)

    @single_blas_thread
    def expected_purchases_interval(
        self,
        t: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
        level: float = 0.8,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected purchases in the next ``t`` opportunities with a ``level`` interval from the parameters' sampling
        distribution."""
        x, t_x, n = self._data(frequency, recency, n_periods)
        future = np.asarray(t, dtype="float64")
        return self.delta_interval(lambda params: self._expected_purchases(params, future, x, t_x, n), level)

    def expected_purchases_new_customer(self, t: ArrayLike) -> np.ndarray:
        """Expected purchases in the first ``t`` opportunities of a new customer, FHS (2010) eq. 9."""
        self._check_fitted()
        alpha, beta, gamma, delta = self._params()
        n = np.atleast_1d(np.asarray(t, dtype="float64"))
        return alpha / (alpha + beta) * _expected_active_opportunities(gamma, delta, np.zeros_like(n), n)

    def _probability_alive(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
    ) -> np.ndarray:
        alpha, beta, gamma, delta = params
        log_l, _ = self._row_log_likelihood(np.log(params), Opportunities(x, t_x, n, np.ones(x.size)), False)
        log_alive = betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
        log_alive += betaln(gamma, delta + n + 1) - betaln(gamma, delta)
        return np.exp(np.minimum(log_alive - log_l, 0.0))

    def _expected_purchases(
        self, params: np.ndarray, t: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
    ) -> np.ndarray:
        """FHS (2010) eq. 13: ``B(alpha + x + 1, beta + n - x) / B(alpha, beta) / L`` x the expected number of the
        next ``t`` opportunities reached while active."""
        alpha, beta, gamma, delta = params
        log_l, _ = self._row_log_likelihood(np.log(params), Opportunities(x, t_x, n, np.ones(x.size)), False)
        log_lead = betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - log_l
        return np.exp(log_lead) * _expected_active_opportunities(gamma, delta, n, t)

    def probability_of_purchases(self, n: int | np.ndarray, t: int | np.ndarray) -> np.ndarray:
        """P(exactly ``n`` purchases in the first ``t`` opportunities) for a new customer, FHS (2010) eq. 7."""
        self._check_fitted()
        alpha, beta, gamma, delta = self._params()
        count, periods = np.broadcast_arrays(np.asarray(n, dtype="float64"), np.asarray(t, dtype="float64"))
        count, periods = count.reshape(-1), periods.reshape(-1)

        def log_choose(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
            return gammaln(top + 1) - gammaln(bottom + 1) - gammaln(top - bottom + 1)

        alive = (
            log_choose(periods, count) + betaln(alpha + count, beta + periods - count) - betaln(alpha, beta)
        )
        alive += betaln(gamma, delta + periods) - betaln(gamma, delta)
        i = np.arange(int(np.max(periods)) if periods.size else 0)[None, :]
        valid = (i >= count[:, None]) & (i < periods[:, None])
        safe_i = np.where(valid, i, count[:, None])
        dropped = (
            log_choose(safe_i, count[:, None])
            + betaln(alpha + count[:, None], beta + safe_i - count[:, None])
            - betaln(alpha, beta)
            + betaln(gamma + 1, delta + safe_i)
            - betaln(gamma, delta)
        )
        dropped = np.where(valid, dropped, -np.inf)
        result = np.exp(np.logaddexp(alive, logsumexp(dropped, axis=1) if dropped.shape[1] else -np.inf))
        return np.where(count <= periods, result, 0.0).reshape(np.shape(np.broadcast_arrays(n, t)[0]))

    def time_to_next_purchase(
        self, frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
    ) -> np.ndarray:
        """Median number of opportunities until the next purchase of an active customer.

        With ``p`` from its posterior ``Beta(alpha + x, beta + n - x)``, ``P(wait > k) = B(alpha + x, beta + n - x +
        k) / B(alpha + x, beta + n - x)``; the median is found by bisection (capped at 100,000 opportunities).
        """
        x, _, n = self._data(frequency, recency, n_periods)
        alpha, beta, _, _ = self._params()
        a_post, b_post = alpha + x, beta + n - x

        def waiting_longer(k: np.ndarray) -> np.ndarray:
            return np.exp(betaln(a_post, b_post + k) - betaln(a_post, b_post))

        low, high = np.zeros_like(x), np.full_like(x, float(MAX_WAIT_PERIODS))
        for _ in range(40):
            middle = np.floor((low + high) / 2.0)
            longer = waiting_longer(middle) > 0.5
            low, high = np.where(longer, middle, low), np.where(longer, high, middle)
        return high


SINGULAR_GAP = 1e-5  # closer than this to gamma = 1, the closed form is interpolated


def _expected_active_opportunities(
    gamma: float, delta: float, start: np.ndarray, length: np.ndarray
) -> np.ndarray:
    """``sum over i = 1..length of E[(1 - theta)^(start + i)]``, ``theta ~ Beta(gamma, delta)``: the expected number of
    the opportunities ``start + 1 .. start + length`` that a new customer reaches while active (FHS 2010, eqs. 9 and
    13), in closed form ``delta / (gamma - 1) G(start) [1 - G(start + length) / G(start)]`` with
    ``G(m) = Gamma(gamma + delta) Gamma(1 + delta + m) / (Gamma(1 + delta) Gamma(gamma + delta + m))``.

    At ``gamma = 1`` the form is 0/0 (the value is finite); within 1e-5 of it, it is interpolated linearly between
    points 2e-5 away on both sides (accurate to about 1e-9)."""
    if abs(gamma - 1.0) < SINGULAR_GAP:
        low, high = 1.0 - 2 * SINGULAR_GAP, 1.0 + 2 * SINGULAR_GAP
        share = (gamma - low) / (high - low)
        return (1 - share) * _expected_active_opportunities(low, delta, start, length) + (
            share * _expected_active_opportunities(high, delta, start, length)
        )

    def log_ratio(m: np.ndarray) -> np.ndarray:
        return gammaln(1 + delta + m) - gammaln(gamma + delta + m)

    log_start = gammaln(gamma + delta) - gammaln(1 + delta) + log_ratio(start)
    return delta / (gamma - 1.0) * np.exp(log_start) * -np.expm1(log_ratio(start + length) - log_ratio(start))
