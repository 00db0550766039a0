"""``talent evaluate competence`` and ``talent train competence`` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from footprint.frames import FRAME_DTYPES
from footprint.snapshot import write_snapshot
from tests.features.world import make_world


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    world = make_world(n_participants=500, seasons=(2022, 2023, 2024, 2025), seed=4)
    snap = world.snapshot()
    return write_snapshot(
        {n: getattr(snap, n) for n in FRAME_DTYPES},
        snap.as_of,
        tmp_path_factory.mktemp("snapshots"),
    )


def test_groups_are_registered_once() -> None:
    from cli.main import full_app

    names = [g.name for g in full_app().registered_groups]
    assert names.count("train") == 1 and names.count("evaluate") == 1
    result = CliRunner().invoke(app, ["train", "--help"])
    assert result.exit_code == 0 and "competence" in result.output


def test_evaluate_writes_a_json_report(snapshot_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        ["evaluate", "competence", "--snapshot", str(snapshot_dir), "--output", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert "all.spearman_label.model" in report and "all.spearman_label.rating_points" in report
    assert json.loads(result.stdout) == report  # --json: the report alone on stdout


def test_a_missing_snapshot_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "competence", "--snapshot", str(tmp_path / "nope")]
    )
    assert result.exit_code == 2
    assert "not a snapshot" in result.output
