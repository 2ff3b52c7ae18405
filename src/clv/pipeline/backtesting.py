"""The run's backtest: how many weeks it holds back, run on a second thread while the forecast runs, and its
tables as the results hold them."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import TypedDict

import numpy as np
import pandas as pd

from clv.data.transactions import Transactions
from clv.errors import DataValidationError
from clv.forecast.backtest import Backtest, backtest
from clv.forecast.history import History
from clv.pipeline.progress import Progress
from clv.settings import Settings

MIN_BACKTEST_WEEKS = 4.0


class BacktestThread:
    """The run's backtest, started on a second thread: everything refitted at the observation end minus the
    backtest weeks and scored on the rest, on a DuckDB cursor of its own, while the caller forecasts at the
    observation end (each sees only its own data, so results do not change). Used as a context manager, which
    waits for the thread on leaving unless :meth:`detach` was called."""

    def __init__(
        self, log: Transactions, history: History, end: pd.Timestamp, settings: Settings, start: bool = True
    ) -> None:
        self.calibration_end = _backtest_start(history, end, settings)
        self._end = end
        self._skipped = _backtest_skipped(history, end, settings, self.calibration_end)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._log, self._settings = log, settings
        self._job: Future[tuple[Backtest | None, str | None, float]] | None = None
        self._detached = False
        if start:
            self.start()

    def start(self) -> None:
        """Start the backtest (once; nothing to start when it is skipped)."""
        if self._job is None and self.calibration_end is not None:
            self._job = self._pool.submit(
                _backtest, self._log, self.calibration_end, self._end, self._settings
            )

    def __enter__(self) -> BacktestThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=not self._detached)

    @property
    def description(self) -> str:
        """What the backtest does, in words ("" when it is skipped)."""
        if self.calibration_end is None:
            return ""
        return f"refitted on data to {self.calibration_end.date()}, scoring the weeks to {self._end.date()}"

    @property
    def running(self) -> bool:
        """Whether there is a backtest to run (False when it is skipped)."""
        return self.calibration_end is not None

    def done(self) -> bool:
        """Whether :meth:`wait` returns at once."""
        return self.calibration_end is None or (self._job is not None and self._job.done())

    def detach(self) -> BacktestThread:
        """Let the backtest run on after the context is left (for :meth:`wait` later); returns this thread."""
        self._detached = True
        return self

    def wait(self, report: Progress, fraction: float, notes: list[str]) -> tuple[Backtest | None, float]:
        """The backtest (None when there is none, with the reason added to ``notes``) and the seconds it took;
        ``report`` says what is awaited at ``fraction`` done. Starts the backtest if it was not started."""
        self.start()
        if self.calibration_end is not None:
            report(f"Backtesting: {self.description}", fraction)
        tested, note, seconds = self._job.result() if self._job is not None else (None, None, 0.0)
        notes.extend(filter(None, [self._skipped, note]))
        return tested, seconds


def _backtest_weeks(history: History, end: pd.Timestamp, settings: Settings) -> float:
    # Half the history (to the nearest week: on CDNOW master, the literature's 39-week split), at most the horizon.
    half = min(settings.horizon_weeks, history.weeks_before(end) / 2.0)
    return settings.backtest_weeks or float(np.floor(half + 0.5))


def _backtest_start(history: History, end: pd.Timestamp, settings: Settings) -> pd.Timestamp | None:
    """The backtest's calibration end, or None when there is no backtest to run (see :func:`_backtest_skipped`)."""
    weeks = _backtest_weeks(history, end, settings)
    if not settings.backtest or weeks < MIN_BACKTEST_WEEKS:
        return None
    if history.weeks_before(end) - weeks < MIN_BACKTEST_WEEKS:
        return None
    return end - pd.Timedelta(weeks=weeks)


def _backtest_skipped(
    history: History, end: pd.Timestamp, settings: Settings, calibration_end: pd.Timestamp | None
) -> str | None:
    if calibration_end is not None or not settings.backtest:
        return None
    return (
        f"backtest skipped: {history.weeks_before(end):.0f} weeks of history are too short to hold back "
        f"{_backtest_weeks(history, end, settings):.0f} weeks and keep at least {MIN_BACKTEST_WEEKS:.0f} weeks "
        "to fit on"
    )


def _backtest(
    log: Transactions, calibration_end: pd.Timestamp, end: pd.Timestamp, settings: Settings
) -> tuple[Backtest | None, str | None, float]:
    """The backtest on a cursor of its own (DuckDB connections are not shared between threads): the result, or a
    note saying why there is none, and the seconds it took."""
    started = time.perf_counter()
    cursor = log.connection.cursor()
    try:
        tested = backtest(
            replace(log, connection=cursor),
            calibration_end,
            end,
            candidates=settings.purchase_models,
            learned=settings.learned,
            seed=settings.seed,
        )
        return tested, None, time.perf_counter() - started
    except DataValidationError as error:
        return None, f"backtest skipped: {error}", time.perf_counter() - started
    finally:
        cursor.close()


class BacktestTables(TypedDict):
    metrics: pd.DataFrame
    deciles: pd.DataFrame
    tracking: pd.DataFrame
    conditional: pd.DataFrame


def backtest_tables(tested: Backtest | None) -> BacktestTables:
    """The backtest's tables as :class:`Results` holds them (empty without a backtest)."""
    if tested is None:
        return BacktestTables(
            metrics=pd.DataFrame(),
            deciles=pd.DataFrame(),
            tracking=pd.DataFrame(),
            conditional=pd.DataFrame(),
        )
    return BacktestTables(
        metrics=tested.metrics,
        deciles=tested.deciles,
        tracking=tested.tracking,
        conditional=tested.conditional,
    )


def backtest_window(tested: Backtest | None) -> dict[str, str] | None:
    if tested is None:
        return None
    return {
        "calibration_end": str(tested.calibration_end.date()),
        "holdout_end": str(tested.holdout_end.date()),
    }
