"""What a run predicts and how: :class:`Settings`, shared by ``clv.run``, the Spark engine, the app and the CLI.

Plain values only (this module imports no numerical library), so the CLI checks its options before it loads a
file and the layers that segment and explain can take their defaults from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clv.config import TIME_UNIT_NAMES, days_per_unit, normalise_time_unit
from clv.errors import DataValidationError

PURCHASE_MODEL_NAMES: tuple[str, ...] = ("BG/NBD", "Pareto/NBD", "MBG/NBD")
"""The purchase models a run can choose among (the keys of :data:`clv.models.compare.PURCHASE_MODELS`)."""
DEFAULT_TIER_CUTOFFS: tuple[float, ...] = (0.01, 0.05, 0.20, 0.50)
"""Value tiers: the top 1 %, 5 %, 20 % and 50 % of customers by predicted value, then the rest."""
DEFAULT_CHURN_THRESHOLDS: tuple[float, float] = (0.3, 0.7)
"""Churn bands by P(alive): high risk below 0.3, medium below 0.7, low from 0.7."""
DEFAULT_CONTRACTUAL_DISCOUNT_RATE = 0.10
"""The annual discount rate of a contractual run's residual value when ``annual_discount_rate`` is 0 (DERL needs one)."""
SETTINGS_KINDS: tuple[str, ...] = ("auto", "noncontractual", "contractual")
"""What kind of run: ``"noncontractual"`` (a transaction log), ``"contractual"`` (a subscriptions table) or
``"auto"`` (contractual when the table has a subscription start and end column, see :mod:`clv.data.contracts`)."""


@dataclass(frozen=True)
class Settings:
    """What to predict and how. ``horizon`` is in ``time_unit`` periods ("D", "W", "M" = 365.25/12 days, "Y");
    ``observation_end`` defaults to the last transaction's day; ``margin`` is the share of revenue that is profit.

    ``setting`` is one of ``SETTINGS_KINDS``. In a contractual run ``time_unit`` is the contract period (W, M or Y),
    the value is the residual value (no horizon: ``horizon`` periods are the churn-risk window and the projection of
    the retention curves) and ``backtest_weeks`` (default: a quarter of the history) is rounded to whole periods;
    given a payments log instead of contracts, a renewal may come ``grace_days`` days late and still continue the
    contract (:func:`clv.data.payments.contracts_from_payments`); ``retention_by_cohort`` fits the retention model
    per cohort instead of pooled."""

    horizon: float = 12
    time_unit: str = "M"
    annual_discount_rate: float = 0.0
    margin: float = 1.0
    observation_end: str | None = None
    interval: float = 0.8
    purchase_models: tuple[str, ...] = PURCHASE_MODEL_NAMES
    learned: bool = True
    backtest: bool = True
    backtest_weeks: float | None = None
    tier_cutoffs: tuple[float, ...] = DEFAULT_TIER_CUTOFFS
    churn_thresholds: tuple[float, float] = DEFAULT_CHURN_THRESHOLDS
    seed: int = 0
    setting: str = "auto"
    grace_days: float = 7.0
    retention_by_cohort: bool = False

    def __post_init__(self) -> None:
        normalise_time_unit(self.time_unit)
        if not self.grace_days >= 0:
            raise DataValidationError(f"the grace period must be zero or more days; got {self.grace_days}")
        if self.setting not in SETTINGS_KINDS:
            raise DataValidationError(
                f"unknown setting {self.setting!r}: choose among {', '.join(SETTINGS_KINDS)}"
            )
        if not self.horizon > 0:
            raise DataValidationError(f"the horizon must be positive; got {self.horizon}")
        unknown = [name for name in self.purchase_models if name not in PURCHASE_MODEL_NAMES]
        if unknown or not self.purchase_models:
            raise DataValidationError(
                f"unknown purchase model(s) {unknown}; choose among {', '.join(PURCHASE_MODEL_NAMES)}"
            )
        if not 0 <= self.margin <= 10 or self.annual_discount_rate <= -1:
            raise DataValidationError(
                "the margin must be between 0 and 10 and the discount rate above -100 %"
            )

    @property
    def horizon_weeks(self) -> float:
        """The horizon in weeks."""
        return self.horizon * days_per_unit(self.time_unit) / 7.0

    @property
    def interval_text(self) -> str:
        """The interval level in words, e.g. "80 % interval"."""
        return f"{100 * self.interval:g} % interval"

    @property
    def horizon_text(self) -> str:
        """The horizon in words, e.g. "12 months"."""
        return f"{self.horizon:g} {TIME_UNIT_NAMES[normalise_time_unit(self.time_unit)]}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Settings from :meth:`to_dict` output."""
        converted: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**converted)
