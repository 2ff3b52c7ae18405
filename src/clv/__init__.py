"""clv: customer lifetime value prediction.

Layers import only downward: ``clv.data`` -> ``clv.models`` -> ``clv.features`` / ``clv.ml`` / ``clv.evaluate`` /
``clv.segment`` / ``clv.insights`` -> ``clv.pipeline`` -> ``clv.report`` / ``clv.storage`` -> faces (``clv.app``,
``clv.cli``).
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
