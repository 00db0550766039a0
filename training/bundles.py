"""Bundle files that are safe to load: a SHA-256 recorded when written, checked before unpickling.

A joblib bundle is a pickle, and unpickling runs code; a file that is not byte for byte the one
training wrote (a partial copy, a truncated upload, an edited file) must never reach
``joblib.load``. :func:`record_checksum` writes ``<bundle>.sha256`` beside the file (the sidecar
serving's file source also reads) and returns the digest, which the registry stores with the
model version; :func:`verify_checksum` and :func:`load_verified` refuse any mismatch with
:class:`BundleIntegrityError` before a byte is unpickled.

A checksum proves integrity, not origin, so :func:`publish` (the only way a bundle reaches a folder
serving reads) also signs it: ``<bundle>.sig`` holds an HMAC of the digest under
``TALENT_BUNDLE_KEY`` (:mod:`footprint.signing`), which serving checks before unpickling.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import joblib

from core.hashing import file_sha256
from footprint.errors import TalentError
from footprint.logs import get_logger
from footprint.signing import SigningSettings, signature_line, signature_path

log = get_logger(__name__)
SIDECAR_SUFFIX = ".sha256"
LATEST = "latest.txt"
"""The file in a bundle folder naming the bundle to serve (serving's ``FileSource`` reads it)."""


class BundleIntegrityError(TalentError):
    """A bundle file is missing or its SHA-256 differs from the recorded one."""


__all__ = ["BundleIntegrityError", "file_sha256", "load_verified", "publish", "record_checksum",
           "sidecar", "sign", "verify_checksum"]


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


def sign(path: Path, digest: str, key: str | None = None) -> Path:
    """Write ``<bundle>.sig``: the HMAC of ``digest`` under ``key`` (default:
    ``TALENT_BUNDLE_KEY``, the development key when unset). Returns the signature's path."""
    path = Path(path)
    key = key if key is not None else SigningSettings().bundle_key
    target = signature_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(signature_line(key, digest, path.name), "utf-8")
    os.replace(tmp, target)
    return target


def publish(path: Path, key: str | None = None) -> str:
    """Make ``path`` the bundle its folder serves: write ``<bundle>.sha256`` and ``<bundle>.sig``
    (signed with ``key``, default ``TALENT_BUNDLE_KEY``), then replace the folder's
    ``latest.txt`` atomically. The pointer moves last, so a watcher never sees a name whose file,
    checksum or signature is incomplete. Returns the digest."""
    path = Path(path)
    digest = record_checksum(path)
    sign(path, digest, key)
    pointer = path.with_name(LATEST + ".tmp")
    pointer.write_text(path.name + "\n", "utf-8")
    os.replace(pointer, path.with_name(LATEST))
    return digest
