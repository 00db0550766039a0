"""Dependencies run one way (footprint -> features -> models -> training/serving -> cli)."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_import_contracts_hold() -> None:
    exe = shutil.which("lint-imports")
    assert exe is not None, "import-linter is a dev dependency; run `uv sync`"
    done = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    declared = len(PYPROJECT["tool"]["importlinter"]["contracts"])
    assert f"Contracts: {declared} kept, 0 broken." in done.stdout


def test_no_module_imports_notebooks() -> None:
    offenders = [
        p
        for pkg in (
            "cli",
            "core",
            "footprint",
            "simulator",
            "features",
            "models",
            "training",
            "serving",
        )
        for p in (ROOT / pkg).rglob("*.py")
        if "import notebooks" in p.read_text() or "from notebooks" in p.read_text()
    ]
    assert offenders == []


def test_model_inputs_never_read_the_simulator_truth() -> None:
    """Only evaluation (training/, bench/) may read the simulator's truth folder."""
    needles = ('"truth"', "'truth'", "truth/", "competence.parquet")
    offenders = [
        str(p.relative_to(ROOT))
        for pkg in ("features", "models", "serving")
        for p in (ROOT / pkg).rglob("*.py")
        if any(n in p.read_text() for n in needles)
    ]
    assert offenders == []
