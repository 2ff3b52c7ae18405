"""The contractual run: from a subscriptions table to each subscriber's residual value, churn risk and segment, the
retention curves per cohort, a backtest on the last periods, insights and metadata, as the same :class:`Results`.

A run, in order: contracts are turned into whole-period lifetimes at the observation end
(:func:`clv.data.subscriptions.subscription_lifetimes`); the sBG and BdW models are fitted and the lower BIC chosen
(:func:`clv.forecast.retention.fit_retention`); every active subscriber is valued at price x DERL (Fader & Hardie
2010) with its interval; the backtest refits on the history minus its last periods
(:mod:`clv.pipeline.contractual_backtest`). Periods are ``Settings.time_unit`` (W, M or Y).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clv.data.contracts import contracts_table, is_subscriptions_table
from clv.data.payments import contracts_from_payments
from clv.data.subscriptions import period_days, subscription_lifetimes
from clv.data.transactions import Transactions
from clv.errors import ConvergenceError, DataValidationError
from clv.explain.retention import retention_insights
from clv.explain.segments import segment_table, subscriber_bands, tier_names, value_tiers
from clv.forecast.retention import (
    RetentionFit,
    expected_remaining,
    fit_retention,
    period_discount_rate,
    retention_curves,
    survival_ahead,
)
from clv.models.base import Model
from clv.models.contractual import ContractualModel
from clv.pipeline.contractual_backtest import RetentionBacktest, retention_backtest
from clv.pipeline.metadata import package_version
from clv.pipeline.progress import Progress
from clv.pipeline.results import Results
from clv.settings import DEFAULT_CONTRACTUAL_DISCOUNT_RATE, Settings

SUBSCRIPTION_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "cohort",
    "start",
    "end",
    "price",
    "renewals",
    "periods_paid",
    "active",
    "p_churn_next_period",
    "p_survive_horizon",
    "expected_remaining_periods",
    "total_revenue",
    "derl",
    "clv",
    "clv_low",
    "clv_high",
    "value_tier",
    "churn_risk",
)
"""The contractual run's predictions, one row per subscriber (see docs/subscriptions.md)."""


def is_contractual(data: object, settings: Settings) -> bool:
    """Whether ``clv.run`` makes a contractual run of ``data``: ``settings.setting`` says so, or it is ``"auto"``
    and ``data`` is a DataFrame with subscription columns (:func:`clv.data.contracts.is_subscriptions_table`)."""
    if settings.setting == "contractual":
        return True  # a transaction log is then the payments log (clv.data.payments.contracts_from_payments)
    return (
        settings.setting == "auto"
        and isinstance(data, pd.DataFrame)
        and (data.attrs.get("kind") == "subscriptions" or is_subscriptions_table(list(data.columns)))
    )


