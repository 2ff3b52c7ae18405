"""Forecast each customer's revenue over a horizon: probabilistic models, a learned model, and their blend.

Everything is computed at a cutoff ``E`` for a horizon of ``H`` weeks, and sees only transactions up to ``E``:

1. BG/NBD, Pareto/NBD and MBG/NBD are fitted on the summary at ``E``; the one with the lowest BIC is chosen (a
   criterion that uses no holdout data). Gamma-Gamma is fitted on the repeat buyers with positive spend. Their product
   is the probabilistic forecast.
2. The learned model (LightGBM, :mod:`clv.ml`) needs a target window the features never saw. With a target window
   of ``h = min(H, history / 3)`` weeks, it learns the revenue in ``(c, c + h]`` from the features at ``c`` for the
   cutoffs ``c = E - h, E - 2h, E - 3h`` (stacked, so one season does not dominate), starting from the chosen purchase
   model x Gamma-Gamma refitted at each ``c``. Applied at ``E``, it is carried from ``h`` to ``H`` with each
   customer's ratio of expected purchases over ``H`` and over ``h`` under the chosen purchase model (not a flat
   multiplier, which would ignore customers dropping out). The objective and the number of trees are chosen one
   window earlier: trained on the cutoffs ``E - 2h ...``, validated on ``(E - h, E]``.
3. The blend weights are non-negative least squares of the revenue in ``(E - h, E]`` on the two forecasts of it made
   at ``E - h``: the probabilistic one and the learned one validated there. The blend's total is not calibrated to
   that window's (rescaled or constrained to it): a window's level does not carry to the next when the season or the
   cohort's age changes, and on CDNOW's five calibration splits doing so put one holdout total within 10 % instead
   of two (README, "Why the totals run low").

Per-cutoff work (summaries, refitted models, feature tables, revenue windows) is kept in a :class:`History`, so the
stacked windows, the validation window and the blend share each piece, and several forecasts on one log (the study in
``bench/backtest_splits.py``) can share theirs. What is per customer (:func:`customer_forecast`,
:func:`apply_learned`) is apart from what needs every customer (:func:`choose_purchase_model`, :func:`train_learned`),
so the Spark engine (:mod:`clv.spark.engine`) runs the same per-customer code on its executors. Time is in weeks
inside this module; money in the log's currency; forecasts are undiscounted revenue.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.optimize import nnls
from threadpoolctl import threadpool_limits

from clv.data.summary import summarize
from clv.data.transactions import Transactions
from clv.errors import ConvergenceError, DataValidationError
from clv.features import feature_table, revenue_between
from clv.ml import LearnedModel, TrainingSet, choose_objective, train
from clv.models import GammaGamma, PurchaseModel, compare_models
from clv.models.compare import PURCHASE_MODELS, ModelComparison

TIME_UNIT = "W"
MIN_WINDOW_WEEKS = 4.0
MIN_LEARNING_CUSTOMERS = 200
STACKED_WINDOWS = 3


def one_blas_thread() -> threadpool_limits:
    """A context limiting BLAS to one thread. The models work on vectors of a few thousand distinct histories,
    where a second BLAS thread only adds synchronisation; on a busy machine its spinning made the fits 1.6x slower
    (measured with ``clv.run`` on CDNOW master)."""
    return threadpool_limits(limits=1, user_api="blas")


def _day(cutoff: pd.Timestamp | str) -> pd.Timestamp:
    return pd.Timestamp(cutoff).normalize()


class History:
    """One transaction log's per-cutoff work, each piece computed once: the weekly summary, the fitted purchase
    and spend models, the feature table, and revenue between two days."""

    def __init__(self, log: Transactions) -> None:
        self.log = log
        self.first_day = log.date_range()[0].normalize()
        self._summaries: dict[pd.Timestamp, pd.DataFrame] = {}
        self._purchase_models: dict[tuple[pd.Timestamp, str], PurchaseModel] = {}
        self._spend_models: dict[pd.Timestamp, tuple[GammaGamma, int]] = {}
        self._features: dict[pd.Timestamp, pd.DataFrame] = {}
        self._revenue: dict[tuple[pd.Timestamp, pd.Timestamp], pd.Series] = {}

    def weeks_before(self, cutoff: pd.Timestamp) -> float:
        """Weeks of history from the first transaction day to ``cutoff``."""
        return (_day(cutoff) - self.first_day).days / 7.0

    def summary(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """The customer summary at ``cutoff`` in weeks, indexed by customer_id (the column is kept)."""
        day = _day(cutoff)
        if day not in self._summaries:
            summary = summarize(self.log, day, time_unit=TIME_UNIT)
            self._summaries[day] = summary.set_index("customer_id", drop=False)
        return self._summaries[day]

    def compare(self, cutoff: pd.Timestamp, candidates: tuple[str, ...]) -> ModelComparison:
        """Fit every candidate purchase model at ``cutoff`` (kept for later use) and compare them by BIC."""
        comparison = compare_models(self.summary(cutoff), candidates)
        for name, model in comparison.models.items():
            self._purchase_models[(_day(cutoff), name)] = model
        return comparison

    def purchase_model(self, cutoff: pd.Timestamp, name: str) -> PurchaseModel:
        """Purchase model ``name`` fitted on the summary at ``cutoff``."""
        key = (_day(cutoff), name)
        if key not in self._purchase_models:
            self._purchase_models[key] = PURCHASE_MODELS[name]().fit(self.summary(cutoff))
        return self._purchase_models[key]

    def spend_model(self, cutoff: pd.Timestamp) -> tuple[GammaGamma, int]:
        """Gamma-Gamma at ``cutoff`` on the repeat buyers with positive mean spend, and how many repeat buyers
        were left out for spending nothing."""
        day = _day(cutoff)
        if day not in self._spend_models:
            self._spend_models[day] = _spend_model(self.summary(day))
        return self._spend_models[day]

    def features(self, cutoff: pd.Timestamp) -> pd.DataFrame:
        """The DuckDB feature table at ``cutoff`` (:func:`clv.features.feature_table`)."""
        day = _day(cutoff)
        if day not in self._features:
            self._features[day] = feature_table(self.log, day)
        return self._features[day]

    def revenue(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
        """Each customer's revenue on the days in ``(start, end]``."""
        key = (_day(start), _day(end))
        if key not in self._revenue:
            self._revenue[key] = revenue_between(self.log, *key)
        return self._revenue[key]


