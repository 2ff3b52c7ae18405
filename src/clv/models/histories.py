"""Distinct customer histories, indexed so that the purchase models' likelihoods work per level, per point and per
history instead of per customer.

A *history* is a distinct (frequency x, recency t_x, age T) triple with the number of customers sharing it. A *point*
is a distinct (x, time) pair that occurs as some history's recency or age; points are sorted by frequency level, then
by time. The likelihoods' expensive pieces depend on fewer variables than the whole history: ``log(alpha + T)`` terms
on an (x, T) point, BG/NBD's second term on an (x, t_x) point, and Pareto/NBD's dropout integral over [t_x, T] is a
difference of tail integrals that are accumulated along the sorted points of each level. On a million simulated
customers there are about 390,000 histories but only 34,000 points.

Grouping uses hash factorisation (``pandas.factorize``), about 5x faster than sorting the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd


def factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values and, for every element, the index of its value."""
    codes, uniques = pd.factorize(values, sort=True)
    return np.asarray(uniques), codes.astype(np.intp, copy=False)


@dataclass(frozen=True)
class Histories:
    """Distinct (frequency, recency, T) histories with weights, their frequency levels and their points."""

    frequency: np.ndarray  # per history
    recency: np.ndarray
    age: np.ndarray
    weights: np.ndarray
    levels: np.ndarray  # distinct frequencies, ascending
    level: np.ndarray  # per history: index into ``levels``
    point_level: np.ndarray  # per point: index into ``levels``
    point_time: np.ndarray  # per point
    recency_point: np.ndarray  # per history: the point (x, t_x)
    age_point: np.ndarray  # per history: the point (x, T)
    customer_history: np.ndarray  # per input customer: index of their history

    @classmethod
    def from_customers(
        cls, frequency: np.ndarray, recency: np.ndarray, age: np.ndarray, weights: np.ndarray
    ) -> Histories:
        """Group customers (validated arrays) into distinct histories; ``weights`` count customers."""
        n = frequency.size
        levels, level_code = factorize(frequency)
        times, time_code = factorize(np.concatenate([recency, age]))
        n_times = max(times.size, 1)
        # Two steps keep the combined keys far below 2**63: (level, recency), then (that, age).
        first_key = level_code.astype(np.int64) * n_times + time_code[:n]
        first_group, first_keys = pd.factorize(first_key)
        history_of_customer, history_keys = pd.factorize(
            first_group.astype(np.int64) * n_times + time_code[n:]
        )
        history_keys = np.asarray(history_keys, dtype=np.int64)
        combined = np.asarray(first_keys, dtype=np.int64)[history_keys // n_times]
        level = (combined // n_times).astype(np.intp)
        recency_code = combined % n_times
        age_code = history_keys % n_times
        point_keys, point_index = factorize(
            np.concatenate([level * n_times + recency_code, level * n_times + age_code])
        )
        n_histories = history_keys.size
        return cls(
            frequency=levels[level].astype("float64"),
            recency=times[recency_code],
            age=times[age_code],
            weights=np.bincount(history_of_customer, weights=weights, minlength=n_histories),
            levels=levels.astype("float64"),
            level=level,
            point_level=(point_keys // n_times).astype(np.intp),
            point_time=times[point_keys % n_times],
            recency_point=point_index[:n_histories],
            age_point=point_index[n_histories:],
            customer_history=history_of_customer.astype(np.intp, copy=False),
        )

    def rescaled(self, factor: float) -> Histories:
        """The same histories with every time divided by ``factor``."""
        return replace(
            self, recency=self.recency / factor, age=self.age / factor, point_time=self.point_time / factor
        )

    @cached_property
    def level_weight(self) -> np.ndarray:
        """Customers per frequency level."""
        return np.bincount(self.level, weights=self.weights, minlength=self.levels.size)

    @cached_property
    def point_weight(self) -> np.ndarray:
        """Customers whose age is each point."""
        return np.bincount(self.age_point, weights=self.weights, minlength=self.point_time.size)
