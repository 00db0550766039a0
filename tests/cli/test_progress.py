"""Progress bars: determinate steps on a terminal, nothing under ``-q`` or off a terminal."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import footprint.progress as progress
from cli.main import app
from footprint.frames import FRAME_DTYPES
from tests.footprint.factory import achievement, activity, participant, write
from training.stage_runs import StageRuns

runner = CliRunner()
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Bars draw on the test's stderr as on a terminal (the runner's stderr is not one)."""
    monkeypatch.setattr(
        progress, "_console", lambda: Console(file=sys.stderr, force_terminal=True, width=150)
    )


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny folder of input files and an empty data folder."""
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TALENT_DATABASE_URL", raising=False)
    folder = tmp_path / "in"
    write(folder, "participants", [participant("p1"), participant("p2", grade="10")])
    write(folder, "activities", [activity("a1")])
    write(folder, "achievements", [achievement("r1", "p1", "a1", result="winner", score="90")])
    return folder


def _talent(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return ANSI.sub("", result.stderr)


def test_ingest_and_snapshot_draw_bars_with_a_total(terminal: None, store: Path) -> None:
    err = _talent("ingest", str(store), "--source", "platform", "--new-source")
    # one step per file of the folder, all done
    assert re.search(r"ingest platform .*3/3", err), err
    err = _talent("snapshot", "--as-of", "2026-06-01")
    # the read and one write per frame
    steps = 1 + len(FRAME_DTYPES)
    assert re.search(rf"snapshot .*{steps}/{steps}", err), err


def test_quiet_and_a_pipe_draw_no_bar(
    terminal: None, store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    err = _talent("-q", "ingest", str(store), "--source", "platform", "--new-source")
    assert "3/3" not in err and "ingest platform" not in err
    monkeypatch.setattr(progress, "_console", lambda: Console(file=sys.stderr))  # not a tty
    err = _talent("snapshot", "--as-of", "2026-06-01")
    assert not re.search(r"\d+/\d+", err), err


def test_the_pipeline_reports_each_stage(
    terminal: None, capsys: pytest.CaptureFixture[str]
) -> None:
    progress.set_enabled(True)
    runs = StageRuns(enabled=False)
    with runs.parent("unused", "run", stages=3):
        for name in ("data", "features", "competence"):
            with runs.stage(name):
                pass
    err = ANSI.sub("", capsys.readouterr().err)
    assert re.search(r"train .*3/3 .*competence", err), err
