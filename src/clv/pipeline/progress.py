"""How a run reports what it is doing: a callable taking (stage name, fraction done)."""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, float], None]
"""Called with the name of the stage a run is in and the fraction of the run done (0 to 1)."""


def no_progress(stage: str, fraction: float) -> None:
    """A :data:`Progress` that reports nothing."""
