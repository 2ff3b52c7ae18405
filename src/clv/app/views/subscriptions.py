"""Subscriptions in the app: the bundled example or an uploaded subscriptions file on the Data page, and the Results
page of a contractual run (retention curves per cohort, the value table, segments, the backtest)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from clv.app import backend, state
from clv.app.views.common import markdown_safe, user_errors
from clv.data.contracts import contracts_table, is_subscriptions_table, load_subscriptions, source_columns
from clv.explain.insights import money

if TYPE_CHECKING:  # the Data page imports this module: the models and Altair load when Results is first shown
    from clv.pipeline import Results

EXAMPLE_NAME = "subscriptions example"
PERCENT_COLUMNS = {
    "revenue_share": "revenue share",
    "predicted_value_share": "value share",
    "mean_p_alive": "mean P(stay through the horizon)",
    "p_churn_next_period": "P(churn at the next renewal)",
    "p_survive_horizon": "P(stay through the horizon)",
}
MONEY_COLUMNS = (
    "price",
    "total_revenue",
    "clv",
    "clv_low",
    "clv_high",
    "revenue",
    "predicted_value",
    "mean_clv",
)


def example_loader() -> None:
    """The bundled subscriptions example, one click away."""
    st.caption(
        "5,000 monthly subscribers who joined in 2022-2024 (cohorts by signup year) on two plans, observed to "
        "1 January 2025; simulated with known retention parameters (beta-discrete-Weibull)."
    )
    if st.button("Load the subscriptions example", type="primary"):
        with user_errors("loading the subscriptions example"):
            from clv.datasets import load_subscriptions_example

            table = contracts_table(load_subscriptions_example(), name=EXAMPLE_NAME)
            _set(EXAMPLE_NAME, table)


def is_subscriptions_upload(content: bytes, name: str) -> bool:
    """Whether an uploaded file's columns are a subscriptions table's (customer, start and end dates)."""
    return is_subscriptions_table(source_columns(content, file_name=name))


def load_upload(content: bytes, name: str) -> None:
    """Read and check an uploaded subscriptions file and make it the current data."""
    _set(name, load_subscriptions(content, file_name=name))
    backend.track("upload", megabytes=round(len(content) / 1024**2, 3), subscriptions=True)


def _set(name: str, table: pd.DataFrame) -> None:
    state.set_loaded(
        state.LoadedData(name=name, transactions=None, customers=None, report=None, subscriptions=table)
    )


def show_loaded(table: pd.DataFrame) -> None:
    """What the Data page shows of a subscriptions table."""
    starts = pd.to_datetime(table["start"])
    columns = st.columns(3)
    columns[0].metric("Contracts", f"{len(table):,}")
    columns[1].metric("Subscribers", f"{table['customer_id'].nunique():,}")
    columns[2].metric("Without an end date", f"{int(table['end'].isna().sum()):,}")
    st.caption(
        f"Subscriptions: contracts starting {starts.min():%Y-%m-%d} to {starts.max():%Y-%m-%d}. Predict values "
        "each active subscriber's renewals to come (contractual run); the time unit there is the contract period."
    )
    st.dataframe(table.head(200), width="stretch", hide_index=True)


def render_results(results: Results) -> None:
    """The Results page of a contractual run."""
    from clv.report import charts

    predictions = results.predictions
    total, low, high = results.total
    active = predictions[predictions["active"]]
    period = period_name(results)
    with st.container(key="kpis"):
        columns = st.columns(4)
        columns[0].metric("Subscribers", f"{len(predictions):,}")
        columns[1].metric("Active", f"{len(active):,}")
        columns[2].metric(
            "Residual value",
            money(total),
            help=f"{results.settings.interval_text} {money(low)} to {money(high)}",
        )
        columns[3].metric("Retention model", str(results.metadata["retention_model"]), help="Lowest BIC")
    for finding in results.insights:
        st.markdown(f"- {markdown_safe(finding)}")
    st.subheader("Retention by cohort")
    st.altair_chart(charts.retention_chart(results.retention, period), width="stretch")
    st.caption("Solid: actual (Kaplan-Meier); dashed: fitted by the model; dotted: projected.")
    st.subheader("Segments")
    for name, table in results.segments.items():
        st.markdown(f"**{name.replace('_', ' ').capitalize()}**")
        st.dataframe(table, width="stretch", hide_index=True, column_config=_money_config())
    _backtest(results)
    st.subheader("Subscribers")
    ordered = predictions.sort_values("clv", ascending=False)
    st.session_state["filtered_ids"] = None
    st.dataframe(ordered.head(1000), width="stretch", hide_index=True, column_config=_money_config())
    st.caption(f"The 1,000 most valuable of {len(predictions):,}; export all on the Export page.")
    for note in results.metadata["notes"]:
        st.caption(markdown_safe(note))


def _backtest(results: Results) -> None:
    st.subheader("Backtest")
    window = results.metadata.get("backtest")
    if not window:
        st.info("No backtest for this run (see the notes below).")
        return
    st.caption(
        f"Refitted on contracts to {window['calibration_end']}; the subscribers then active followed for "
        f"{window['holdout_periods']} {period_name(results)} to {window['holdout_end']}."
    )
    st.dataframe(results.conditional, width="stretch", hide_index=True)
    st.dataframe(results.tracking, width="stretch", hide_index=True)
    st.dataframe(results.metrics, width="stretch")


def period_name(results: Results) -> str:
    """The contract period in words ("months")."""
    from clv.config import TIME_UNIT_NAMES

    return TIME_UNIT_NAMES[str(results.metadata.get("period", "M"))]


def _money_config() -> dict[str, Any]:
    """Money in dollars, shares and probabilities in percent, every header in words."""
    money_columns = {
        name: st.column_config.NumberColumn(name.replace("_", " "), format="dollar") for name in MONEY_COLUMNS
    }
    percent_columns = {
        name: st.column_config.NumberColumn(label, format="percent")
        for name, label in PERCENT_COLUMNS.items()
    }
    return money_columns | percent_columns
