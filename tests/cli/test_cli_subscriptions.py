"""``clv sample --dataset subscriptions`` and ``clv predict`` on subscriptions: the contractual run from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from clv.cli import EXIT_BAD_INPUT, app
from clv.pipeline.contractual import SUBSCRIPTION_COLUMNS

runner = CliRunner()


def test_sample_and_predict_subscriptions_detected_by_their_columns(tmp_path: Path) -> None:
    table = tmp_path / "subscriptions.csv"
    result = runner.invoke(app, ["sample", str(table), "--dataset", "subscriptions", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["columns"] == ["customer_id", "start", "end", "cohort", "plan", "price"]
    output = tmp_path / "subscribers.csv"
    result = runner.invoke(
        app, ["predict", str(table), "-o", str(output), "--observation-end", "2025-01-01", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["setting"] == "contractual" and summary["retention_model"] == "BdW"
    assert summary["customers"] == 5_000 and summary["total_low"] < summary["total"] < summary["total_high"]
    predictions = pd.read_csv(output)
    assert tuple(predictions.columns) == SUBSCRIPTION_COLUMNS
    assert predictions["active"].sum() == summary["active"]
    assert predictions["clv"].sum() == pytest.approx(summary["total"], rel=1e-6)


def test_predict_with_setting_contractual_names_the_model_and_notes(tmp_path: Path) -> None:
    table = tmp_path / "subscriptions.parquet"
    assert runner.invoke(app, ["sample", str(table), "--dataset", "subscriptions"]).exit_code == 0
    output = tmp_path / "subscribers.parquet"
    result = runner.invoke(
        app,
        [
            "predict",
            str(table),
            "-o",
            str(output),
            "--setting",
            "contractual",
            "--no-backtest",
            "--time-unit",
            "M",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "lower BIC" in result.output and "Residual value" in result.output
    assert len(pd.read_parquet(output)) == 5_000


def test_an_end_before_its_start_exits_2_naming_the_column_and_rows(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "customer_id,start,end\nA,2024-01-01,2024-03-01\nB,2024-01-01,2023-12-01\nC,2024-02-01,\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["predict", str(bad), "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == EXIT_BAD_INPUT
    message = " ".join(result.output.split())
    assert "bad.csv" in message and "column 'end'" in message and "(rows 3)" in message
    assert "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()


def test_the_word_report_of_a_subscriptions_file_is_the_contractual_runs(tmp_path: Path) -> None:
    import docx

    from clv.report.contractual_report import SECTIONS

    table = tmp_path / "subscriptions.csv"
    assert runner.invoke(app, ["sample", str(table), "--dataset", "subscriptions"]).exit_code == 0
    result = runner.invoke(app, ["report", str(table), "-o", str(tmp_path / "r.docx"), "--json"])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(tmp_path / "r.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert all(section in headings for section in SECTIONS)
    figures = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows[1:]}
    assert figures["Subscribers"] == "5,000" and figures["Retention model (lowest BIC)"] in ("sBG", "BdW")
    assert figures["Residual value of the active subscribers"].startswith("$")
    assert len(document.inline_shapes) == 1  # the retention chart


def test_an_unknown_setting_exits_2_before_reading(tmp_path: Path) -> None:
    log = tmp_path / "orders.csv"
    log.write_text("customer_id,date,amount,start\nA,2024-01-01,10,x\n", encoding="utf-8")
    result = runner.invoke(app, ["predict", str(log), "-o", str(tmp_path / "o.csv"), "--setting", "bogus"])
    assert result.exit_code == EXIT_BAD_INPUT and "unknown setting" in result.output


def test_a_payments_log_with_the_contractual_setting_gets_its_contracts_derived(tmp_path: Path) -> None:
    payments = tmp_path / "payments.csv"
    rows = ["customer,paid_on,amount"]
    for i in range(60):  # monthly payments; every third subscriber stopped after 3 payments
        months = 3 if i % 3 == 0 else 12
        rows += [f"S{i:03d},2024-{1 + k:02d}-05,9.99" for k in range(months)]
    payments.write_text("\n".join(rows) + "\n", encoding="utf-8")
    output = tmp_path / "subscribers.csv"
    arguments = [
        "predict",
        str(payments),
        "-o",
        str(output),
        "--setting",
        "contractual",
        "--grace-days",
        "10",
    ]
    arguments += ["--map", "timestamp=paid_on", "--observation-end", "2024-12-20", "--no-backtest", "--json"]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "contracts derived from the payments of payments.csv: 60 contract(s)" in result.stderr
    table = pd.read_csv(output)
    assert len(table) == 60 and table["active"].sum() == 40
    assert (table.loc[~table["active"], "renewals"] == 2).all()  # three payments: two renewals made


def test_by_cohort_fits_one_retention_model_per_cohort(tmp_path: Path) -> None:
    table = tmp_path / "subscriptions.csv"
    assert runner.invoke(app, ["sample", str(table), "--dataset", "subscriptions"]).exit_code == 0
    arguments = ["predict", str(table), "-o", str(tmp_path / "s.csv"), "--no-backtest", "--json"]
    pooled = json.loads(runner.invoke(app, arguments).stdout)
    by_cohort = json.loads(runner.invoke(app, [*arguments, "--by-cohort"]).stdout)
    assert pooled["retention_model"] in ("sBG", "BdW")
    assert by_cohort["retention_model"].startswith("by cohort: 2022 ") and by_cohort["customers"] == 5_000
    assert by_cohort["total"] != pooled["total"]
