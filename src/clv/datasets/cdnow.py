"""The CDNOW transaction logs (Fader, Hardie & Lee 2005), bundled inside the package.

23,570 customers who first bought in the first quarter of 1997, with all their purchases to 1998-06-30
("master", 69,659 transactions) and a 1/10 sample of them ("sample", 2,357 customers, 6,919 transactions).
"""

from __future__ import annotations

import gzip
from importlib import resources
from typing import Literal

import pandas as pd

from clv.errors import DataValidationError

CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")

_FILES = {"master": "CDNOW_master.txt.gz", "sample": "CDNOW_sample.txt.gz"}
_COLUMNS = {
    "master": ["customer_id", "date", "quantity", "amount"],
    "sample": ["master_id", "customer_id", "date", "quantity", "amount"],
}


def load_cdnow(which: Literal["sample", "master"] = "master") -> pd.DataFrame:
    """The CDNOW log with canonical columns ``customer_id`` (text), ``timestamp``, ``amount`` (US dollars), ``quantity``.

    In the sample, ``customer_id`` is the sample's own id (``0001`` ... ``2357``), the ``ID`` of the published
    39-week summary; the master file's id is kept as ``master_id``.
    """
    if which not in _FILES:
        raise DataValidationError(f"unknown CDNOW data set {which!r}: use 'sample' or 'master'")
    path = resources.files("clv.datasets").joinpath("files", _FILES[which])
    with path.open("rb") as raw, gzip.open(raw, "rt", encoding="ascii") as text:
        frame = pd.read_csv(
            text,
            sep=r"\s+",
            header=0 if which == "master" else None,
            names=_COLUMNS[which],
            dtype={"customer_id": str, "master_id": str, "date": str},
        )
    frame["timestamp"] = pd.to_datetime(frame.pop("date"), format="%Y%m%d")
    frame["amount"] = frame["amount"].astype("float64")
    frame["quantity"] = frame["quantity"].astype("float64")
    ordered = ["customer_id", "timestamp", "amount", "quantity"]
    if which == "sample":
        ordered.append("master_id")
    return frame[ordered]
