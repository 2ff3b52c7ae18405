"""Charts and tables of the admin dashboards: rating trend, daily usage, prediction times (Altair, no Streamlit)."""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

USAGE_SERIES: dict[str, str] = {
    "sessions": "#1c2530",
    "uploads": "#3f88c5",
    "predictions": "#2e8b57",
    "exports": "#8e6cbf",
    "errors": "#c0392b",
}
DAILY_SPAN_LIMIT_DAYS = 60


def rating_trend(feedback: pd.DataFrame) -> alt.Chart:
    """Average rating (1-5 stars) and number of ratings per day, or per week when the feedback spans more than
    60 days; times are UTC."""
    rated = feedback.dropna(subset=["rating"])[["created_at", "rating"]].copy()
    moments = pd.to_datetime(rated["created_at"], utc=True).dt.tz_localize(None)
    span_days = (moments.max() - moments.min()).days if len(moments) else 0
    weekly = span_days > DAILY_SPAN_LIMIT_DAYS
    rated["period"] = moments.dt.to_period("W-SUN").dt.start_time if weekly else moments.dt.normalize()
    trend = (
        rated.groupby("period")["rating"]
        .agg(average="mean", ratings="count")
        .reset_index()
        .astype({"average": float, "ratings": int})
    )
    unit = "week" if weekly else "day"
    return (
        alt.Chart(trend, title=f"Average rating per {unit}")
        .mark_line(point=alt.OverlayMarkDef(filled=True, size=60), color="#1f5f8b")
        .encode(
            x=alt.X("period:T", title=f"{unit.capitalize()} (UTC)"),
            y=alt.Y("average:Q", title="Average rating (stars, 1-5)", scale=alt.Scale(domain=[1, 5])),
            tooltip=[
                alt.Tooltip("period:T", title=unit.capitalize()),
                alt.Tooltip("average:Q", title="Average rating", format=".2f"),
                alt.Tooltip("ratings:Q", title="Ratings"),
            ],
        )
    )


def daily_usage(daily: pd.DataFrame) -> alt.Chart:
    """Sessions, uploads, predictions, exports and errors per UTC day (from ``clv.storage.events.usage_report``)."""
    long = daily.melt(id_vars="day", value_vars=list(USAGE_SERIES), var_name="series", value_name="count")
    long["day"] = pd.to_datetime(long["day"])
    return (
        alt.Chart(long, title="Daily activity")
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title="Day (UTC)"),
            y=alt.Y("count:Q", title="Count per day"),
            color=alt.Color(
                "series:N",
                title="Events",
                scale=alt.Scale(domain=list(USAGE_SERIES), range=list(USAGE_SERIES.values())),
            ),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("series:N", title="Events"),
                alt.Tooltip("count:Q", title="Count"),
            ],
        )
    )


def prediction_times(daily: pd.DataFrame) -> alt.Chart:
    """Median time of a prediction (fit, valuation and backtest) per UTC day, in seconds."""
    timed = daily.dropna(subset=["median_prediction_seconds"]).assign(day=lambda f: pd.to_datetime(f["day"]))
    return (
        alt.Chart(timed, title="Median prediction time per day")
        .mark_bar(color="#2e8b57")
        .encode(
            x=alt.X("day:T", title="Day (UTC)"),
            y=alt.Y("median_prediction_seconds:Q", title="Median prediction time (seconds)"),
            tooltip=[
                alt.Tooltip("day:T", title="Day"),
                alt.Tooltip("median_prediction_seconds:Q", title="Median (s)", format=".1f"),
            ],
        )
    )


def for_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its JSON ``details`` column as text, ready for :mod:`clv.report.exports`."""
    table = frame.copy()
    if "details" in table:
        table["details"] = [
            "" if value is None else json.dumps(value, ensure_ascii=False) for value in table["details"]
        ]
    return table
