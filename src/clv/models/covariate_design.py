"""Time-invariant customer covariates for the purchase models: alignment to the summary, encoding into a numeric
design matrix, and the layout of the coefficients over the purchase and dropout processes.

A covariate table has one row per customer, matched to the summary by a ``customer_id`` column or by the index.
Numeric (and boolean) columns enter as they are; text and categorical columns are one-hot encoded against a
reference level, the first of their sorted levels, which gets no coefficient. The encoding (columns, kinds,
levels) is stored with the model so that predictions and saved models encode new customers the same way.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clv.errors import DataValidationError, ModelFileError

ID_COLUMN = "customer_id"


def _shown(values: Sequence[Any] | pd.Index | np.ndarray) -> str:
    listed = ", ".join(str(v) for v in list(values)[:5])
    return listed + (f" and {len(values) - 5:,} more" if len(values) > 5 else "")


def align_covariates(covariates: pd.DataFrame, summary: pd.DataFrame | None, n: int) -> pd.DataFrame:
    """``covariates`` with one row per customer of the summary, in the summary's order.

    Rows are matched by ``customer_id`` (a column of either table, or the index) when the summary is a DataFrame,
    and by position when the customers came as arrays (then the lengths must agree). Extra covariate rows are
    ignored; missing or duplicated customers raise :class:`~clv.errors.DataValidationError` naming them.
    """
    if not isinstance(covariates, pd.DataFrame):
        raise DataValidationError(
            f"covariates must be a pandas DataFrame with one row per customer, not {type(covariates).__name__}"
        )
    if summary is None:
        if len(covariates) != n:
            raise DataValidationError(
                f"covariates has {len(covariates):,} rows but there are {n:,} customers: with arrays as input the "
                "covariates are matched by position, so pass one row per customer in the same order (or pass the "
                "summary DataFrame to match on customer_id)"
            )
        return covariates.drop(columns=[ID_COLUMN], errors="ignore").reset_index(drop=True)
    keys = pd.Index(summary[ID_COLUMN]) if ID_COLUMN in summary.columns else summary.index
    own = pd.Index(covariates[ID_COLUMN]) if ID_COLUMN in covariates.columns else covariates.index
    where = "the customer_id column" if ID_COLUMN in covariates.columns else "the index"
    if own.has_duplicates:
        duplicated = own[own.duplicated()].unique()
        raise DataValidationError(
            f"covariates has several rows for {len(duplicated):,} customer(s) (by {where}: {_shown(duplicated)}); "
            "keep one row per customer"
        )
    missing = keys[~keys.isin(own)]
    if len(missing):
        raise DataValidationError(
            f"covariates has no row for {len(missing):,} of the {len(keys):,} customers of the summary "
            f"(matched by {where}; customer_id {_shown(missing)}): give every customer a row"
        )
    frame = covariates.drop(columns=[ID_COLUMN], errors="ignore")
    frame.index = own
    return frame.loc[keys].reset_index(drop=True)


@dataclass(frozen=True)
class CovariateEncoding:
    """How covariate columns become features: ``kinds[c]`` is ``"numeric"`` or ``"categorical"``; a categorical
    column has ``levels[c]`` (sorted; the first is the reference) and one feature ``"c=level"`` per other level."""

    columns: tuple[str, ...]
    kinds: dict[str, str]
    levels: dict[str, tuple[str, ...]]

    @classmethod
    def learn(cls, frame: pd.DataFrame) -> CovariateEncoding:
        """The encoding of ``frame`` (validated: no missing values, numeric or text/categorical columns)."""
        if frame.shape[1] == 0:
            raise DataValidationError("covariates has no columns besides customer_id")
        kinds: dict[str, str] = {}
        levels: dict[str, tuple[str, ...]] = {}
        for name in frame.columns:
            column = frame[name]
            if not isinstance(name, str):
                raise DataValidationError(f"covariate column names must be text; got {name!r}")
            _check_complete(column, name)
            if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
                kinds[name] = "numeric"
            elif (
                isinstance(column.dtype, pd.CategoricalDtype)
                or pd.api.types.is_object_dtype(column)
                or (pd.api.types.is_string_dtype(column))
            ):
                kinds[name] = "categorical"
                found = sorted({str(v) for v in column})
                if len(found) < 2:
                    raise DataValidationError(
                        f"covariate column '{name}' has a single level ({_shown(found)}): it cannot have an effect; "
                        "drop it"
                    )
                levels[name] = tuple(found)
            else:
                raise DataValidationError(
                    f"covariate column '{name}' has type {column.dtype}: use numbers, booleans or text categories"
                )
        return cls(tuple(frame.columns), kinds, levels)

    @property
    def feature_columns(self) -> dict[str, str]:
        """Feature name -> the covariate column it comes from, in design-matrix order."""
        pairs: dict[str, str] = {}
        for column in self.columns:
            if self.kinds[column] == "numeric":
                pairs[column] = column
            else:
                pairs.update({f"{column}={level}": column for level in self.levels[column][1:]})
        return pairs

    @property
    def features(self) -> tuple[str, ...]:
        """Feature names, in design-matrix order."""
        return tuple(self.feature_columns)

    def feature_column(self, feature: str) -> str:
        """The covariate column a feature comes from."""
        return self.feature_columns[feature]

    def reference(self, column: str) -> str:
        """``"column=level"`` of a categorical column's reference level, ``""`` for a numeric column."""
        return f"{column}={self.levels[column][0]}" if self.kinds[column] == "categorical" else ""

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """The design matrix (customers x features) of an aligned covariate frame."""
        absent = [c for c in self.columns if c not in frame.columns]
        if absent:
            raise DataValidationError(
                f"covariates lack the column(s) the model was fitted with: {_shown(absent)}"
            )
        blocks: list[np.ndarray] = []
        for name in self.columns:
            column = frame[name]
            _check_complete(column, name)
            if self.kinds[name] == "numeric":
                if not (pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)):
                    raise DataValidationError(
                        f"covariate column '{name}' was numeric when the model was fitted; now it is {column.dtype}"
                    )
                blocks.append(column.to_numpy(dtype="float64")[:, None])
                continue
            text = column.astype(str).to_numpy()
            known = self.levels[name]
            unknown = ~np.isin(text, known)
            if unknown.any():
                rows = np.flatnonzero(unknown)
                raise DataValidationError(
                    f"covariate column '{name}' has level(s) {_shown(sorted(set(text[unknown])))} unseen when the "
                    f"model was fitted (rows {_shown(rows)}); known levels: {_shown(known)}"
                )
            blocks.append(np.column_stack([(text == level).astype("float64") for level in known[1:]]))
        return np.hstack(blocks) if blocks else np.zeros((len(frame), 0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": list(self.columns),
            "kinds": self.kinds,
            "levels": {k: list(v) for k, v in self.levels.items()},
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> CovariateEncoding:
        try:
            columns = tuple(str(c) for c in payload["columns"])
            kinds = {str(k): str(v) for k, v in payload["kinds"].items()}
            levels = {str(k): tuple(str(v) for v in values) for k, values in payload["levels"].items()}
        except (KeyError, TypeError, AttributeError) as error:
            raise ModelFileError(f"the model file's covariate encoding is incomplete: {error}") from error
        if set(kinds) != set(columns) or any(kinds[c] == "categorical" and c not in levels for c in columns):
            raise ModelFileError("the model file's covariate encoding is inconsistent")
        return cls(columns, kinds, levels)


def _check_complete(column: pd.Series, name: str) -> None:
    missing = column.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        missing = missing | ~np.isfinite(column.to_numpy(dtype="float64", na_value=np.nan))
    if missing.any():
        rows = np.flatnonzero(missing)
        raise DataValidationError(
            f"covariate column '{name}' has {rows.size:,} missing or infinite value(s) (rows {_shown(rows)})"
        )


@dataclass(frozen=True)
class CoefficientLayout:
    """Which coefficient acts on which base parameter.

    ``entries`` lists (process, feature, free index): the coefficient of ``feature`` in ``process`` is the free
    parameter ``free index`` (shared by processes whose feature is constrained equal). ``targets[process]`` lists
    (parameter index, sign): ``log param_i = log param_0 + sign * sum(coefficient * z_i)``.
    """

    entries: tuple[tuple[str, str, int], ...]
    targets: dict[str, tuple[tuple[int, float], ...]]
    n_free: int

    @classmethod
    def build(
        cls,
        features: Sequence[str],
        feature_column: dict[str, str],
        processes: dict[str, tuple[tuple[int, float], ...]],
        columns_of: Mapping[str, Sequence[str]],
        constrain_equal: Sequence[str],
        fixed: Sequence[str] = (),
    ) -> CoefficientLayout:
        """Coefficients for each process's columns (``columns_of[process]``, covariate column names), in feature
        order; features in ``fixed`` (constant over customers) get none, and the columns in ``constrain_equal``
        share one coefficient across every process they enter."""
        entries: list[tuple[str, str, int]] = []
        shared: dict[str, int] = {}
        n_free = 0
        for process in processes:
            chosen = set(columns_of[process])
            for feature in features:
                column = feature_column[feature]
                if column not in chosen or feature in fixed:
                    continue
                if column in constrain_equal:
                    if feature not in shared:
                        shared[feature] = n_free
                        n_free += 1
                    entries.append((process, feature, shared[feature]))
                else:
                    entries.append((process, feature, n_free))
                    n_free += 1
        return cls(tuple(entries), dict(processes), n_free)

    def log_offsets(
        self, design: np.ndarray, features: Sequence[str], coefficients: np.ndarray
    ) -> np.ndarray:
        """Per customer and base parameter (customers x 4): ``log param_i - log param_0``."""
        offsets = np.zeros((design.shape[0], 4))
        position = {name: i for i, name in enumerate(features)}
        for process, feature, index in self.entries:
            contribution = design[:, position[feature]] * coefficients[index]
            for parameter, sign in self.targets[process]:
                offsets[:, parameter] += sign * contribution
        return offsets

    def chain(self, design: np.ndarray, features: Sequence[str], row_gradient: np.ndarray) -> np.ndarray:
        """Gradient with respect to the free coefficients from the weighted per-row gradient with respect to the
        log base parameters (customers x 4)."""
        out = np.zeros(self.n_free)
        position = {name: i for i, name in enumerate(features)}
        for process, feature, index in self.entries:
            column = design[:, position[feature]]
            for parameter, sign in self.targets[process]:
                out[index] += sign * float(column @ row_gradient[:, parameter])
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "entries": [list(e) for e in self.entries],
            "targets": {k: [list(t) for t in v] for k, v in self.targets.items()},
            "n_free": self.n_free,
        }

    @classmethod
    def from_dict(cls, payload: dict[str, Any]) -> CoefficientLayout:
        try:
            entries = tuple((str(p), str(f), int(i)) for p, f, i in payload["entries"])
            targets = {str(k): tuple((int(p), float(s)) for p, s in v) for k, v in payload["targets"].items()}
            n_free = int(payload["n_free"])
        except (KeyError, TypeError, ValueError) as error:
            raise ModelFileError(f"the model file's covariate layout is incomplete: {error}") from error
        if any(i >= n_free or p not in targets for p, _, i in entries):
            raise ModelFileError("the model file's covariate layout is inconsistent")
        return cls(entries, targets, n_free)


@dataclass(frozen=True)
class CoefficientPlan:
    """The coefficients of a fit: their layout, the features constant over the customers (no coefficient), each
    feature's scale (its standard deviation, 1 if constant) and each free coefficient's."""

    layout: CoefficientLayout
    fixed: tuple[str, ...]
    scales: np.ndarray
    free_scale: np.ndarray

    @classmethod
    def make(
        cls,
        encoding: CovariateEncoding,
        design: np.ndarray,
        processes: dict[str, tuple[tuple[int, float], ...]],
        purchase_columns: Sequence[str] | None,
        dropout_columns: Sequence[str] | None,
        constrain_equal: Sequence[str],
    ) -> CoefficientPlan:
        """Plan from the design matrix of the customers with weight; warns about constant features."""
        features = encoding.features
        constrain_equal = chosen_columns(constrain_equal, encoding.columns, "constrain_equal")
        purchase = chosen_columns(purchase_columns, encoding.columns, "covariates_purchase")
        dropout = chosen_columns(dropout_columns, encoding.columns, "covariates_dropout")
        not_both = [c for c in constrain_equal if c not in purchase or c not in dropout]
        if not_both:
            raise DataValidationError(
                f"constrain_equal columns must enter both processes; not so for {', '.join(map(str, not_both))}"
            )
        spread = design.std(axis=0) if design.size else np.zeros(len(features))
        fixed = tuple(f for f, sd in zip(features, spread, strict=True) if sd == 0)
        if fixed:
            warnings.warn(
                f"covariate feature(s) {', '.join(fixed)} are constant over the customers: their effect cannot be "
                "estimated apart from the base parameters, so they get no coefficient",
                RuntimeWarning,
                stacklevel=4,
            )
        columns_of = {p: purchase if p == "purchase" else dropout for p in processes}
        layout = CoefficientLayout.build(
            features, encoding.feature_columns, processes, columns_of, constrain_equal, fixed
        )
        scales = np.where(spread > 0, spread, 1.0)
        free_scale = np.ones(layout.n_free)
        for _, feature, index in layout.entries:
            free_scale[index] = scales[features.index(feature)]
        return cls(layout, fixed, scales, free_scale)


def chosen_columns(names: Sequence[str] | None, columns: tuple[str, ...], option: str) -> tuple[str, ...]:
    if names is None:
        return columns
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise DataValidationError(
            f"{option} names column(s) not in covariates: {', '.join(map(str, unknown))} "
            f"(covariates has {', '.join(columns)})"
        )
    return tuple(names)
