"""What every model shares: input validation, compression into weighted unique rows, maximum likelihood in
log-parameter space, standard errors from the Hessian, intervals, and JSON persistence.

Parameters are estimated by maximising the weighted log-likelihood over ``log(params)`` with L-BFGS-B and the model's
analytic gradient, from several starting points when the first fails. The covariance of ``log(params)`` is the inverse
of the Hessian of the negative log-likelihood (forward differences of the analytic gradient); natural-scale standard
errors follow by the delta method. Each model receives its data as one object carrying ``weights`` (customers per row)
and computes the weighted total log-likelihood in whatever grouped form is cheapest.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache, wraps
from pathlib import Path
from typing import Any, ClassVar, ParamSpec, Self, TypeVar

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import ThreadpoolController

from clv.errors import ConvergenceError, DataValidationError, ModelFileError, NotFittedError
from clv.models.persistence import read_json_file, seal, verify

FORMAT_VERSION = 1
MIN_CUSTOMERS = 10
ArrayLike = np.ndarray | pd.Series | Sequence[float] | float
P = ParamSpec("P")
R = TypeVar("R")


@cache
def _thread_pools() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run BLAS on one thread. The models' BLAS work is vector-sized (dot products over customers, 4x4 matrices),
    where threads only add hand-offs, and on a busy machine those are slow: a 527,000-element dot product took 18 ms
    with OpenBLAS's 2 threads and 0.09 ms with one (measured under load on the 2-core development machine)."""
    with _thread_pools().limit(limits=1, user_api="blas"):
        yield


