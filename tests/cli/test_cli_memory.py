"""The command line on bounded memory: --memory-limit reaches DuckDB, bad sizes are bad input."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from clv.cli import EXIT_BAD_INPUT, EXIT_OUT_OF_MEMORY, app
from clv.datasets import load_cdnow

runner = CliRunner()


def test_summarize_with_a_memory_limit_matches_the_unlimited_run(tmp_path: Path) -> None:
    log = tmp_path / "cdnow.parquet"
    load_cdnow("master").to_parquet(log)
    limited, unlimited = tmp_path / "limited.csv", tmp_path / "unlimited.csv"
    result = runner.invoke(app, ["summarize", str(log), "-o", str(limited), "--memory-limit", "64MB"])
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["summarize", str(log), "-o", str(unlimited)]).exit_code == 0
    pd.testing.assert_frame_equal(
        pd.read_csv(limited, encoding="utf-8-sig"), pd.read_csv(unlimited, encoding="utf-8-sig"), rtol=1e-12
    )


def test_a_memory_limit_that_is_not_a_size_is_bad_input(tmp_path: Path) -> None:
    log = tmp_path / "cdnow.csv"
    load_cdnow("sample").to_csv(log, index=False)
    result = runner.invoke(
        app, ["summarize", str(log), "-o", str(tmp_path / "x.csv"), "--memory-limit", "lots"]
    )
    assert result.exit_code == EXIT_BAD_INPUT
    assert "memory limit 'lots' is not a size" in result.output


def test_running_out_of_duckdb_memory_is_a_message_and_exit_code_5(tmp_path: Path) -> None:
    log = tmp_path / "cdnow.parquet"
    load_cdnow("master").to_parquet(log)
    result = runner.invoke(
        app, ["predict", str(log), "-o", str(tmp_path / "p.csv"), "--memory-limit", "2MB", "--no-backtest"]
    )
    assert result.exit_code == EXIT_OUT_OF_MEMORY, result.output
    assert "out of memory" in result.output and "--memory-limit" in result.output
    assert not (tmp_path / "p.csv").exists()