@dataclass
class LearnedFit:
    """The learned model trained for a cutoff: its target window (weeks), the blend weights, the cutoffs of its
    training windows (latest first) and notes on how it was trained and blended."""

    model: LearnedModel
    window_weeks: float
    weights: dict[str, float]
    training_cutoffs: list[pd.Timestamp]
    notes: list[str]


@dataclass
class Forecast:
    """Per-customer forecasts at one cutoff, the fitted models, and notes on what was done."""

    cutoff: pd.Timestamp
    horizon_weeks: float
    summary: pd.DataFrame
    probabilistic: pd.DataFrame
    purchase_model: PurchaseModel
    spend_model: GammaGamma
    comparison: pd.DataFrame
    all_probabilistic: dict[str, pd.Series]
    learned: pd.Series | None = None
    learned_fit: LearnedFit | None = None
    features: pd.DataFrame | None = None
    learned_base: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def purchase_model_name(self) -> str:
        """The chosen purchase model's name among ``clv.models.compare.PURCHASE_MODELS``."""
        return _model_name(self.purchase_model)

    @property
    def learned_model(self) -> LearnedModel | None:
        """The learned model applied (None when none could be trained)."""
        return self.learned_fit.model if self.learned_fit is not None else None

    @property
    def weights(self) -> dict[str, float]:
        """The blend weights of the probabilistic and learned forecasts (empty without a learned model)."""
        return self.learned_fit.weights if self.learned_fit is not None else {}

    @property
    def window_weeks(self) -> float | None:
        """The learned model's target window in weeks (None without a learned model)."""
        return self.learned_fit.window_weeks if self.learned_fit is not None else None

    @property
    def training_cutoffs(self) -> list[pd.Timestamp]:
        """The cutoffs of the learned model's training windows, latest first."""
        return self.learned_fit.training_cutoffs if self.learned_fit is not None else []

    @property
    def ensemble(self) -> pd.Series:
        """The blended forecast (the probabilistic one when no learned model could be trained)."""
        probabilistic = self.probabilistic["clv"]
        if self.learned is None:
            return probabilistic.rename("ensemble")
        blend = self.weights["probabilistic"] * probabilistic + self.weights["learned"] * self.learned
        return blend.rename("ensemble")


