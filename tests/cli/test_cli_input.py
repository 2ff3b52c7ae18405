"""The command line as a new user meets it: logs with their own column names, rows dropped by cleaning, the run's
notes, and the same options meaning the same thing on every command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clv.cli import EXIT_BAD_INPUT, app
from clv.datasets import load_cdnow

runner = CliRunner()


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_cdnow("sample")


def _r_style_csv(sample: pd.DataFrame, path: Path, amount_name: str) -> Path:
    """The CDNOW sample as R's write.csv leaves it: a blank-headed row-number column first."""
    frame = pd.DataFrame(
        {
            "Id": sample["customer_id"],
            "Date": sample["timestamp"].dt.strftime("%Y-%m-%d"),
            amount_name: sample["amount"],
        }
    )
    frame.index = frame.index + 1
    frame.to_csv(path, index=True, index_label="")
    return path


def test_a_lone_price_column_is_the_amount(sample: pd.DataFrame, tmp_path: Path) -> None:
    log = _r_style_csv(sample, tmp_path / "apparel.csv", "Price")
    result = runner.invoke(app, ["fit", str(log), "-o", str(tmp_path / "models"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["best"] in ("BG/NBD", "Pareto/NBD", "MBG/NBD")
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "BG_NBD.json",
        "MBG_NBD.json",
        "Pareto_NBD.json",
    ]


def test_map_names_the_column_the_detection_cannot_guess(sample: pd.DataFrame, tmp_path: Path) -> None:
    log = _r_style_csv(sample, tmp_path / "orders.csv", "Spend_EUR")
    out = tmp_path / "customers.csv"
    refused = runner.invoke(app, ["summarize", str(log), "-o", str(out)])
    assert refused.exit_code == EXIT_BAD_INPUT
    assert "no amount column found" in refused.output and "--map amount=COLUMN" in refused.output
    mapped = runner.invoke(app, ["summarize", str(log), "-o", str(out), "--map", "amount=Spend_EUR"])
    assert mapped.exit_code == 0, mapped.output
    summary = pd.read_csv(out)
    assert summary["total_revenue"].sum() == pytest.approx(sample["amount"].sum(), rel=1e-9)
    wrong = runner.invoke(app, ["summarize", str(log), "-o", str(out), "--map", "amount"])
    assert wrong.exit_code == EXIT_BAD_INPUT and "--map takes field=column" in wrong.output
    unknown = runner.invoke(app, ["summarize", str(log), "-o", str(out), "--map", "amount=Spend"])
    assert unknown.exit_code == EXIT_BAD_INPUT and "'Spend'" in unknown.output


def test_rows_dropped_by_cleaning_are_said_in_one_line(sample: pd.DataFrame, tmp_path: Path) -> None:
    frame = sample[["customer_id", "timestamp", "amount"]].copy()
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%d").astype(object)
    frame.loc[[4, 9], "timestamp"] = "not a date"
    log = tmp_path / "orders.csv"
    frame.to_csv(log, index=False)
    result = runner.invoke(app, ["summarize", str(log), "-o", str(tmp_path / "customers.csv")])
    assert result.exit_code == 0, result.output
    kept = len(frame) - 2 - int((frame["amount"] == 0).sum())
    assert f"orders.csv: {kept:,} of {len(frame):,} rows kept" in result.stderr
    assert "date could not be read: 2 (rows 6, 11)" in result.stderr  # the header is row 1


def test_predict_says_why_the_learned_model_is_missing(sample: pd.DataFrame, tmp_path: Path) -> None:
    short = sample[sample["timestamp"] < "1997-03-01"][["customer_id", "timestamp", "amount"]]
    log = tmp_path / "short.csv"
    short.to_csv(log, index=False)
    output = tmp_path / "predictions.csv"
    result = runner.invoke(app, ["predict", str(log), "-o", str(output), "--no-backtest", "--json"])
    assert result.exit_code == 0, result.output
    assert "note: learned model skipped" in result.stderr
    assert json.loads(result.stdout)["customers"] == short["customer_id"].nunique() - _zero_only(short)
    assert pd.read_csv(output)["clv_learned"].isna().all()


def _zero_only(log: pd.DataFrame) -> int:
    return int((log.groupby("customer_id")["amount"].sum() == 0).sum())


def test_backtest_tables_keep_every_digit_when_piped(cdnow_files: Path) -> None:
    arguments = ["backtest", str(cdnow_files / "CDNOW_sample.txt"), "--calibration-end", "1997-09-30"]
    arguments += ["--holdout-end", "1998-06-30"]
    piped = runner.invoke(app, arguments)  # CliRunner's stdout is not a terminal
    assert piped.exit_code == 0, piped.output
    lines = piped.stdout.splitlines()
    header = next(line for line in lines if line.startswith("| model"))
    assert "spearman" in header and "…" not in piped.stdout
    baseline = next(line for line in lines if line.startswith("| baseline"))
    assert "e+" not in baseline  # totals in thousands, not in exponent form
    as_csv = runner.invoke(app, [*arguments, "--format", "csv"])
    metrics = pd.read_csv(io.StringIO(as_csv.stdout))
    assert list(metrics["model"])[-1] == "baseline" and metrics["gini"].between(0, 1).all()
    wrong = runner.invoke(app, [*arguments, "--format", "html"])
    assert wrong.exit_code == EXIT_BAD_INPUT and "unknown --format 'html'" in wrong.output
