"""Search files for a participant id, including compressed content: the check behind "an erased
participant is nowhere". Reusable by any test that writes files (snapshots, ratings, bundles,
MLflow artifacts).

A file names the id when its bytes contain it, or any of: a zlib stream inside it (found by its
header bytes anywhere in the file), a gzip file, a Parquet table (its pages are compressed), or an
object a joblib/pickle file loads to (pickled again without compression). Only for files the test
wrote itself: loading a pickle runs code.
"""

from __future__ import annotations

import contextlib
import gzip
import pickle
import zlib
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

ZLIB_HEADERS = (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")
MAX_BYTES = 256 * 1024 * 1024


def _zlib_streams(data: bytes) -> Iterable[bytes]:
    for header in ZLIB_HEADERS:
        start = data.find(header)
        while start != -1:
            try:
                out = zlib.decompressobj().decompress(data[start:])
            except zlib.error:
                out = b""
            if out:
                yield out
            start = data.find(header, start + 1)


def _decoded(path: Path, data: bytes) -> Iterable[bytes]:
    yield data
    yield from _zlib_streams(data)
    if data[:2] == b"\x1f\x8b":
        with contextlib.suppress(OSError, EOFError):
            data = gzip.decompress(data)
        yield data
    if data[:4] == b"PAR1":
        table = pq.read_table(path)
        yield table.to_pandas().astype(str).to_csv().encode()
        yield str(table.schema.metadata).encode()
    if path.suffix in (".joblib", ".pkl", ".pickle"):
        import joblib

        loaded = b""
        with contextlib.suppress(Exception):  # not every such file is a joblib/pickle file
            loaded = pickle.dumps(joblib.load(path))
        yield loaded


def names(path: Path, needle: str) -> bool:
    """Whether the file at ``path`` holds ``needle`` in any form :mod:`this module <>` decodes."""
    if path.stat().st_size > MAX_BYTES:
        raise AssertionError(f"{path} is too large to search")
    data = path.read_bytes()
    forms = (needle.encode(), needle.encode("utf-16-le"))
    return any(f in chunk for chunk in _decoded(path, data) for f in forms)


def files_naming(roots: Iterable[Path], needle: str) -> list[str]:
    """Every file under ``roots`` (folders or files; missing ones are skipped) naming ``needle``."""
    hits = []
    for root in roots:
        if not root.exists():
            continue
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        hits += [str(p) for p in files if names(p, needle)]
    return hits