def _model_name(purchase_model: PurchaseModel) -> str:
    return next(name for name, kind in PURCHASE_MODELS.items() if type(purchase_model) is kind)


def fit_spend_model(summary: pd.DataFrame, notes: list[str], weights: np.ndarray | None = None) -> GammaGamma:
    """Gamma-Gamma on the repeat buyers with positive mean spend; the others are counted in ``notes``. ``weights``
    counts identical rows (e.g. distinct customer statistics); one customer per row by default."""
    model, left_out = _spend_model(summary, weights)
    _note_left_out(left_out, notes)
    return model


def fit_on_statistics(
    statistics: pd.DataFrame, candidates: tuple[str, ...], horizon_weeks: float, notes: list[str]
) -> tuple[PurchaseModel, GammaGamma, pd.DataFrame]:
    """The spend model, the purchase models compared and the one chosen (:func:`choose_purchase_model`), fitted on
    the distinct (frequency, recency, T, monetary_value) rows of a summary in weeks with their number of customers
    (``weight``): exactly the likelihoods and forecasts of the fits on every customer (the estimators compress
    identical customers the same way). Returns the chosen purchase model, the spend model and the comparison table."""
    weights = statistics["weight"].to_numpy()
    comparison = compare_models(statistics, candidates, weights)
    spend_model = fit_spend_model(statistics, notes, weights)
    forecasts = choose_purchase_model(comparison, spend_model, statistics, horizon_weeks, notes, weights)
    return comparison.models[next(iter(forecasts))], spend_model, comparison.table


def _spend_model(summary: pd.DataFrame, weights: np.ndarray | None = None) -> tuple[GammaGamma, int]:
    counts = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype="float64")
    repeat = (summary["frequency"] > 0).to_numpy()
    usable = repeat & (summary["monetary_value"] > 0).to_numpy()
    model = GammaGamma().fit(
        summary.loc[usable, "frequency"],
        summary.loc[usable, "monetary_value"],
        weights=None if weights is None else counts[usable],
    )
    return model, int(counts[repeat & ~usable].sum())


def _note_left_out(left_out: int, notes: list[str]) -> None:
    if left_out:
        notes.append(f"{left_out:,} repeat buyer(s) with zero spend were left out of the spend model")


def expected_revenue(
    purchase_model: PurchaseModel, spend_model: GammaGamma, summary: pd.DataFrame, weeks: float
) -> pd.DataFrame:
    """Expected purchases in the next ``weeks``, expected spend per purchase, and their product (undiscounted
    revenue, currency), per customer of ``summary`` (Fader, Hardie & Lee 2005)."""
    frequency, recency, age = summary["frequency"], summary["recency"], summary["T"]
    purchases = purchase_model.expected_purchases(weeks, frequency, recency, age)
    spend = spend_model.expected_average_value(frequency, summary["monetary_value"])
    return pd.DataFrame(
        {"expected_purchases": purchases, "expected_avg_value": spend, "clv": purchases * spend},
        index=summary.index,
    )


def forecast(
    log: Transactions,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    *,
    candidates: tuple[str, ...] = tuple(PURCHASE_MODELS),
    learned: bool = True,
    seed: int = 0,
    history: History | None = None,
) -> Forecast:
    """All forecasts of revenue in ``(cutoff, cutoff + horizon_weeks]`` from transactions up to ``cutoff``.

    ``history`` shares per-cutoff work with other forecasts on the same log (a new one is made when missing).
    """
    with one_blas_thread():
        return _forecast(log, _day(cutoff), horizon_weeks, candidates, learned, seed, history or History(log))


