"""A bundle is unpickled only when its bytes hash to the recorded SHA-256."""

from __future__ import annotations

from pathlib import Path

import joblib
import pytest

from training.bundles import BundleIntegrityError, load_verified, record_checksum, sidecar


def _bundle(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "b.joblib"
    joblib.dump({"format": 1, "weights": list(range(1000))}, path, compress=3)
    return path, record_checksum(path)


def test_intact_bundle_loads(tmp_path: Path) -> None:
    path, sha = _bundle(tmp_path)
    assert sidecar(path).read_text().split()[0] == sha
    assert load_verified(path, sha)["weights"][-1] == 999


def test_tampered_bundle_is_refused_before_unpickling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, sha = _bundle(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    def never(*_: object, **__: object) -> None:
        raise AssertionError("joblib.load must not run on a tampered file")

    monkeypatch.setattr(joblib, "load", never)
    with pytest.raises(BundleIntegrityError, match="changed, truncated or replaced"):
        load_verified(path, sha)


def test_truncated_bundle_is_refused(tmp_path: Path) -> None:
    path, sha = _bundle(tmp_path)
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(BundleIntegrityError, match="SHA-256"):
        load_verified(path, sha)


def test_missing_bundle_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BundleIntegrityError, match="does not exist"):
        load_verified(tmp_path / "nope.joblib", "0" * 64)


def test_publish_signs_with_the_key_and_the_signature_binds_the_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.artifacts import read_signature, signature_matches
    from training.bundles import publish

    path, sha = _bundle(tmp_path)
    monkeypatch.setenv("TALENT_BUNDLE_KEY", "the-publishers-key-" + "7Qz" * 8)
    assert publish(path) == sha
    assert (tmp_path / "latest.txt").read_text().strip() == path.name
    mac = read_signature(path)
    assert signature_matches("the-publishers-key-" + "7Qz" * 8, sha, mac)
    assert not signature_matches("another key entirely, just as long", sha, mac)
    assert not signature_matches("the-publishers-key-" + "7Qz" * 8, "0" * 64, mac)
