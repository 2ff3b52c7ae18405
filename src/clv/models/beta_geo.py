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

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from clv.models.purchase import PurchaseModel


class BetaGeo(PurchaseModel):
    """BG/NBD purchase model with parameters ``r, alpha`` (purchase rate) and ``a, b`` (dropout)."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    model_type: ClassVar[str] = "BG/NBD"
    # 0 for BG/NBD; 1 for MBG/NBD, where a customer may drop out right after the first purchase.
    dropout_shift: ClassVar[int] = 0

    def _log_likelihood_terms(
        self, log_params: np.ndarray, data: Sequence[np.ndarray], gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        r, alpha, a, b = np.exp(log_params)
        x, t_x, age, levels, level = data
        k = self.dropout_shift
        # Special functions of the purchase count, once per distinct count.
        has_second_level = (levels > 0) | (k == 1)
        b_first = b + levels + k
        b_second = np.where(
            has_second_level, b + levels + k - 1, b + 1.0
        )  # a valid value where the term is absent
        log_beta_ab = betaln(a, b)
        first_const = (betaln(a, b_first) - log_beta_ab)[level]
        second_const = np.where(has_second_level, betaln(a + 1, b_second) - log_beta_ab, -np.inf)[level]
        log_alpha_age = np.log(alpha + age)
        log_alpha_recency = np.log(alpha + t_x)
        log_a1 = first_const - (r + x) * log_alpha_age
        log_a2 = second_const - (r + x) * log_alpha_recency
        log_sum = np.logaddexp(log_a1, log_a2)
        terms = (gammaln(r + levels) - gammaln(r))[level] + r * np.log(alpha) + log_sum
        if not gradient:
            return terms, None
        w1 = np.exp(log_a1 - log_sum)
        w2 = np.exp(log_a2 - log_sum)
        d_beta_a = digamma(a) - digamma(a + b)
        d_beta_b = digamma(b) - digamma(a + b)
        first_a = (digamma(a) - digamma(a + b_first))[level]
        second_a = (digamma(a + 1) - digamma(a + 1 + b_second))[level]
        first_b = (digamma(b_first) - digamma(a + b_first))[level]
        second_b = np.where(has_second_level, digamma(b_second) - digamma(a + 1 + b_second), 0.0)[level]
        d_r = (
            (digamma(r + levels) - digamma(r))[level]
            + np.log(alpha)
            - w1 * log_alpha_age
            - w2 * log_alpha_recency
        )
        d_alpha = r / alpha - (r + x) * (w1 / (alpha + age) + w2 / (alpha + t_x))
        d_a = w1 * first_a + w2 * second_a - d_beta_a
        d_b = w1 * first_b + w2 * second_b - d_beta_b
        return terms, np.column_stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])

    def _probability_alive(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
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
        """Fader, Hardie & Lee (2005) eq. 10 without its P(alive) factor (Batislam et al. 2007 for MBG/NBD)."""
        r, alpha, a, b = params
        k = self.dropout_shift
        z = t / (alpha + age + t)
        hyp = hyp2f1(r + x, b + x + k, a + b + x - 1 + k, z)
        return np.maximum(
            (a + b + x - 1 + k) / (a - 1) * -np.expm1((r + x) * np.log1p(-z) + np.log(hyp)), 0.0
        )

    def _unconditional_expected(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        """E[X(t)] for a new customer, Fader, Hardie & Lee (2005) eq. 9."""
        r, alpha, a, b = params
        k = self.dropout_shift
        z = t / (alpha + t)
        hyp = hyp2f1(r, b + k, a + b - 1 + k, z)
        lead = (a + b - 1) / (a - 1) if k == 0 else b / (a - 1)
        return lead * -np.expm1(r * np.log1p(-z) + np.log(hyp))

    def probability_of_purchases(self, n: int | np.ndarray, t: float | np.ndarray) -> np.ndarray:
        """P(exactly ``n`` repeat purchases in ``(0, t]``) for a new customer (Fader, Hardie & Lee 2005 eq. 8).

        With ``J`` the number of repeat purchases before dropout and ``N(t)`` the NBD count,
        ``P(X = n) = P(N = n) P(J > n) + P(N >= n) P(J = n)``, each averaged over ``p ~ Beta(a, b)``.
        """
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