def _forecast(
    log: Transactions,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    candidates: tuple[str, ...],
    learned: bool,
    seed: int,
    history: History,
) -> Forecast:
    notes: list[str] = []
    comparison = history.compare(cutoff, candidates)
    spend_model, left_out = history.spend_model(cutoff)
    _note_left_out(left_out, notes)
    result = probabilistic_forecast(
        history.summary(cutoff), comparison, spend_model, cutoff, horizon_weeks, notes
    )
    if learned:
        fit = train_learned(
            history,
            cutoff,
            horizon_weeks,
            (result.purchase_model, result.spend_model),
            result.summary,
            seed,
            result.notes,
        )
        if fit is not None:
            apply_learned(result, fit, history.features(cutoff))
    return result


def probabilistic_forecast(
    summary: pd.DataFrame,
    comparison: ModelComparison,
    spend_model: GammaGamma,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    notes: list[str],
) -> Forecast:
    """The probabilistic part of a forecast: every fitted purchase model x ``spend_model`` over the horizon, the
    lowest-BIC model with a finite forecast for every customer chosen (:func:`choose_purchase_model`).
    ``summary`` is in weeks, indexed by customer_id."""
    forecasts = choose_purchase_model(comparison, spend_model, summary, horizon_weeks, notes)
    best_name = next(iter(forecasts))
    chosen = customer_forecast(
        summary, comparison.models[best_name], spend_model, cutoff, horizon_weeks, forecasts[best_name]
    )
    return replace(
        chosen,
        comparison=comparison.table,
        all_probabilistic={name: values["clv"] for name, values in forecasts.items()},
        notes=notes,
    )


def choose_purchase_model(
    comparison: ModelComparison,
    spend_model: GammaGamma,
    summary: pd.DataFrame,
    horizon_weeks: float,
    notes: list[str],
    weights: np.ndarray | None = None,
) -> dict[str, pd.DataFrame]:
    """Each fitted purchase model's :func:`expected_revenue` over the horizon for the rows of ``summary`` (each
    counting ``weights`` customers, one by default), best BIC first, leaving out (with a note) any model whose
    forecast is not a finite number for some customer. The first is the chosen model (the choice is noted)."""
    if not comparison.models:
        raise ConvergenceError("none of the purchase models could be fitted on this data")
    counts = np.ones(len(summary)) if weights is None else np.asarray(weights, dtype="float64")
    forecasts = {}
    for name in comparison.table.index:
        if name not in comparison.models:
            continue
        values = expected_revenue(comparison.models[name], spend_model, summary, horizon_weeks)
        broken = int(counts[(~np.isfinite(values.to_numpy())).any(axis=1)].sum())
        if broken:
            notes.append(
                f"{name} left out: its forecast over {horizon_weeks:.0f} weeks is not a finite number for "
                f"{broken:,} customer(s) (parameters {comparison.models[name].params_})"
            )
            continue
        forecasts[str(name)] = values
    if not forecasts:
        raise ConvergenceError(
            f"no purchase model gives a finite forecast over {horizon_weeks:.0f} weeks for every customer"
        )
    best_name = next(iter(forecasts))
    notes.append(
        f"purchase model: {best_name}, the lowest BIC of {', '.join(forecasts)} "
        f"({comparison.table['bic'].astype(float)[best_name]:,.1f})"
    )
    return forecasts


def customer_forecast(
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    expected: pd.DataFrame | None = None,
) -> Forecast:
    """The probabilistic forecast of the chosen ``purchase_model`` x ``spend_model`` for the customers of
    ``summary`` (in weeks, indexed by customer_id), with P(alive) at the cutoff. Every row depends on its customer
    alone, so any part of the customers gives the same rows (the Spark engine's executors forecast partitions with
    it). ``expected``: the models' :func:`expected_revenue` over the horizon when already computed."""
    if expected is None:
        expected = expected_revenue(purchase_model, spend_model, summary, horizon_weeks)
    probabilistic = expected.copy()
    probabilistic["p_alive"] = purchase_model.probability_alive(
        summary["frequency"], summary["recency"], summary["T"]
    )
    return Forecast(
        cutoff=cutoff,
        horizon_weeks=horizon_weeks,
        summary=summary,
        probabilistic=probabilistic,
        purchase_model=purchase_model,
        spend_model=spend_model,
        comparison=pd.DataFrame(),
        all_probabilistic={},
    )


