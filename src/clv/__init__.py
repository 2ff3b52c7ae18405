"""clv: customer lifetime value prediction.

Layers import only downward: ``clv.settings`` -> ``clv.data`` -> ``clv.models`` -> ``clv.forecast`` (features, the
learned model, the blend, scoring, the backtest) -> ``clv.explain`` (segments, insights) -> ``clv.pipeline`` (the one
run) -> ``clv.report`` / ``clv.storage`` -> faces (``clv.app``, ``clv.cli``).

``clv.run``, ``clv.Settings`` and ``clv.Results`` are imported on first use, so a process that needs only a light
part of clv (``clv.storage`` in a writer process, say) does not load the models (PEP 562).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clv.pipeline import Results, Settings, run

try:
    __version__ = version("clv-platform")  # the installed distribution's version (pyproject.toml)
except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Results", "Settings", "__version__", "run"]


def __getattr__(name: str) -> Any:
    if name in ("Results", "Settings", "run"):
        import clv.pipeline

        return getattr(clv.pipeline, name)
    raise AttributeError(f"module 'clv' has no attribute {name!r}")
