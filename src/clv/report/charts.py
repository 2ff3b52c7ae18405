"""Altair charts of a run, with titles, axis units, currency formats and tooltips.

Colours mean the same everywhere: one colour per value tier and one per churn-risk band.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

TIER_COLOURS: dict[str, str] = {
    "Top 1%": "#0b3c5d",
    "Top 5%": "#1f5f8b",
    "Top 20%": "#3f88c5",
    "Top 50%": "#8fbce6",
    "Rest": "#c9d6e3",
}
CHURN_COLOURS: dict[str, str] = {"High risk": "#c0392b", "Medium risk": "#e6a23c", "Low risk": "#2e8b57"}
SERIES_COLOURS: dict[str, str] = {"actual": "#1c2530", "predicted": "#3f88c5"}
CURRENCY = "$,.0f"


def _scale(colours: dict[str, str]) -> alt.Scale:
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def weekly_revenue(activity: pd.DataFrame) -> alt.Chart:
    """Revenue per week over the data's history (from :func:`clv.data.weekly_activity`), customers buying in the
    tooltip: gaps, trends and seasonality at a glance."""
    return (
        alt.Chart(activity, title="Revenue per week")
        .mark_bar(color=SERIES_COLOURS["actual"])
        .encode(
            x=alt.X("week:T", title="Week (starting Monday)"),
            y=alt.Y("revenue:Q", title="Revenue ($)", axis=alt.Axis(format=CURRENCY)),
            tooltip=[
                alt.Tooltip("week:T", title="Week of", format="%Y-%m-%d"),
                alt.Tooltip("revenue:Q", format=CURRENCY, title="Revenue"),
                alt.Tooltip("customers:Q", format=",", title="Customers buying"),
            ],
        )
        .properties(height=220)
    )


def clv_distribution(predictions: pd.DataFrame) -> alt.Chart:
    """Customers by predicted value (equal-width bins on a log scale, since value is highly skewed), by tier."""
    values = predictions[["clv", "value_tier"]].copy()
    logs = np.log10(values["clv"].clip(lower=0.01).to_numpy())
    # Equal widths on the log scale: a histogram's bar heights must be comparable.
    edges = np.linspace(np.floor(logs.min() * 4) / 4, np.ceil(logs.max() * 4) / 4 + 1e-9, 31)
    index = np.clip(np.digitize(logs, edges[1:-1]), 0, edges.size - 2)
    values["low"] = 10 ** edges[index]
    values["high"] = 10 ** edges[index + 1]
    binned = values.groupby(["low", "high", "value_tier"], observed=True).size().reset_index(name="customers")
    # Stack the tiers within each bin explicitly: a bar with x and x2 needs y and y2.
    binned["tier_order"] = (
        binned["value_tier"].astype(str).map({name: i for i, name in enumerate(TIER_COLOURS)})
    )
    binned = binned.sort_values(["low", "tier_order"])
    binned["top"] = binned.groupby("low")["customers"].cumsum()
    binned["bottom"] = binned["top"] - binned["customers"]
    return (
        alt.Chart(binned, title="How predicted value is spread across customers")
        .mark_bar()
        .encode(
            x=alt.X(
                "low:Q",
                scale=alt.Scale(type="log"),
                title="Predicted value per customer ($, log scale; under $0.01 counted at $0.01)",
                # Cents on the sub-dollar ticks ($0.01, $0.1), none on whole dollars ($1, $1,000).
                axis=alt.Axis(format="$,.2~f"),
            ),
            x2="high:Q",
            y=alt.Y("bottom:Q", title="Customers"),
            y2="top:Q",
            color=alt.Color("value_tier:N", scale=_scale(TIER_COLOURS), title="Value tier"),
            tooltip=[
                alt.Tooltip("value_tier:N", title="Tier"),
                alt.Tooltip("low:Q", format=CURRENCY, title="From"),
                alt.Tooltip("high:Q", format=CURRENCY, title="To"),
                alt.Tooltip("customers:Q", format=",", title="Customers"),
            ],
        )
    )


def concentration_curve(predictions: pd.DataFrame) -> alt.Chart:
    """Lorenz-style curve: share of predicted value held by the top x % of customers."""
    ordered = np.sort(predictions["clv"].to_numpy())[::-1]
    total = ordered.sum() or 1.0
    points = np.linspace(0, 1, 101)
    counts = np.round(points * len(ordered)).astype(int)
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])[counts] / total
    frame = pd.DataFrame({"customers_share": points, "value_share": cumulative})
    line = (
        alt.Chart(frame, title="Share of predicted value held by the top customers")
        .mark_line(color="#1f5f8b")
        .encode(
            x=alt.X("customers_share:Q", title="Top customers (share of all)", axis=alt.Axis(format="%")),
            y=alt.Y("value_share:Q", title="Share of predicted value", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("customers_share:Q", format=".0%", title="Top customers"),
                alt.Tooltip("value_share:Q", format=".1%", title="Value share"),
            ],
        )
    )
    equal = (
        alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
        .mark_line(strokeDash=[4, 4], color="#8a96a3")
        .encode(x="x:Q", y="y:Q")
    )
    return line + equal


def segment_value(table: pd.DataFrame, title: str, colours: dict[str, str] | None = None) -> alt.Chart:
    """Share of customers and of predicted value per segment, side by side."""
    long = table.melt(
        id_vars="segment",
        value_vars=["predicted_value_share", "revenue_share"],
        var_name="measure",
        value_name="share",
    )
    long["measure"] = long["measure"].map(
        {"predicted_value_share": "Predicted value", "revenue_share": "Past revenue"}
    )
    colour = (
        alt.Color("segment:N", scale=_scale(colours), legend=None)
        if colours
        else alt.Color("segment:N", legend=None)
    )
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("segment:N", sort=list(table["segment"]), title=None),
            x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%")),
            color=colour,
            opacity=alt.Opacity(
                "measure:N",
                scale=alt.Scale(domain=["Predicted value", "Past revenue"], range=[1.0, 0.45]),
                title="Measure",
            ),
            yOffset="measure:N",
            tooltip=[
                alt.Tooltip("segment:N"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )


def churn_heatmap(predictions: pd.DataFrame, time_unit_name: str = "months") -> alt.Chart:
    """Mean probability of being active by repeat purchases and by time since the last purchase (in
    ``time_unit_name``, the unit of the predictions' ``recency`` and ``T``)."""
    frame = predictions[["frequency", "T", "recency", "p_alive"]].copy()
    frame["purchases"] = frame["frequency"].clip(upper=10).astype(int).astype(str).replace("10", "10+")
    bins = pd.cut(frame["T"] - frame["recency"], bins=8)
    labels = [f"{max(b.left, 0):.0f}-{b.right:.0f}" for b in bins.cat.categories]
    frame["since_last"] = bins.cat.rename_categories(labels)
    grid = (
        frame.groupby(["purchases", "since_last"], observed=True)
        .agg(p_alive=("p_alive", "mean"), customers=("p_alive", "size"))
        .reset_index()
    )
    grid["since_last"] = grid["since_last"].astype(str)
    order = [str(i) for i in range(10)] + ["10+"]
    return (
        alt.Chart(grid, title="Probability of still being active")
        .mark_rect()
        .encode(
            x=alt.X("since_last:N", title=f"Time since the last purchase ({time_unit_name})", sort=labels),
            y=alt.Y("purchases:N", title="Repeat purchases", sort=order[::-1]),
            color=alt.Color(
                "p_alive:Q", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]), title="P(active)"
            ),
            tooltip=[
                alt.Tooltip("purchases:N", title="Repeat purchases"),
                alt.Tooltip("since_last:N", title=f"Since last purchase ({time_unit_name})"),
                alt.Tooltip("p_alive:Q", format=".0%", title="P(active)"),
                alt.Tooltip("customers:Q", format=",", title="Customers"),
            ],
        )
    )


