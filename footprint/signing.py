"""Signatures of model bundle files: who may publish a bundle, proven before it is unpickled.

A bundle is a pickle, and unpickling runs code. A SHA-256 sidecar proves a file is the one that was
published, not that a trusted party published it: anyone who can write the folder can write a
payload and its checksum. So publishing also writes ``<bundle>.sig``, an HMAC-SHA256 of the file's
SHA-256 under a key only the publisher and the service hold (``TALENT_BUNDLE_KEY``), and serving
refuses a file whose signature is missing or wrong before it reads a byte of it as a pickle.

HMAC rather than Ed25519 because the training pipeline and the service run inside one operator's
network and already share secrets (the erasure salt); the key is one more such secret. Training
(the signing side, :mod:`training.bundles`) and serving (the verifying side,
:mod:`serving.bundles`) must not import each other, so the rule lives here, once.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

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
