"""The purchase-model interface shared by BG/NBD, MBG/NBD and Pareto/NBD (continuous time).

Inputs are per customer: ``frequency`` (repeat purchases), ``recency`` (time of the last purchase after the first)
and ``T`` (time from the first purchase to the observation end), in one time unit that the model remembers
(``time_unit_``, taken from a summary DataFrame's ``attrs`` when given). Identical customers are grouped into
weighted distinct histories (:class:`~clv.models.histories.Histories`) before fitting or predicting, and time is
rescaled so the typical ``T`` is about 10 while optimising; the parameters and log-likelihood are reported on the
data's own time scale.
"""

from __future__ import annotations

from collections.abc import Callable
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
    single_blas_thread,
)
from clv.models.histories import Histories
from clv.models.persistence import fingerprint


def purchase_inputs(
    frequency: ArrayLike | pd.DataFrame,
    recency: ArrayLike | None,
    T: ArrayLike | None,
    periods_name: str = "T",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None]:
    """Validated (frequency, recency, T) arrays and the time unit, from arrays or a summary DataFrame."""
    frame = frequency if isinstance(frequency, pd.DataFrame) else None
    x = column_or_array(None if frame is not None else frequency, "frequency", frame)  # type: ignore[arg-type]
    t_x = column_or_array(recency, "recency", frame)
    age = column_or_array(T, periods_name, frame)
    if not (x.shape == t_x.shape == age.shape):
        raise DataValidationError("frequency, recency and T must have one value per customer (same lengths)")
    problems = [
        (x < 0, "frequency is negative"),
        (x != np.floor(x), "frequency is not a whole number"),
        (t_x < 0, "recency is negative"),
        (age < 0, f"{periods_name} is negative"),
        (t_x > age * (1 + 1e-9) + 1e-9, f"recency is larger than {periods_name}"),
        ((x == 0) & (t_x > 1e-9), "recency is not 0 for a customer without repeat purchases"),
    ]
    for mask, message in problems:
        if mask.any():
            where = np.flatnonzero(mask)
            shown = ", ".join(str(int(i)) for i in where[:5])
            raise DataValidationError(f"{message} for {mask.sum():,} customer(s) (positions {shown})")
    unit = frame.attrs.get("time_unit") if frame is not None else None
    return x, np.minimum(t_x, age), age, unit


def fit_inputs(
    frequency: ArrayLike | pd.DataFrame,
    recency: ArrayLike | None,
    T: ArrayLike | None,
    weights: ArrayLike | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str | None, np.ndarray]:
    """Validated (frequency, recency, T, time unit, weights) for a fit: at least 10 customers, some repeat purchase."""
    x, t_x, age, unit = purchase_inputs(frequency, recency, T)
    w = check_weights(weights, x.size)
    if w.sum() < MIN_CUSTOMERS:
        raise DataValidationError(
            f"only {w.sum():,.0f} customers: a purchase model needs at least {MIN_CUSTOMERS}"
        )
    if not np.any((x > 0) & (w > 0)):
        raise DataValidationError("no repeat purchases: a purchase model cannot be fitted")
    return x, t_x, age, unit, w


def time_scale(histories: Histories) -> float:
    """The factor times are divided by while optimising: a tenth of the customers' mean age."""
    return max(float(np.average(histories.age, weights=histories.weights)) / 10.0, 1e-9)


