"""pandas frames crossing Spark's Arrow boundary (``mapInPandas``, cogrouped ``applyInPandas``) under pandas 3.

PySpark 4.3 warns that it "does not yet fully support pandas >= 3.0.0". What the engine sends and receives is tested
under the pinned pandas (tests/spark/test_pandas_conversions.py): strings, int64 counts, doubles (NaN, inf) and
timestamp_ntz (NaT, microseconds) keep their values. One thing breaks: a text column of pandas 3's ``str`` dtype
held in several Arrow chunks (what ``pd.concat`` makes, or a cogrouped group of more than
``spark.sql.execution.arrow.maxRecordsPerBatch`` rows passed through) cannot be returned to Spark ("Cannot convert
pyarrow.lib.ChunkedArray to pyarrow.lib.Array"); :func:`arrow_ready` turns such columns into plain Python strings.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

PANDAS_WARNING = "PySpark does not yet fully support pandas"


def arrow_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text columns as object columns of Python strings (missing: None), which PySpark turns
    into Arrow however pandas stored them; other columns are left as they are."""
    text = [c for c in frame.columns if isinstance(frame[c].dtype, pd.StringDtype)]
    if not text:
        return frame
    converted = frame.copy(deep=False)
    for column in text:
        converted[column] = pd.Series(
            frame[column].astype(object).where(frame[column].notna(), None), index=frame.index, dtype=object
        )
    return converted


@contextmanager
def pandas_checked() -> Iterator[None]:
    """Silence PySpark's pandas >= 3 warning around the conversions the engine makes, which the tests check."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
        yield
