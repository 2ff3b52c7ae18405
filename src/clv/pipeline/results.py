"""What a run returns (:class:`Results`), and how it is saved to a folder and read back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from clv.errors import ModelFileError
from clv.explain.insights import insights
from clv.forecast.learned import LearnedModel
from clv.models import (
    BetaDiscreteWeibull,
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    ShiftedBetaGeometric,
)
from clv.models.base import Model
from clv.models.persistence import read_json_file
from clv.pipeline.backtesting import BacktestThread, backtest_tables, backtest_window
from clv.settings import Settings


def predictive_total(metadata: dict[str, Any]) -> tuple[float, float] | None:
    """The predictive interval of the total a run's metadata holds (None in runs saved before it was added)."""
    interval = metadata.get("total_predictive")
    return (float(interval["low"]), float(interval["high"])) if interval else None


@dataclass
class Results:
    """Everything a run produced; see the documentation's "The one run" page (docs/run.md) for the columns, and
    "Subscriptions" (docs/subscriptions.md) for those of a contractual run."""

    predictions: pd.DataFrame
    metrics: pd.DataFrame
    deciles: pd.DataFrame
    tracking: pd.DataFrame
    conditional: pd.DataFrame
    segments: dict[str, pd.DataFrame]
    insights: list[str]
    drivers: dict[str, pd.DataFrame]
    models: dict[str, Model]
    learned_model: LearnedModel | None
    metadata: dict[str, Any]
    total: tuple[float, float, float]
    settings: Settings = field(default_factory=Settings)
    retention: pd.DataFrame = field(default_factory=pd.DataFrame)
    """A contractual run's retention curves per cohort (:func:`clv.forecast.retention.retention_curves`); empty
    otherwise."""
    backtest_pending: BacktestThread | None = field(default=None, repr=False, compare=False)

    @property
    def backtest_ready(self) -> bool:
        """Whether :meth:`with_backtest` returns without waiting (no backtest left running, or it has finished)."""
        return self.backtest_pending is None or self.backtest_pending.done()

    def with_backtest(self) -> Results:
        """These results with their backtest. When the run left it running (``clv.run(..., wait_for_backtest=False)``),
        wait for it and return new results holding its tables, its notes and the insight on it; else these results."""
        if self.backtest_pending is None:
            return self
        notes = list(self.metadata["notes"])
        tested, seconds = self.backtest_pending.wait(lambda stage, fraction: None, 1.0, notes)
        metadata = {
            **self.metadata,
            "notes": notes,
            "backtest": backtest_window(tested),
            "timings_seconds": {**self.metadata["timings_seconds"], "backtest": seconds},
        }
        tables = backtest_tables(tested)
        findings = insights(
            self.predictions,
            self.total,
            self.settings,
            self.drivers.get("importance"),
            tables["metrics"],
            predictive_total(self.metadata),
        )
        return replace(self, **tables, insights=findings, metadata=metadata, backtest_pending=None)

    def save(self, folder: str | Path) -> Path:
        """Write the run to ``folder`` (after its backtest, if left running): Parquet tables, JSON metadata and
        models, LightGBM text (never pickle)."""
        if self.backtest_pending is not None:
            return self.with_backtest().save(folder)
        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        tables = {
            "predictions": self.predictions,
            "metrics": self.metrics.reset_index(),
            "deciles": self.deciles,
            "tracking": self.tracking,
            "conditional": self.conditional,
            **{f"segments_{name}": table for name, table in self.segments.items()},
            **{f"drivers_{name}": table for name, table in self.drivers.items()},
            **({"retention": self.retention} if not self.retention.empty else {}),
        }
        for name, table in tables.items():
            table.to_parquet(root / f"{name}.parquet", index=False)
        (root / "models").mkdir(exist_ok=True)
        for name, model in self.models.items():
            model.save(root / "models" / f"{name}.json")
        if self.learned_model is not None:
            self.learned_model.save(root / "learned_model.txt")
        document = {
            "format": "clv-run",
            "format_version": 1,
            "settings": self.settings.to_dict(),
            "metadata": self.metadata,
            "insights": self.insights,
            "total": list(self.total),
            "tables": sorted(tables),
            "models": {name: model.model_type for name, model in self.models.items()},
        }
        (root / "run.json").write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        return root

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a run written by :meth:`save`; raises :class:`~clv.errors.ModelFileError` on anything else."""
        root = Path(folder)
        document = read_json_file(root / "run.json", "saved clv run")
        if document.get("format") != "clv-run" or document.get("format_version") != 1:
            raise ModelFileError(f"{root} holds an unsupported run format")
        tables = {name: pd.read_parquet(root / f"{name}.parquet") for name in document["tables"]}
        kinds = (BetaGeo, ParetoNBD, ModifiedBetaGeo, GammaGamma, ShiftedBetaGeometric, BetaDiscreteWeibull)
        classes: dict[str, type[Model]] = {model.model_type: model for model in kinds}
        models: dict[str, Model] = {
            name: classes[kind].load(root / "models" / f"{name}.json")
            for name, kind in document["models"].items()
        }
        learned_path = root / "learned_model.txt"
        return cls(
            predictions=tables["predictions"],
            metrics=tables["metrics"].set_index("model")
            if "model" in tables["metrics"]
            else tables["metrics"],
            deciles=tables["deciles"],
            tracking=tables["tracking"],
            conditional=tables["conditional"],
            segments={k.removeprefix("segments_"): v for k, v in tables.items() if k.startswith("segments_")},
            insights=list(document["insights"]),
            drivers={k.removeprefix("drivers_"): v for k, v in tables.items() if k.startswith("drivers_")},
            models=models,
            learned_model=LearnedModel.load(learned_path) if learned_path.exists() else None,
            metadata=document["metadata"],
            total=tuple(document["total"]),  # type: ignore[arg-type]
            settings=Settings.from_dict(document["settings"]),
            retention=tables.get("retention", pd.DataFrame()),
        )
