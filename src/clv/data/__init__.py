"""Read, map, clean, validate and summarise transaction data."""

from clv.data.summary import calibration_holdout, summarize
from clv.data.transactions import Transactions

__all__ = ["Transactions", "calibration_holdout", "summarize"]
