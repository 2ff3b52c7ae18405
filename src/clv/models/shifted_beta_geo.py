"""sBG: the shifted-beta-geometric model of contract renewals (Fader & Hardie 2007)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import hyp2f1

from clv.models.beta_geo_beta_binom import _log_beta_ratio_grad
from clv.models.contractual import ContractualModel


class ShiftedBetaGeometric(ContractualModel):
    """Shifted-beta-geometric (sBG) model of a contractual customer's lifetime in periods.

    At the end of every period an active customer leaves with a constant probability ``theta``, heterogeneous across
    customers as ``theta ~ Beta(alpha, beta)``. The lifetime ``T`` (periods paid for) then has::

        P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta),   t = 1, 2, ...
        S(t)     = P(T > t) = B(alpha, beta + t) / B(alpha, beta)
        r(t)     = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)

    and the log-likelihood of ``c_t`` customers churned at ``t`` and ``a_n`` still alive after ``n`` renewals is
    ``sum_t c_t log P(T = t) + sum_n a_n log S(n)`` (Fader & Hardie 2007, eqs. 2-7), maximised with analytic
    (digamma) gradients on the distinct (periods, churned) rows.

    For a customer alive after ``n`` renewals (``T > n``), ``theta`` has the posterior ``Beta(alpha, beta + n)``, so
    the remaining lifetime, the current period included, has mean ``(alpha + beta + n - 1) / (alpha - 1)`` when
    ``alpha > 1`` and is infinite otherwise; the discounted expected residual lifetime is (Fader & Hardie 2010,
    eq. 6, whose ``n - 1`` renewals are this class's ``n``)::

        DERL(d | n renewals) = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1; 1 / (1 + d))

    the expected discounted number of payments from the next renewal decision on (the first undiscounted), ``d`` the
    discount rate per period.

    Parameters
    ----------
    l2_penalty : float, default 0.0
        Weight of an L2 penalty on the log-parameters, added to the mean negative log-likelihood per customer.
    tol : float, default 1e-9
        Convergence tolerance of the L-BFGS-B optimiser (on the mean log-likelihood per customer).
    max_iter : int, default 1000
        Iterations allowed per start.
    n_starts : int, default 6
        Starting points tried (the first alpha = beta = 1, the rest jittered) until one converges.

    Attributes
    ----------
    params_ : dict of str to float
        The maximum-likelihood ``alpha`` and ``beta`` (no unit: ``theta`` is a churn probability per period).
    standard_errors_ : dict of str to float
        Their standard errors from the inverse Hessian of the log-likelihood.
    log_likelihood_ : float
        The maximised log-likelihood over all customers.
    converged_ : bool
        Whether the optimiser reported convergence.
    time_unit_ : str
        The period length of the data (``'W'``, ``'M'``, ``'Y'``) when known, else ``'periods'``.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", Journal of Interactive Marketing
    21(1), 76-90.

    Fader, P. S. & Hardie, B. G. S. (2010), "Customer-base valuation in a contractual setting: the perils of
    ignoring heterogeneity", Marketing Science 29(1), 85-93.
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    model_type: ClassVar[str] = "sBG"

    def _log_survival(
        self, log_params: np.ndarray, t: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        alpha, beta = np.exp(log_params)
        value, d_alpha, d_beta = _log_beta_ratio_grad(np.zeros_like(t), t, alpha, beta)
        return value, (np.column_stack([d_alpha * alpha, d_beta * beta]) if gradient else None)

    def _log_churn(
        self, log_params: np.ndarray, t: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``log P(T = t) = log B(alpha + 1, beta + t - 1) - log B(alpha, beta)`` (Fader & Hardie 2007, eq. 2)."""
        alpha, beta = np.exp(log_params)
        value, d_alpha, d_beta = _log_beta_ratio_grad(np.ones_like(t), t - 1.0, alpha, beta)
        return value, (np.column_stack([d_alpha * alpha, d_beta * beta]) if gradient else None)

    def _expected_remaining(self, params: np.ndarray, renewals: np.ndarray) -> np.ndarray:
        alpha, beta = params
        if alpha <= 1.0:
            return np.full(renewals.shape, np.inf)
        return (alpha + beta + renewals - 1.0) / (alpha - 1.0)

    def _derl(self, params: np.ndarray, renewals: np.ndarray, discount_rate: float) -> np.ndarray:
        """Fader & Hardie (2010) closed form; the truncated sum wherever the hypergeometric function is not finite."""
        alpha, beta = params
        n = renewals
        with np.errstate(all="ignore"):
            closed = (
                (beta + n)
                / (alpha + beta + n)
                * hyp2f1(1.0, beta + n + 1.0, alpha + beta + n + 1.0, 1.0 / (1.0 + discount_rate))
            )
        bad = ~np.isfinite(closed) | (closed <= 0)
        if bad.any():
            closed[bad] = self._series_derl(params, n[bad], discount_rate)
        return closed
