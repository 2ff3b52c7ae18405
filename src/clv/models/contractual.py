"""Contractual (subscription) retention models: what the shifted-beta-geometric and beta-discrete-Weibull models
share.

Time is counted in whole *periods* (weeks, months or years: the length of one contract). A customer signs at time 0
and pays for period 1; at the end of every period they renew or leave. ``T`` is the number of periods a customer
stays (``T = t`` means they were active in periods ``1..t`` and did not renew at the end of period ``t``), and
``S(t) = P(T > t)`` is the share still subscribed after ``t`` renewal decisions (``S(0) = 1``). The data are, per
customer (or per group of identical customers):

* churned at ``t``: the customer left at the end of period ``t`` (``t >= 1``), likelihood ``P(T = t)``;
* alive after ``n`` renewals (right-censored): the customer made ``n`` renewals (``n >= 0``) and is still subscribed
  at the observation end, likelihood ``S(n)``.

The log-likelihood ``sum_t churned_t log P(T = t) + sum_n alive_n log S(n)`` is maximised in log-parameter space by
:class:`~clv.models.base.Model` on the distinct (periods, churned) rows, so ten million subscriptions fit as fast
as a few dozen rows (Fader & Hardie 2007, section 3).

Every prediction for an existing customer is conditional on ``renewals`` = ``n``, the renewals made so far (the
customer is alive, ``T > n``). The discounted expected residual lifetime (DERL) follows Fader & Hardie (2010): the
expected number of future payments, the first at the customer's next renewal decision (undiscounted), the ``k``-th
after that discounted by ``(1 + d) ** -k``, ``d`` the discount rate per period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Self

import numpy as np
import pandas as pd

from clv.errors import DataValidationError
from clv.models.base import (
    MIN_CUSTOMERS,
    ArrayLike,
    Model,
    check_weights,
    column_or_array,
    compress,
    single_blas_thread,
)
from clv.models.persistence import fingerprint

DERL_RELATIVE_ERROR = 1e-12  # guaranteed bound on the truncated sums' relative error
MAX_SERIES_PERIODS = 20_000_000  # longest discounted series summed (about 0.5 s per evaluation)
VALUE_COLUMNS: tuple[str, ...] = ("derl", "derl_low", "derl_high", "value", "value_low", "value_high")


@dataclass(frozen=True)
class Lifetimes:
    """Distinct (periods, churned) rows and their customer counts: ``periods`` is the lifetime ``t`` of a churned row
    (``churned`` 1) and the renewals ``n`` of a right-censored row (``churned`` 0)."""

    periods: np.ndarray
    churned: np.ndarray
    weights: np.ndarray


def whole_periods(values: ArrayLike, name: str, minimum: int = 0) -> np.ndarray:
    """``values`` as a 1-D float array of whole numbers ``>= minimum``; :class:`DataValidationError` otherwise."""
    array = column_or_array(values, name)
    bad = (array != np.floor(array)) | (array < minimum)
    if bad.any():
        where = ", ".join(str(int(i)) for i in np.flatnonzero(bad)[:5])
        raise DataValidationError(
            f"{name} must be whole numbers of periods >= {minimum}; {int(bad.sum()):,} value(s) are not "
            f"(positions {where})"
        )
    return array


def lifetime_inputs(
    periods: ArrayLike | pd.DataFrame, churned: ArrayLike | None, weights: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Validated (periods, churned as 0/1, weights) arrays and the period length, from arrays or a DataFrame with
    columns ``periods``, ``churned`` and optionally ``customers`` (the weight of each row)."""
    frame = periods if isinstance(periods, pd.DataFrame) else None
    if frame is not None and weights is None and "customers" in frame:
        weights = frame["customers"]
    t = column_or_array(None if frame is not None else periods, "periods", frame)  # type: ignore[arg-type]
    lost = column_or_array(churned, "churned", frame)
    if t.shape != lost.shape:
        raise DataValidationError("periods and churned must have one value per customer (same lengths)")
    w = check_weights(weights, t.size)
    # Cheap whole-array reductions first; the row masks (for the message) only once something is wrong.
    whole, flags = t.astype(np.int64), lost.astype(np.int64)
    sound = t.size == 0 or bool(
        np.array_equal(whole, t)
        and np.array_equal(flags, lost)
        and whole.min() >= 0
        and flags.min() >= 0
        and flags.max() <= 1
        and not np.any(flags > whole)  # churned at 0 periods
    )
    if not sound:
        problems = [
            ((lost != 0) & (lost != 1), "churned is not 0/1 (or False/True)"),
            ((t != np.floor(t)) | (t < 0), "periods is not a whole number >= 0"),
            (
                (lost == 1) & (t < 1),
                "periods is 0 for a churned customer (a lifetime lasts at least one period)",
            ),
        ]
        for mask, message in problems:
            if mask.any():
                where = ", ".join(str(int(i)) for i in np.flatnonzero(mask)[:5])
                raise DataValidationError(f"{message} for {int(mask.sum()):,} row(s) (positions {where})")
    period = frame.attrs.get("period") if frame is not None else None
    return t, lost, w, period


