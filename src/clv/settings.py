"""What a run predicts and how: :class:`Settings`, shared by ``clv.run``, the Spark engine, the app and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from clv.config import TIME_UNIT_NAMES, days_per_unit, normalise_time_unit
from clv.errors import DataValidationError
from clv.models.compare import PURCHASE_MODELS
from clv.segment import DEFAULT_CHURN_THRESHOLDS, DEFAULT_TIER_CUTOFFS


@dataclass(frozen=True)
class Settings:
    """What to predict and how. ``horizon`` is in ``time_unit`` periods ("D", "W", "M" = 365.25/12 days, "Y");
    ``observation_end`` defaults to the last transaction's day; ``margin`` is the share of revenue that is profit."""

    horizon: float = 12
    time_unit: str = "M"
    annual_discount_rate: float = 0.0
    margin: float = 1.0
    observation_end: str | None = None
    interval: float = 0.8
    purchase_models: tuple[str, ...] = tuple(PURCHASE_MODELS)
    learned: bool = True
    backtest: bool = True
    backtest_weeks: float | None = None
    tier_cutoffs: tuple[float, ...] = DEFAULT_TIER_CUTOFFS
    churn_thresholds: tuple[float, float] = DEFAULT_CHURN_THRESHOLDS
    seed: int = 0

    def __post_init__(self) -> None:
        normalise_time_unit(self.time_unit)
        if not self.horizon > 0:
            raise DataValidationError(f"the horizon must be positive; got {self.horizon}")
        unknown = [name for name in self.purchase_models if name not in PURCHASE_MODELS]
        if unknown or not self.purchase_models:
            raise DataValidationError(
                f"unknown purchase model(s) {unknown}; choose among {', '.join(PURCHASE_MODELS)}"
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
