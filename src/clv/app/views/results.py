"""Results page: KPIs, analysis tabs, and a filterable predictions table."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from clv.app import state
from clv.app.views import subscriptions
from clv.app.views.common import markdown_safe, need_data
from clv.config import TIME_UNIT_NAMES, normalise_time_unit
from clv.explain.insights import money
from clv.explain.segments import DEFAULT_TIER_CUTOFFS
from clv.pipeline import Results
from clv.pipeline.results import predictive_total
from clv.report import charts


def render() -> None:
    """Render the page."""
    st.title("Results")
    need_data(_results)


def _results() -> None:
    results = state.results()
    if results is None:
        st.info("No prediction yet for this data and these settings: run one on the **Predict** page.")
        return
    if results.metadata.get("setting") == "contractual":
        subscriptions.render_results(results)
        return
    predictions = results.predictions
    total = results.total[0]
    ordered = predictions["clv"].sort_values(ascending=False)
    top_share = ordered.head(max(round(0.2 * len(ordered)), 1)).sum() / max(ordered.sum(), 1e-12)
    at_risk = int((predictions["churn_risk"].astype(str) == "High risk").sum())
    with st.container(key="kpis"):
        columns = st.columns(5)
        columns[0].metric("Customers", f"{len(predictions):,}")
        columns[1].metric("Predicted value", money(total), help=_intervals_text(results))
        columns[2].metric("Per customer", money(predictions["clv"].mean()), help="Average predicted value")
        columns[3].metric(
            "Top 20 % share", f"{top_share:.0%}", help="Share of predicted value held by the top 20 %"
        )
        columns[4].metric(
            "High churn risk", f"{at_risk:,}", help="Customers below 30 % probability of being active"
        )
    for finding in results.insights:  # the first says the total with both its intervals
        st.markdown(f"- {markdown_safe(finding)}")
    if results.backtest_pending is not None:
        _await_backtest(results.backtest_pending.description)
    # Only the open tab is drawn (each tab switch reruns the page): the browser draws two charts, not ten.
    tabs = st.tabs(
        ["Overview", "Segments", "Churn", "Model quality", "Drivers", "Customer lookup"],
        key="results_tab",
        on_change="rerun",
    )
    with tabs[0]:
        if tabs[0].open:
            st.altair_chart(charts.clv_distribution(predictions), width="stretch")
            st.altair_chart(charts.concentration_curve(predictions), width="stretch")
    with tabs[1]:
        if tabs[1].open:
            _segments(results)
    with tabs[2]:
        if tabs[2].open:
            _churn(results)
    with tabs[3]:
        if tabs[3].open:
            _quality(results)
    with tabs[4]:
        if tabs[4].open:
            _drivers(results)
    with tabs[5]:
        if tabs[5].open:
            _lookup(results)
    st.subheader("Predictions")
    st.dataframe(
        filtered(predictions),
        width="stretch",
        hide_index=True,
        column_config=_column_config(results),
    )


def _churn(results: Results) -> None:
    predictions = results.predictions
    st.altair_chart(charts.churn_heatmap(predictions, _unit_name(results)), width="stretch")
    st.subheader("High-value customers at risk")
    valuable = predictions[predictions["value_tier"].astype(str) != "Rest"]
    risky = valuable[valuable["churn_risk"].astype(str) != "Low risk"].sort_values("clv", ascending=False)
    st.dataframe(risky.head(200), width="stretch", hide_index=True, column_config=_column_config(results))


def _drivers(results: Results) -> None:
    if not results.drivers:
        st.info("Drivers come from the learned model, which did not run (see Model quality for why).")
        return
    st.altair_chart(charts.importance_chart(results.drivers["importance"]), width="stretch")
    st.caption(
        "Each customer's strongest drivers of the learned model's forecast, strongest first: "
        "(raises) pushes their predicted value up, (lowers) pulls it down. First 500 customers; "
        "look one up in Customer lookup."
    )
    st.dataframe(results.drivers["customers"].head(500), width="stretch", hide_index=True)


def _segments(results: Results) -> None:
    segments = results.segments
    for name, title, colours in (
        ("value_tiers", "Value tiers", charts.TIER_COLOURS),
        ("churn_risk", "Churn-risk bands", charts.CHURN_COLOURS),
        ("rfm", "RFM segments", None),
    ):
        st.subheader(title)
        st.altair_chart(
            charts.segment_value(segments[name], f"{title}: share of value", colours), width="stretch"
        )
        st.dataframe(
            segments[name],
            width="stretch",
            hide_index=True,
            column_config={
                "revenue_share": st.column_config.NumberColumn("past revenue share", format="percent"),
                "predicted_value_share": st.column_config.NumberColumn(
                    "predicted value share", format="percent"
                ),
                "mean_clv": st.column_config.NumberColumn("mean value", format="dollar"),
                "revenue": st.column_config.NumberColumn(format="dollar"),
                "predicted_value": st.column_config.NumberColumn(format="dollar"),
            },
        )


@st.fragment(run_every=0.5)
def _await_backtest(description: str) -> None:
    """While the run's backtest finishes behind the results: say so, and redraw the page once it is done."""
    current = state.results()
    if current is not None and current.backtest_pending is None:
        st.rerun()
    st.caption(f"Backtest running ({description}); Model quality fills in when it is done.")


