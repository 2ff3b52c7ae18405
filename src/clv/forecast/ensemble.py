"""Forecast each customer's revenue over a horizon: probabilistic models, a learned model, and their blend.

Everything is computed at a cutoff ``E`` for a horizon of ``H`` weeks, and sees only transactions up to ``E``:

1. BG/NBD, Pareto/NBD and MBG/NBD are fitted on the summary at ``E``; the one with the lowest BIC is chosen (a
   criterion that uses no holdout data). Gamma-Gamma is fitted on the repeat buyers with positive spend. Their product
   is the probabilistic forecast.
2. The learned model (LightGBM, :mod:`clv.forecast.learned`) needs a target window the features never saw. With a target window
   of ``h = min(H, history / 3)`` weeks, it learns the revenue in ``(c, c + h]`` from the features at ``c`` for the
   cutoffs ``c = E - h, E - 2h, E - 3h`` (stacked, so one season does not dominate), starting from the chosen purchase
   model x Gamma-Gamma refitted at each ``c``. Applied at ``E``, it is carried from ``h`` to ``H`` with each
   customer's ratio of expected purchases over ``H`` and over ``h`` under the chosen purchase model (not a flat
   multiplier, which would ignore customers dropping out). The objective and the number of trees are chosen one
   window earlier: trained on the cutoffs ``E - 2h ...``, validated on ``(E - h, E]``.
3. The blend weights are non-negative least squares of the revenue in ``(E - h, E]`` on the two forecasts of it made
   at ``E - h``: the probabilistic one and the learned one validated there. The blend's total is not calibrated to
   that window's (rescaled or constrained to it): a window's level does not carry to the next when the season or the
   cohort's age changes, and on CDNOW's five calibration splits doing so put one holdout total within 10 % instead
   of two (docs/run.md, "Other splits").

Per-cutoff work (summaries, refitted models, feature tables, revenue windows) is kept in a :class:`History`, so the
stacked windows, the validation window and the blend share each piece, and several forecasts on one log (the study in
``bench/backtest_splits.py``) can share theirs. What is per customer (:func:`customer_forecast`,
:func:`apply_learned`) is apart from what needs every customer (:func:`choose_purchase_model`, :func:`train_learned`),
so the Spark engine (:mod:`clv.spark.engine`) runs the same per-customer code on its executors. Time is in weeks
inside this module; money in the log's currency; forecasts are undiscounted revenue."""

from __future__ import annotations

import pandas as pd

from clv.data.transactions import Transactions
from clv.forecast.history import History, day_of
from clv.forecast.probabilistic import Forecast, note_left_out, probabilistic_forecast
from clv.forecast.training import apply_learned, train_learned
from clv.models.base import one_blas_thread
from clv.models.compare import PURCHASE_MODELS


def forecast(
    log: Transactions,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    *,
    candidates: tuple[str, ...] = tuple(PURCHASE_MODELS),
    learned: bool = True,
    seed: int = 0,
    history: History | None = None,
) -> Forecast:
    """All forecasts of revenue in ``(cutoff, cutoff + horizon_weeks]`` from transactions up to ``cutoff``.

    ``history`` shares per-cutoff work with other forecasts on the same log (a new one is made when missing).
    """
    with one_blas_thread():
        return _forecast(
            log, day_of(cutoff), horizon_weeks, candidates, learned, seed, history or History(log)
        )


def _forecast(
    log: Transactions,
    cutoff: pd.Timestamp,
    horizon_weeks: float,
    candidates: tuple[str, ...],
    learned: bool,
    seed: int,
    history: History,
) -> Forecast:
    notes: list[str] = []
    comparison = history.compare(cutoff, candidates)
    spend_model, left_out = history.spend_model(cutoff)
    note_left_out(left_out, notes)
    result = probabilistic_forecast(
        history.summary(cutoff), comparison, spend_model, cutoff, horizon_weeks, notes
    )
    if learned:
        fit = train_learned(
            history,
            cutoff,
            horizon_weeks,
            (result.purchase_model, result.spend_model),
            result.summary,
            seed,
            result.notes,
        )
        if fit is not None:
            apply_learned(result, fit, history.features(cutoff))
    return result