def run_contractual(data: pd.DataFrame | Transactions, settings: Settings, report: Progress) -> Results:
    """The contractual run of a subscriptions table (raw with recognised columns, or from ``load_subscriptions``),
    or of a payments log (a :class:`~clv.data.Transactions`: one row per payment), whose contracts are derived first
    (:func:`clv.data.payments.contracts_from_payments`)."""
    started = time.perf_counter()
    notes: list[str] = []
    period = _period(settings)
    if isinstance(data, Transactions):
        data = contracts_from_payments(data, period, settings.grace_days, settings.observation_end)
        notes.append(
            f"contracts derived from the payments of {data.attrs['source_name']}: {len(data):,} contract(s) of "
            f"{data['customer_id'].nunique():,} subscriber(s); a payment more than one period plus "
            f"{settings.grace_days:g} days after the last ends the contract one period after the last payment"
        )
    table = contracts_table(data, name=data.attrs.get("source_name", ""))
    end = _observation_end(table, settings, data.attrs.get("observation_end"), notes)
    report("Counting each subscriber's renewals", 0.05)
    lifetimes = _lifetimes(table, period, end, notes)
    report("Fitting the sBG and BdW retention models", 0.2)
    fit = _fit(lifetimes, table.attrs["source_name"], notes)
    model = fit.chosen
    days = period_days(period)
    rate = _discount_rate(settings, days, notes)
    report("Valuing subscribers", 0.5)
    if settings.retention_by_cohort:
        cohorts = _by_cohort(lifetimes, fit, settings, rate, notes)
        predictions, total = cohorts.predictions, cohorts.total
    else:
        predictions, total = subscriber_predictions(lifetimes, model, settings, rate, notes)
    timings = {"forecast": time.perf_counter() - started}
    tested = None
    if settings.backtest:
        report("Backtesting on the last periods", 0.7)
        tested = retention_backtest(table, period, end, settings, notes)
    timings["backtest"] = time.perf_counter() - started - timings["forecast"]
    report("Segmenting and writing insights", 0.95)
    segments = subscription_segments(predictions)
    described = {"model": model.model_type, **model.params_}
    timings["total"] = time.perf_counter() - started
    comparison = cohorts.comparison if settings.retention_by_cohort else fit.comparison
    chosen = cohorts.described if settings.retention_by_cohort else model.model_type
    metadata = _metadata(comparison, chosen, tested, settings, notes, timings, end, period, rate)
    metadata.update(customers=len(predictions), contracts=len(table))
    report("Done", 1.0)
    return Results(
        predictions=predictions,
        metrics=tested.metrics if tested is not None else pd.DataFrame(),
        deciles=tested.deciles if tested is not None else pd.DataFrame(),
        tracking=tested.tracking if tested is not None else pd.DataFrame(),
        conditional=tested.survivors if tested is not None else pd.DataFrame(),
        segments=segments,
        insights=retention_insights(
            predictions, total, settings, described, tested.survivors if tested is not None else None
        ),
        drivers={},
        models=cohorts.models if settings.retention_by_cohort else {"retention_model": model},
        learned_model=None,
        metadata=metadata,
        total=total,
        settings=settings,
        retention=(
            cohorts.curves
            if settings.retention_by_cohort
            else retention_curves(lifetimes, model, _horizon_periods(settings), settings.interval)
        ),
    )


def _metadata(
    comparison: pd.DataFrame,
    chosen: str,
    tested: RetentionBacktest | None,
    settings: Settings,
    notes: list[str],
    timings: dict[str, float],
    end: pd.Timestamp,
    period: str,
    rate: float,
) -> dict[str, object]:
    """The contractual run's description, JSON-ready (``purchase_model`` repeats the retention model for the faces
    that show a run's model; by cohort, each cohort's)."""
    return {
        "setting": "contractual",
        "observation_end": str(end.date()),
        "period": period,
        "discount_rate_per_period": rate,
        "purchase_model": chosen,
        "retention_model": chosen,
        "model_comparison": comparison.to_dict(orient="records"),
        "notes": notes,
        "backtest": tested.window if tested is not None else None,
        "settings": settings.to_dict(),
        "timings_seconds": timings,
        "versions": {name: package_version(name) for name in ("clv-platform", "numpy", "scipy", "pandas")},
    }


def _period(settings: Settings) -> str:
    period = settings.time_unit.strip().upper()[:1]
    if period not in ("W", "M", "Y"):
        raise DataValidationError(
            f"a contractual run counts whole contract periods: the time unit must be W, M or Y, not "
            f"{settings.time_unit!r}"
        )
    return period


def _observation_end(
    table: pd.DataFrame, settings: Settings, given: object, notes: list[str]
) -> pd.Timestamp:
    """``settings.observation_end``, else the table's own (a bundled example says it), else its latest date."""
    value = settings.observation_end or given
    if value is not None:
        return pd.Timestamp(str(value))
    dates = [pd.to_datetime(table[column], errors="coerce").max() for column in ("start", "end")]
    latest = max((date for date in dates if pd.notna(date)), default=None)
    if latest is None:
        raise DataValidationError(f"{table.attrs['source_name']}: no readable start or end date")
    notes.append(
        f"observation end: the latest start or end date, {pd.Timestamp(latest).date()} (set the observation end "
        "to choose the date the data describe)"
    )
    return pd.Timestamp(latest)


