"""The clv command line: real files in, real files out, documented exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from clv.cli import EXIT_BAD_INPUT, EXIT_MODEL_FAILURE, app
from clv.datasets import load_cdnow
from clv.errors import ConvergenceError

runner = CliRunner()


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
    fitted = json.loads(result.stdout)
    assert {row["model"] for row in fitted["comparison"]} == {"BG/NBD", "Pareto/NBD", "MBG/NBD"}
    assert fitted["best"] == fitted["comparison"][0]["model"]
    assert (tmp_path / "models" / "BG_NBD.json").exists()


def test_predict_writes_the_documented_table(tmp_path: Path, cdnow_files: Path) -> None:
    output = tmp_path / "predictions.csv"
    result = runner.invoke(
        app,
        [
            "predict",
            str(cdnow_files / "CDNOW_sample.txt"),
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
    assert summary["customers"] == len(predictions) and summary["engine"] == "duckdb"
    assert {"customer_id", "clv", "clv_low", "clv_high", "p_alive", "value_tier"} <= set(predictions.columns)


def test_bad_input_exits_with_code_2_and_the_data_layers_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,when,price\na,2020-01-01,5\n")
    result = runner.invoke(app, ["summarize", str(bad), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "no customer id column found" in result.output
    result = runner.invoke(app, ["sample", str(tmp_path / "x.txt")])
    assert result.exit_code == EXIT_BAD_INPUT and "unknown output format" in result.output


def test_report_writes_a_word_document(tmp_path: Path, cdnow_files: Path) -> None:
    import docx

    output = tmp_path / "report.docx"
    result = runner.invoke(
        app, ["report", str(cdnow_files / "CDNOW_sample.txt"), "-o", str(output), "--horizon", "6", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "customers": 2_349,
        "total": pytest.approx(json.loads(result.stdout)["total"]),
        "output": str(output),
    }
    headings = [p.text for p in docx.Document(str(output)).paragraphs if p.style.name.startswith("Heading")]
    assert "How far to trust the numbers" in headings


COMMANDS = ("sample", "summarize", "fit", "predict", "backtest", "report", "app")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_with_examples_and_exit_codes(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Examples" in text and f"clv {command}" in text
    assert "Exit codes: 0 success; 2 bad input" in text and "3 a model could not be fitted" in text


def test_excel_and_parquet_glob_inputs_and_every_output_format(tmp_path: Path) -> None:
    workbook = tmp_path / "cdnow.xlsx"
    result = runner.invoke(app, ["sample", str(workbook), "--dataset", "cdnow-sample", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rows"] == 6_919
    parts = tmp_path / "parts"
    parts.mkdir()
    log = load_cdnow("sample")
    half = len(log) // 2
    log.iloc[:half].to_parquet(parts / "part-0.parquet")
    log.iloc[half:].to_parquet(parts / "part-1.parquet")
    zero_amounts = int((log["amount"] == 0).sum())
    for source, suffix in [
        (workbook, ".xlsx"),
        (parts / "*.parquet", ".parquet"),
        (parts / "*.parquet", ".csv"),
    ]:
        output = tmp_path / f"customers{suffix}"
        result = runner.invoke(app, ["summarize", str(source), "-o", str(output), "--json"])
        assert result.exit_code == 0, result.output
        described = json.loads(result.stdout)
        assert described["customers"] == 2_349 and described["rows_in"] == 6_919
        assert described["dropped"] == {"zero_or_missing_amount": zero_amounts}
        assert described["output"] == str(output)
    output = tmp_path / "customers.json"
    assert runner.invoke(app, ["summarize", str(parts / "*.parquet"), "-o", str(output)]).exit_code == 0
    frames = {
        "parquet": pd.read_parquet(tmp_path / "customers.parquet"),
        "csv": pd.read_csv(tmp_path / "customers.csv", encoding="utf-8-sig", dtype={"customer_id": str}),
        "json": pd.read_json(output, dtype={"customer_id": str}),
        "xlsx": pd.read_excel(tmp_path / "customers.xlsx"),
    }
    for name, frame in frames.items():
        assert len(frame) == 2_349, name
        np.testing.assert_allclose(
            np.sort(frame["monetary_value"]), np.sort(frames["parquet"]["monetary_value"]), err_msg=name
        )
    for name in ("csv", "json"):
        assert frames[name]["customer_id"].tolist() == frames["parquet"]["customer_id"].tolist(), name


def test_backtest_prints_its_metrics_as_json(cdnow_files: Path) -> None:
    arguments = ["--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30", "--json"]
    result = runner.invoke(app, ["backtest", str(cdnow_files / "CDNOW_sample.txt"), *arguments])
    assert result.exit_code == 0, result.output
    tested = json.loads(result.stdout)
    assert tested["holdout_end"] == "1998-06-30"
    models = {row["model"] for row in tested["metrics"]}
    assert {"BG/NBD x Gamma-Gamma", "ensemble", "baseline"} <= models


def test_unwritable_output_and_model_failure_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "cdnow.parquet"
    assert runner.invoke(app, ["sample", str(log), "--dataset", "cdnow-sample"]).exit_code == 0
    result = runner.invoke(app, ["summarize", str(log), "-o", str(tmp_path / "missing" / "customers.csv")])
    assert result.exit_code == EXIT_BAD_INPUT and "cannot write" in result.output

    def no_convergence(*args: object, **kwargs: object) -> None:
        raise ConvergenceError("the BG/NBD model could not be fitted: every starting point failed")

    monkeypatch.setattr("clv.models.compare_models", no_convergence)
    result = runner.invoke(app, ["fit", str(log), "--models-dir", str(tmp_path / "models")])
    assert result.exit_code == EXIT_MODEL_FAILURE
    assert "model failure" in result.output and "every starting point failed" in result.output
