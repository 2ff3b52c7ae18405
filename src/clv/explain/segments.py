"""Segments a marketer acts on: value tiers, churn-risk bands and RFM segments, each with a recommended action.

RFM scores are 1-5 quintiles of recency (days since the last purchase, fewer is better), frequency (purchases) and
monetary value (mean spend), tied customers sharing their average rank; the named segments follow the usual RFM grid (e.g. Putler,
"RFM analysis for successful customer segmentation").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from clv.settings import DEFAULT_CHURN_THRESHOLDS, DEFAULT_TIER_CUTOFFS

CHURN_NAMES: tuple[str, ...] = ("High risk", "Medium risk", "Low risk")
CHURNED = "Churned"

ACTIONS: dict[str, str] = {
    "Top 1%": "Personal account management; early access and invitations; never discount by default",
    "Top 5%": "VIP programme and loyalty rewards; ask for reviews and referrals",
    "Top 20%": "Cross-sell related products; loyalty points to raise frequency",
    "Top 50%": "Regular newsletters with bundles; nudge a second category",
    "Rest": "Low-cost automated campaigns only",
    "High risk": "Win-back offer now; survey why they left; stop expensive channels if no response",
    "Medium risk": "Reminder with a personalised recommendation before they lapse",
    "Low risk": "Keep engaged; no incentive needed",
    CHURNED: "Former subscribers: win-back offer; ask why they cancelled",
    "Champions": "Reward them; make them ambassadors; early access to new products",
    "Loyal": "Upsell higher-value products; ask for reviews",
    "Potential loyalists": "Membership or loyalty programme; recommend other products",
    "New": "Onboarding series; help them succeed with the first purchase",
    "At risk": "Personalised reactivation emails; renewal offers",
    "Can't lose them": "Win them back with the best offers; talk to them personally",
    "Hibernating": "Offer relevant products and special discounts; recreate brand value",
    "Lost": "Revive interest with a reach-out campaign; otherwise ignore",
}


def tier_names(cutoffs: Sequence[float] = DEFAULT_TIER_CUTOFFS) -> list[str]:
    """ "Top 1%", "Top 5%" ... "Rest" for the tier ``cutoffs`` (increasing shares between 0 and 1)."""
    if list(cutoffs) != sorted(cutoffs) or not all(0 < c < 1 for c in cutoffs):
        raise ValueError(
            "tier cut-offs must be increasing shares between 0 and 1, e.g. (0.01, 0.05, 0.2, 0.5)"
        )
    return [f"Top {c:.0%}" for c in cutoffs] + ["Rest"]


def value_tiers(clv: pd.Series, cutoffs: Sequence[float] = DEFAULT_TIER_CUTOFFS) -> pd.Series:
    """Tier of each customer by predicted value: the top ``cutoffs[0]`` share, then the next up to ``cutoffs[1]`` ...
    (ties broken by position: the first customer ranks first)."""
    names = tier_names(cutoffs)
    share_rank = clv.rank(ascending=False, method="first").to_numpy() / max(len(clv), 1)
    # The first tier whose cut-off the share rank is within: the number of cut-offs below it.
    codes = np.searchsorted(np.asarray(cutoffs, dtype=float), share_rank, side="left")
    return pd.Series(_categorical(codes, names, ordered=True), index=clv.index, name="value_tier")


def _categorical(codes: np.ndarray, names: Sequence[str], ordered: bool = False) -> pd.Categorical:
    """The categorical of ``names[code]`` for each of ``codes``."""
    dtype = pd.CategoricalDtype(list(names), ordered=ordered)
    return cast(pd.Categorical, pd.Categorical.from_codes(codes, dtype=dtype))


def churn_bands(p_alive: pd.Series, thresholds: tuple[float, float] = DEFAULT_CHURN_THRESHOLDS) -> pd.Series:
    """High risk below ``thresholds[0]`` probability of being active, low risk from ``thresholds[1]``."""
    low, high = thresholds
    values = p_alive.to_numpy()
    codes = np.select([values < low, values < high], [0, 1], default=2)
    return pd.Series(
        _categorical(codes, CHURN_NAMES, ordered=True),
        index=p_alive.index,
        name="churn_risk",
    )


def subscriber_bands(
    p_survive: pd.Series, active: pd.Series, thresholds: tuple[float, float] = DEFAULT_CHURN_THRESHOLDS
) -> pd.Series:
    """Churn bands of subscribers by their probability of staying (:func:`churn_bands`), and ``"Churned"`` for
    those who have already cancelled."""
    codes = churn_bands(p_survive, thresholds).cat.codes.to_numpy()
    codes = np.where(active.to_numpy(dtype=bool), codes, len(CHURN_NAMES))
    return pd.Series(
        _categorical(codes, (*CHURN_NAMES, CHURNED), ordered=True), index=p_survive.index, name="churn_risk"
    )


def _quintile(values: pd.Series, higher_is_better: bool = True) -> np.ndarray:
    # Average ranks: identical customers always get the same score.
    ranks = pd.Series(np.asarray(values)).rank(method="average", ascending=higher_is_better) / max(
        len(values), 1
    )
    return np.ceil(ranks.to_numpy() * 5).clip(1, 5).astype(np.int8)


RFM_OTHERS = "Lost"
RFM_SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal",
    "Potential loyalists",
    "New",
    "At risk",
    "Can't lose them",
    "Hibernating",
    RFM_OTHERS,
)
RFM_SCORES: tuple[str, ...] = tuple(
    f"{r}{f}{m}" for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)
)


def rfm_grid(r: Any, f: Any, m: Any, likely_lost: Any) -> list[tuple[Any, str]]:
    """The RFM grid as (condition on the r, f, m scores, segment name), first match wins, else ``RFM_OTHERS``.

    RFM reads the history only; ``likely_lost`` (true where the purchase model's P(alive) is below the high-risk
    threshold) keeps a customer who has very probably left out of the segments of active customers (Champions,
    Loyal, Potential loyalists, New): a frequent buyer whose purchases stopped far short of their own pace is "At
    risk" (or "Can't lose them" when they also spent much), a rare buyer "Lost". The conditions use only
    comparisons, ``&`` and ``==``, so the scores may be NumPy arrays or Spark columns."""
    return [
        (likely_lost & (f >= 4) & (m >= 4), "Can't lose them"),
        (likely_lost & (f >= 3), "At risk"),
        (likely_lost, RFM_OTHERS),
        ((r >= 4) & (f >= 4), "Champions"),
        ((r <= 2) & (f >= 4) & (m >= 4), "Can't lose them"),
        ((r >= 3) & (f >= 4), "Loyal"),
        ((r >= 4) & (f <= 1), "New"),
        ((r >= 3) & (f >= 2), "Potential loyalists"),
        ((r <= 2) & (f >= 3), "At risk"),
        (r == 2, "Hibernating"),
    ]


def rfm(
    days_since_last: pd.Series,
    frequency: pd.Series,
    monetary: pd.Series,
    p_alive: pd.Series | None = None,
    lost_below: float = DEFAULT_CHURN_THRESHOLDS[0],
) -> pd.DataFrame:
    """RFM quintile scores (1-5, 5 best), the three-digit ``rfm_score`` and the named ``rfm_segment`` (both
    categorical: a few distinct texts for any number of customers).

    ``days_since_last`` may be in any time unit (only its ranks count); ``monetary`` in currency. With ``p_alive``,
    customers whose probability of being active is below ``lost_below`` are kept out of the active segments
    (:func:`rfm_grid`)."""
    r = _quintile(days_since_last, higher_is_better=False)
    f = _quintile(frequency)
    m = _quintile(monetary)
    likely_lost = np.zeros(len(frequency), dtype=bool) if p_alive is None else p_alive.to_numpy() < lost_below
    grid = rfm_grid(r, f, m, likely_lost)
    segment = np.select(
        [condition for condition, _ in grid],
        [RFM_SEGMENTS.index(name) for _, name in grid],
        default=RFM_SEGMENTS.index(RFM_OTHERS),
    )
    return pd.DataFrame(
        {
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_score": _categorical((r.astype(np.int16) - 1) * 25 + (f - 1) * 5 + (m - 1), RFM_SCORES),
            "rfm_segment": _categorical(segment, RFM_SEGMENTS),
        },
        index=frequency.index,
    )


def segment_table(predictions: pd.DataFrame, column: str) -> pd.DataFrame:
    """Per segment of ``column``: customers, share of past revenue, share of predicted value, mean CLV, action."""
    grouped = predictions.groupby(column, observed=True)
    table = grouped.agg(
        customers=("clv", "size"),
        revenue=("total_revenue", "sum"),
        predicted_value=("clv", "sum"),
        mean_clv=("clv", "mean"),
        mean_p_alive=("p_alive", "mean"),
    )
    return segment_shares(table)


def segment_shares(table: pd.DataFrame) -> pd.DataFrame:
    """The segment table from per-segment aggregates (customers, revenue, predicted_value, mean_clv, mean_p_alive;
    indexed by segment, in display order): adds the shares of revenue and predicted value and the actions."""
    table = table.copy()
    table["revenue_share"] = table["revenue"] / max(table["revenue"].sum(), 1e-12)
    table["predicted_value_share"] = table["predicted_value"] / max(table["predicted_value"].sum(), 1e-12)
    table["recommended_action"] = [ACTIONS.get(str(name), "") for name in table.index]
    table.index = table.index.astype(str)
    table.index.name = "segment"
    return table.reset_index()
