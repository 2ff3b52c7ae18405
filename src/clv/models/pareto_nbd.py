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
computed by Gauss-Legendre quadrature in ``y = log((tau - t_x) / (T - t_x))``, whose nodes do not depend on the
parameters, entirely in log space: no hypergeometric series, so nothing overflows for frequencies in the thousands,
and the analytic gradient is the same quadrature of the integrand's derivatives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from scipy.special import digamma, gammaln, logsumexp

from clv.models.purchase import PurchaseModel

N_NODES = 32
LOG_EPSILON = -30.0  # the quadrature covers tau - t_x in [e^-30, 1] x (T - t_x); the rest is negligible
CHUNK_ROWS = 20_000
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(N_NODES)
_Y = LOG_EPSILON / 2.0 * (1.0 - _NODES)  # map [-1, 1] to [LOG_EPSILON, 0]
_LOG_W = np.log(_WEIGHTS * (-LOG_EPSILON) / 2.0)


def _dropout_integral(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    gradient: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """log of the integral over [t_x, T] and, if asked, the integrand-weighted means of its log-derivatives.

    The returned derivatives are with respect to r, alpha, s, beta of the log integrand, averaged with the
    integrand as weight (so d log I / d theta equals them).
    """
    span = age - t_x
    log_span = np.log(np.where(span > 0, span, 1.0))
    tau = t_x[:, None] + np.exp(_Y[None, :] + log_span[:, None])
    log_a = np.log(alpha + tau)
    log_b = np.log(beta + tau)
    log_f = -(r + x[:, None]) * log_a - (s + 1.0) * log_b + _Y[None, :] + log_span[:, None] + _LOG_W[None, :]
    log_integral = logsumexp(log_f, axis=1)
    log_integral = np.where(span > 0, log_integral, -np.inf)
    if not gradient:
        return log_integral, None
    weight = np.exp(log_f - np.where(span > 0, log_integral, 0.0)[:, None])
    means = np.column_stack(
        [
            -(weight * log_a).sum(axis=1),
            -(r + x) * (weight / (alpha + tau)).sum(axis=1),
            -(weight * log_b).sum(axis=1),
            -(s + 1.0) * (weight / (beta + tau)).sum(axis=1),
        ]
    )
    return log_integral, means


class ParetoNBD(PurchaseModel):
    """Pareto/NBD purchase model with parameters ``r, alpha`` (purchase rate) and ``s, beta`` (dropout rate)."""

    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    model_type: ClassVar[str] = "Pareto/NBD"
    time_scale_params: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def _log_likelihood_terms(
        self, log_params: np.ndarray, data: Sequence[np.ndarray], gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        x_all, t_x_all, age_all = data[:3]
        terms_parts, grad_parts = [], []
        for start in range(0, x_all.size, CHUNK_ROWS):
            chunk = slice(start, start + CHUNK_ROWS)
            terms, grads = self._chunk_terms(
                log_params, x_all[chunk], t_x_all[chunk], age_all[chunk], gradient
            )
            terms_parts.append(terms)
            if grads is not None:
                grad_parts.append(grads)
        terms_all = np.concatenate(terms_parts) if terms_parts else np.zeros(0)
        return terms_all, (np.vstack(grad_parts) if gradient and grad_parts else None)

    def _chunk_terms(
        self, log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        r, alpha, s, beta = np.exp(log_params)
        log_survive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
        log_integral, means = _dropout_integral(r, alpha, s, beta, x, t_x, age, gradient)
        log_dropout = np.log(s) + log_integral
        log_sum = np.logaddexp(log_survive, log_dropout)
        terms = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + log_sum
        if not gradient:
            return terms, None
        assert means is not None
        w1 = np.exp(log_survive - log_sum)
        w2 = np.exp(log_dropout - log_sum)
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w1 * np.log(alpha + age) + w2 * means[:, 0]
        d_alpha = r / alpha - w1 * (r + x) / (alpha + age) + w2 * means[:, 1]
        d_s = np.log(beta) - w1 * np.log(beta + age) + w2 * (1.0 / s + means[:, 2])
        d_beta = s / beta - w1 * s / (beta + age) + w2 * means[:, 3]
        return terms, np.column_stack([d_r * r, d_alpha * alpha, d_s * s, d_beta * beta])

    def _initial_log_params(self, data: Sequence[np.ndarray], weights: np.ndarray) -> np.ndarray:
        return np.log(np.array([0.5, 5.0, 0.5, 5.0]))

    def _probability_alive(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        r, alpha, s, beta = params
        log_survive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
        log_integral, _ = _dropout_integral(r, alpha, s, beta, x, t_x, age, gradient=False)
        return np.exp(log_survive - np.logaddexp(log_survive, np.log(s) + log_integral))

    def _expected_if_alive(self, params: np.ndarray, t: float, x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """(r + x) / (alpha + T) x E[min(t, remaining lifetime)] (Schmittlein et al. 1987, eq. 22 without P(alive))."""
        r, alpha, s, beta = params
        return (r + x) / (alpha + age) * _expected_active_time(s, beta + age, np.asarray(t))

    def _unconditional_expected(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        r, alpha, s, beta = params
        return r / alpha * _expected_active_time(s, beta, t)

    def probability_of_purchases(self, n: int | np.ndarray, t: float | np.ndarray) -> np.ndarray:
        """P(exactly ``n`` repeat purchases in ``(0, t]``) for a new customer.

        Averages the NBD count over the time active, ``min(t, lifetime)`` with the Pareto (type II) lifetime of the
        model: ``S(t) NBD(n; t) + integral_0^t f(tau) NBD(n; tau) dtau``, by Gauss-Legendre quadrature.
        """
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


def _expected_active_time(s: float, scale: np.ndarray | float, t: np.ndarray) -> np.ndarray:
    """E[min(t, L)] for a Lomax lifetime ``L`` with shape ``s`` and scale ``scale``: ``scale/(s-1) (1 - (scale/(scale+t))^(s-1))``,
    written with expm1/log1p so that ``s`` near 1 (where it tends to ``scale log(1 + t/scale)``) stays exact."""
    log_ratio = np.log1p(np.asarray(t, dtype="float64") / scale)
    shape = s - 1.0
    if abs(shape) < 1e-8:
        return scale * log_ratio
    return scale * -np.expm1(-shape * log_ratio) / shape