def decile_chart(deciles: pd.DataFrame) -> alt.Chart:
    """Mean predicted vs actual holdout value per prediction decile (1 = highest predictions)."""
    long = deciles.melt(
        id_vars="decile", value_vars=["mean_predicted", "mean_actual"], var_name="series", value_name="value"
    )
    long["series"] = long["series"].map({"mean_predicted": "predicted", "mean_actual": "actual"})
    return (
        alt.Chart(long, title="Backtest: predicted vs actual value by decile")
        .mark_bar()
        .encode(
            x=alt.X("decile:O", title="Decile of predicted value (1 = top 10 %)"),
            xOffset="series:N",
            y=alt.Y(
                "value:Q", title="Mean value per customer in the holdout ($)", axis=alt.Axis(format="$,.0f")
            ),
            color=alt.Color("series:N", scale=_scale(SERIES_COLOURS), title=None),
            tooltip=[
                alt.Tooltip("decile:O"),
                alt.Tooltip("series:N"),
                alt.Tooltip("value:Q", format="$,.2f"),
            ],
        )
    )


def tracking_chart(tracking: pd.DataFrame) -> alt.Chart:
    """Cumulative repeat purchases by week, actual vs predicted, with the calibration end marked."""
    long = tracking.melt(
        id_vars=["date", "calibration"],
        value_vars=["actual", "predicted"],
        var_name="series",
        value_name="purchases",
    )
    lines = (
        alt.Chart(long, title="Backtest: cumulative repeat purchases")
        .mark_line()
        .encode(
            x=alt.X("date:T", title="Week"),
            y=alt.Y("purchases:Q", title="Cumulative repeat purchases", axis=alt.Axis(format=",.0f")),
            color=alt.Color("series:N", scale=_scale(SERIES_COLOURS), title=None),
            strokeDash=alt.StrokeDash("series:N", legend=None),
            tooltip=[
                alt.Tooltip("date:T"),
                alt.Tooltip("series:N"),
                alt.Tooltip("purchases:Q", format=",.0f"),
            ],
        )
    )
    end = tracking.loc[tracking["calibration"], "date"].max()
    rule = (
        alt.Chart(pd.DataFrame({"date": [end]}))
        .mark_rule(strokeDash=[4, 4], color="#8a96a3")
        .encode(x="date:T")
    )
    return lines + rule