def single_blas_thread(function: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of :func:`one_blas_thread`."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_blas_thread():
            return function(*args, **kwargs)

    return wrapper


def column_or_array(values: ArrayLike | None, name: str, frame: pd.DataFrame | None = None) -> np.ndarray:
    """``values`` as a 1-D float array, or column ``name`` of ``frame`` when ``values`` is None."""
    if values is None:
        if frame is None or name not in frame:
            raise DataValidationError(
                f"missing input: pass {name} as an array or a summary DataFrame with '{name}'"
            )
        values = frame[name]
    array = np.atleast_1d(np.asarray(values, dtype="float64"))
    if array.ndim != 1:
        raise DataValidationError(f"{name} must be one-dimensional; got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise DataValidationError(
            f"{name} has {int(bad.sum()):,} missing or infinite value(s) (positions {_positions(bad)})"
        )
    return array


def check_weights(weights: ArrayLike | None, n: int) -> np.ndarray:
    """Customer weights (counts of identical customers); ones when not given."""
    if weights is None:
        return np.ones(n)
    array = np.asarray(weights, dtype="float64").reshape(-1)
    if array.shape != (n,) or not np.all(np.isfinite(array)) or np.any(array < 0):
        raise DataValidationError(f"weights must be {n:,} finite non-negative numbers, one per customer")
    return array


def compress(*columns: np.ndarray, weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Distinct rows of ``columns`` (sorted, first column first), their summed weights, and the index mapping every
    input row to its distinct row. Rows of zero total weight are dropped.

    Rows are grouped by hashing (``pandas.factorize``), one column at a time, about 4x faster than ``np.lexsort``
    on a million rows; only the distinct rows are then sorted. The sorted order makes every sum over them
    independent of the input's order and of how it was pre-grouped (a Spark engine's weighted rows fit exactly as
    the same customers one by one).
    """
    group = np.zeros(columns[0].size, dtype=np.int64)
    n_groups = 1
    for column in columns:
        codes, uniques = pd.factorize(np.asarray(column))
        group, distinct = pd.factorize(group * len(uniques) + codes)
        n_groups = len(distinct)
    first = np.empty(n_groups, dtype=np.intp)
    first[group[::-1]] = np.arange(group.size - 1, -1, -1)
    unique = [np.asarray(column)[first] for column in columns]
    order = np.lexsort(unique[::-1])
    rank = np.empty(n_groups, dtype=np.intp)
    rank[order] = np.arange(n_groups)
    unique = [column[order] for column in unique]
    summed = np.bincount(group, weights=np.asarray(weights), minlength=n_groups)[order]
    inverse = rank[group]
    keep = summed > 0
    if not keep.all():
        remap = np.cumsum(keep) - 1
        unique, summed, inverse = [column[keep] for column in unique], summed[keep], remap[inverse]
    return unique, summed, inverse


def quadratic_forms(gradient: np.ndarray, covariance: np.ndarray) -> np.ndarray:
    """``g' C g`` for every row ``g`` of ``gradient`` (clipped at 0): the delta-method variance of each prediction."""
    return np.clip(((gradient @ covariance) * gradient).sum(axis=1), 0.0, None)


def _positions(mask: np.ndarray) -> str:
    where = np.flatnonzero(mask)
    shown = ", ".join(str(int(i)) for i in where[:5])
    return shown + (f" and {len(where) - 5:,} more" if len(where) > 5 else "")


def covariance_from_hessian(hessian: np.ndarray) -> tuple[np.ndarray, bool]:
    """The covariance of the log-parameters, the inverse of the Hessian of the negative log-likelihood, and whether
    that Hessian is positive definite.

    When it is not (the data do not pin down every parameter: a flat or saddle-shaped likelihood at the optimum), there
    are no standard errors to report; the covariance returned is the inverse on the directions of positive curvature
    and zero on the others, so intervals built on it cover only the well-determined directions (and say so).
    """
    symmetric = (hessian + hessian.T) / 2.0
    if not np.all(np.isfinite(symmetric)):
        return np.zeros_like(symmetric), False
    try:
        np.linalg.cholesky(symmetric)
        covariance = np.linalg.inv(hessian)
        if np.all(np.isfinite(covariance)) and np.all(np.diag(covariance) > 0):
            return covariance, True
    except np.linalg.LinAlgError:
        pass
    values, vectors = np.linalg.eigh(symmetric)
    positive = values > 1e-12 * max(float(np.abs(values).max()), 1e-300)
    inverse = np.where(positive, 1.0 / np.where(positive, values, 1.0), 0.0)
    return (vectors * inverse) @ vectors.T, False


class Model:
    """Base class of the estimators. Subclasses define ``param_names``, the likelihood and the predictions."""

    param_names: ClassVar[tuple[str, ...]] = ()
    model_type: ClassVar[str] = ""

    # Set by fit (or from_dict).
    params_: dict[str, float]
    log_params_: np.ndarray
    covariance_: np.ndarray
    covariance_log_: np.ndarray
    standard_errors_: dict[str, float]
    log_likelihood_: float
    n_customers_: int
    converged_: bool
    hessian_positive_definite_: bool
    optimizer_message_: str
    time_unit_: str | None
    data_fingerprint_: str | None

    def __init__(
        self, l2_penalty: float = 0.0, tol: float = 1e-9, max_iter: int = 1000, n_starts: int = 6
    ) -> None:
        self.l2_penalty = l2_penalty
        self.tol = tol
        self.max_iter = max_iter
        self.n_starts = n_starts

    # --- to implement -------------------------------------------------------------------------------------------
    def _log_likelihood(
        self, log_params: np.ndarray, data: Any, gradient: bool
    ) -> tuple[float, np.ndarray | None]:
        """Weighted total log-likelihood of ``data`` (which carries ``weights``) and, if ``gradient``, its derivatives
        with respect to ``log_params``."""
        raise NotImplementedError

    def _initial_log_params(self, data: Any) -> np.ndarray:
        raise NotImplementedError

    # --- fitting ------------------------------------------------------------------------------------------------
    def _objective(self, log_params: np.ndarray, data: Any) -> tuple[float, np.ndarray]:
        """Mean negative log-likelihood per customer (plus the L2 penalty on log-parameters) and its gradient."""
        with np.errstate(all="ignore"):
            total, grad = self._log_likelihood(log_params, data, gradient=True)
        count = float(data.weights.sum())
        assert grad is not None
        value = -total / count + self.l2_penalty * float(log_params @ log_params)
        grad = -grad / count + 2.0 * self.l2_penalty * log_params
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e100, np.zeros_like(log_params)
        return value, grad

    def _maximise(self, data: Any, start: np.ndarray | None = None) -> tuple[np.ndarray, bool, str]:
        start = self._initial_log_params(data) if start is None else start
        rng = np.random.default_rng(20240521)
        best: optimize.OptimizeResult | None = None
        for attempt in range(self.n_starts):
            x0 = start if attempt == 0 else start + rng.normal(0.0, 1.0, start.size)
            result = optimize.minimize(
                self._objective,
                x0,
                args=(data,),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-20.0, 20.0)] * start.size,
                options={"maxiter": self.max_iter, "ftol": self.tol * 1e-3, "gtol": 1e-9},
            )
            if np.isfinite(result.fun) and result.fun < 1e99 and (best is None or result.fun < best.fun):
                best = result
            if best is not None and best.success:
                break
        if best is None or not np.all(np.isfinite(best.x)):
            raise ConvergenceError(
                f"the {self.model_type} model could not be fitted: every starting point gave an infinite or "
                "undefined likelihood. The data may not follow this model; try another purchase model"
            )
        converged = bool(best.success) or float(np.max(np.abs(best.jac))) < 1e-5
        at_bound = np.any(np.abs(best.x) > 19.9)
        if at_bound:
            converged = False
        return best.x, converged, str(best.message)

    def _set_fit(self, log_params: np.ndarray, data: Any) -> None:
        """Store parameters, log-likelihood, covariance and standard errors for the fitted ``log_params``."""
        self.log_params_ = log_params
        self.params_ = {
            name: float(value) for name, value in zip(self.param_names, np.exp(log_params), strict=True)
        }
        self.log_likelihood_ = float(self._log_likelihood(log_params, data, gradient=False)[0])
        self._set_covariance(*covariance_from_hessian(self._hessian(log_params, data)))
        self.n_customers_ = round(float(data.weights.sum()))

    def _set_covariance(self, covariance_log: np.ndarray, positive_definite: bool) -> None:
        """Store the log-parameters' covariance, the natural-scale one (delta method) and the standard errors: NaN
        when the Hessian was not positive definite (see :func:`covariance_from_hessian`)."""
        params = np.exp(self.log_params_)
        self.covariance_log_ = covariance_log
        self.covariance_ = covariance_log * np.outer(params, params)
        self.hessian_positive_definite_ = positive_definite
        self.standard_errors_ = {
            name: float(np.sqrt(max(self.covariance_[i, i], 0.0))) if positive_definite else math.nan
            for i, name in enumerate(self.param_names)
        }

    def _hessian(self, log_params: np.ndarray, data: Any) -> np.ndarray:
        """Hessian of the total negative log-likelihood in log-parameter space: forward differences of the analytic
        gradient (relative error about the step, 1e-5: plenty for standard errors), symmetrised."""
        count = float(data.weights.sum())
        step = 1e-5
        size = log_params.size
        base = self._objective(log_params, data)[1]
        hessian = np.empty((size, size))
        for i in range(size):
            shift = np.zeros(size)
            shift[i] = step
            hessian[:, i] = (self._objective(log_params + shift, data)[1] - base) / step
        hessian = (hessian + hessian.T) / 2.0 - 2.0 * self.l2_penalty * np.eye(size)
        return hessian * count

    # --- fitted state -------------------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(...) before predicting or saving"
            )

    @property
    def n_params(self) -> int:
        """Number of estimated parameters."""
        return len(self.param_names)

    @property
    def aic_(self) -> float:
        """Akaike information criterion, 2k - 2 LL."""
        self._check_fitted()
        return 2.0 * self.n_params - 2.0 * self.log_likelihood_

    @property
    def bic_(self) -> float:
        """Bayesian information criterion, k ln(n) - 2 LL."""
        self._check_fitted()
        return self.n_params * np.log(max(self.n_customers_, 1)) - 2.0 * self.log_likelihood_

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Parameters with standard errors and ``level`` confidence intervals (normal in log-parameter space)."""
        self._check_fitted()
        z = stats.norm.ppf(0.5 + level / 2.0)
        se_log = np.sqrt(np.clip(np.diag(self.covariance_log_), 0.0, None))
        if not self.hessian_positive_definite_:
            se_log = np.full(self.n_params, math.nan)
        return pd.DataFrame(
            {
                "estimate": list(self.params_.values()),
                "standard_error": list(self.standard_errors_.values()),
                "lower": np.exp(self.log_params_ - z * se_log),
                "upper": np.exp(self.log_params_ + z * se_log),
            },
            index=pd.Index(self.param_names, name="parameter"),
        )

    def _params(self, log_params: np.ndarray | None = None) -> np.ndarray:
        self._check_fitted()
        return np.exp(self.log_params_ if log_params is None else log_params)

    @single_blas_thread
    def delta_interval(
        self, predict: Callable[[np.ndarray], np.ndarray], level: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point prediction and a ``level`` interval of ``predict(params)`` under the parameters' sampling distribution.

        The log-parameters are asymptotically normal with covariance ``covariance_log_``; the log of the (positive)
        prediction is propagated linearly (delta method), which keeps the interval positive and is vectorised over
        customers. Returns (estimate, low, high).
        """
        self._check_fitted()
        estimate = predict(self._params())
        gradient = self.log_prediction_gradient(predict, estimate)
        variance = quadratic_forms(gradient, self.covariance_log_)
        z = stats.norm.ppf(0.5 + level / 2.0)
        spread = np.exp(z * np.sqrt(variance))
        return estimate, estimate / spread, estimate * spread

    def log_prediction_gradient(
        self, predict: Callable[[np.ndarray], np.ndarray], estimate: np.ndarray
    ) -> np.ndarray:
        """d log(predict) / d log(params) per customer, by forward differences (zero where the prediction is 0)."""
        step = 1e-6
        columns = []
        for i in range(self.n_params):
            shift = np.zeros(self.n_params)
            shift[i] = step
            moved = predict(np.exp(self.log_params_ + shift))
            with np.errstate(divide="ignore", invalid="ignore"):
                columns.append(np.where(estimate > 0, (moved - estimate) / step / estimate, 0.0))
        return np.column_stack(columns)

    # --- persistence --------------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (type, format version, hyperparameters, parameters, covariance, training facts),
        sealed by :func:`seal`."""
        self._check_fitted()
        return seal(self._content())

    def _content(self) -> dict[str, Any]:
        """What :meth:`to_dict` seals; subclasses add their own entries."""
        content = {
            "model_type": self.model_type,
            "format_version": FORMAT_VERSION,
            "hyperparameters": {
                "l2_penalty": self.l2_penalty,
                "tol": self.tol,
                "max_iter": self.max_iter,
                "n_starts": self.n_starts,
            },
            "params": self.params_,
            "covariance_log": self.covariance_log_.tolist(),
            "log_likelihood": self.log_likelihood_,
            "n_customers": self.n_customers_,
            "converged": self.converged_,
            "time_unit": getattr(self, "time_unit_", None),
            "data_fingerprint": getattr(self, "data_fingerprint_", None),
        }
        if not self.hessian_positive_definite_:
            content["hessian_positive_definite"] = False
        return content

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_dict` output, refusing anything altered or of another kind."""
        if not isinstance(payload, dict):
            raise ModelFileError("a model file must hold a JSON object")
        if payload.get("model_type") != cls.model_type:
            raise ModelFileError(
                f"this file holds a {payload.get('model_type')!r} model, not a {cls.model_type!r}"
            )
        if payload.get("format_version") != FORMAT_VERSION:
            raise ModelFileError(
                f"model file format version {payload.get('format_version')!r} is not supported (expected {FORMAT_VERSION})"
            )
        verify(payload)
        try:
            params = np.array([float(payload["params"][name]) for name in cls.param_names])
            covariance_log = np.asarray(payload["covariance_log"], dtype="float64")
            model = cls(**payload["hyperparameters"])
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"the model file is incomplete: {error}") from error
        if not (np.all(np.isfinite(params)) and np.all(params > 0)):
            raise ModelFileError("the model file has missing, non-positive or infinite parameters")
        if covariance_log.shape != (params.size, params.size) or not np.all(np.isfinite(covariance_log)):
            raise ModelFileError(
                "the model file's covariance matrix has the wrong shape or non-finite entries"
            )
        model.log_params_ = np.log(params)
        model.params_ = {name: float(v) for name, v in zip(cls.param_names, params, strict=True)}
        model._set_covariance(covariance_log, bool(payload.get("hessian_positive_definite", True)))
        model.log_likelihood_ = float(payload["log_likelihood"])
        model.n_customers_ = int(payload["n_customers"])
        model.converged_ = bool(payload["converged"])
        model.time_unit_ = payload.get("time_unit")
        model.data_fingerprint_ = payload.get("data_fingerprint")
        return model

    def save(self, path: str | Path) -> None:
        """Write the fitted model as JSON (never pickle)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`; raises :class:`~clv.errors.ModelFileError` on anything else."""
        return cls.from_dict(read_json_file(path, "clv model file"))
