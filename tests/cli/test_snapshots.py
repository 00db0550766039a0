"""``--snapshot`` takes the id `talent snapshot` prints, a unique prefix, or the folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from cli.snapshots import snapshot_path

FULL = "ab12cd34" * 8


def _snapshot(root: Path, snapshot_id: str) -> Path:
    folder = root / "snapshots" / snapshot_id[:16]
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"snapshot_id": snapshot_id}))
    return folder


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path))
    return tmp_path


def test_full_id_prefix_and_folder_resolve_to_the_folder(root: Path) -> None:
    folder = _snapshot(root, FULL)
    assert snapshot_path(FULL) == folder
    assert snapshot_path(FULL[:8]) == folder
    assert snapshot_path(str(folder)) == folder


def test_unknown_short_ambiguous_and_missing_are_refused(root: Path) -> None:
    _snapshot(root, FULL)
    _snapshot(root, "ab12cd35" + "0" * 56)
    with pytest.raises(typer.BadParameter, match="no snapshot with id"):
        snapshot_path("ffffffffff")
    with pytest.raises(typer.BadParameter, match="at least 8"):
        snapshot_path("ab12")
    with pytest.raises(typer.BadParameter, match="not a snapshot folder"):
        snapshot_path(str(root / "nope"))


def test_a_prefix_matching_two_snapshots_is_ambiguous(root: Path) -> None:
    _snapshot(root, FULL)
    _snapshot(root, "ab12cd34ab12cd35" + "0" * 48)
    with pytest.raises(typer.BadParameter, match="ambiguous"):
        snapshot_path("ab12cd34ab12")