def _quality(results: Results) -> None:
    if results.backtest_pending is not None:
        st.info("The backtest is still running: this tab fills in when it is done.")
        return
    metrics = results.metrics
    for note in results.metadata["notes"]:
        st.markdown(f"- {markdown_safe(note)}")
    if metrics.empty:
        st.info("No backtest for this run (see the notes above).")
        return
    backtest = results.metadata["backtest"]
    st.caption(
        f"Models fitted on data to {backtest['calibration_end']}, scored on what customers spent up to "
        f"{backtest['holdout_end']}. Each purchase model is paired with Gamma-Gamma for spend; top 10 % and 20 %: "
        "the share of the holdout revenue of the customers ranked highest; predicted and actual: total holdout "
        "revenue."
    )
    shown = metrics.rename(index=lambda name: str(name).removesuffix(" x Gamma-Gamma"))
    st.dataframe(
        shown,
        width="stretch",
        column_config={
            "model": st.column_config.TextColumn("model"),
            "spearman": st.column_config.NumberColumn("Spearman", format="%.3f"),
            "gini": st.column_config.NumberColumn("Gini", format="%.3f"),
            "decile_mape": st.column_config.NumberColumn("decile MAPE", format="percent"),
            "top10_share": st.column_config.NumberColumn("top 10 %", format="percent"),
            "top20_share": st.column_config.NumberColumn("top 20 %", format="percent"),
            "predicted_total": st.column_config.NumberColumn("predicted", format="dollar"),
            "actual_total": st.column_config.NumberColumn("actual", format="dollar"),
            "mae": st.column_config.NumberColumn("MAE", format="dollar"),
            "rmse": st.column_config.NumberColumn("RMSE", format="dollar"),
        },
    )
    st.altair_chart(charts.decile_chart(results.deciles), width="stretch")
    st.altair_chart(charts.tracking_chart(results.tracking), width="stretch")
    st.dataframe(results.conditional, width="stretch", hide_index=True)


def _lookup(results: Results) -> None:
    predictions = results.predictions
    customer = st.text_input("Customer id", placeholder="e.g. " + str(predictions["customer_id"].iloc[0]))
    if not customer:
        return
    match = predictions[predictions["customer_id"] == customer.strip()]
    if match.empty:
        st.warning("No customer with this id in the results.")
        return
    row = match.iloc[0]
    columns = st.columns(4)
    columns[0].metric(
        "Predicted value",
        money(row["clv"]),
        help=f"{results.settings.interval_text} {money(row['clv_low'])} to {money(row['clv_high'])}",
    )
    columns[1].metric("Probability still active", f"{row['p_alive']:.0%}")
    columns[2].metric(
        "Expected next purchase (if active)",
        f"{row['expected_next_purchase']:%Y-%m-%d}" if pd.notna(row["expected_next_purchase"]) else "unknown",
    )
    columns[3].metric("Segment", f"{row['value_tier']} / {row['rfm_segment']}")
    data = state.loaded()
    if data is not None and data.transactions is not None:
        log = data.transactions
        history = log.connection.execute(
            f'SELECT * FROM {log.table} WHERE customer_id = ? ORDER BY "timestamp"', [customer.strip()]
        ).df()
        st.dataframe(history, width="stretch", hide_index=True)


