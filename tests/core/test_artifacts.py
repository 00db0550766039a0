"""The published bundle folder's contract: checksum, signature, latest.txt."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.artifacts import (
    LATEST,
    publish,
    read_checksum,
    read_latest,
    read_signature,
    signature_matches,
)
from core.hashing import file_sha256


def test_publish_writes_checksum_signature_and_pointer(tmp_path: Path) -> None:
    bundle = tmp_path / "m-1.bin"
    bundle.write_bytes(b"parameters")
    digest = publish(bundle, key="k")
    assert digest == file_sha256(bundle)
    assert read_checksum(bundle) == digest
    assert signature_matches("k", digest, read_signature(bundle))
    assert not signature_matches("other key", digest, read_signature(bundle))
    assert read_latest(tmp_path) == bundle
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "latest.txt",
        "m-1.bin",
        "m-1.bin.sha256",
        "m-1.bin.sig",
    ]


def test_a_missing_checksum_reads_as_none_and_an_empty_one_as_no_digest(tmp_path: Path) -> None:
    bundle = tmp_path / "m.bin"
    bundle.write_bytes(b"x")
    assert read_checksum(bundle) is None
    (tmp_path / "m.bin.sha256").write_text("")
    assert read_checksum(bundle) == "empty checksum file"


@pytest.mark.parametrize("pointer", ["", "..", "../elsewhere.bin", "/etc/passwd", "a\\b", "a\x01b"])
def test_latest_pointing_out_of_its_folder_names_no_existing_file(
    tmp_path: Path, pointer: str
) -> None:
    (tmp_path / LATEST).write_text(pointer)
    target = read_latest(tmp_path)
    assert target.parent == tmp_path
    assert not target.exists()


def test_a_missing_pointer_is_the_missing_latest_file(tmp_path: Path) -> None:
    assert read_latest(tmp_path) == tmp_path / LATEST
