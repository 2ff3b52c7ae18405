"""The shared reference data (CDNOW logs, published summaries): ``shared/data`` beside the repository, found from a
git worktree nested deeper too."""

from __future__ import annotations

from pathlib import Path

_REPOSITORY = Path(__file__).resolve().parents[1]
SHARED_DATA = next(
    (folder / "shared" / "data" for folder in _REPOSITORY.parents if (folder / "shared" / "data").is_dir()),
    _REPOSITORY.parent / "shared" / "data",
)
