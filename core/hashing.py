"""File hashing: one SHA-256 helper for bundles, snapshots, ingested files and simulated worlds."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["file_sha256"]

_BLOCK = 1 << 20  # 1 MiB: bundles and input files can be hundreds of megabytes


def file_sha256(path: Path | str) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()