def filtered(predictions: pd.DataFrame) -> pd.DataFrame:
    """The predictions table narrowed by the filter widgets (tier, churn band, segment, country, value, id)."""
    columns = st.columns(4)
    tiers = columns[0].multiselect(
        "Value tier", [f"Top {c:.0%}" for c in DEFAULT_TIER_CUTOFFS] + ["Rest"], key="filter_tier"
    )
    bands = columns[1].multiselect("Churn risk", list(charts.CHURN_COLOURS), key="filter_churn")
    segments = columns[2].multiselect(
        "RFM segment", sorted(predictions["rfm_segment"].unique()), key="filter_rfm"
    )
    countries = (
        columns[3].multiselect(
            "Country", sorted(predictions["country"].dropna().unique()), key="filter_country"
        )
        if "country" in predictions
        else []
    )
    top = float(predictions["clv"].max()) if len(predictions) else 0.0
    low, high = st.slider(
        "Predicted value range ($)", 0.0, max(top, 1.0), (0.0, max(top, 1.0)), key="filter_value"
    )
    search = st.text_input("Search customer id", key="filter_id")
    mask = predictions["clv"].between(low, high)
    if tiers:
        mask &= predictions["value_tier"].astype(str).isin(tiers)
    if bands:
        mask &= predictions["churn_risk"].astype(str).isin(bands)
    if segments:
        mask &= predictions["rfm_segment"].isin(segments)
    if countries:
        mask &= predictions["country"].isin(countries)
    if search:
        mask &= predictions["customer_id"].str.contains(search.strip(), regex=False)
    st.session_state["filtered_ids"] = predictions.loc[mask, "customer_id"]
    return predictions[mask]


def _unit_name(results: Results) -> str:
    return TIME_UNIT_NAMES[normalise_time_unit(results.settings.time_unit)]


def _column_config(results: Results) -> dict[str, Any]:
    unit = _unit_name(results)
    level = f"{100 * results.settings.interval:g} %"
    return {
        "customer_id": st.column_config.TextColumn("customer id"),
        "frequency": st.column_config.NumberColumn("repeat purchases", format="%d"),
        "recency": st.column_config.NumberColumn(
            f"recency ({unit})", format="%.1f", help="From the first to the last purchase"
        ),
        "T": st.column_config.NumberColumn(
            f"age ({unit})", format="%.1f", help="From the first purchase to the observation end"
        ),
        "monetary_value": st.column_config.NumberColumn("mean repeat spend", format="dollar"),
        "p_alive": st.column_config.ProgressColumn(
            "P(active)", min_value=0.0, max_value=1.0, format="percent"
        ),
        "expected_purchases": st.column_config.NumberColumn("expected purchases", format="%.2f"),
        "expected_avg_value": st.column_config.NumberColumn("expected spend per purchase", format="dollar"),
        "clv": st.column_config.NumberColumn("predicted value", format="dollar"),
        "clv_low": st.column_config.NumberColumn(f"value low ({level})", format="dollar"),
        "clv_high": st.column_config.NumberColumn(f"value high ({level})", format="dollar"),
        "clv_probabilistic": st.column_config.NumberColumn("value, probabilistic", format="dollar"),
        "clv_learned": st.column_config.NumberColumn("value, learned", format="dollar"),
        "total_revenue": st.column_config.NumberColumn("past revenue", format="dollar"),
        "value_tier": st.column_config.TextColumn("value tier"),
        "churn_risk": st.column_config.TextColumn("churn risk"),
        "rfm_score": st.column_config.TextColumn("RFM score"),
        "rfm_segment": st.column_config.TextColumn("RFM segment"),
        "expected_next_purchase": st.column_config.DateColumn("next purchase (if active)"),
    }


def _intervals_text(results: Results) -> str:
    """Both intervals of the total, each labelled with what it covers."""
    _, low, high = results.total
    level = results.settings.interval_text
    text = f"{level} of the expected value (the parameters' uncertainty): {money(low)} to {money(high)}."
    predictive = predictive_total(results.metadata)
    if predictive is not None:
        text += (
            f" {level.replace('interval', 'predictive interval')} of what the customers will bring (adding the "
            f"randomness of purchases and spend): {money(predictive[0])} to {money(predictive[1])}."
        )
    return text
