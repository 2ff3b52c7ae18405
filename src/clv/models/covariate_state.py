"""The state of a purchase-model fit with covariates: the grouped rows it is fitted on, the fitted covariate part
(encoding, coefficient layout, coefficients, covariance) and its JSON form, and the delta-method interval over all
parameters. See :mod:`clv.models.covariates` for the model form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy import stats

from clv.errors import ModelFileError
from clv.models.base import compress, covariance_from_hessian, quadratic_forms
from clv.models.covariate_design import CoefficientLayout, CovariateEncoding

Processes = dict[str, tuple[tuple[int, float], ...]]


@dataclass(frozen=True)
class CovariateRows:
    """Distinct (frequency, recency, T, covariates) rows with weights: the data of a fit with covariates."""

    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    weights: np.ndarray
    design: np.ndarray  # rows x features, each feature divided by its scale
    features: tuple[str, ...]
    layout: CoefficientLayout
    penalty_weights: np.ndarray  # per free coefficient, on the scaled coefficients

    @classmethod
    def group(
        cls,
        x: np.ndarray,
        t_x: np.ndarray,
        age: np.ndarray,
        weights: np.ndarray,
        design: np.ndarray,
        features: tuple[str, ...],
        layout: CoefficientLayout,
        penalty_weights: np.ndarray,
    ) -> CovariateRows:
        """Customers grouped into distinct (x, t_x, T, design row) rows with summed weights."""
        unique, summed, _ = compress(x, t_x, age, *design.T, weights=weights)
        grouped = np.column_stack(unique[3:]) if features else np.zeros((summed.size, 0))
        return cls(unique[0], unique[1], unique[2], summed, grouped, features, layout, penalty_weights)

    def rescaled(self, factor: float) -> CovariateRows:
        return replace(self, recency=self.recency / factor, age=self.age / factor)


@dataclass(frozen=True)
class CovariateFit:
    """The covariate part of a fitted model: encoding, layout, coefficients (per unit of each feature) and the
    covariance of (log base parameters, coefficients)."""

    encoding: CovariateEncoding
    layout: CoefficientLayout
    coefficients: np.ndarray
    covariance: np.ndarray
    fixed: tuple[str, ...]
    penalty: float
    dropout_form: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "encoding": self.encoding.to_dict(),
            "layout": self.layout.to_dict(),
            "coefficients": self.coefficients.tolist(),
            "covariance": self.covariance.tolist(),
            "fixed": list(self.fixed),
            "penalty": self.penalty,
            "dropout_form": self.dropout_form,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any], log_params: np.ndarray) -> tuple[CovariateFit, np.ndarray]:
        """The covariate part of a model file and the exact log-parameters it stores (checked against
        ``log_params``, the logarithms of the file's parameters)."""
        fit = cls.from_dict(payload)
        try:
            stored = np.asarray(payload["log_params"], dtype="float64")
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"the model file's covariates are incomplete: {error}") from error
        if stored.shape != log_params.shape or not np.allclose(stored, log_params, atol=1e-9):
            raise ModelFileError("the model file's covariate log-parameters do not match its parameters")
        return fit, stored

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> CovariateFit:
        try:
            layout = CoefficientLayout.from_dict(payload["layout"])
            coefficients = np.asarray(payload["coefficients"], dtype="float64").reshape(-1)
            covariance = np.asarray(payload["covariance"], dtype="float64")
            fit = cls(
                CovariateEncoding.from_dict(payload["encoding"]),
                layout,
                coefficients,
                covariance,
                tuple(str(f) for f in payload["fixed"]),
                float(payload["penalty"]),
                str(payload["dropout_form"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"the model file's covariates are incomplete: {error}") from error
        size = 4 + layout.n_free
        if coefficients.size != layout.n_free or covariance.shape != (size, size):
            raise ModelFileError("the model file's covariate coefficients or covariance have the wrong size")
        if not (np.all(np.isfinite(coefficients)) and np.all(np.isfinite(covariance))):
            raise ModelFileError("the model file's covariate coefficients or covariance are not finite")
        return fit


def delta_interval(
    predict: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, covariance: np.ndarray, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate and ``level`` interval of a positive prediction, linear in log (as :meth:`Model.delta_interval`)."""
    estimate = predict(theta)
    step = 1e-6
    columns = []
    for shift in np.eye(theta.size) * step:
        with np.errstate(divide="ignore", invalid="ignore"):
            columns.append(np.where(estimate > 0, (predict(theta + shift) - estimate) / step / estimate, 0.0))
    variance = quadratic_forms(np.column_stack(columns), covariance)
    spread = np.exp(stats.norm.ppf(0.5 + level / 2.0) * np.sqrt(variance))
    return estimate, estimate / spread, estimate * spread


def inverse_hessian(
    gradient: Callable[[np.ndarray], np.ndarray], theta: np.ndarray
) -> tuple[np.ndarray, bool]:
    """Inverse of the Hessian of a function with gradient ``gradient`` at ``theta`` (forward differences, step 1e-5,
    of the analytic gradient) and whether that Hessian is positive definite
    (:func:`clv.models.base.covariance_from_hessian`)."""
    step = 1e-5
    base = gradient(theta)
    hessian = np.column_stack([(gradient(theta + step * e) - base) / step for e in np.eye(theta.size)])
    covariance, positive_definite = covariance_from_hessian(hessian)
    return (covariance + covariance.T) / 2.0, positive_definite
