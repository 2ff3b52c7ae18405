"""Model files: JSON read within bounds, sealed with a checksum (and, with ``CLV_MODEL_KEY``, an HMAC-SHA256
signature) and verified on reading; a short fingerprint of the training data. Never pickle."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from clv.errors import ModelFileError

MAX_MODEL_FILE_BYTES = 16 * 1024 * 1024
MODEL_KEY_VARIABLE = "CLV_MODEL_KEY"


def read_json_file(path: str | Path, what: str) -> Any:
    """The JSON in ``path``, read within bounds: at most ``MAX_MODEL_FILE_BYTES`` (16 MB) and as deep as Python's
    parser goes; anything else is a :class:`~clv.errors.ModelFileError` naming the file."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_MODEL_FILE_BYTES:
            raise ModelFileError(
                f"{path} is not a {what}: {size / 1024**2:,.0f} MB, more than any model file holds (16 MB)"
            )
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except RecursionError as error:
        raise ModelFileError(f"{path} is not a {what}: its JSON is nested too deeply") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{path} is not a {what}: {error}") from error


def seal(content: dict[str, Any]) -> dict[str, Any]:
    """``content`` with its SHA-256 checksum, and, when ``CLV_MODEL_KEY`` is set, its HMAC-SHA256 signature under
    that key. The checksum detects accidents (a damaged or hand-edited file), not forgery: anyone can recompute it.
    The signature cannot be made without the key."""
    sealed = {**content, "checksum": _checksum(content)}
    key = _model_key()
    if key is not None:
        sealed["signature"] = hmac.new(key, _canonical(content), hashlib.sha256).hexdigest()
    return sealed


def verify(payload: dict[str, Any]) -> None:
    """Check a sealed payload (:func:`seal`): its checksum always; with ``CLV_MODEL_KEY`` set, its signature too,
    refusing unsigned files."""
    content = {k: v for k, v in payload.items() if k not in ("checksum", "signature")}
    if payload.get("checksum") != _checksum(content):
        raise ModelFileError(
            "the model file's checksum does not match its content: it was altered or damaged"
        )
    key = _model_key()
    if key is None:
        return
    signature = payload.get("signature")
    if not isinstance(signature, str):
        raise ModelFileError(
            f"the model file is not signed, and {MODEL_KEY_VARIABLE} is set: only files written with that key are read"
        )
    if not hmac.compare_digest(signature, hmac.new(key, _canonical(content), hashlib.sha256).hexdigest()):
        raise ModelFileError(
            f"the model file's signature does not match: it was altered, or written with another {MODEL_KEY_VARIABLE}"
        )


def _model_key() -> bytes | None:
    key = os.environ.get(MODEL_KEY_VARIABLE, "")
    return key.encode("utf-8") if key else None


def _canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, default=str).encode("utf-8")


def _checksum(content: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(content)).hexdigest()


def fingerprint(*arrays: np.ndarray) -> str:
    """A short hash of the training data, stored with the model."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array, dtype="float64").tobytes())
    return digest.hexdigest()[:16]
