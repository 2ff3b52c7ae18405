"""Read, map, clean, validate and summarise transaction data."""

from clv.data.clean import RULES, CleaningReport
from clv.data.customers import load_customer_summary
from clv.data.engine import connect
from clv.data.load import load_transactions
from clv.data.mapping import FIELD_NAMES, detect_mapping
from clv.data.summary import SUMMARY_COLUMNS, calibration_holdout, summarize, weekly_activity
from clv.data.transactions import Transactions

__all__ = [
    "FIELD_NAMES",
    "RULES",
    "SUMMARY_COLUMNS",
    "CleaningReport",
    "Transactions",
    "calibration_holdout",
    "connect",
    "detect_mapping",
    "load_customer_summary",
    "load_transactions",
    "summarize",
    "weekly_activity",
]
