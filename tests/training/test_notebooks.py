"""The notebooks (percent-format .py) run top to bottom on a small simulated world."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.py"))


def test_the_three_notebooks_exist() -> None:
    assert [p.stem for p in NOTEBOOKS] == ["01_footprint", "02_competence", "03_recommender"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALENT_NOTEBOOK_PARTICIPANTS", "500")
    monkeypatch.setenv("TALENT_NOTEBOOK_ROUNDS", "20")
    runpy.run_path(str(path), run_name="__main__")
