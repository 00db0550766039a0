"""Bundle files that are safe to load: a SHA-256 recorded when written, checked before unpickling.

A joblib bundle is a pickle, and unpickling runs code; a file that is not byte for byte the one
training wrote (a partial copy, a truncated upload, an edited file) must never reach
``joblib.load``. :func:`record_checksum` writes ``<bundle>.sha256`` beside the file (the sidecar
serving's file source also reads) and returns the digest, which the registry stores with the
model version; :func:`verify_checksum` and :func:`load_verified` refuse any mismatch with
:class:`BundleIntegrityError` before a byte is unpickled.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import joblib

from footprint.errors import TalentError
from footprint.logs import get_logger

log = get_logger(__name__)
SIDECAR_SUFFIX = ".sha256"
LATEST = "latest.txt"
"""The file in a bundle folder naming the bundle to serve (serving's ``FileSource`` reads it)."""


class BundleIntegrityError(TalentError):
    """A bundle file is missing or its SHA-256 differs from the recorded one."""


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (bundles can be hundreds of megabytes)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sidecar(path: Path) -> Path:
    """The checksum file beside a bundle: ``<name>.sha256``."""
    return path.with_name(path.name + SIDECAR_SUFFIX)


def record_checksum(path: Path) -> str:
    """Write ``<bundle>.sha256`` (``sha256sum`` format) and return the digest."""
    path = Path(path)
    digest = file_sha256(path)
    sidecar(path).write_text(f"{digest}  {path.name}\n", "utf-8")
    return digest


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
            "loaded; fetch it again from the registry or retrain")


def load_verified(path: Path, expected: str) -> Any:
    """Verify the checksum, then ``joblib.load`` the file (never the other way round). For a
    recommender use :func:`verify_checksum`, then :meth:`Recommender.load
    <models.recommend.base.Recommender.load>` (its files are not joblib's since session 3)."""
    verify_checksum(path, expected)
    log.info("bundle verified", path=str(path), sha256=expected[:16])
    return joblib.load(path)


def publish(path: Path) -> str:
    """Make ``path`` the bundle its folder serves: write ``<bundle>.sha256``, then replace the
    folder's ``latest.txt`` atomically. The pointer moves last, so a watcher never sees a name
    whose file or checksum is incomplete. Returns the digest."""
    path = Path(path)
    digest = record_checksum(path)
    pointer = path.with_name(LATEST + ".tmp")
    pointer.write_text(path.name + "\n", "utf-8")
    os.replace(pointer, path.with_name(LATEST))
    return digest
