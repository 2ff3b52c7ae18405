"""Time-invariant covariates for the continuous-time purchase models (BG/NBD, MBG/NBD, Pareto/NBD).

Fader, P. S. & Hardie, B. G. S. (2007), "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD
models", http://www.brucehardie.com/notes/019/; the parameterisation of CLVTools (Meierer, M. et al., R package,
https://github.com/bachmannpatrick/CLVTools: ``bgnbd_staticcov_LL_ind`` in src/bgnbd_LL.cpp and
``pnbd_staticcov_LL_ind``). With ``z_i`` customer
``i``'s covariates (numeric as given; categories one-hot against their first sorted level):

* purchase process (all three models): ``alpha_i = alpha_0 exp(-gamma_purchase' z_i)``, so a positive coefficient
  means more purchases (the mean rate ``r / alpha_i`` is multiplied by ``exp(gamma)`` per unit of ``z``);
* Pareto/NBD dropout: ``beta_i = beta_0 exp(-gamma_dropout' z_i)`` (the mean dropout rate ``s / beta_i`` is
  multiplied by ``exp(gamma)``);
* BG/NBD and MBG/NBD dropout, ``dropout_form="shared"`` (CLVTools): ``a_i = a_0 exp(gamma_dropout' z_i)`` and
  ``b_i = b_0 exp(gamma_dropout' z_i)`` with one coefficient, which keeps the mean dropout probability
  ``a / (a + b)`` and concentrates the Beta distribution around it; ``dropout_form="separate"``:
  ``a_i = a_0 exp(gamma_a' z_i)``, ``b_i = b_0 exp(gamma_b' z_i)`` with a coefficient each.

``r`` and ``s`` are common to all customers. The coefficients are estimated with the base parameters by maximum
likelihood (optionally L2-penalised: ``LL - penalty * sum(gamma^2)``) with the analytic gradient, chained from
each row's gradient with respect to its own log-parameters (:mod:`clv.models.covariate_rows`). Rows with the same
(frequency, recency, T, covariates) are grouped. Numeric covariates are divided by their standard deviation while
optimising (coefficients are reported per unit of the covariate). Standard errors come from the Hessian of the
unpenalised log-likelihood.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from clv.errors import DataValidationError
from clv.models.base import ArrayLike, single_blas_thread
from clv.models.covariate_design import CoefficientPlan, CovariateEncoding, align_covariates
from clv.models.covariate_state import CovariateFit, CovariateRows, delta_interval, inverse_hessian
from clv.models.covariate_table import coefficient_table
from clv.models.histories import Histories
from clv.models.persistence import fingerprint
from clv.models.purchase import PurchaseModel, fit_inputs, median_wait, purchase_inputs, time_scale

Processes = dict[str, tuple[tuple[int, float], ...]]


class CovariatePurchaseModel(PurchaseModel):
    """A purchase model that may take time-invariant covariates (see the module docstring for the form).

    Subclasses say which base parameters each process acts on (:meth:`_covariate_processes`), how each process's
    multiplier reads (``effect_phrases``), and give the per-row likelihood and P(alive) with per-customer parameters.
    Without covariates everything is exactly the model without them.
    """

    effect_phrases: ClassVar[dict[str, str]] = {}
    covariates_: CovariateFit | None = None

    # --- per model ----------------------------------------------------------------------------------------------
    def _covariate_processes(self, dropout_form: str) -> Processes:
        raise NotImplementedError

    def _rows_log_likelihood(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, gradient: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Log-likelihood per row with per-row parameters (rows x 4) and its gradient w.r.t. their logarithms."""
        raise NotImplementedError

    def _rows_alive(self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- fitting ------------------------------------------------------------------------------------------------
    @single_blas_thread
    def fit(
        self,
        frequency: ArrayLike | pd.DataFrame,
        recency: ArrayLike | None = None,
        T: ArrayLike | None = None,
        weights: ArrayLike | None = None,
        *,
        covariates: pd.DataFrame | None = None,
        covariates_purchase: Sequence[str] | None = None,
        covariates_dropout: Sequence[str] | None = None,
        penalty: float = 0.0,
        constrain_equal: Sequence[str] = (),
        dropout_form: Literal["shared", "separate"] = "shared",
    ) -> Self:
        """Maximum-likelihood fit on per-customer (frequency, recency, T), optionally with covariates.

        Parameters
        ----------
        frequency, recency, T, weights
            As for the model without covariates (a summary DataFrame, or arrays in one time unit).
        covariates : DataFrame, optional
            One row per customer, matched to the summary by a ``customer_id`` column or the index (by position
            when the customers come as arrays). Numeric, boolean or categorical (text) columns.
        covariates_purchase, covariates_dropout : list of str, optional
            The columns that enter the purchase and the dropout process (default: all columns in both).
        penalty : float, default 0
            ``lambda`` of the L2 penalty: the fit maximises ``LL - lambda * sum(coefficient ** 2)``.
        constrain_equal : list of str
            Columns whose coefficient is the same in both processes (they must enter both).
        dropout_form : {"shared", "separate"}
            BG/NBD and MBG/NBD only: one dropout coefficient on both ``a`` and ``b`` (CLVTools), or one each.
        """
        options = (covariates_purchase, covariates_dropout)
        if covariates is None:
            if (
                any(o is not None for o in options)
                or penalty
                or len(constrain_equal)
                or dropout_form != "shared"
            ):
                raise DataValidationError(
                    "covariates_purchase, covariates_dropout, penalty, constrain_equal and dropout_form need "
                    "covariates=..."
                )
            fitted = super().fit(frequency, recency, T, weights)
            self.covariates_ = None
            return fitted
        if not (np.isfinite(penalty) and penalty >= 0):
            raise DataValidationError(f"penalty must be a finite number >= 0; got {penalty!r}")
        x, t_x, age, unit, w = fit_inputs(frequency, recency, T, weights)
        frame = frequency if isinstance(frequency, pd.DataFrame) else None
        aligned = align_covariates(covariates, frame, x.size)
        encoding = CovariateEncoding.learn(aligned)
        design = encoding.matrix(aligned)
        features = encoding.features
        plan = CoefficientPlan.make(
            encoding,
            design[w > 0],
            self._covariate_processes(dropout_form),
            covariates_purchase,
            covariates_dropout,
            constrain_equal,
        )
        layout, scales, free_scale = plan.layout, plan.scales, plan.free_scale
        rows = CovariateRows.group(x, t_x, age, w, design / scales, features, layout, penalty / free_scale**2)
        histories = Histories.from_customers(x, t_x, age, w)
        factor = time_scale(histories)
        base_start, _, _ = self._maximise(histories.rescaled(factor))
        start = np.concatenate([base_start, np.zeros(layout.n_free)])
        scaled_theta, converged, message = self._maximise(rows.rescaled(factor), start)
        theta = np.concatenate([self.unscale_time(scaled_theta[:4], factor), scaled_theta[4:]])
        covariance, positive_definite = self._theta_covariance(theta, rows)
        jacobian = np.concatenate([np.ones(4), 1.0 / free_scale])
        self._set_base(theta[:4], covariance[:4, :4], positive_definite, rows)
        self.log_likelihood_ = float(self._log_likelihood(theta, rows, gradient=False)[0])
        self.covariates_ = CovariateFit(
            encoding,
            layout,
            theta[4:] / free_scale,
            covariance * np.outer(jacobian, jacobian),
            plan.fixed,
            float(penalty),
            dropout_form,
        )
        self.converged_ = converged
        self.optimizer_message_ = message
        self.time_unit_ = unit
        self.data_fingerprint_ = fingerprint(x, t_x, age, w, *design.T)
        return self

    def _log_likelihood(
        self, log_params: np.ndarray, data: Any, gradient: bool
    ) -> tuple[float, np.ndarray | None]:
        if not isinstance(data, CovariateRows):
            return super()._log_likelihood(log_params, data, gradient)
        offsets = data.layout.log_offsets(data.design, data.features, log_params[4:])
        params = np.exp(log_params[:4] + offsets)
        terms, row_gradient = self._rows_log_likelihood(
            params, data.frequency, data.recency, data.age, gradient
        )
        total = float(data.weights @ terms)
        if row_gradient is None:
            return total, None
        weighted = row_gradient * data.weights[:, None]
        coefficient_gradient = data.layout.chain(data.design, data.features, weighted)
        return total, np.concatenate([weighted.sum(axis=0), coefficient_gradient])

    def _objective(self, log_params: np.ndarray, data: Any) -> tuple[float, np.ndarray]:
        """As the model's, plus the covariate penalty; the L2 penalty on log-parameters acts on the base four."""
        if not isinstance(data, CovariateRows):
            return super()._objective(log_params, data)
        with np.errstate(all="ignore"):
            total, grad = self._log_likelihood(log_params, data, gradient=True)
        assert grad is not None
        count = float(data.weights.sum())
        base, coefficients = log_params[:4], log_params[4:]
        value = -total / count + self.l2_penalty * float(base @ base)
        value += float(data.penalty_weights @ coefficients**2) / count
        penalty_gradient = np.concatenate(
            [2.0 * self.l2_penalty * base, 2.0 * data.penalty_weights * coefficients / count]
        )
        grad = -grad / count + penalty_gradient
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return 1e100, np.zeros_like(log_params)
        return value, grad

    def _theta_covariance(self, theta: np.ndarray, rows: CovariateRows) -> tuple[np.ndarray, bool]:
        """Inverse Hessian of the unpenalised negative log-likelihood at ``theta``, and whether the Hessian is
        positive definite."""

        def gradient(at: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                grad = self._log_likelihood(at, rows, gradient=True)[1]
            assert grad is not None
            return -grad

        return inverse_hessian(gradient, theta)

    def _set_base(
        self, log_params: np.ndarray, covariance_log: np.ndarray, positive_definite: bool, rows: CovariateRows
    ) -> None:
        self.log_params_ = log_params
        self.params_ = {name: float(v) for name, v in zip(self.param_names, np.exp(log_params), strict=True)}
        self._set_covariance(covariance_log, positive_definite)
        self.n_customers_ = round(float(rows.weights.sum()))

    # --- fitted state -------------------------------------------------------------------------------------------
    @property
    def n_coefficients(self) -> int:
        """Number of estimated covariate coefficients (0 without covariates)."""
        return self.covariates_.layout.n_free if self.covariates_ is not None else 0

    @property
    def aic_(self) -> float:
        """Akaike information criterion, 2k - 2 LL (k counts the covariate coefficients)."""
        self._check_fitted()
        return 2.0 * (self.n_params + self.n_coefficients) - 2.0 * self.log_likelihood_

    @property
    def bic_(self) -> float:
        """Bayesian information criterion, k ln(n) - 2 LL (k counts the covariate coefficients)."""
        self._check_fitted()
        k = self.n_params + self.n_coefficients
        return k * np.log(max(self.n_customers_, 1)) - 2.0 * self.log_likelihood_

    @property
    def coefficients_(self) -> pd.DataFrame:
        """The covariate coefficients: process, covariate (feature), reference level, coefficient, standard error,
        z, two-sided p-value and the effect in words (``exp(coefficient)`` as a multiplier)."""
        self._check_fitted()
        if self.covariates_ is None:
            raise DataValidationError(f"this {type(self).__name__} was fitted without covariates")
        return coefficient_table(self.covariates_, self.effect_phrases)

    def _fitted_covariates(self, covariates: Any) -> CovariateFit | None:
        """The covariate part of the fit, None without one; refuses covariates for a model without them and no
        covariates for a model with them."""
        self._check_fitted()
        if self.covariates_ is None:
            if covariates is not None:
                raise DataValidationError(f"this {type(self).__name__} was fitted without covariates")
            return None
        if covariates is None:
            raise DataValidationError(
                f"this {type(self).__name__} was fitted with covariates "
                f"({', '.join(self.covariates_.encoding.columns)}): pass covariates=... for the customers"
            )
        return self.covariates_

    def _per_covariate_row(self, method: Callable[[Self], np.ndarray], covariates: Any) -> np.ndarray | None:
        """``method`` of the model without covariates whose parameters are each covariate row's (rows first in the
        result), for predictions about a new customer; None for a model without covariates."""
        fit = self._fitted_covariates(covariates)
        if fit is None:
            return None
        params = self.customer_params(
            fit.encoding.matrix(align_covariates(covariates, None, len(covariates)))
        )
        distinct, inverse = np.unique(params, axis=0, return_inverse=True)
        results = []
        for row in distinct:
            plain = copy.copy(self)
            plain.covariates_ = None
            plain.log_params_ = np.log(row)
            plain.params_ = {name: float(v) for name, v in zip(self.param_names, row, strict=True)}
            results.append(method(plain))
        return np.stack(results)[inverse.reshape(-1)]

    def _theta(self) -> np.ndarray:
        assert self.covariates_ is not None
        return np.concatenate([self.log_params_, self.covariates_.coefficients])

    def _customer_rows(
        self,
        frequency: ArrayLike | pd.DataFrame,
        recency: ArrayLike | None,
        T: ArrayLike | None,
        covariates: Any,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """(x, t_x, T, design) of the customers for a model with covariates; None for a model without."""
        fit = self._fitted_covariates(covariates)
        if fit is None:
            return None
        x, t_x, age, _ = purchase_inputs(frequency, recency, T)
        frame = frequency if isinstance(frequency, pd.DataFrame) else None
        return x, t_x, age, fit.encoding.matrix(align_covariates(covariates, frame, x.size))

    def customer_params(self, design: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
        """Per-customer parameters (customers x 4, natural scale) for rows of the design matrix."""
        assert self.covariates_ is not None
        theta = self._theta() if theta is None else theta
        features = self.covariates_.encoding.features
        params = np.exp(theta[:4] + self.covariates_.layout.log_offsets(design, features, theta[4:]))
        bad = ~np.all(np.isfinite(params) & (params > 0), axis=1)
        if bad.any():
            rows = ", ".join(str(int(i)) for i in np.flatnonzero(bad)[:5])
            raise DataValidationError(
                f"the covariates of {int(bad.sum()):,} customer(s) (rows {rows}) are so far from the training "
                "customers' that their parameters overflow: check the values and their units"
            )
        return params

    def _content(self) -> dict[str, Any]:
        content = super()._content()
        if self.covariates_ is not None:
            # The log-parameters themselves, so that a loaded model predicts bit for bit as the fitted one.
            content["covariates"] = {**self.covariates_.to_dict(), "log_params": self.log_params_.tolist()}
        return content

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> Self:
        model = super().from_dict(payload)
        if "covariates" not in payload:
            model.covariates_ = None
            return model
        model.covariates_, model.log_params_ = CovariateFit.from_payload(
            payload["covariates"], model.log_params_
        )
        return model

    # --- predictions --------------------------------------------------------------------------------------------
    def log_likelihood(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Each customer's log-likelihood under the fitted parameters (and covariates, if fitted with them)."""
        rows = self._customer_rows(frequency, recency, T, covariates)
        if rows is None:
            return super().log_likelihood(frequency, recency, T)
        x, t_x, age, design = rows
        return self._rows_log_likelihood(self.customer_params(design), x, t_x, age, False)[0]

    def probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Probability that each customer is still active at the observation end."""
        rows = self._customer_rows(frequency, recency, T, covariates)
        if rows is None:
            return super().probability_alive(frequency, recency, T)
        x, t_x, age, design = rows
        return self._rows_alive(self.customer_params(design), x, t_x, age)

    def _rows_expected(
        self, t: float, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
    ) -> np.ndarray:
        return self._rows_alive(params, x, t_x, age) * self._expected_if_alive(params.T, t, x, age)

    def expected_purchases(
        self,
        t: float,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        covariates: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """Expected repeat purchases in the next ``t`` time units, given each customer's history (and covariates)."""
        rows = self._customer_rows(frequency, recency, T, covariates)
        if rows is None:
            return super().expected_purchases(t, frequency, recency, T)
        x, t_x, age, design = rows
        return self._rows_expected(float(t), self.customer_params(design), x, t_x, age)

    def time_to_next_purchase(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Median waiting time to the next purchase of an active customer, ``(alpha_i + T) (2^(1/(r+x)) - 1)``."""
        rows = self._customer_rows(frequency, recency, T, covariates)
        if rows is None:
            return super().time_to_next_purchase(frequency, recency, T)
        x, _, age, design = rows
        params = self.customer_params(design)
        return median_wait(params[:, 0], params[:, 1], x, age)

    def expected_purchases_new_customer(
        self, t: ArrayLike, covariates: pd.DataFrame | None = None
    ) -> np.ndarray:
        """Expected repeat purchases in ``(0, t]`` for a customer just acquired; with covariates, one row per
        covariate row (``t`` along the columns; a single ``t`` gives one value per row)."""
        per_row = self._per_covariate_row(lambda plain: plain.expected_purchases_new_customer(t), covariates)
        if per_row is None:
            return super().expected_purchases_new_customer(t)
        return per_row[:, 0] if np.ndim(t) == 0 else per_row

    @single_blas_thread
    def expected_purchases_interval(
        self,
        t: float,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        level: float = 0.8,
        covariates: pd.DataFrame | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Expected purchases in the next ``t`` with a ``level`` delta-method interval over the sampling
        distribution of all parameters (base and covariate coefficients)."""
        rows = self._customer_rows(frequency, recency, T, covariates)
        if rows is None:
            return super().expected_purchases_interval(t, frequency, recency, T, level)
        assert self.covariates_ is not None
        x, t_x, age, design = rows

        def predict(theta: np.ndarray) -> np.ndarray:
            return self._rows_expected(float(t), self.customer_params(design, theta), x, t_x, age)

        return delta_interval(predict, self._theta(), self.covariates_.covariance, level)