def train_learned(
    history: History,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    models: tuple[PurchaseModel, GammaGamma],
    customers: pd.DataFrame,
    seed: int,
    notes: list[str],
) -> LearnedFit | None:
    """Train the learned model for ``cutoff`` on the windows of ``history`` before it, and the blend weights (module
    docstring, steps 2 and 3). ``models`` are the purchase and spend models chosen at the cutoff and ``customers``
    the summary there (in weeks; or its distinct rows): the learned model is only trained when their forecast over
    the window, its starting point, is finite for every customer. Returns None, with the reason in ``notes``, when
    the history is too short, too few customers are in a window or a forecast is not finite."""
    purchase_model, spend_model = models
    model_name = _model_name(purchase_model)
    history_weeks = history.weeks_before(cutoff)
    window = float(np.floor(min(horizon_weeks, history_weeks / 3.0)))
    if window < MIN_WINDOW_WEEKS:
        notes.append(
            f"learned model skipped: {history_weeks:.0f} weeks of history leave no target window of at least "
            f"{MIN_WINDOW_WEEKS:.0f} weeks before the cutoff"
        )
        return None
    step = pd.Timedelta(weeks=window)
    cutoffs = [
        cutoff - k * step
        for k in range(1, STACKED_WINDOWS + 2)
        if history.weeks_before(cutoff - k * step) >= MIN_WINDOW_WEEKS
    ]
    try:
        sets = [_training_set(history, earlier, window, model_name) for earlier in cutoffs]
    except (DataValidationError, ConvergenceError) as error:
        notes.append(f"learned model skipped: {error}")
        return None
    if len(sets) < 2 or min(len(sets[0]), len(sets[1])) < MIN_LEARNING_CUSTOMERS:
        notes.append(
            f"learned model skipped: fewer than two training windows of {window:.0f} weeks with at least "
            f"{MIN_LEARNING_CUSTOMERS} customers before the cutoff"
        )
        return None
    base = expected_revenue(purchase_model, spend_model, customers, window)["clv"]
    if not np.isfinite(base.to_numpy()).all():
        notes.append(
            f"learned model skipped: the {model_name} forecast over {window:.0f} weeks is not finite"
        )
        return None
    validation = sets[0]
    choice = choose_objective(_stack(sets[1 : STACKED_WINDOWS + 1]), validation, seed=seed)
    recent = _stack(sets[:STACKED_WINDOWS])
    final = train(recent, choice.objective, choice.rounds, seed=seed)
    final.validation = choice.scores
    weights = _blend_weights(validation, choice.validation_prediction)
    used = cutoffs[: min(len(cutoffs), STACKED_WINDOWS)]
    return LearnedFit(
        model=final,
        window_weeks=window,
        weights=weights,
        training_cutoffs=used,
        notes=[
            f"learned model: LightGBM boosted from the {model_name} x Gamma-Gamma forecast ({final.objective}, "
            f"{choice.rounds} trees, chosen by validation Poisson deviance among "
            f"{', '.join(f'{k} {v:,.3f}' for k, v in choice.scores.items())} on the window ending "
            f"{cutoff.date()}), trained on {len(recent):,} customer-windows (features at "
            f"{', '.join(str(c.date()) for c in used)} against revenue in the next {window:.0f} weeks), carried "
            f"to {horizon_weeks:.1f} weeks with the {purchase_model.model_type} expected-purchase curve",
            f"blend weights (non-negative least squares on the window ending {cutoff.date()}): "
            f"probabilistic {weights['probabilistic']:.3f}, learned {weights['learned']:.3f}",
        ],
    )


