"""Bundle files that are safe to load: a SHA-256 recorded when written, checked before unpickling.

A joblib bundle is a pickle, and unpickling runs code; a file that is not byte for byte the one
training wrote (a partial copy, a truncated upload, an edited file) must never reach
``joblib.load``. :func:`record_checksum` writes ``<bundle>.sha256`` beside the file (the sidecar
serving's file source also reads) and returns the digest, which the registry stores with the
model version; :func:`verify_checksum` and :func:`load_verified` refuse any mismatch with
:class:`BundleIntegrityError` before a byte is unpickled.

A checksum proves integrity, not origin, so :func:`publish` (the only way a bundle reaches a folder
serving reads) also signs it: ``<bundle>.sig`` holds an HMAC of the digest under
``TALENT_BUNDLE_KEY``, which serving checks before unpickling. The folder's format (checksum,
signature, ``latest.txt``) is :mod:`core.artifacts`; this module adds the training side's checks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib

from core.artifacts import checksum_path as sidecar
from core.artifacts import publish
from core.artifacts import write_checksum as record_checksum
from core.artifacts import write_signature as sign
from core.errors import TalentError
from core.hashing import file_sha256
from core.logs import get_logger

log = get_logger(__name__)


class BundleIntegrityError(TalentError):
    """A bundle file is missing or its SHA-256 differs from the recorded one."""


__all__ = [
    "BundleIntegrityError",
    "file_sha256",
    "load_verified",
    "publish",
    "record_checksum",
    "sidecar",
    "sign",
    "verify_checksum",
]


def verify_checksum(path: Path, expected: str) -> None:
    """Raise :class:`BundleIntegrityError` unless ``path`` exists and hashes to ``expected``."""
    path = Path(path)
    if not path.is_file():
        raise BundleIntegrityError(f"bundle {path} does not exist")
    actual = file_sha256(path)
    if actual != expected.strip().lower():
        raise BundleIntegrityError(
            f"bundle {path} has SHA-256 {actual[:16]}..., but {expected[:16]}... was recorded "
            "when it was trained: the file was changed, truncated or replaced, so it is not "
            "loaded; fetch it again from the registry or retrain"
        )


def load_verified(path: Path, expected: str) -> Any:
    """Verify the checksum, then ``joblib.load`` the file (never the other way round). For a
    recommender use :func:`verify_checksum`, then :meth:`Recommender.load
    <models.recommend.base.Recommender.load>` (its files are not joblib's since session 3)."""
    verify_checksum(path, expected)
    log.info("bundle verified", path=str(path), sha256=expected[:16])
    return joblib.load(path)
