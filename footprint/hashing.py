"""Deterministic hashes of rows and ids (vectorised, stable across runs and machines)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pandas as pd

_KEY_A = "talent-footprint"
_KEY_B = "trajectory-00001"


def row_hashes(frame: pd.DataFrame) -> pd.Series:
    """A 32-hex-digit hash of each row's values (column order matters), for change detection."""
    a = pd.util.hash_pandas_object(frame, index=False, hash_key=_KEY_A)
    b = pd.util.hash_pandas_object(frame, index=False, hash_key=_KEY_B)
    return pd.Series(
        [f"{x:016x}{y:016x}" for x, y in zip(a.to_numpy(), b.to_numpy(), strict=True)],
        index=frame.index,
        dtype=object,
    )


def subject_hash(salt: str, subject_id: str) -> str:
    """Keyed hash of a participant id, kept in tombstones and quarantine instead of the id."""
    return hashlib.sha256(f"{salt}|{subject_id}".encode()).hexdigest()


def subject_hashes(salt: str, ids: Iterable[str]) -> dict[str, str]:
    return {i: subject_hash(salt, i) for i in set(ids)}
