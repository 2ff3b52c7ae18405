"""clv: customer lifetime value prediction.

Layers import only downward: ``clv.data`` -> ``clv.models`` -> ``clv.features`` / ``clv.ml`` / ``clv.ensemble`` /
``clv.evaluate`` / ``clv.segment`` / ``clv.insights`` -> ``clv.pipeline`` -> faces (``clv.app``).
"""

from __future__ import annotations

from clv.pipeline import Results, Settings, run

__version__ = "0.1.0"

__all__ = ["Results", "Settings", "__version__", "run"]
