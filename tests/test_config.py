import pytest

from clv.config import days_per_unit, normalise_time_unit
from clv.errors import DataValidationError


def test_month_is_a_twelfth_of_a_julian_year() -> None:
    assert days_per_unit("M") == pytest.approx(30.4375)
    assert days_per_unit("months") == days_per_unit("M")
    assert normalise_time_unit("weeks") == "W"


def test_unknown_time_unit_is_refused_in_words() -> None:
    with pytest.raises(DataValidationError, match="unknown time unit"):
        days_per_unit("fortnight")
