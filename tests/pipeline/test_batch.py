"""clv.pipeline.batch.predict_to_file: the predictions written part by part are the rows and total of clv.run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clv
from clv.data import Transactions
from clv.errors import DataValidationError
from clv.forecast import scoring
from clv.pipeline import SEGMENT_COLUMNS
from clv.pipeline.batch import predict_to_file
from clv.report import writers


def test_predictions_written_in_parts_equal_the_run_held_in_memory(
    cdnow_master_log: Transactions, cdnow_run: clv.Results, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(scoring, "PART_CUSTOMERS", 5_000)  # five parts
    monkeypatch.setattr(writers, "CHUNK_ROWS", 3_000)  # copied with their segments in other slices
    written = predict_to_file(cdnow_master_log, tmp_path / "predictions.parquet", cdnow_run.settings)
    back = pd.read_parquet(written.output)
    expected = cdnow_run.predictions.astype({column: str for column in SEGMENT_COLUMNS})
    pd.testing.assert_frame_equal(back.astype({"rfm_score": str}), expected, check_dtype=False)
    np.testing.assert_allclose(written.total, cdnow_run.total, rtol=1e-12)
    assert written.customers == 23_570
    assert written.metadata["fingerprint"] == cdnow_run.metadata["fingerprint"]
    assert written.insights[:3] == cdnow_run.insights[:3]
    assert list(tmp_path.iterdir()) == [written.output]  # the temporary parts are gone


def test_csv_output_is_formula_safe_and_an_unknown_format_fails_before_any_work(tmp_path: Path) -> None:
    log = Transactions.from_pandas(
        pd.DataFrame(
            {
                "customer_id": ["=cmd0" if i % 300 == 0 else f"c{i % 300}" for i in range(3_000)],
                "timestamp": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(3_000) % 700, unit="D"),
                "amount": 10.0 + np.arange(3_000) % 17,
            }
        )
    )
    settings = clv.Settings(horizon=3, learned=False, backtest=False)
    written = predict_to_file(log, tmp_path / "p.csv", settings)
    text = written.output.read_text(encoding="utf-8-sig")
    assert "\n'=cmd0," in text and "\n=cmd0," not in text
    assert len(pd.read_csv(written.output, encoding="utf-8-sig")) == written.customers == 300
    with pytest.raises(DataValidationError, match=r"unknown output format '\.txt'"):
        predict_to_file(log, tmp_path / "p.txt", settings)
    assert not (tmp_path / "p.txt").exists()