def _lifetimes(table: pd.DataFrame, period: str, end: pd.Timestamp, notes: list[str]) -> pd.DataFrame:
    """Each subscriber's lifetime at ``end``, with a cohort (the signup year when the table has none) and a price
    (1.0 per period when it has none); errors name the file."""
    try:
        lifetimes = subscription_lifetimes(
            table,
            period,
            end,
            cohort="cohort" if "cohort" in table else None,
            price="price" if "price" in table else None,
        )
    except DataValidationError as error:
        raise DataValidationError(f"{table.attrs['source_name']}: {error}") from error
    if "cohort" not in table:
        lifetimes["cohort"] = lifetimes["start"].dt.year.astype(str)
        notes.append("no cohort or plan column: the cohorts are the signup years")
    if "price" not in table:
        lifetimes["price"] = 1.0
        notes.append("no price column: a price of 1.0 per period, so values count periods of revenue")
    lifetimes["cohort"] = lifetimes["cohort"].astype(str)
    if lifetimes.attrs.get("returns_ignored"):
        notes.append(
            f"{lifetimes.attrs['returns_ignored']:,} contract(s) after a gap (returns after churn) left out: the "
            "retention models describe a first tenure"
        )
    return lifetimes


@dataclass
class _Cohorts:
    """The run's figures with one retention model per cohort."""

    predictions: pd.DataFrame
    total: tuple[float, float, float]
    curves: pd.DataFrame
    models: dict[str, Model]
    comparison: pd.DataFrame
    described: str


def _by_cohort(
    lifetimes: pd.DataFrame, pooled: RetentionFit, settings: Settings, rate: float, notes: list[str]
) -> _Cohorts:
    """Each cohort's subscribers valued with the sBG or BdW fitted on that cohort (the lower BIC), a cohort too small
    or without churn with the pooled model (noted); the value tiers ranked over every subscriber again, and the total's
    interval combined as of independent cohorts."""
    parts, curves, comparisons, chosen = [], [], [], []
    models: dict[str, Model] = {}
    estimates, lows, highs = [], [], []
    for cohort, rows in lifetimes.groupby("cohort", sort=True):
        own: list[str] = []
        try:
            fit = fit_retention(rows, own)
            notes.extend(f"cohort {cohort}: {note}" for note in own)
        except (DataValidationError, ConvergenceError) as error:
            fit = pooled
            notes.append(f"cohort {cohort}: the pooled model is used ({error})")
        scored, (estimate, low, high) = subscriber_predictions(rows, fit.chosen, settings, rate, notes)
        parts.append(scored.set_axis(rows.index))
        curves.append(retention_curves(rows, fit.chosen, _horizon_periods(settings), settings.interval))
        models[f"retention_model_{cohort}"] = fit.chosen
        comparisons.append(fit.comparison.assign(cohort=str(cohort)))
        chosen.append(f"{cohort} {fit.chosen.model_type}")
        estimates.append(estimate)
        lows.append(low)
        highs.append(high)
    predictions = pd.concat(parts).loc[lifetimes.index].reset_index(drop=True)
    predictions["value_tier"] = _tiers(predictions["clv"], predictions["active"].to_numpy(), settings)
    total = float(np.sum(estimates))
    below = float(np.sqrt(np.sum((np.array(estimates) - np.array(lows)) ** 2)))
    above = float(np.sqrt(np.sum((np.array(highs) - np.array(estimates)) ** 2)))
    return _Cohorts(
        predictions=predictions,
        total=(total, max(total - below, 0.0), total + above),
        curves=pd.concat(curves, ignore_index=True),
        models=models,
        comparison=pd.concat(comparisons, ignore_index=True),
        described="by cohort: " + ", ".join(chosen),
    )


def _fit(lifetimes: pd.DataFrame, name: str, notes: list[str]) -> RetentionFit:
    try:
        return fit_retention(lifetimes, notes)
    except DataValidationError as error:  # too few subscribers, no churn: say which file
        raise DataValidationError(f"{name}: {error}") from error


def _discount_rate(settings: Settings, days: float, notes: list[str]) -> float:
    annual = settings.annual_discount_rate
    if annual <= 0:
        annual = DEFAULT_CONTRACTUAL_DISCOUNT_RATE
        notes.append(
            f"the residual value needs a positive discount rate: {annual:.0%} a year used (set the "
            "annual discount rate to choose)"
        )
    return period_discount_rate(annual, days)


