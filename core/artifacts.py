"""The published bundle's contract, in one place: what training writes and serving and the
benchmarks read.

A folder that serves bundles holds, for each bundle file ``<name>``:

- ``<name>``: the bundle itself. A recommender's file starts with :data:`BUNDLE_HEADER`
  (parameters only, pickle protocol 5, zlib); a competence bundle is a joblib file.
- ``<name>.sha256``: its SHA-256 in ``sha256sum`` format (integrity: the file is the one written).
- ``<name>.sig``: ``hmac-sha256 <mac>  <name>``, an HMAC-SHA256 of the file's SHA-256 under a key
  only the publisher and the service hold (``TALENT_BUNDLE_KEY``) (origin: a trusted party wrote
  it). A bundle is a pickle and unpickling runs code, so serving refuses a file whose signature is
  missing or wrong before it reads a byte of it.
- ``latest.txt``: the name of the bundle to serve, replaced atomically and last, so a watcher never
  sees a name whose file, checksum or signature is incomplete. It names a file of the same folder;
  a pointer elsewhere is refused, not followed.

HMAC rather than Ed25519 because the training pipeline and the service run inside one operator's
network and already share secrets (the erasure salt); the key is one more such secret. Training
(the writing side, :mod:`training.bundles`) and serving (the reading side, :mod:`serving.bundles`)
must not import each other, so the contract lives here, in the kernel.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from core.hashing import file_sha256

BUNDLE_HEADER = b"talent-recommender parameters pickle5+zlib\n"
"""First bytes of a file written by :meth:`Recommender.save
<models.recommend.base.Recommender.save>` (parameters only)."""
OLD_BUNDLE_HEADER = b"talent-recommender pickle5+zlib\n"
"""First bytes of the files written before 2026-12-03, which carried the training dataset (with
participant ids and histories): refused, retrain them."""
LATEST = "latest.txt"
"""The file in a bundle folder naming the bundle to serve."""
CHECKSUM_SUFFIX = ".sha256"
SIGNATURE_SUFFIX = ".sig"
ALGORITHM = "hmac-sha256"
DEV_BUNDLE_KEY = "development-only-bundle-key-change-me"
"""The key a development setup signs and verifies with; a production service refuses it."""
_CONTEXT = b"talent-bundle-v1\n"  # so a signature of a bundle is never valid for anything else


class SigningSettings(BaseSettings):
    """``TALENT_BUNDLE_KEY``: the secret that signs published bundles (read by the CLI that
    publishes them; the service reads the same variable through its own settings)."""

    model_config = SettingsConfigDict(env_prefix="TALENT_", extra="ignore")

    bundle_key: str = DEV_BUNDLE_KEY


def signature_path(path: Path) -> Path:
    """The signature file beside a bundle: ``<name>.sig``."""
    path = Path(path)
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def sign_digest(key: str, sha256: str) -> str:
    """The hex HMAC-SHA256 of a file's hex SHA-256 under ``key``."""
    message = _CONTEXT + sha256.strip().lower().encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def signature_line(key: str, sha256: str, name: str) -> str:
    """The content of a ``.sig`` file: ``hmac-sha256 <mac>  <file name>``."""
    return f"{ALGORITHM} {sign_digest(key, sha256)}  {name}\n"


def read_signature(path: Path) -> str | None:
    """The MAC in the ``.sig`` beside ``path``; None when there is none or it is malformed."""
    sig = signature_path(path)
    try:
        text = sig.read_text("utf-8", errors="replace")[:512]
    except OSError:
        return None
    parts = text.split()
    if len(parts) < 2 or parts[0] != ALGORITHM:
        return None
    return parts[1].lower()


def signature_matches(key: str, sha256: str, mac: str | None) -> bool:
    """Whether ``mac`` is the signature of ``sha256`` under ``key`` (constant-time compare)."""
    if not mac:
        return False
    return hmac.compare_digest(sign_digest(key, sha256), mac.strip().lower())


def checksum_path(path: Path) -> Path:
    """The checksum file beside a bundle: ``<name>.sha256``."""
    path = Path(path)
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def write_checksum(path: Path, digest: str | None = None) -> str:
    """Write ``<bundle>.sha256`` (``sha256sum`` format) and return the digest (computed from the
    file unless given)."""
    path = Path(path)
    digest = digest if digest is not None else file_sha256(path)
    checksum_path(path).write_text(f"{digest}  {path.name}\n", "utf-8")
    return digest


def read_checksum(path: Path) -> str | None:
    """The digest in the ``.sha256`` beside ``path`` (lower case); None when there is no such
    file, and a text that matches no digest when it is empty (so a load refuses it)."""
    sidecar = checksum_path(path)
    if not sidecar.is_file():
        return None
    words = sidecar.read_bytes()[:256].decode("utf-8", errors="replace").split()
    return words[0].lower() if words else "empty checksum file"


def write_signature(path: Path, digest: str, key: str | None = None) -> Path:
    """Write ``<bundle>.sig`` (atomically): the HMAC of ``digest`` under ``key`` (default:
    ``TALENT_BUNDLE_KEY``, the development key when unset). Returns the signature's path."""
    path = Path(path)
    key = key if key is not None else SigningSettings().bundle_key
    target = signature_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(signature_line(key, digest, path.name), "utf-8")
    os.replace(tmp, target)
    return target


def point_latest(folder: Path, name: str) -> Path:
    """Make ``latest.txt`` in ``folder`` name ``name``, atomically (a poller never reads half a
    name). Returns the pointer's path."""
    pointer = Path(folder) / LATEST
    tmp = pointer.with_name(LATEST + ".tmp")
    tmp.write_text(name + "\n", "utf-8")
    os.replace(tmp, pointer)
    return pointer


def read_latest(folder: Path) -> Path:
    """The bundle file ``latest.txt`` in ``folder`` names.

    When the pointer is missing, the path of the missing ``latest.txt``; when it names no file of
    this folder (empty, a path, control characters), a path in the folder whose name says so.
    Neither exists, so a load refuses either with a message naming the problem.
    """
    folder = Path(folder)
    latest = folder / LATEST
    if not latest.is_file():
        return latest
    name = latest.read_bytes()[:256].decode("utf-8", errors="replace").strip()
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or any(ord(c) < 32 for c in name)
    ):
        return folder / f"{LATEST} names no file of this folder"
    return folder / name


def publish(path: Path, key: str | None = None) -> str:
    """Make ``path`` the bundle its folder serves: write ``<bundle>.sha256`` and ``<bundle>.sig``
    (signed with ``key``, default ``TALENT_BUNDLE_KEY``), then replace the folder's
    ``latest.txt`` atomically. The pointer moves last, so a watcher never sees a name whose file,
    checksum or signature is incomplete. Returns the digest."""
    path = Path(path)
    digest = write_checksum(path)
    write_signature(path, digest, key)
    point_latest(path.parent, path.name)
    return digest