def median_wait(
    r: float | np.ndarray, alpha: float | np.ndarray, x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Median of the Lomax waiting time to the next purchase: ``(alpha + T) (2 ** (1 / (r + x)) - 1)``."""
    return (alpha + age) * np.expm1(np.log(2.0) / (r + x))


class PurchaseModel(Model):
    """Base class of the continuous-time purchase models."""

    time_scale_params: ClassVar[tuple[str, ...]] = ("alpha",)

    @single_blas_thread
    def fit(
        self,
        frequency: ArrayLike | pd.DataFrame,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        weights: ArrayLike | None = None,
    ) -> Self:
        """Maximum-likelihood fit on per-customer (frequency, recency, T); returns ``self``.

        Raises :class:`~clv.errors.DataValidationError` for invalid input, fewer than 10 customers or no repeat
        purchase at all, and :class:`~clv.errors.ConvergenceError` when no finite optimum is found.
        """
        x, t_x, age, unit, w = fit_inputs(frequency, recency, T, weights)
        histories = Histories.from_customers(x, t_x, age, w)
        scale = time_scale(histories)
        scaled_log_params, converged, message = self._maximise(histories.rescaled(scale))
        log_params = self.unscale_time(scaled_log_params, scale)
        self._set_fit(log_params, histories)
        self.converged_ = converged
        self.optimizer_message_ = message
        self.time_unit_ = unit
        self.data_fingerprint_ = fingerprint(x, t_x, age, w)
        return self

    def unscale_time(self, scaled_log_params: np.ndarray, scale: float) -> np.ndarray:
        """Log-parameters fitted on times divided by ``scale``, on the data's own time scale."""
        log_params = scaled_log_params.copy()
        for name in self.time_scale_params:
            log_params[self.param_names.index(name)] += np.log(scale)
        return log_params

    def histories(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Histories:
        """Validated customers grouped into distinct histories (checks that the model is fitted)."""
        self._check_fitted()
        x, t_x, age, _ = purchase_inputs(frequency, recency, T)
        return Histories.from_customers(x, t_x, age, np.ones(x.size))

    def _initial_log_params(self, data: Histories) -> np.ndarray:
        return np.zeros(self.n_params)

    def _log_likelihood(
        self, log_params: np.ndarray, data: Histories, gradient: bool
    ) -> tuple[float, np.ndarray | None]:
        terms, grad = self._history_log_likelihood(log_params, data, gradient)
        return float(data.weights @ terms), grad

    @single_blas_thread
    def _per_customer(
        self,
        compute: Callable[[Histories], np.ndarray],
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
    ) -> np.ndarray:
        """Apply ``compute`` to the distinct histories only, and expand to every customer."""
        histories = self.histories(frequency, recency, T)
        return compute(histories)[histories.customer_history]

    def log_likelihood(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters."""
        return self._per_customer(
            lambda h: self._history_log_likelihood(self.log_params_, h, False)[0], frequency, recency, T
        )

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units, given each customer's history."""
        params = self._params()
        horizon = np.array([float(t)])
        return self._per_customer(
            lambda h: self._conditional_curve(params, horizon, h)[:, 0], frequency, recency, T
        )

    def probability_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Probability that each customer is still active at the observation end."""
        params = self._params()
        return self._per_customer(lambda h: self._probability_alive(params, h), frequency, recency, T)

    def expected_purchases_new_customer(self, t: ArrayLike) -> np.ndarray:
        """Expected repeat purchases in ``(0, t]`` for a customer just acquired at time 0."""
        self._check_fitted()
        return self._unconditional_expected(self._params(), np.atleast_1d(np.asarray(t, dtype="float64")))

    def time_to_next_purchase(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Median waiting time (time units after the observation end) to the next purchase of an active customer.

        While active, a customer buys as a Poisson process whose rate has the posterior ``Gamma(r + x, alpha + T)``,
        so the waiting time is Lomax-distributed with median ``(alpha + T) (2 ** (1 / (r + x)) - 1)``.
        """
        self._check_fitted()
        x, _, age, _ = purchase_inputs(frequency, recency, T)
        return median_wait(self.params_["r"], self.params_["alpha"], x, age)

    def draw_purchases(
        self,
        t: float,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        draws: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Draws (``draws`` x customers) of each customer's repeat purchases in the next ``t`` time units from the
        posterior predictive distribution at the fitted parameters: still active at the observation end with
        probability P(alive), and then buying as the model says of a customer with this history (the rate and the
        dropout drawn from their posteriors). Their mean is :meth:`expected_purchases`; their spread is the
        randomness of purchases that a parameter interval leaves out."""
        self._check_fitted()
        if getattr(self, "covariates_", None) is not None:
            raise DataValidationError(
                "purchase draws of a model fitted with covariates are not available yet"
            )
        x, _, age, _ = purchase_inputs(frequency, recency, T)
        active = rng.random((draws, x.size)) < self.probability_alive(frequency, recency, T)
        counts = self._draw_if_alive(self._params(), float(t), x, age, (draws, x.size), rng)
        return np.where(active, counts, 0.0)

    @single_blas_thread
    def expected_purchases_interval(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, level: float = 0.8
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected purchases in the next ``t`` with a ``level`` interval from the parameters' sampling distribution."""
        histories = self.histories(frequency, recency, T)
        horizon = np.array([float(t)])
        estimate, low, high = self.delta_interval(
            lambda p: self._conditional_curve(p, horizon, histories)[:, 0], level
        )
        rows = histories.customer_history
        return estimate[rows], low[rows], high[rows]

    def _conditional_curve(self, params: np.ndarray, ts: np.ndarray, histories: Histories) -> np.ndarray:
        """Expected purchases in the next ``ts`` (one column per horizon) given each history: P(alive) x the
        expected purchases of a customer known to be alive. P(alive) is computed once for all horizons, and the
        second factor, which depends on (x, T) only, once per point."""
        alive = self._probability_alive(params, histories)
        x, time = histories.levels[histories.point_level], histories.point_time
        if_alive = np.column_stack([self._expected_if_alive(params, t, x, time) for t in ts])
        return if_alive[histories.age_point] * alive[:, None]

    # --- formulas per model -------------------------------------------------------------------------------------
    def _draw_if_alive(
        self,
        params: np.ndarray,
        t: float,
        x: np.ndarray,
        age: np.ndarray,
        shape: tuple[int, int],
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Draws of the purchases in the next ``t`` of customers known to be active at ``age`` after ``x`` repeat
        purchases (a ``shape`` array: draws x customers)."""
        raise NotImplementedError

    def _history_log_likelihood(
        self, log_params: np.ndarray, histories: Histories, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Log-likelihood of each distinct history and, if ``gradient``, the derivatives of their weighted sum with
        respect to ``log_params``."""
        raise NotImplementedError

    def _expected_if_alive(self, params: np.ndarray, t: float, x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """Expected purchases in the next ``t`` of a customer with ``x`` repeat purchases, age ``T``, still alive."""
        raise NotImplementedError

    def _probability_alive(self, params: np.ndarray, histories: Histories) -> np.ndarray:
        raise NotImplementedError

    def _unconditional_expected(self, params: np.ndarray, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def log_mixture(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(exp(first) + exp(second))`` and the share ``exp(second) / (exp(first) + exp(second))``, without
    overflow; ``second`` may be ``-inf`` (share 0).

    Written with ``exp`` and ``log`` only, which NumPy vectorises (SIMD): about 3x faster than ``np.logaddexp`` with
    ``scipy.special.expit``. ``log(1 + e)`` instead of ``log1p(e)`` costs at most 1e-16 in absolute terms."""
    difference = second - first
    smaller = np.exp(-np.abs(difference))
    inverse = 1.0 / (1.0 + smaller)
    log_sum = np.maximum(first, second) + np.log(1.0 + smaller)
    return log_sum, np.where(difference > 0, inverse, smaller * inverse)
