from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.explain.segments import ACTIONS, churn_bands, rfm, value_tiers


def test_value_tiers_follow_the_cutoffs() -> None:
    clv = pd.Series(np.arange(1000, 0, -1, dtype=float))
    tiers = value_tiers(clv)
    counts = tiers.value_counts()
    assert counts["Top 1%"] == 10 and counts["Top 5%"] == 40 and counts["Top 20%"] == 150
    assert counts["Top 50%"] == 300 and counts["Rest"] == 500
    assert tiers.iloc[0] == "Top 1%" and tiers.iloc[-1] == "Rest"
    with pytest.raises(ValueError, match="increasing shares"):
        value_tiers(clv, (0.5, 0.2))


def test_churn_bands_and_rfm_segments() -> None:
    bands = churn_bands(pd.Series([0.1, 0.5, 0.9]))
    assert list(bands) == ["High risk", "Medium risk", "Low risk"]
    days = pd.Series([1.0, 300.0, 2.0, 350.0] * 25)
    frequency = pd.Series([20, 20, 0, 0] * 25)
    monetary = pd.Series([100.0, 100.0, 5.0, 5.0] * 25)
    scores = rfm(days, frequency, monetary)
    assert set(scores.loc[scores.index % 4 == 0, "rfm_segment"]) == {"Champions"}
    assert set(scores.loc[scores.index % 4 == 3, "rfm_segment"]) <= {"Lost", "Hibernating"}
    assert all(segment in ACTIONS for segment in scores["rfm_segment"])


def test_customers_who_very_probably_left_are_not_in_active_segments() -> None:
    days = pd.Series([1.0, 300.0, 2.0, 350.0] * 25)
    frequency = pd.Series([20, 20, 0, 0] * 25)
    monetary = pd.Series([100.0, 100.0, 5.0, 5.0] * 25)
    p_alive = pd.Series([0.9, 0.9, 0.9, 0.9] * 24 + [0.01, 0.2, 0.01, 0.01])
    history_only = rfm(days, frequency, monetary)
    with_p_alive = rfm(days, frequency, monetary, p_alive, lost_below=0.3)
    assert history_only.loc[96, "rfm_segment"] == "Champions"
    assert with_p_alive.loc[96, "rfm_segment"] == "Can't lose them"
    assert with_p_alive.loc[98, "rfm_segment"] == "Lost"
    active = ["Champions", "Loyal", "Potential loyalists", "New"]
    assert not with_p_alive.loc[p_alive < 0.3, "rfm_segment"].isin(active).any()
    unchanged = p_alive >= 0.3
    assert (with_p_alive.loc[unchanged, "rfm_segment"] == history_only.loc[unchanged, "rfm_segment"]).all()


def test_run_keeps_lost_customers_out_of_active_segments_and_without_a_next_purchase(
    cdnow_run: object,
) -> None:
    predictions = cdnow_run.predictions  # type: ignore[attr-defined]
    likely_lost = predictions["p_alive"] < 0.3
    assert likely_lost.sum() > 1000
    assert predictions.loc[likely_lost, "expected_next_purchase"].isna().all()
    assert predictions.loc[~likely_lost, "expected_next_purchase"].notna().all()
    active = ["Champions", "Loyal", "Potential loyalists", "New"]
    assert not predictions.loc[likely_lost, "rfm_segment"].isin(active).any()
