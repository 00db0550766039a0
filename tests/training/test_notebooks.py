"""The notebooks are notebooks: percent-format sources paired with committed ``.ipynb`` files
(jupytext), kernel metadata, and a run through a real Jupyter kernel (nbclient) on a small world
in which every plot cell shows an image, every ``display`` a HTML table, and nothing writes to
stderr (no log lines, no warnings)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
PLOT_CALL = re.compile(r"\w+_figure\(|\.plot\(")


def _code_cells(nb: object) -> list[object]:
    return [c for c in nb.cells if c.cell_type == "code"]  # type: ignore[attr-defined]


def test_the_three_notebooks_exist() -> None:
    assert [p.stem for p in NOTEBOOKS] == ["01_footprint", "02_competence", "03_recommender"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_is_in_step_and_carries_a_kernel(path: Path) -> None:
    source = jupytext.read(path)
    pair = path.with_suffix(".ipynb")
    assert pair.is_file(), f"run: uv run jupytext --sync {path.relative_to(ROOT)}"
    committed = jupytext.read(pair)
    assert [(c.cell_type, c.source) for c in committed.cells] == [
        (c.cell_type, c.source) for c in source.cells
    ], f"{pair.name} is out of step: uv run jupytext --sync {path.relative_to(ROOT)}"
    for nb in (source, committed):
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert nb.metadata["kernelspec"]["language"] == "python"
    raw = json.loads(pair.read_text(encoding="utf-8"))
    assert all(not c.get("outputs") for c in raw["cells"] if c["cell_type"] == "code"), (
        f"{pair.name} holds outputs; commit it cleared"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_that_draws_is_tagged_plot(path: Path) -> None:
    for cell in _code_cells(jupytext.read(path)):
        draws = bool(PLOT_CALL.search(cell.source))  # type: ignore[attr-defined]
        tagged = "plot" in cell.metadata.get("tags", [])  # type: ignore[attr-defined]
        assert draws == tagged, cell.source  # type: ignore[attr-defined]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_in_a_kernel(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    monkeypatch.setenv("TALENT_NOTEBOOK_PARTICIPANTS", "500")
    monkeypatch.setenv("TALENT_NOTEBOOK_ROUNDS", "20")
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    nb = jupytext.read(path)
    NotebookClient(
        nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    plots = 0
    for cell in _code_cells(nb):
        outputs = cell.outputs  # type: ignore[attr-defined]
        source = cell.source  # type: ignore[attr-defined]
        stderr = [o["text"] for o in outputs if o.get("name") == "stderr"]
        assert stderr == [], f"{path.stem}: stderr in cell\n{source}\n{stderr}"
        kinds = [set(o.get("data", {})) for o in outputs]
        if "plot" in cell.metadata.get("tags", []):  # type: ignore[attr-defined]
            plots += 1
            assert any("image/png" in k for k in kinds), f"{path.stem}: no image from\n{source}"
        tables = len(re.findall(r"^\s*display\(", source, re.M))
        html = sum("text/html" in k for k in kinds)
        assert html >= min(tables, 1), f"{path.stem}: no HTML table from\n{source}"
    assert plots >= 1