def importance_chart(importance: pd.DataFrame, top: int = 12) -> alt.Chart:
    """What moves the learned model's predictions most (mean absolute SHAP contribution); every driver's name is
    shown whole (about 6 px per character at the axis font size)."""
    frame = importance.head(top)
    longest = int(frame["description"].str.len().max()) if len(frame) else 0
    return (
        alt.Chart(frame, title="What drives predicted value")
        .mark_bar(color="#1f5f8b")
        .encode(
            y=alt.Y("description:N", sort="-x", title=None, axis=alt.Axis(labelLimit=max(320, 6 * longest))),
            x=alt.X("mean_abs_contribution:Q", title="Mean absolute contribution (model scale)"),
            tooltip=[
                alt.Tooltip("description:N", title="Driver"),
                alt.Tooltip("mean_abs_contribution:Q", format=".3f"),
            ],
        )
    )


CURVE_DASHES: dict[str, list[int]] = {"actual": [1, 0], "fitted": [6, 3], "projected": [2, 2]}


def retention_chart(curves: pd.DataFrame, period_name: str = "months") -> alt.Chart:
    """Share of each cohort still subscribed by renewals made: actual (Kaplan-Meier), fitted and projected by the
    retention model (from :func:`clv.forecast.retention.retention_curves`), the model's interval in the tooltip."""
    return (
        alt.Chart(curves, title="Retention by cohort: actual, fitted and projected")
        .mark_line()
        .encode(
            x=alt.X("period:Q", title=f"Tenure ({period_name} renewed)"),
            y=alt.Y(
                "survival:Q",
                title="Still subscribed",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("cohort:N", title="Cohort"),
            strokeDash=alt.StrokeDash(
                "curve:N",
                title="Curve",
                scale=alt.Scale(domain=list(CURVE_DASHES), range=list(CURVE_DASHES.values())),
            ),
            detail="curve:N",
            tooltip=[
                alt.Tooltip("cohort:N"),
                alt.Tooltip("curve:N"),
                alt.Tooltip("period:Q", title=f"{period_name} renewed"),
                alt.Tooltip("survival:Q", format=".1%", title="still subscribed"),
                alt.Tooltip("low:Q", format=".1%", title="interval low"),
                alt.Tooltip("high:Q", format=".1%", title="interval high"),
                alt.Tooltip("at_risk:Q", format=",.0f", title="at risk (actual)"),
            ],
        )
        .properties(height=320)
    )
