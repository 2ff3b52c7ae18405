"""Data sets shipped with clv: the CDNOW logs of the BTYD literature and a synthetic Online-Retail-shaped generator."""

from clv.datasets.cdnow import load_cdnow, load_cdnow_summary, write_cdnow_file
from clv.datasets.synthetic import SyntheticData, synthetic, write_synthetic_parquet

__all__ = [
    "SyntheticData",
    "load_cdnow",
    "load_cdnow_summary",
    "synthetic",
    "write_cdnow_file",
    "write_synthetic_parquet",
]
