"""BdW: the beta-discrete-Weibull model of contract renewals (Fader, Hardie, Liu, Davin & Steenburgh 2018)."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
from scipy import integrate
from scipy.special import digamma

from clv.errors import ConvergenceError, DataValidationError
from clv.models.base import covariance_from_hessian
from clv.models.beta_geo_beta_binom import _log_beta_ratio_grad
from clv.models.contractual import ContractualModel, Lifetimes

LIFETIME_RELATIVE_ERROR = 1e-8  # guaranteed bound on the undiscounted expected lifetime's tail error
FIRST_SERIES_PERIODS = 1 << 12
MAX_LIFETIME_PERIODS = 1 << 23


class BetaDiscreteWeibull(ContractualModel):
    """Beta-discrete-Weibull (BdW) model of a contractual customer's lifetime in periods.

    A customer with churn parameter ``theta ~ Beta(alpha, beta)`` survives ``t`` renewal decisions with probability
    ``(1 - theta) ** (t ** c)`` (a discrete Weibull lifetime): individual churn probabilities fall over tenure when
    ``c < 1`` and rise when ``c > 1``. Across customers::

        S(t)     = E[(1 - theta) ** (t ** c)] = B(alpha, beta + t ** c) / B(alpha, beta)
        P(T = t) = S(t - 1) - S(t),   t = 1, 2, ...

    computed in log space (``log S(t - 1) + log(1 - S(t) / S(t - 1))``). ``c = 1`` is exactly the shifted-beta-
    geometric model. The log-likelihood ``sum_t c_t log P(T = t) + sum_n a_n log S(n)`` (churned-at-``t`` and
    alive-after-``n``-renewals counts) is maximised with analytic digamma gradients, including
    ``d log S(t) / d c = (psi(beta + t^c) - psi(alpha + beta + t^c)) t^c log t``.

    Predictions for a customer alive after ``n`` renewals use ``S(t) / S(n)``. DERL (discount rate ``d`` per
    period, Fader & Hardie 2010's definition, first payment at the next renewal decision) is the discounted sum
    truncated where its proven geometric tail bound is below 1e-12 of the sum. The undiscounted expected remaining
    lifetime is infinite when ``c * alpha <= 1`` (``S(t)`` decays like ``t ** -(c alpha)``); otherwise it is summed
    exactly to ``N`` periods and the tail beyond taken between its bounds ``integral_{N+1}^inf S`` and
    ``integral_N^inf S`` (``S`` decreases), an error at most ``S(N) / 2``, with ``N`` doubled until that is below
    1e-8 of the result.

    Parameters
    ----------
    fixed_c : float, optional
        Hold ``c`` at this value and estimate ``alpha`` and ``beta`` only (``fixed_c=1`` gives the sBG fit); its
        standard error is then 0 and intervals ignore it.
    l2_penalty : float, default 0.0
        Weight of an L2 penalty on the log-parameters, added to the mean negative log-likelihood per customer.
    tol : float, default 1e-9
        Convergence tolerance of the L-BFGS-B optimiser (on the mean log-likelihood per customer).
    max_iter : int, default 1000
        Iterations allowed per start.
    n_starts : int, default 6
        Starting points tried (the first alpha = beta = c = 1, the rest jittered) until one converges.

    Attributes
    ----------
    params_ : dict of str to float
        The maximum-likelihood ``alpha``, ``beta`` and ``c`` (no unit; ``t`` is counted in periods).
    standard_errors_ : dict of str to float
        Their standard errors from the inverse Hessian of the log-likelihood (0 for a fixed ``c``).
    log_likelihood_ : float
        The maximised log-likelihood over all customers.
    converged_ : bool
        Whether the optimiser reported convergence.
    time_unit_ : str
        The period length of the data (``'W'``, ``'M'``, ``'Y'``) when known, else ``'periods'``.

    References
    ----------
    Fader, P. S., Hardie, B. G. S., Liu, Y., Davin, J. & Steenburgh, T. (2018), "'How to project customer
    retention' revisited: the role of duration dependence", Journal of Interactive Marketing 43, 1-16.

    Fader, P. S. & Hardie, B. G. S. (2010), "Customer-base valuation in a contractual setting: the perils of
    ignoring heterogeneity", Marketing Science 29(1), 85-93.
    """

    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "c")
    model_type: ClassVar[str] = "BdW"

    def __init__(
        self,
        fixed_c: float | None = None,
        l2_penalty: float = 0.0,
        tol: float = 1e-9,
        max_iter: int = 1000,
        n_starts: int = 6,
    ) -> None:
        super().__init__(l2_penalty=l2_penalty, tol=tol, max_iter=max_iter, n_starts=n_starts)
        if fixed_c is not None and not (math.isfinite(fixed_c) and fixed_c > 0):
            raise DataValidationError(f"fixed_c must be a positive number, got {fixed_c!r}")
        self.fixed_c = None if fixed_c is None else float(fixed_c)

    def _initial_log_params(self, data: Lifetimes) -> np.ndarray:
        return np.zeros(2 if self.fixed_c is not None else 3)

    def _full_log_params(self, log_params: np.ndarray) -> np.ndarray:
        if self.fixed_c is not None and log_params.size == 2:
            return np.append(log_params, math.log(self.fixed_c))
        return log_params

    def _set_fit(self, log_params: np.ndarray, data: Lifetimes) -> None:
        """As the base class; with ``c`` fixed, the covariance is that of (alpha, beta) alone, padded with zeros."""
        super()._set_fit(log_params, data)
        if self.fixed_c is None:
            return
        free, positive_definite = covariance_from_hessian(self._hessian(log_params, data)[:2, :2])
        covariance_log = np.zeros((3, 3))
        covariance_log[:2, :2] = free
        self._set_covariance(covariance_log, positive_definite)

    def _log_survival(
        self, log_params: np.ndarray, t: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        alpha, beta, c = np.exp(log_params)
        with np.errstate(divide="ignore"):
            log_t = np.log(t)
        power = np.where(t > 0, np.exp(c * log_t), 0.0)
        value, d_alpha, d_beta = _log_beta_ratio_grad(np.zeros_like(t), power, alpha, beta)
        if not gradient:
            return value, None
        d_power = digamma(beta + power) - digamma(alpha + beta + power)
        d_c = np.where(t > 1, d_power * power * c * np.where(t > 0, log_t, 0.0), 0.0)
        return value, np.column_stack([d_alpha * alpha, d_beta * beta, d_c])

    def _expected_remaining(self, params: np.ndarray, renewals: np.ndarray) -> np.ndarray:
        """``sum_{t >= n} S(t) / S(n)``: an exact log-space sum to ``N`` and the tail ``sum_{t > N} S(t)`` as the
        midpoint of its bounds ``[I(N + 1), I(N)]``, ``I(x) = integral_x^inf S`` (``S`` is decreasing), so the error
        is at most ``S(N) / 2``; ``N`` doubles until that is below ``LIFETIME_RELATIVE_ERROR`` of every sum."""
        alpha, _, c = params
        if c * alpha <= 1.0:
            return np.full(renewals.shape, np.inf)
        index = renewals.astype(np.intp)
        last = int(renewals.max(initial=0.0)) + FIRST_SERIES_PERIODS
        log_params = np.log(params)
        while True:
            t = np.arange(last + 1, dtype="float64")
            log_s = self._log_survival(log_params, t, False)[0]
            log_sum = np.logaddexp.accumulate(log_s[::-1])[::-1][index]  # log sum_{n <= j <= N} S(j)
            log_tail = np.log(self._tail_integral(log_params, last + 1.0) + np.exp(log_s[-1]) / 2.0)
            log_total = np.logaddexp(log_sum, log_tail)
            if np.all(log_s[-1] - math.log(2.0) - log_total <= math.log(LIFETIME_RELATIVE_ERROR)):
                return np.exp(log_total - log_s[index])
            if last >= MAX_LIFETIME_PERIODS:
                raise ConvergenceError(
                    f"the expected lifetime is dominated by a very long tail (c * alpha = {c * alpha:.3g}, close to "
                    f"1): it does not settle within {last:,} periods. Use derl with a discount rate instead"
                )
            last *= 2

    def _tail_integral(self, log_params: np.ndarray, start: float) -> float:
        """``integral_start^inf S(t) dt``, substituting ``t = start e^u`` (the integrand then decays exponentially)."""

        def integrand(u: float) -> float:
            log_t = math.log(start) + u
            if log_t > 700.0:  # S(t) t < t ** (1 - c alpha): beyond e^700 it is nothing against the integral
                return 0.0
            t = np.array([math.exp(log_t)])
            with np.errstate(over="ignore", invalid="ignore"):  # t ** c may overflow: S is then 0
                log_s = float(self._log_survival(log_params, t, False)[0][0])
            return math.exp(log_s + log_t) if math.isfinite(log_s) else 0.0

        value, error = integrate.quad(integrand, 0.0, np.inf, epsabs=0.0, epsrel=1e-10, limit=200)
        if not math.isfinite(value) or error > 1e-6 * max(value, 1e-300):
            raise ConvergenceError(
                "the expected lifetime's tail integral did not converge; use derl with a discount rate instead"
            )
        return float(value)

    def _content(self) -> dict[str, Any]:
        """As the base class's, with ``fixed_c`` among the hyperparameters."""
        content = super()._content()
        content["hyperparameters"] = {**content["hyperparameters"], "fixed_c": self.fixed_c}
        return content
