"""Where the shared CDNOW files live: ``CLV_SHARED_DATA``, else the nearest ``shared/data`` above the checkout
(``../shared/data`` for /work/main, ``../../shared/data`` for a worktree under /work/wt/)."""

from __future__ import annotations

import os
from pathlib import Path


def _shared_data() -> Path:
    configured = os.environ.get("CLV_SHARED_DATA")
    if configured:
        return Path(configured)
    root = Path(__file__).resolve().parents[1]
    for folder in root.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return root.parent / "shared" / "data"


SHARED_DATA = _shared_data()