def compress_lifetimes(t: np.ndarray, lost: np.ndarray, weights: np.ndarray) -> Lifetimes:
    """The distinct (periods, churned) rows, sorted, with their summed weights (rows of no weight dropped).

    Whole periods up to ``MAX_SERIES_PERIODS`` are counted with one ``np.bincount`` over ``2 * periods + churned``
    (10 million rows in about 0.1 s); longer ones go through :func:`clv.models.base.compress`."""
    if t.size and t.max() > MAX_SERIES_PERIODS:
        (ut, ulost), uw, _ = compress(t, lost, weights=weights)
        return Lifetimes(ut, ulost, uw)
    counts = np.bincount(2 * t.astype(np.int64) + lost.astype(np.int64), weights=weights)
    keys = np.flatnonzero(counts > 0)
    return Lifetimes((keys // 2).astype("float64"), (keys % 2).astype("float64"), counts[keys])


class ContractualModel(Model):
    """Base class of the retention models: fitting on (periods, churned) and the predictions built on ``S(t)``.

    Subclasses define :meth:`_log_survival` (``log S(t)`` and its derivatives with respect to the log-parameters) and
    may override :meth:`_log_churn` (``log P(T = t)``), :meth:`_derl` and :meth:`_expected_remaining`.
    """

    param_names: ClassVar[tuple[str, ...]] = ()
    model_type: ClassVar[str] = ""

    # --- model pieces -------------------------------------------------------------------------------------------
    def _log_survival(
        self, log_params: np.ndarray, t: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``log S(t)`` and, if ``gradient``, its derivatives with respect to all log-parameters (one column each)."""
        raise NotImplementedError

    def _log_churn(
        self, log_params: np.ndarray, t: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """``log P(T = t) = log(S(t - 1) - S(t))`` and its derivatives, in log space."""
        before, grad_before = self._log_survival(log_params, t - 1.0, gradient)
        after, grad_after = self._log_survival(log_params, t, gradient)
        gap = np.minimum(after - before, 0.0)
        value = before + np.log(-np.expm1(gap))
        if grad_before is None or grad_after is None:
            return value, None
        kept = np.exp(gap)[:, None]  # S(t) / S(t - 1)
        return value, (grad_before - kept * grad_after) / -np.expm1(gap)[:, None]

    def _full_log_params(self, log_params: np.ndarray) -> np.ndarray:
        """All log-parameters from the optimised ones (the same unless a parameter is held fixed)."""
        return log_params

    # --- fitting ------------------------------------------------------------------------------------------------
    @single_blas_thread
    def fit(
        self,
        periods: ArrayLike | pd.DataFrame,
        churned: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Fit on each customer's periods and churn flag.

        Parameters
        ----------
        periods : array-like or DataFrame
            Per customer (or per group of identical customers): the lifetime ``t >= 1`` in periods of a churned
            customer, the renewals made ``n >= 0`` by one still subscribed. Or a DataFrame with columns ``periods``,
            ``churned`` and optionally ``customers`` (as from :func:`clv.data.subscriptions.subscription_lifetimes`
            or :func:`clv.data.subscriptions.lifetimes_from_survivors`); its ``attrs['period']`` is remembered.
        churned : array-like of bool or 0/1, optional
            1 when the customer left at the end of period ``periods``, 0 when right-censored.
        weights : array-like, optional
            Customers per row (default 1 each).
        """
        t, lost, w, period = lifetime_inputs(periods, churned, weights)
        if w.sum() < MIN_CUSTOMERS:
            raise DataValidationError(
                f"only {w.sum():,.0f} customers: the {self.model_type} model needs at least {MIN_CUSTOMERS}"
            )
        data = compress_lifetimes(t, lost, w)
        if not np.any(data.churned == 1):
            raise DataValidationError(
                f"no customer churned: the {self.model_type} model cannot estimate retention without any churn"
            )
        if not np.any((data.churned == 0) | (data.periods > 1)):
            raise DataValidationError(
                f"every customer churned after their first period: the {self.model_type} model needs some renewals"
            )
        log_params, converged, message = self._maximise(data)
        self._set_fit(self._full_log_params(log_params), data)
        self.converged_ = converged
        self.optimizer_message_ = message
        self.time_unit_ = period or "periods"
        self.data_fingerprint_ = fingerprint(data.periods, data.churned, data.weights)  # order-independent
        return self

    def _initial_log_params(self, data: Lifetimes) -> np.ndarray:
        return np.zeros(self.n_params)

    def _log_likelihood(
        self, log_params: np.ndarray, data: Lifetimes, gradient: bool
    ) -> tuple[float, np.ndarray | None]:
        full = self._full_log_params(log_params)
        churned = data.churned == 1
        total, grad = 0.0, np.zeros(full.size)
        for rows, part in ((churned, self._log_churn), (~churned, self._log_survival)):
            if rows.any():
                values, grads = part(full, data.periods[rows], gradient)
                total += float(data.weights[rows] @ values)
                if grads is not None:
                    grad += data.weights[rows] @ grads
        return total, (grad[: log_params.size] if gradient else None)

    def log_likelihood(self, periods: ArrayLike, churned: ArrayLike) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        self._check_fitted()
        t, lost, _, _ = lifetime_inputs(periods, churned, None)
        out = np.empty(t.size)
        rows = lost == 1
        out[rows] = self._log_churn(self.log_params_, t[rows], False)[0]
        out[~rows] = self._log_survival(self.log_params_, t[~rows], False)[0]
        return out

    # --- predictions for a new customer -------------------------------------------------------------------------
    def _survival(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        return np.exp(self._log_survival(np.log(params), t, False)[0])

    def survival(self, t: ArrayLike) -> np.ndarray:
        """``S(t)``: the share of a new cohort still subscribed after ``t`` renewal decisions (``t`` in periods)."""
        self._check_fitted()
        return self._survival(self._params(), whole_periods(t, "t"))

    def survival_interval(
        self, t: ArrayLike, level: float = 0.8
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``S(t)`` with a ``level`` delta-method interval from the parameters' covariance: (estimate, low, high)."""
        self._check_fitted()
        periods = whole_periods(t, "t")
        return self.delta_interval(lambda params: self._survival(params, periods), level)

    def retention_rate(self, t: ArrayLike) -> np.ndarray:
        """``r(t) = S(t) / S(t - 1)``: the share of those alive after ``t - 1`` renewals who renew again (``t >= 1``)."""
        self._check_fitted()
        periods = whole_periods(t, "t", minimum=1)
        now, _ = self._log_survival(self.log_params_, periods, False)
        before, _ = self._log_survival(self.log_params_, periods - 1.0, False)
        return np.exp(now - before)

    # --- predictions for a customer alive after n renewals ------------------------------------------------------
    def churn_probability(self, renewals: ArrayLike) -> np.ndarray:
        """P(the customer leaves at the next renewal decision | ``renewals`` renewals made) ``= 1 - r(n + 1)``."""
        self._check_fitted()
        n = whole_periods(renewals, "renewals")
        now, _ = self._log_survival(self.log_params_, n, False)
        after, _ = self._log_survival(self.log_params_, n + 1.0, False)
        return -np.expm1(after - now)

    def expected_remaining_lifetime(self, renewals: ArrayLike) -> np.ndarray:
        """``E[T - n | T > n]``: the expected number of periods still to be paid, the current one included, by a
        customer who has made ``n = renewals`` renewals (undiscounted; ``inf`` where the mean lifetime diverges)."""
        self._check_fitted()
        n = whole_periods(renewals, "renewals")
        distinct, inverse = np.unique(n, return_inverse=True)
        return self._expected_remaining(self._params(), distinct)[inverse]

    def _expected_remaining(self, params: np.ndarray, renewals: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def derl(self, renewals: ArrayLike, discount_rate: float) -> np.ndarray:
        """Discounted expected residual lifetime, in periods, of customers alive after ``renewals`` renewals.

        ``DERL(d | n) = sum_{k >= 0} S(n + 1 + k) / S(n) (1 + d) ** -k``: the expected discounted number of future
        payments, the first at the next renewal decision (Fader & Hardie 2010, who condition on ``n - 1`` renewals
        where this method takes ``n``). ``discount_rate`` is ``d`` per period (> 0).
        """
        return self.derl_interval(renewals, discount_rate, level=None)[0]

    def derl_interval(
        self, renewals: ArrayLike, discount_rate: float, level: float | None = 0.8
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`derl` with a ``level`` delta-method interval: (estimate, low, high), computed once per distinct
        number of renewals. With ``level=None`` the bounds equal the estimate."""
        distinct, inverse, rate = self._derl_inputs(renewals, discount_rate)
        estimate, low, high = self._distinct_derl(distinct, rate, level)
        return estimate[inverse], low[inverse], high[inverse]

    def expected_value(
        self, renewals: ArrayLike, price: ArrayLike, discount_rate: float, level: float = 0.8
    ) -> pd.DataFrame:
        """Per customer DERL and value = price per period x DERL, each with its ``level`` interval.

        Returns a DataFrame with the columns of ``VALUE_COLUMNS``; the value is the expected discounted revenue from
        the next renewal on, in the currency of ``price``, discounted to the date of that renewal (Fader & Hardie
        2010). ``attrs['total']`` holds the total value with its interval, (total, low, high): the customers share
        the parameters, so the total's interval is not the sum of theirs.
        """
        distinct, inverse, rate = self._derl_inputs(renewals, discount_rate)
        amount = column_or_array(price, "price")
        if amount.shape != inverse.shape or np.any(amount < 0):
            raise DataValidationError("price must be one non-negative amount per period for each customer")
        estimate, low, high = self._distinct_derl(distinct, rate, level)
        columns = [column[inverse] for column in (estimate, low, high)]
        columns += [amount * column for column in columns]
        frame = pd.DataFrame(dict(zip(VALUE_COLUMNS, columns, strict=True)))
        revenue = np.bincount(
            inverse, weights=amount, minlength=distinct.size
        )  # price per period by renewals
        total = self.delta_interval(
            lambda params: np.atleast_1d(revenue @ self._derl(params, distinct, rate)), level
        )
        frame.attrs["total"] = tuple(float(bound[0]) for bound in total)
        return frame

    def _derl_inputs(self, renewals: ArrayLike, discount_rate: float) -> tuple[np.ndarray, np.ndarray, float]:
        """Distinct renewals (sorted), each customer's index into them, and the checked discount rate."""
        self._check_fitted()
        n = whole_periods(renewals, "renewals")
        rate = _discount_rate(discount_rate)
        if n.size and n.max() <= MAX_SERIES_PERIODS:  # counting beats sorting millions of small whole numbers
            whole = n.astype(np.intp)
            distinct = np.flatnonzero(np.bincount(whole))
            position = np.zeros(int(distinct[-1]) + 1, dtype=np.intp)
            position[distinct] = np.arange(distinct.size)
            return distinct.astype("float64"), position[whole], rate
        distinct, inverse = np.unique(n, return_inverse=True)
        return distinct, inverse, rate

    def _distinct_derl(
        self, distinct: np.ndarray, rate: float, level: float | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if level is None:
            estimate = self._derl(self._params(), distinct, rate)
            return estimate, estimate, estimate
        return self.delta_interval(lambda params: self._derl(params, distinct, rate), level)

    def _derl(self, params: np.ndarray, renewals: np.ndarray, discount_rate: float) -> np.ndarray:
        return self._series_derl(params, renewals, discount_rate)

    def _series_derl(self, params: np.ndarray, renewals: np.ndarray, discount_rate: float) -> np.ndarray:
        """DERL by the truncated discounted sum, in log space, for all ``renewals`` from one series.

        With ``x = 1 / (1 + d)`` and ``u_k = S(n + 1 + k) / S(n) x ** k``, ``S`` is non-increasing, so for ``k >= K``
        ``u_k <= u_0 x ** k`` and the tail after ``K`` terms is at most ``u_0 x ** K / (1 - x)``, a share at most
        ``x ** K / (1 - x)`` of the sum. ``K`` is the smallest with that share below ``DERL_RELATIVE_ERROR``.
        """
        log_x = -math.log1p(discount_rate)
        terms = math.ceil((math.log(DERL_RELATIVE_ERROR) + math.log(-math.expm1(log_x))) / log_x)
        last = int(renewals.max(initial=0.0)) + 1 + terms
        if last > MAX_SERIES_PERIODS:
            raise DataValidationError(
                f"a discount rate of {discount_rate:g} per period needs a sum over {last:,} periods; use a larger "
                "rate (per period, e.g. 0.01 per month for about 12.7 % a year)"
            )
        t = np.arange(last + 1, dtype="float64")
        log_w = self._log_survival(np.log(params), t, False)[0] + t * log_x
        log_tail = np.logaddexp.accumulate(log_w[::-1])[::-1]  # log sum_{j >= t} w_j
        index = renewals.astype(np.intp)
        return np.exp(log_tail[index + 1] - log_w[index] - log_x)


def _discount_rate(value: float) -> float:
    rate = float(value)
    if not math.isfinite(rate) or rate <= 0.0:
        raise DataValidationError(
            f"the discount rate per period must be a positive number, got {value!r}; for an undiscounted lifetime "
            "use expected_remaining_lifetime"
        )
    return rate
