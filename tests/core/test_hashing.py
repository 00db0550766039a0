"""One file SHA-256 helper, checked against a published test vector."""

from __future__ import annotations

import hashlib
from pathlib import Path

from core.hashing import file_sha256


def test_file_sha256_matches_the_known_digest(tmp_path: Path) -> None:
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")  # FIPS 180-2 example
    assert file_sha256(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_file_sha256_reads_files_larger_than_one_block(tmp_path: Path) -> None:
    path = tmp_path / "blocks.bin"
    data = bytes(range(256)) * (3 << 12) + b"tail"  # three 1 MiB blocks and a short one
    path.write_bytes(data)
    assert file_sha256(str(path)) == hashlib.sha256(data).hexdigest()
