"""Value tiers and RFM scores over a distributed table, equal to :mod:`clv.explain.segments`'s rank-based ones.

Both segmentations depend on each customer's rank among all customers. Ranking a Spark table row by row would move
every row to one machine; here only the neighbourhood of each cut-off is looked at:

1. ``approxQuantile`` (Greenwald-Khanna, relative error ``error``) brackets every target rank between two values;
2. one pass counts the rows below each bracket and checks that it holds the target (a bracket that does not, as
   happens on small tables, is widened to the whole range);
3. the distinct values inside the brackets are collected with their counts (about ``4 x error x rows`` each),
   which gives the exact rank of every value near a cut-off, ties included.

The cut-offs found are then plain comparisons that Spark applies to every row. The scores are computed with the
same floating-point expressions as :mod:`clv.explain.segments`, so both engines agree customer by customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clv.explain.segments import RFM_OTHERS, rfm_grid, tier_names

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

QUANTILE_ERROR = 1e-4
QUINTILES = 5


@dataclass(frozen=True)
class RankWindow:
    """Distinct values of a column around one target rank (ascending order): ``below`` rows have smaller values,
    then ``counts[i]`` rows have ``values[i]``. It covers every position within one of the target."""

    below: int
    values: np.ndarray
    counts: np.ndarray

    def position_of(self, rank: int) -> tuple[float, int, int]:
        """The value at 1-based ascending position ``rank``, the rows below it and the rows equal to it."""
        ends = self.below + np.cumsum(self.counts)
        index = int(np.searchsorted(ends, rank))
        return float(self.values[index]), int(ends[index] - self.counts[index]), int(self.counts[index])


def rank_windows(
    frame: DataFrame, targets: dict[str, list[float]], rows: int, error: float = QUANTILE_ERROR
) -> dict[str, list[RankWindow]]:
    """For each column of ``targets`` (numeric, no nulls), a :class:`RankWindow` around each of its 1-based
    ascending positions. Three passes over ``frame`` whatever the number of columns and targets."""
    from pyspark.sql import functions as F

    columns = [column for column, positions in targets.items() if positions]
    probabilities = sorted(
        {
            min(max(position / rows + sign * 2.0 * error, 0.0), 1.0)
            for column in columns
            for position in targets[column]
            for sign in (-1.0, 1.0)
        }
    )
    quantiles = dict(zip(columns, frame.approxQuantile(columns, probabilities, error), strict=True))
    brackets: dict[str, list[tuple[float, float]]] = {}
    for column in columns:
        at = dict(zip(probabilities, quantiles[column], strict=True))
        brackets[column] = [
            (
                at[min(max(position / rows - 2.0 * error, 0.0), 1.0)],
                at[min(max(position / rows + 2.0 * error, 0.0), 1.0)],
            )
            for position in targets[column]
        ]
    checks = frame.agg(
        *[
            F.count_if(F.col(column) < low if side == 0 else F.col(column) <= high)
            for column in columns
            for low, high in brackets[column]
            for side in (0, 1)
        ]
    ).first()
    assert checks is not None
    counted = iter(int(value or 0) for value in checks)
    below: dict[str, list[int]] = {}
    bounds: dict[str, list[tuple[float | None, float | None]]] = {}
    for column in columns:
        below[column], bounds[column] = [], []
        for position, (bracket_low, bracket_high) in zip(targets[column], brackets[column], strict=True):
            low: float | None = bracket_low
            high: float | None = bracket_high
            rows_below, rows_up_to_high = next(counted), next(counted)
            # The window must reach at least one position past the target on both sides, else it is widened.
            if rows_below > position - 2:
                low, rows_below = None, 0
            if rows_up_to_high < position + 1:
                high = None
            bounds[column].append((low, high))
            below[column].append(rows_below)
    parts = [
        frame.filter(_within(F.col(column), bounds[column])).select(
            F.lit(column).alias("column"), F.col(column).cast("double").alias("value")
        )
        for column in columns
    ]
    union = parts[0]
    for part in parts[1:]:
        union = union.unionByName(part)
    collected = union.groupBy("column", "value").count().toArrow().to_pandas()
    windows: dict[str, list[RankWindow]] = {}
    for column in columns:
        mine = collected[collected["column"] == column].sort_values("value")
        values, counts = mine["value"].to_numpy(), mine["count"].to_numpy()
        windows[column] = []
        for (low, high), rows_below in zip(bounds[column], below[column], strict=True):
            keep = np.ones(values.size, dtype=bool)
            if low is not None:
                keep &= values >= low
            if high is not None:
                keep &= values <= high
            windows[column].append(RankWindow(below=rows_below, values=values[keep], counts=counts[keep]))
    return windows


def _within(value: Column, bounds: list[tuple[float | None, float | None]]) -> Column:
    from pyspark.sql import functions as F

    inside = F.lit(False)
    for low, high in bounds:
        bounded = F.lit(True)
        if low is not None:
            bounded = bounded & (value >= low)
        if high is not None:
            bounded = bounded & (value <= high)
        inside = inside | bounded
    return inside


def segment_columns(
    frame: DataFrame, rows: int, cutoffs: Sequence[float], lost_below: float
) -> dict[str, Column]:
    """``value_tier``, ``rfm_score`` and ``rfm_segment`` of each row of ``frame`` (columns customer_id, clv,
    weeks_since_last, frequency, mean_order, p_alive), as :func:`clv.explain.segments.value_tiers` and
    :func:`clv.explain.segments.rfm` (with P(alive) below ``lost_below`` out of the active segments) give them for the
    customers ordered by customer_id."""
    from pyspark.sql import functions as F

    last_ranks = [_last_rank_within(share, rows) for share in cutoffs]
    quintiles = [rows * j / QUINTILES for j in range(1, QUINTILES)]
    descending = [rows + 1 - t for t in quintiles]
    targets = {
        "clv": [float(rows - k + 1) for k in last_ranks if k > 0],
        "weeks_since_last": [min(max(p, 1.0), float(rows)) for p in descending],
        "frequency": [min(max(p, 1.0), float(rows)) for p in quintiles],
        "mean_order": [min(max(p, 1.0), float(rows)) for p in quintiles],
    }
    windows = rank_windows(frame, targets, rows)
    r = _quintile_score("weeks_since_last", windows["weeks_since_last"], rows, higher_is_better=False)
    f = _quintile_score("frequency", windows["frequency"], rows, higher_is_better=True)
    m = _quintile_score("mean_order", windows["mean_order"], rows, higher_is_better=True)
    score, segment = _rfm(r, f, m, F.col("p_alive") < lost_below)
    return {
        "value_tier": _tiers(frame, rows, cutoffs, last_ranks, windows["clv"]),
        "rfm_score": score,
        "rfm_segment": segment,
    }


def _tiers(
    frame: DataFrame, rows: int, cutoffs: Sequence[float], last_ranks: list[int], windows: list[RankWindow]
) -> Column:
    """By clv, highest first, ties broken by customer_id: a customer of rank k is in the first tier with
    k / rows <= its cut-off (``last_ranks``: the largest such k per tier)."""
    from pyspark.sql import functions as F

    names = tier_names(cutoffs)
    remaining = iter(windows)
    tier = None
    for name, last_rank in zip(names, last_ranks, strict=False):
        if last_rank == 0:
            continue
        value, below, equal = next(remaining).position_of(rows - last_rank + 1)
        above = rows - below - equal
        inside = F.col("clv") > value
        taken = last_rank - above  # of the customers tied at this value, the first ``taken`` by id are inside
        if taken == equal:
            inside = inside | (F.col("clv") == value)
        else:
            last_id = _nth_smallest_id(frame, value, taken)
            inside = inside | ((F.col("clv") == value) & (F.col("customer_id") <= last_id))
        tier = F.when(inside, name) if tier is None else tier.when(inside, name)
    return F.lit(names[-1]) if tier is None else tier.otherwise(names[-1])


def _last_rank_within(share: float, rows: int) -> int:
    """The largest rank k with k / rows <= share in floating point, as value_tiers compares."""
    k = int(np.floor(share * rows))
    while k + 1 <= rows and (k + 1) / rows <= share:
        k += 1
    while k > 0 and k / rows > share:
        k -= 1
    return k


def _nth_smallest_id(frame: DataFrame, value: float, n: int) -> str:
    from pyspark.sql import functions as F

    ids = frame.filter(F.col("clv") == value).select("customer_id").orderBy("customer_id").limit(n)
    row = ids.agg(F.max("customer_id")).first()
    assert row is not None
    return str(row[0])


def _rfm(r: Column, f: Column, m: Column, likely_lost: Column) -> tuple[Column, Column]:
    from pyspark.sql import functions as F

    grid = rfm_grid(r, f, m, likely_lost)
    segment = F.when(grid[0][0], grid[0][1])
    for condition, name in grid[1:]:
        segment = segment.when(condition, name)
    score = F.concat(r.cast("string"), f.cast("string"), m.cast("string"))
    return score, segment.otherwise(RFM_OTHERS)


def _quintile_score(column: str, windows: list[RankWindow], rows: int, higher_is_better: bool) -> Column:
    """1 + the number of quintile boundaries a row's value passes (see :func:`clv.explain.segments._quintile`): score j + 1
    starts where the average rank exceeds j / 5 of the rows, near ascending position rows * j / 5 (or
    rows * (1 - j / 5) + 1 for a descending ranking), inside window j."""
    from pyspark.sql import functions as F

    value = F.col(column)
    score: Column = F.lit(1)
    for j, window in enumerate(windows, start=1):
        ends = window.below + np.cumsum(window.counts)
        starts = ends - window.counts
        # pandas' average rank of a tie block: the mean of its positions, counted from the best end.
        average = (starts + ends + 1) / 2.0 if higher_is_better else rows + 1 - (starts + ends + 1) / 2.0
        scores = np.ceil(average / max(rows, 1) * QUINTILES).clip(1, QUINTILES)
        passed = scores > j
        if higher_is_better:
            first = window.values[passed][0] if passed.any() else None
            above = value >= first if first is not None else value > window.values[-1]
        else:
            last = window.values[passed][-1] if passed.any() else None
            above = value <= last if last is not None else value < window.values[0]
        score = score + F.when(above, 1).otherwise(0)
    return score
