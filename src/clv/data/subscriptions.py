"""Subscription (contractual) data: per-customer lifetimes in whole periods and per-cohort survival tables, the
inputs of the retention models (:class:`~clv.models.ShiftedBetaGeometric`, :class:`~clv.models.BetaDiscreteWeibull`).

A subscriptions table has one row per contract: customer id, start date, end date (empty while active), optionally a
cohort or plan and the price per period. A period is a week (``'W'``, 7 days), a month (``'M'``, 365.25/12 days) or
a year (``'Y'``, 365.25 days). A customer's tenure runs from their first contract's start through the contracts that
follow it back to back (a next start at most ``slack_days`` after the previous end: renewals and plan changes); a
contract after a longer gap is a return after churn, which the retention models do not describe, so it is left out
and counted in ``attrs['returns_ignored']``. With ``D`` the tenure in days (to the observation end while active) and
``p`` the period length in days:

* a churned customer (end on or before the observation end) paid for ``t = max(1, ceil((D - slack_days) / p))``
  periods: they left at the end of period ``t`` (``periods = t``, ``churned = True``);
* an active customer (no end, or an end after the observation end) has made ``n = floor((D + slack_days) / p)``
  renewals and is right-censored (``periods = n``, ``churned = False``).

``slack_days`` (default 2) absorbs calendar months and leap years not being exactly ``p`` days long. Row numbers in
error messages are the table's index labels.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from clv.config import days_per_unit
from clv.errors import DataValidationError

PERIODS: tuple[str, ...] = ("W", "M", "Y")
LIFETIME_COLUMNS: tuple[str, ...] = ("customer_id", "cohort", "start", "end", "periods", "churned", "price")
SURVIVAL_COLUMNS: tuple[str, ...] = (
    "cohort",
    "period",
    "at_risk",
    "churned",
    "censored",
    "alive",
    "survival",
)
MAX_ROWS_SHOWN = 5


def period_days(period: str) -> float:
    """Length in days of a period ``'W'`` (7), ``'M'`` (365.25/12) or ``'Y'`` (365.25)."""
    key = str(period).strip().upper()[:1]
    if key not in PERIODS:
        raise DataValidationError(
            f"unknown period {period!r}: use W (weeks of 7 days), M (months of 365.25/12 days) or Y (years of "
            "365.25 days)"
        )
    return days_per_unit(key)


def _fail(column: str, problem: str, rows: pd.Index) -> None:
    shown = ", ".join(str(label) for label in rows[:MAX_ROWS_SHOWN])
    more = f" and {len(rows) - MAX_ROWS_SHOWN:,} more" if len(rows) > MAX_ROWS_SHOWN else ""
    raise DataValidationError(f"column '{column}': {problem} in {len(rows):,} row(s) (rows {shown}{more})")


def _dates(table: pd.DataFrame, column: str, required: bool) -> pd.Series:
    given = table[column].notna() & (table[column].astype(str).str.strip() != "")
    dates = pd.to_datetime(table[column].where(given), errors="coerce")
    if required and (~given).any():
        _fail(column, "the start date is missing", table.index[~given])
    unreadable = given & dates.isna()
    if unreadable.any():
        _fail(column, "the date cannot be read", table.index[unreadable])
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_convert("UTC").dt.tz_localize(None)
    return dates


def subscription_lifetimes(
    table: pd.DataFrame,
    period: str,
    observation_end: str | pd.Timestamp,
    *,
    customer: str = "customer_id",
    start: str = "start",
    end: str = "end",
    cohort: str | None = None,
    price: str | None = None,
    slack_days: float = 2.0,
) -> pd.DataFrame:
    """One row per customer: whole periods and churned flag (see the module docstring), cohort, tenure, price.

    Parameters
    ----------
    table : DataFrame
        One row per contract with the columns named by ``customer``, ``start``, ``end`` and optionally ``cohort``
        and ``price``.
    period : {'W', 'M', 'Y'}
        The contract period.
    observation_end : date
        The date the data describe; contracts ending after it count as active.
    cohort, price : str, optional
        Columns of the cohort or plan (the first contract's; default one cohort ``'all'``) and of the price per
        period (the tenure's last contract's; default NaN).
    slack_days : float, default 2.0
        Days of calendar tolerance, see the module docstring.

    Returns
    -------
    DataFrame
        Columns ``LIFETIME_COLUMNS``, sorted by customer; ``periods`` and ``churned`` are the retention models'
        input. ``attrs['period']`` holds the period, ``attrs['returns_ignored']`` the contracts left out.
    """
    days = period_days(period)
    needed = [customer, start, end] + [name for name in (cohort, price) if name is not None]
    missing = [name for name in needed if name not in table.columns]
    if missing:
        raise DataValidationError(
            f"the subscriptions table has no column(s) {', '.join(repr(m) for m in missing)}; it has "
            f"{', '.join(repr(str(c)) for c in table.columns)}"
        )
    if table[customer].isna().any():
        _fail(customer, "the customer id is missing", table.index[table[customer].isna()])
    if cohort is not None and table[cohort].isna().any():
        _fail(cohort, "the cohort is missing", table.index[table[cohort].isna()])
    starts, ends = _dates(table, start, required=True), _dates(table, end, required=False)
    close = pd.Timestamp(observation_end)
    if close.tzinfo is not None:
        close = close.tz_convert("UTC").tz_localize(None)
    if (ends < starts).any():
        _fail(end, "the end date is before the start date", table.index[ends < starts])
    if (starts > close).any():
        _fail(
            start,
            f"the contract starts after the observation end {close.date()}",
            table.index[starts > close],
        )
    amounts = pd.Series(np.nan, index=table.index)
    if price is not None:
        amounts = pd.to_numeric(table[price], errors="coerce")
        bad = ~np.isfinite(amounts.to_numpy(dtype="float64")) | (amounts < 0).to_numpy()
        if bad.any():
            _fail(price, "the price per period is missing, not a number or negative", table.index[bad])
    frame = pd.DataFrame(
        {
            "customer_id": table[customer],
            "cohort": table[cohort] if cohort is not None else "all",
            "start": starts,
            "end": ends,
            "price": amounts,
        },
        index=table.index,
    ).sort_values(["customer_id", "start"], kind="stable")
    same = frame["customer_id"].eq(frame["customer_id"].shift())
    previous_end = frame["end"].shift()
    overlap = same & (previous_end.isna() | (frame["start"] < previous_end))
    if overlap.any():
        rows = frame.index[overlap]
        _fail(
            start,
            "the contract starts before the customer's previous contract ends (overlapping contracts)",
            rows,
        )
    gap = (frame["start"] - previous_end).dt.total_seconds() / 86400.0
    tenure = (~same | (gap > slack_days)).cumsum()
    first = tenure.eq(tenure.groupby(frame["customer_id"], sort=False).transform("min"))
    kept = frame[first]  # sorted by customer and start: a tenure's first and last contracts are its ends
    opening = kept.drop_duplicates("customer_id", keep="first").set_index("customer_id")
    closing = kept.drop_duplicates("customer_id", keep="last").set_index("customer_id")  # its end may be NaT
    out = pd.DataFrame(
        {
            "cohort": opening["cohort"],
            "start": opening["start"],
            "end": closing["end"],
            "price": closing["price"],
        }
    ).sort_index()
    churned = out["end"].notna() & (out["end"] <= close)
    stop = out["end"].where(churned, close)
    duration = (stop - out["start"]).dt.total_seconds().to_numpy() / 86400.0
    lost = np.maximum(1.0, np.ceil((duration - slack_days) / days))
    renewed = np.maximum(0.0, np.floor((duration + slack_days) / days))
    out["periods"] = np.where(churned, lost, renewed).astype(np.int64)
    out["churned"] = churned.to_numpy()
    out = out.reset_index()[list(LIFETIME_COLUMNS)]
    out.attrs["period"] = str(period).strip().upper()[:1]
    out.attrs["returns_ignored"] = int((~first).sum())
    return out


def survival_table(lifetimes: pd.DataFrame) -> pd.DataFrame:
    """Per cohort and period ``t = 0, 1, ...``: customers at risk of churning at the end of period ``t``, churned
    then, right-censored after ``t`` renewals, known alive after ``t`` renewals, and the Kaplan-Meier survival.

    ``lifetimes`` has columns ``periods`` and ``churned`` (as from :func:`subscription_lifetimes`), optionally
    ``cohort`` and ``customers`` (customers per row). ``at_risk(t)`` counts the churned with ``periods >= t`` and
    the censored with ``periods >= t``; ``alive(t) = at_risk(t) - churned(t)``; ``survival(t) = prod_{k <= t} (1 -
    churned(k) / at_risk(k))``. Period 0 has every customer at risk and none churned.
    """
    for name in ("periods", "churned"):
        if name not in lifetimes.columns:
            raise DataValidationError(f"the lifetimes table has no column '{name}'")
    cohorts = lifetimes["cohort"] if "cohort" in lifetimes else pd.Series("all", index=lifetimes.index)
    weights = lifetimes["customers"] if "customers" in lifetimes else pd.Series(1.0, index=lifetimes.index)
    periods = lifetimes["periods"].to_numpy(dtype="float64")
    if np.any(~np.isfinite(periods) | (periods < 0) | (periods != np.floor(periods))):
        raise DataValidationError("column 'periods': every value must be a whole number of periods >= 0")
    parts = []
    codes, labels = pd.factorize(cohorts, sort=True, use_na_sentinel=False)  # a missing cohort is a cohort
    all_lost = lifetimes["churned"].to_numpy(dtype=bool)
    all_weights = weights.to_numpy(dtype="float64")
    for code, label in enumerate(labels):
        rows = codes == code
        t, lost, w = periods[rows].astype(np.int64), all_lost[rows], all_weights[rows]
        size = int(t.max()) + 1
        churned = np.bincount(t[lost], weights=w[lost], minlength=size)
        censored = np.bincount(t[~lost], weights=w[~lost], minlength=size)
        at_risk = np.cumsum((churned + censored)[::-1])[::-1]  # churned or censored at t or later
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(at_risk > 0, churned / at_risk, 0.0)
        parts.append(
            pd.DataFrame(
                {
                    "cohort": label,
                    "period": np.arange(size),
                    "at_risk": at_risk,
                    "churned": churned,
                    "censored": censored,
                    "alive": at_risk - churned,
                    "survival": np.cumprod(1.0 - hazard),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)[list(SURVIVAL_COLUMNS)]


def lifetimes_from_survivors(alive: Sequence[float] | np.ndarray, period: str | None = None) -> pd.DataFrame:
    """The retention models' input from one cohort's survivor counts, the form Fader & Hardie (2007) publish.

    ``alive[t]`` is the number (or share) of the cohort still subscribed after ``t`` renewals, ``alive[0]`` the
    cohort size. Returns rows ``periods``, ``churned``, ``customers``: ``alive[t - 1] - alive[t]`` churned at ``t``
    for ``t = 1..n`` and ``alive[n]`` right-censored after ``n`` renewals.
    """
    counts = np.asarray(alive, dtype="float64").reshape(-1)
    if counts.size < 2 or not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise DataValidationError(
            "survivor counts must be at least two finite non-negative numbers (period 0 first)"
        )
    if np.any(np.diff(counts) > 0):
        where = ", ".join(str(int(i) + 1) for i in np.flatnonzero(np.diff(counts) > 0)[:MAX_ROWS_SHOWN])
        raise DataValidationError(
            f"survivor counts must not increase over time; they do at period(s) {where}"
        )
    n = counts.size - 1
    out = pd.DataFrame(
        {
            "periods": np.r_[np.arange(1, n + 1), n],
            "churned": np.r_[np.ones(n, dtype=bool), False],
            "customers": np.r_[counts[:-1] - counts[1:], counts[-1]],
        }
    )
    if period is not None:
        period_days(period)
        out.attrs["period"] = str(period).strip().upper()[:1]
    return out


def lifetime_counts(table: pd.DataFrame) -> pd.DataFrame:
    """The retention models' input (``periods``, ``churned``, ``customers``) from a :func:`survival_table` (all its
    cohorts together; select rows first for one cohort)."""
    churned = table[table["churned"] > 0]
    censored = table[table["censored"] > 0]
    return pd.DataFrame(
        {
            "periods": np.r_[churned["period"].to_numpy(), censored["period"].to_numpy()],
            "churned": np.r_[np.ones(len(churned), dtype=bool), np.zeros(len(censored), dtype=bool)],
            "customers": np.r_[churned["churned"].to_numpy(), censored["censored"].to_numpy()],
        }
    )
