from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.segment import ACTIONS, churn_bands, rfm, value_tiers


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
