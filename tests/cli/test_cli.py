"""The clv command line: real files in, real files out, documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from clv.cli import EXIT_BAD_INPUT, app
from tests.shared import SHARED_DATA

runner = CliRunner()
SHARED = SHARED_DATA


def test_sample_summarize_and_fit(tmp_path: Path) -> None:
    log = tmp_path / "cdnow.csv"
    assert runner.invoke(app, ["sample", str(log), "--dataset", "cdnow-sample"]).exit_code == 0
    summary_path = tmp_path / "customers.parquet"
    result = runner.invoke(
        app, ["summarize", str(log), "-o", str(summary_path), "--observation-end", "1997-09-30"]
    )
    assert result.exit_code == 0, result.output
    summary = pd.read_parquet(summary_path)
    assert len(summary) == 2349  # $0-only customers are dropped by the default cleaning
    result = runner.invoke(app, ["fit", str(log), "--models-dir", str(tmp_path / "models"), "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert {row["model"] for row in table} == {"BG/NBD", "Pareto/NBD", "MBG/NBD"}
    assert (tmp_path / "models" / "BG_NBD.json").exists()


def test_predict_writes_the_documented_table(tmp_path: Path) -> None:
    output = tmp_path / "predictions.csv"
    result = runner.invoke(
        app,
        [
            "predict",
            str(SHARED / "CDNOW_sample.txt"),
            "-o",
            str(output),
            "--horizon",
            "6",
            "--no-backtest",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    predictions = pd.read_csv(output, encoding="utf-8-sig")
    assert summary["customers"] == len(predictions)
    assert {"customer_id", "clv", "clv_low", "clv_high", "p_alive", "value_tier"} <= set(predictions.columns)


def test_bad_input_exits_with_code_2_and_the_data_layers_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,when,price\na,2020-01-01,5\n")
    result = runner.invoke(app, ["summarize", str(bad), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no customer id column found" in result.output
    result = runner.invoke(app, ["sample", str(tmp_path / "x.txt")])
    assert result.exit_code == EXIT_BAD_INPUT and "unknown output format" in result.output


def test_report_writes_a_word_document(tmp_path: Path) -> None:
    import docx

    output = tmp_path / "report.docx"
    result = runner.invoke(
        app, ["report", str(SHARED / "CDNOW_sample.txt"), "-o", str(output), "--horizon", "6"]
    )
    assert result.exit_code == 0, result.output
    headings = [p.text for p in docx.Document(str(output)).paragraphs if p.style.name.startswith("Heading")]
    assert "How far to trust the numbers" in headings
