"""Data sets shipped with clv: the CDNOW logs of the BTYD literature, a synthetic Online-Retail-shaped generator and a
simulated subscriptions example with known retention parameters."""

from clv.datasets.cdnow import load_cdnow, load_cdnow_summary, write_cdnow_file
from clv.datasets.subscriptions import load_subscriptions_example
from clv.datasets.synthetic import SyntheticData, synthetic, write_synthetic_parquet

__all__ = [
    "SyntheticData",
    "load_cdnow",
    "load_cdnow_summary",
    "load_subscriptions_example",
    "synthetic",
    "write_cdnow_file",
    "write_synthetic_parquet",
]
