"""The CDNOW transaction logs (Fader, Hardie & Lee 2005), bundled inside the package.

23,570 customers who first bought in the first quarter of 1997, with all their purchases to 1998-06-30
("master", 69,659 transactions) and a 1/10 sample of them ("sample", 2,357 customers, 6,919 transactions), and
the sample's published 39-week calibration summary (``load_cdnow_summary``). Source: the BTYD literature's public
distribution of the data, as shipped by the lifetimes package (MIT licence).
"""

from __future__ import annotations

import gzip
from importlib import resources
from pathlib import Path
from typing import Literal, TextIO

import pandas as pd

from clv.errors import DataValidationError

CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")

_FILES = {
    "master": "CDNOW_master.txt.gz",
    "sample": "CDNOW_sample.txt.gz",
    "summary": "cdnow_customers_summary_with_transactions.csv.gz",
}
_COLUMNS = {
    "master": ["customer_id", "date", "quantity", "amount"],
    "sample": ["master_id", "customer_id", "date", "quantity", "amount"],
}


def load_cdnow(which: Literal["sample", "master"] = "master") -> pd.DataFrame:
    """The CDNOW log with canonical columns ``customer_id`` (text), ``timestamp``, ``amount`` (US dollars), ``quantity``.

    In the sample, ``customer_id`` is the sample's own id (``0001`` ... ``2357``), the ``ID`` of the published
    39-week summary; the master file's id is kept as ``master_id``.
    """
    if which not in _COLUMNS:
        raise DataValidationError(f"unknown CDNOW data set {which!r}: use 'sample' or 'master'")
    with _open_bundled(which) as text:
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


def load_cdnow_summary() -> pd.DataFrame:
    """The published 39-week calibration summary of the CDNOW sample (Fader, Hardie & Lee 2005).

    Returns
    -------
    pandas.DataFrame
        2,357 customers: ``customer_id``, ``frequency`` (repeat purchases), ``recency`` and ``T`` (weeks),
        ``monetary_value`` (mean value of the repeat purchases, US dollars); ``attrs["time_unit"]`` is ``"W"``.
    """
    with _open_bundled("summary") as text:
        frame = pd.read_csv(text)
    frame = frame.rename(
        columns={"ID": "customer_id", "x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    frame.attrs["time_unit"] = "W"
    return frame


def write_cdnow_file(which: Literal["sample", "master", "summary"], folder: Path) -> Path:
    """Write one bundled CDNOW file, as originally distributed, into ``folder``; return its path.

    ``"master"`` and ``"sample"`` are the whitespace-separated logs (``CDNOW_master.txt``, ``CDNOW_sample.txt``),
    ``"summary"`` the published summary CSV (``cdnow_customers_summary_with_transactions.csv``).
    """
    if which not in _FILES:
        raise DataValidationError(f"unknown CDNOW file {which!r}: use 'sample', 'master' or 'summary'")
    target = Path(folder) / _FILES[which].removesuffix(".gz")
    with _open_bundled(which) as text:
        target.write_text(text.read(), encoding="ascii")
    return target


def _open_bundled(which: str) -> TextIO:
    path = resources.files("clv.datasets").joinpath("files", _FILES[which])
    return gzip.open(path.open("rb"), "rt", encoding="ascii")