def apply_learned(result: Forecast, fit: LearnedFit, features: pd.DataFrame) -> None:
    """Set ``result``'s learned forecast: ``fit`` applied to ``features`` (:func:`clv.features.feature_table` at the
    cutoff for the customers of ``result``), starting from ``result``'s models' forecast over the window, and
    carried from the window to the horizon customer by customer. Every row depends on its customer alone, so the
    Spark engine's executors apply it to parts of the customers."""
    current, base = _learned_inputs(
        features, result.summary, result.purchase_model, result.spend_model, fit.window_weeks
    )
    per_window = pd.Series(fit.model.predict(current, base), index=current.index)
    ratio = _horizon_ratio(result, fit.window_weeks).reindex(current.index).fillna(0.0)
    result.learned = (per_window * ratio).reindex(result.probabilistic.index).fillna(0.0).rename("learned")
    result.learned_fit = fit
    result.features = current
    result.learned_base = base
    result.notes.extend(fit.notes)


def _training_set(history: History, cutoff: pd.Timestamp, window: float, model_name: str) -> TrainingSet:
    """Features at ``cutoff``, revenue in the next ``window`` weeks, and the probabilistic forecast of it made at
    ``cutoff`` (the purchase and spend models refitted there)."""
    features, base = _learned_inputs(
        history.features(cutoff),
        history.summary(cutoff),
        history.purchase_model(cutoff, model_name),
        history.spend_model(cutoff)[0],
        window,
    )
    if not np.isfinite(base).all():
        raise ConvergenceError(f"the {model_name} forecast at {cutoff.date()} is not a finite number")
    target = history.revenue(cutoff, cutoff + pd.Timedelta(weeks=window)).reindex(features.index).fillna(0.0)
    return TrainingSet(features, target, base)


def _learned_inputs(
    features: pd.DataFrame,
    summary: pd.DataFrame,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    window: float,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The learned model's inputs at a cutoff: ``features`` (the feature table there) with the purchase and spend
    models' P(alive), expected purchases over ``window`` weeks and expected spend per purchase; and those models'
    revenue forecast over the window (its starting point) for the same customers, in the same order."""
    rows = summary.reindex(features.index)
    frequency, recency, age = rows["frequency"], rows["recency"], rows["T"]
    features = features.copy()
    features["p_alive"] = purchase_model.probability_alive(frequency, recency, age)
    features["expected_purchases"] = purchase_model.expected_purchases(window, frequency, recency, age)
    features["expected_avg_value"] = spend_model.expected_average_value(frequency, rows["monetary_value"])
    # DuckDB's parallel sums differ in their last bits from run to run; rounding keeps LightGBM reproducible.
    numeric = features.select_dtypes("number").columns
    features[numeric] = features[numeric].round(6)
    base = expected_revenue(purchase_model, spend_model, summary, window)["clv"]
    return features, base.reindex(features.index).to_numpy()


def _stack(sets: list[TrainingSet]) -> TrainingSet:
    features = pd.concat([s.features for s in sets], ignore_index=True)
    if "country" in features:
        features["country"] = features["country"].astype("category")
    target = pd.concat([s.target for s in sets], ignore_index=True)
    return TrainingSet(features, target, np.concatenate([s.base for s in sets]))


def _horizon_ratio(result: Forecast, window: float) -> pd.Series:
    """Expected purchases over the horizon / over the training window, per customer (0 when both are 0)."""
    summary = result.summary
    over_window = result.purchase_model.expected_purchases(
        window, summary["frequency"], summary["recency"], summary["T"]
    )
    over_horizon = result.probabilistic["expected_purchases"].to_numpy()
    ratio = np.divide(over_horizon, over_window, out=np.zeros_like(over_horizon), where=over_window > 0)
    return pd.Series(ratio, index=summary.index)


def _blend_weights(validation: TrainingSet, learned: np.ndarray) -> dict[str, float]:
    """NNLS weights of the validation window's actual revenue on its probabilistic and learned forecasts."""
    design = np.column_stack([validation.base, learned])
    weights, _ = nnls(design, validation.target.to_numpy(float))
    if not np.any(weights > 0):
        weights = np.array([1.0, 0.0])
    return {"probabilistic": float(weights[0]), "learned": float(weights[1])}
