"""Per-customer log-likelihoods and their gradients for purchase models whose parameters differ by customer
(time-invariant covariates).

Without covariates the models group customers by frequency level and by point (:mod:`clv.models.histories`) and
sum their gradients over all customers, because every customer shares the parameters. With covariates ``alpha``
(and ``a, b`` or ``beta``) are per customer, so here every distinct (x, t_x, T, covariates) row keeps its own
parameters and its own gradient with respect to ``log(r), log(alpha_i), log(a_i), log(b_i)`` (or ``log(s),
log(beta_i)``), which the covariate layer chains onto the coefficients. The formulas are the models' own
(Fader, Hardie & Lee 2005 for BG/NBD, Batislam et al. 2007 for MBG/NBD, Fader & Hardie 2005 for Pareto/NBD), in log
space; Pareto/NBD's dropout integral uses the same quadrature (:func:`clv.models.pareto_integral.tail_integrals`)
with one level per row.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln

from clv.models.histories import Histories
from clv.models.pareto_integral import tail_integrals
from clv.models.purchase import log_mixture


def beta_geo_rows(
    r: float,
    alpha: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    shift: int,
    gradient: bool,
) -> tuple[np.ndarray, np.ndarray | None]:
    """BG/NBD (``shift=0``) or MBG/NBD (``shift=1``) log-likelihood of each row, and if ``gradient`` its
    derivatives with respect to the row's ``log(r), log(alpha), log(a), log(b)`` (rows x 4).

    ``log L = log Gamma(r + x) - log Gamma(r) + r log(alpha) + log(A1 + A2)`` with
    ``A1 = B(a, b + x + k) / B(a, b) (alpha + T)^-(r+x)`` and
    ``A2 = B(a + 1, b + x + k - 1) / B(a, b) (alpha + t_x)^-(r+x)`` (only when ``x > 0`` or ``k = 1``).
    """
    has_second = (x > 0) | (shift == 1)
    b_first = b + x + shift
    b_second = np.where(has_second, b + x + shift - 1, b + 1.0)  # a valid value where the term is absent
    log_beta_ab = betaln(a, b)
    log_alpha_age, log_alpha_recency = np.log(alpha + age), np.log(alpha + t_x)
    log_a1 = betaln(a, b_first) - log_beta_ab - (r + x) * log_alpha_age
    log_a2 = (
        np.where(has_second, betaln(a + 1, b_second) - log_beta_ab, -np.inf) - (r + x) * log_alpha_recency
    )
    log_sum, second = log_mixture(log_a1, log_a2)
    terms = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + log_sum
    if not gradient:
        return terms, None
    first = 1.0 - second
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - first * log_alpha_age - second * log_alpha_recency
    d_alpha = r / alpha - (r + x) * (first / (alpha + age) + second / (alpha + t_x))
    second_a = np.where(has_second, digamma(a + 1) - digamma(a + 1 + b_second), 0.0)
    second_b = np.where(has_second, digamma(b_second) - digamma(a + 1 + b_second), 0.0)
    d_a = first * (digamma(a) - digamma(a + b_first)) + second * second_a - (digamma(a) - digamma(a + b))
    d_b = (
        first * (digamma(b_first) - digamma(a + b_first)) + second * second_b - (digamma(b) - digamma(a + b))
    )
    return terms, np.column_stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])


def row_histories(x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> Histories:
    """Every row as its own level of :class:`~clv.models.histories.Histories`, with the points ``t_x`` and ``T``
    (one point when they coincide), so that :func:`~clv.models.pareto_integral.tail_integrals` takes one parameter
    pair per row. Levels here are rows, not distinct frequencies."""
    n = x.size
    rows = np.arange(n)
    gap = t_x < age
    point_level = np.concatenate([rows, rows[gap]])
    point_time = np.concatenate([t_x, age[gap]])
    order = np.lexsort((point_time, point_level))
    point_level, point_time = point_level[order], point_time[order]
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.arange(order.size)
    recency_point = rank[:n]
    age_point = recency_point.copy()
    age_point[gap] = rank[n:]
    return Histories(
        frequency=x,
        recency=t_x,
        age=age,
        weights=np.ones(n),
        levels=x.astype("float64"),
        level=rows,
        point_level=point_level.astype(np.intp),
        point_time=point_time,
        recency_point=recency_point,
        age_point=age_point,
        customer_history=rows,
    )


def pareto_rows(
    r: float,
    alpha: np.ndarray,
    s: float,
    beta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    gradient: bool,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Pareto/NBD log-likelihood of each row, its derivatives with respect to the row's ``log(r), log(alpha),
    log(s), log(beta)`` (rows x 4, if ``gradient``), and P(alive) (the survival term's share).

    ``log L = log Gamma(r + x) - log Gamma(r) + r log(alpha) + s log(beta) + log(S + s I)`` with
    ``S = (alpha + T)^-(r+x) (beta + T)^-s`` and ``I = int_{t_x}^T (alpha + tau)^-(r+x) (beta + tau)^-(s+1) dtau``;
    ``d log I`` is the integrand-weighted mean of ``d log f`` (the tail means of the quadrature).
    """
    histories = row_histories(x, t_x, age)
    tails = tail_integrals(r, alpha, s, beta, histories, gradient)
    log_alpha_age, log_beta_age = np.log(alpha + age), np.log(beta + age)
    log_survive = -(r + x) * log_alpha_age - s * log_beta_age
    has_gap = (histories.recency_point != histories.age_point) & np.isfinite(
        tails.log_tail[histories.recency_point]
    )
    log_integral = np.where(has_gap, tails.log_tail[histories.recency_point], -np.inf)
    log_sum, dropout = log_mixture(log_survive, np.log(s) + log_integral)
    terms = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + log_sum
    alive = np.exp(np.minimum(log_survive - log_sum, 0.0))
    if not gradient:
        return terms, None, alive
    assert tails.tail_means is not None
    means = np.where(has_gap[:, None], tails.tail_means[histories.recency_point], 0.0)
    survive = 1.0 - dropout
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - survive * log_alpha_age
        - dropout * (np.log(alpha) + means[:, 0])
    )
    d_alpha = r / alpha - (r + x) * (survive / (alpha + age) + dropout * means[:, 1])
    d_s = np.log(beta) - survive * log_beta_age + dropout * (1.0 / s - np.log(beta) - means[:, 2])
    d_beta = s / beta - survive * s / (beta + age) - dropout * (s + 1.0) * means[:, 3]
    return terms, np.column_stack([d_r * r, d_alpha * alpha, d_s * s, d_beta * beta]), alive
