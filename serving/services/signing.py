"""Ed25519 signatures over canonical JSON, and verification codes a person can type.

Canonical form: RFC 8785 (JSON Canonicalization Scheme, the ``rfc8785`` package), so anyone can
re-create the signed bytes from the document in any language and check the signature offline
with the published public key. Keys are named by the first 16 hex digits of the SHA-256 of the
raw public key; the active key signs, retired public keys still verify, so rotating the key
keeps every earlier document checkable.

A verification code is 100 random bits written in Crockford's base32 (digits and letters
without I, L, O, U), 20 characters in four groups of five: ``7K3QD-...``. Reading it back
ignores case, spaces and dashes and takes I/L for 1 and O for 0, the usual typing mistakes.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
CODE_BITS = 100
CODE_CHARS = CODE_BITS // 5
_TYPOS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def canonical(document: Any) -> bytes:
    """The RFC 8785 bytes of ``document`` (what is signed and hashed)."""
    return rfc8785.dumps(document)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey) -> str:
    return sha256_hex(_raw_public(key))[:16]


def private_key_from_b64(text: str) -> Ed25519PrivateKey:
    """A key from the base64 of its 32-byte seed (``talent keygen`` style settings value)."""
    seed = base64.b64decode(text, validate=True)
    if len(seed) != 32:
        raise ValueError("an Ed25519 private key is 32 bytes (base64 of the raw seed)")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_from_b64(text: str) -> Ed25519PublicKey:
    raw = base64.b64decode(text, validate=True)
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes (base64 of the raw key)")
    return Ed25519PublicKey.from_public_bytes(raw)


def new_private_key_b64() -> str:
    """A fresh key as the settings take it."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return base64.b64encode(seed).decode()


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    key: Ed25519PublicKey
    active: bool

    def as_dict(self) -> dict[str, object]:
        pem = self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return {
            "key_id": self.key_id,
            "algorithm": "Ed25519",
            "public_key": base64.b64encode(_raw_public(self.key)).decode(),
            "public_key_pem": pem.decode(),
            "status": "active" if self.active else "retired",
        }


class Signer:
    """The active signing key and every public key that still verifies."""

    def __init__(self, private_b64: str, retired_public_b64: list[str]) -> None:
        self._private = private_key_from_b64(private_b64)
        active = self._private.public_key()
        self.key_id = key_id_of(active)
        keys = [PublicKey(self.key_id, active, True)]
        for text in retired_public_b64:
            pub = public_key_from_b64(text)
            if key_id_of(pub) != self.key_id:
                keys.append(PublicKey(key_id_of(pub), pub, False))
        self.public_keys = {k.key_id: k for k in keys}

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._private.sign(payload)).decode()

    def verify(self, key_id: str, payload: bytes, signature_b64: str) -> bool:
        known = self.public_keys.get(key_id)
        if known is None:
            return False
        try:
            known.key.verify(base64.b64decode(signature_b64, validate=True), payload)
        except (InvalidSignature, ValueError):
            return False
        return True


def new_code() -> str:
    """100 random bits as four groups of five Crockford base32 characters."""
    n = secrets.randbits(CODE_BITS)
    chars = "".join(ALPHABET[(n >> (5 * i)) & 31] for i in range(CODE_CHARS))
    return "-".join(chars[i : i + 5] for i in range(0, CODE_CHARS, 5))


def normalise_code(text: str) -> str | None:
    """The canonical form of a typed code, or None when it cannot be one."""
    plain = "".join(text.split()).replace("-", "").upper().translate(_TYPOS)
    if len(plain) != CODE_CHARS or any(c not in ALPHABET for c in plain):
        return None
    return "-".join(plain[i : i + 5] for i in range(0, CODE_CHARS, 5))
