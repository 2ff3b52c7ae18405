"""Data page: bring a transaction log (or a customer table), see how it was read and cleaned."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clv.app import backend, state
from clv.app.views import subscriptions
from clv.app.views.common import user_errors
from clv.config import max_upload_bytes
from clv.data import load_customer_summary, load_transactions, weekly_activity
from clv.data.mapping import MAPPABLE_FIELDS
from clv.data.readiness import modelling_problems
from clv.datasets import load_cdnow, synthetic
from clv.errors import DataValidationError

NONE = "(not in the file)"
DATE_ORDERS: dict[str, bool | None] = {
    "detected": None,
    "day first (31/01/2010)": True,
    "month first (01/31/2010)": False,
}
MISSING_COLUMN = ("no amount column found", "no customer id column found", "no date column found")
FIELD_LABELS = {
    "customer_id": "Customer id",
    "timestamp": "Date / time",
    "amount": "Amount (order value)",
    "unit_price": "Unit price (amount = quantity x price)",
    "quantity": "Quantity",
    "invoice_id": "Invoice / order id",
    "product_id": "Product id",
    "country": "Country",
}


def render() -> None:
    """Render the page."""
    st.title("Data")
    if state.loaded() is None:
        with user_errors("loading the bundled CDNOW data"):
            _load_bundled("master")
    source = st.radio(
        "Where is your data?",
        [
            "Bundled CDNOW data",
            "Upload a file",
            "Generate synthetic data",
            "Type transactions in",
            "Subscriptions example",
        ],
        horizontal=True,
        key="data_source",
    )
    if source == "Bundled CDNOW data":
        which = st.selectbox(
            "Data set",
            ["master", "sample"],
            help="CDNOW: 23,570 (master) or 2,357 (sample) customers of an online CD store, 1997-1998.",
        )
        if st.button("Load CDNOW " + which, type="primary"):
            with user_errors("loading the bundled data"):
                _load_bundled(which)
    elif source == "Upload a file":
        _upload()
    elif source == "Generate synthetic data":
        _synthetic()
    elif source == "Type transactions in":
        _manual()
    else:
        subscriptions.example_loader()
    _show_loaded()


def _load_bundled(which: str) -> None:
    # The BTYD literature counts CDNOW's $0 orders as purchases: keep them, as the published results do.
    log, report = load_transactions(
        load_cdnow(which),  # type: ignore[arg-type]
        file_name=f"CDNOW {which}",
        drop_zero_amounts=False,
    )
    state.set_loaded(state.LoadedData(name=f"CDNOW {which}", transactions=log, customers=None, report=report))


def _upload() -> None:
    limit_mb = max_upload_bytes() / 1024**2
    customer_level = st.toggle(
        "My file already has one row per customer (frequency, recency, T, monetary value)"
    )
    upload = st.file_uploader(
        f"CSV, Excel (.xlsx) or Parquet, up to {limit_mb:,.0f} MB",
        type=["csv", "txt", "tsv", "xlsx", "parquet"],
        help="Online Retail exports, order tables and CDNOW files are recognised automatically; so are "
        "subscriptions (a customer, a start and an end or cancel date column per contract).",
    )
    if upload is None:
        return
    content = upload.getvalue()
    if len(content) > max_upload_bytes():
        st.error(f"{upload.name} is {len(content) / 1024**2:,.1f} MB, over the {limit_mb:,.0f} MB limit.")
        return
    dayfirst = DATE_ORDERS[
        st.radio(
            "Dates like 01/02/2010 are",
            list(DATE_ORDERS),
            horizontal=True,
            key="date_order",
            help="Detected from the dates themselves when a day above 12 shows the order; choose when it cannot.",
        )
    ]
    if st.session_state.get("uploaded_name") == (upload.name, len(content), customer_level, dayfirst):
        _offer_mapping(upload.name, content, dayfirst)
        return
    before = state.loaded()
    st.session_state.pop("unmapped_upload", None)
    with user_errors(f"reading {upload.name}"):
        _read_upload(upload.name, content, customer_level, dayfirst)
    if state.loaded() is before:  # the file could not be read: say what is still loaded
        still = f"the data below is still {before.name}" if before is not None else "no data is loaded"
        st.info(f"{upload.name} was not loaded; {still}.")
        _offer_mapping(upload.name, content, dayfirst)


def _read_upload(name: str, content: bytes, customer_level: bool, dayfirst: bool | None) -> None:
    upload_key = (name, len(content), customer_level, dayfirst)
    try:
        _load_upload(name, content, customer_level, dayfirst)
    except DataValidationError as error:
        if not customer_level and any(cause in str(error) for cause in MISSING_COLUMN):
            st.session_state["unmapped_upload"] = upload_key
        raise
    st.session_state["uploaded_name"] = upload_key
    loaded = state.loaded()
    if loaded is None or loaded.subscriptions is None:  # a subscriptions upload is counted where it is read
        backend.track("upload", megabytes=round(len(content) / 1024**2, 3), customer_level=customer_level)


def _load_upload(name: str, content: bytes, customer_level: bool, dayfirst: bool | None) -> None:
    if customer_level:
        time_unit = st.session_state.get("customer_time_unit", "W")
        customers = load_customer_summary(content, file_name=name, time_unit=time_unit)
        state.set_loaded(state.LoadedData(name=name, transactions=None, customers=customers, report=None))
        return
    if subscriptions.is_subscriptions_upload(content, name):
        subscriptions.load_upload(content, name)
        return
    log, report = load_transactions(content, file_name=name, dayfirst=dayfirst)
    state.set_loaded(
        state.LoadedData(
            name=name, transactions=log, customers=None, report=report, raw=content, dayfirst=dayfirst
        )
    )


def _offer_mapping(name: str, content: bytes, dayfirst: bool | None) -> None:
    """After a file was refused for a missing column: the column mapping, to say which column holds it."""
    if st.session_state.get("unmapped_upload") != (name, len(content), False, dayfirst):
        return
    from clv.data import connect
    from clv.data.io import open_source

    columns: list[str] = []
    with (
        user_errors(f"reading the columns of {name}"),
        open_source(content, connection=connect(), file_name=name) as raw,
    ):
        columns = list(raw.columns)
    if not columns:
        return
    st.markdown(f"**Column mapping**: say which columns of {name} hold each field, then load it.")
    mapping = _mapping_choice(columns, {}, key="upload_map")
    if st.button("Load with this mapping", type="primary"):
        with user_errors(f"reading {name} with the mapping"):
            log, report = load_transactions(content, mapping=mapping, file_name=name, dayfirst=dayfirst)
            state.set_loaded(
                state.LoadedData(
                    name=name, transactions=log, customers=None, report=report, raw=content, dayfirst=dayfirst
                )
            )
            st.session_state.pop("unmapped_upload", None)
            st.session_state["uploaded_name"] = (name, len(content), False, dayfirst)
            st.rerun()


def _synthetic() -> None:
    with st.form("synthetic"):
        left, middle, right = st.columns(3)
        customers = left.number_input("Customers", min_value=100, max_value=500_000, value=5_000, step=1_000)
        start = middle.date_input("First date", value=pd.Timestamp("2022-01-01"))
        end = right.date_input("Last date", value=pd.Timestamp("2023-12-31"))
        seed = left.number_input("Seed (same seed, same data)", min_value=0, value=0)
        if st.form_submit_button("Generate", type="primary"):
            with user_errors("generating synthetic data"):
                if pd.Timestamp(end) <= pd.Timestamp(start):
                    raise DataValidationError("the last date must be after the first date")
                data = synthetic(int(customers), pd.Timestamp(start), pd.Timestamp(end), int(seed))
                log, report = load_transactions(data.transactions, file_name="synthetic data")
                state.set_loaded(
                    state.LoadedData(
                        name=f"synthetic ({customers:,} customers, seed {seed})",
                        transactions=log,
                        customers=None,
                        report=report,
                        raw=data.transactions,
                    )
                )


def _manual() -> None:
    st.caption("One row per purchase. Add rows with the + under the table.")
    seed = st.session_state.setdefault(
        "manual_rows",
        pd.DataFrame(
            {
                "customer_id": ["A", "A", "B"],
                "date": pd.to_datetime(["2024-01-05", "2024-03-02", "2024-02-11"]).date,
                "amount": [25.0, 40.0, 12.5],
            }
        ),
    )
    edited = st.data_editor(seed, num_rows="dynamic", width="stretch", key="manual_editor")
    if st.button("Use these transactions", type="primary"):
        with user_errors("reading the typed transactions"):
            log, report = load_transactions(edited, file_name="typed transactions")
            state.set_loaded(
                state.LoadedData(
                    name="typed transactions", transactions=log, customers=None, report=report, raw=edited
                )
            )


def _show_loaded() -> None:
    data = state.loaded()
    if data is None:
        return
    st.divider()
    st.subheader(f"Loaded: {data.name}")
    if data.subscriptions is not None:
        subscriptions.show_loaded(data.subscriptions)
        return
    if data.customers is not None:
        st.write(f"{len(data.customers):,} customers (customer-level table: probabilistic models only).")
        st.dataframe(data.customers.head(100), width="stretch", hide_index=True)
        return
    assert data.transactions is not None and data.report is not None
    report = data.report
    first, last = data.transactions.date_range()
    left, middle, right = st.columns(3)
    left.metric("Rows read", f"{report.rows_in:,}")
    middle.metric("Rows kept", f"{report.rows_kept:,}")
    right.metric("Customers", f"{_customers(data.transactions):,}")
    st.caption(
        f"Purchases from {first:%Y-%m-%d} to {last:%Y-%m-%d} ({(last - first).days / 7:,.0f} weeks of history)."
    )
    for problem in modelling_problems(data.transactions):
        st.warning(f"This data cannot be modelled yet: {problem}.", icon=":material/warning:")
    # Altair takes 0.7 s to import: imported here, after the top of the page is drawn (the start-up warm-up imports
    # it too). The browser loads its chart code with this first chart, not when the Results page opens.
    from clv.report import charts

    st.altair_chart(charts.weekly_revenue(weekly_activity(data.transactions)), width="stretch")
    for warning in report.warnings:
        st.warning(warning)
    with st.expander("Column mapping", expanded=data.raw is not None):
        _mapping_editor(data)
    with st.expander("Cleaning report", expanded=report.rows_dropped > 0):
        st.dataframe(
            report.to_frame(),
            width="stretch",
            hide_index=True,
            column_config={"share": st.column_config.NumberColumn("share of rows", format="percent")},
        )
        st.caption(report.row_numbering)
    st.subheader("Preview")
    st.dataframe(data.transactions.to_pandas(limit=200), width="stretch", hide_index=True)


def _mapping_choice(columns: list[str], used: dict[str, str], key: str) -> dict[str, str]:
    """A select box per field over ``columns`` (``used`` preselected; widget keys start with ``key``); the fields
    given a column."""
    choice = {}
    grid = st.columns(4)
    for index, field in enumerate(MAPPABLE_FIELDS):
        options = [NONE, *columns]
        current = used.get(field, NONE)
        choice[field] = grid[index % 4].selectbox(
            FIELD_LABELS[field],
            options,
            index=options.index(current) if current in options else 0,
            key=f"{key}_{field}",
        )
    return {field: column for field, column in choice.items() if column != NONE}


def _customers(log: object) -> int:
    assert hasattr(log, "connection")
    row = log.connection.execute(f"SELECT count(DISTINCT customer_id) FROM {log.table}").fetchall()  # type: ignore[attr-defined]
    return int(row[0][0])


def _mapping_editor(data: state.LoadedData) -> None:
    assert data.report is not None
    used = data.report.mapping
    if data.raw is None:
        st.table(pd.DataFrame({"field": [FIELD_LABELS[f] for f in used], "column": list(used.values())}))
        return
    mapping = _mapping_choice(data.report.columns, used, key="map")
    if st.button("Apply this mapping"):
        with user_errors("re-reading the file with the new mapping"):
            log, report = load_transactions(
                data.raw, mapping=mapping, file_name=data.name, dayfirst=data.dayfirst
            )
            state.set_loaded(
                state.LoadedData(
                    name=data.name,
                    transactions=log,
                    customers=None,
                    report=report,
                    raw=data.raw,
                    dayfirst=data.dayfirst,
                )
            )
            st.rerun()