def _horizon_periods(settings: Settings) -> int:
    return max(round(settings.horizon), 1)


def subscriber_predictions(
    lifetimes: pd.DataFrame, model: ContractualModel, settings: Settings, rate: float, notes: list[str]
) -> tuple[pd.DataFrame, tuple[float, float, float]]:
    """The predictions table (``SUBSCRIPTION_COLUMNS``) and the total residual value with its interval.

    Active subscribers alive after ``n`` renewals: churn probability at the next renewal, probability of staying
    the horizon, expected remaining periods, DERL at ``rate`` per period and value = margin x price x DERL (Fader &
    Hardie 2010). Churned subscribers: probability of churn 1, of staying 0, nothing remaining, value 0."""
    active = ~lifetimes["churned"].to_numpy(dtype=bool)
    periods = lifetimes["periods"].to_numpy(dtype="float64")
    price = lifetimes["price"].to_numpy(dtype="float64")
    n, live_price = periods[active], price[active]
    columns = {name: np.zeros(len(lifetimes)) for name in ("derl", "clv", "clv_low", "clv_high")}
    churn, stay, remaining = np.ones(len(lifetimes)), np.zeros(len(lifetimes)), np.zeros(len(lifetimes))
    total = (0.0, 0.0, 0.0)
    if active.any():
        value = model.expected_value(n, live_price, rate, settings.interval)
        for name, source in (
            ("derl", "derl"),
            ("clv", "value"),
            ("clv_low", "value_low"),
            ("clv_high", "value_high"),
        ):
            columns[name][active] = value[source].to_numpy() * (1.0 if name == "derl" else settings.margin)
        total = tuple(settings.margin * bound for bound in value.attrs["total"])  # type: ignore[assignment]
        churn[active] = model.churn_probability(n)
        stay[active] = survival_ahead(model, n, np.array([_horizon_periods(settings)]))[:, 0]
        remaining[active] = expected_remaining(model, n, period_days(_period(settings)), notes)
    paid = np.where(active, periods + 1.0, periods)  # an active subscriber has paid the current period
    predictions = pd.DataFrame(
        {
            "customer_id": lifetimes["customer_id"].astype(str).to_numpy(),
            "cohort": lifetimes["cohort"].to_numpy(),
            "start": lifetimes["start"].to_numpy(),
            "end": lifetimes["end"].to_numpy(),
            "price": price,
            "renewals": np.where(active, periods, periods - 1.0).astype(np.int64),
            "periods_paid": paid.astype(np.int64),
            "active": active,
            "p_churn_next_period": churn,
            "p_survive_horizon": stay,
            "expected_remaining_periods": remaining,
            "total_revenue": price * paid,
            **columns,
        }
    )
    predictions["value_tier"] = _tiers(predictions["clv"], active, settings)
    predictions["churn_risk"] = subscriber_bands(
        predictions["p_survive_horizon"], predictions["active"], settings.churn_thresholds
    ).array
    return predictions[list(SUBSCRIPTION_COLUMNS)], total


def _tiers(values: pd.Series, active: np.ndarray, settings: Settings) -> pd.Categorical[str]:
    """Value tiers ranked among the active subscribers; the churned are all in the last tier ("Rest")."""
    names = tier_names(settings.tier_cutoffs)
    codes = np.full(len(values), len(names) - 1)
    codes[active] = value_tiers(values[active], settings.tier_cutoffs).cat.codes.to_numpy()
    return pd.Categorical.from_codes(codes, categories=pd.Index(names), ordered=True)


def subscription_segments(predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Value tiers, churn-risk bands and cohorts as :func:`clv.explain.segments.segment_table` tables; their
    ``mean_p_alive`` is the mean probability of staying the horizon."""
    scored = predictions.assign(p_alive=predictions["p_survive_horizon"])
    return {
        "value_tiers": segment_table(scored, "value_tier"),
        "churn_risk": segment_table(scored, "churn_risk"),
        "cohorts": segment_table(scored, "cohort"),
    }


__all__ = [
    "SUBSCRIPTION_COLUMNS",
    "is_contractual",
    "run_contractual",
    "subscriber_predictions",
    "subscription_segments",
]
