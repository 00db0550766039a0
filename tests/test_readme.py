"""README.md's shell blocks run as written: the data scientist's session and the training pipeline.

Each block runs as one ``bash -euo pipefail`` script in a temporary folder (the project's
``training/configs`` copied in, since the blocks name them from the project's root), with ``uv run
X`` meaning "X in this environment" (a two-line ``uv`` on PATH does that, so no second install).
Only sizes change, so a run takes minutes, not the half hour of the written sizes:
``--participants`` becomes ``TALENT_README_PARTICIPANTS`` (default 600) and ``--trials`` becomes
``TALENT_README_TRIALS`` (default 2). The ``mlflow ui`` line runs on a free port and must answer
HTTP before it is stopped. Anything else failing fails the test, with the step's output.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = {
    "data_scientist": "A data scientist's session",
    "training_pipeline": "The training pipeline on a world that ends today",
}
UV_SHIM = """#!/bin/sh
# `uv run X ...` runs X in the test's environment; any other uv call is a mistake here
if [ "$1" = run ]; then shift; exec "$@"; fi
echo "the README test's uv stand-in only knows 'uv run': uv $*" >&2
exit 97
"""
MLFLOW_UI = re.compile(r"^uv run mlflow ui\b(?P<args>.*)$")
# waits until the UI answers HTTP, then stops it; fails after two minutes
MLFLOW_CHECK = """
setsid uv run mlflow ui {args} --port {port} > mlflow-ui.log 2>&1 &
ui=$!
for _ in $(seq 240); do
  if python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \\
      "http://127.0.0.1:{port}/" 2>/dev/null; then ok=1; break; fi
  kill -0 "$ui" 2>/dev/null || break
  sleep 0.5
done
kill -TERM -- -"$ui" 2>/dev/null || true
wait "$ui" 2>/dev/null || true
if [ -z "${{ok:-}}" ]; then echo "mlflow ui did not answer" >&2; cat mlflow-ui.log >&2; exit 1; fi
echo "mlflow ui answered on port {port}"
"""


def shell_blocks(text: str) -> dict[str, str]:
    """The ```bash block that follows each of :data:`BLOCKS`' lead-in lines."""
    found = {}
    for key, lead in BLOCKS.items():
        match = re.search(re.escape(lead) + r"[^\n]*\n+```bash\n(.*?)```", text, re.S)
        assert match, f"README.md has no ```bash block after {lead!r}"
        found[key] = match.group(1)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def smaller(block: str) -> str:
    """The block with smaller sizes and its ``mlflow ui`` line made to start, answer and stop."""
    participants = os.environ.get("TALENT_README_PARTICIPANTS", "600")
    trials = os.environ.get("TALENT_README_TRIALS", "2")
    block = re.sub(r"--participants \d+", f"--participants {participants}", block)
    block = re.sub(r"--trials \d+", f"--trials {trials}", block)
    lines = []
    for line in block.splitlines():
        ui = MLFLOW_UI.match(line.split("  #")[0].rstrip())
        if ui:
            args = re.sub(r"--port \d+", "", ui.group("args"))
            lines.append(MLFLOW_CHECK.format(args=args.strip(), port=_free_port()))
        else:
            lines.append(line)
    return "\n".join(lines) + "\n"


def test_blocks_are_found_and_use_only_uv_run() -> None:
    blocks = shell_blocks(README.read_text(encoding="utf-8"))
    for block in blocks.values():
        for line in block.splitlines():
            words = line.split()
            for i, word in enumerate(words):
                if word == "uv":
                    assert words[i + 1] == "run", line


def test_smaller_changes_sizes_and_the_ui_line_only() -> None:
    block = (
        "uv run talent demo --participants 3000 --seasons 5 --no-train\n"
        "uv run talent tune --config c.toml --trials 20\n"
        "uv run mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db --port 5000  # x\n"
    )
    out = smaller(block)
    assert "--participants 600 --seasons 5 --no-train" in out
    assert "--trials 2\n" in out
    assert "--port 5000" not in out and "kill -TERM" in out


def _env(tmp_path: Path) -> dict[str, str]:
    shim = tmp_path / ".bin"
    shim.mkdir()
    (shim / "uv").write_text(UV_SHIM, encoding="utf-8")
    (shim / "uv").chmod(0o755)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TALENT_", "MLFLOW_")) or k.startswith("TALENT_README_")
    }
    env["PATH"] = os.pathsep.join([str(shim), str(Path(sys.executable).parent), env["PATH"]])
    env["OPENBLAS_NUM_THREADS"] = "1"
    return env


@pytest.mark.slow
@pytest.mark.parametrize("name", list(BLOCKS))
def test_readme_block_runs(name: str, tmp_path: Path) -> None:
    block = smaller(shell_blocks(README.read_text(encoding="utf-8"))[name])
    work = tmp_path / "work"
    shutil.copytree(ROOT / "training" / "configs", work / "training" / "configs")
    script = work / f"{name}.sh"
    script.write_text("set -euo pipefail\nset -x\n" + block, encoding="utf-8")
    run = subprocess.run(
        ["bash", str(script)],
        cwd=work,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert run.returncode == 0, (
        f"README block {name!r} failed (exit {run.returncode}):\n{block}\n"
        f"--- stdout (end) ---\n{run.stdout[-6000:]}\n--- stderr (end) ---\n{run.stderr[-6000:]}"
    )
    # MLflow's store is under the data folder (TALENT_DATA_DIR's default), not in ./mlruns of
    # the working folder
    assert not (work / "mlruns").exists()
    if name == "training_pipeline":
        assert (work / "data" / "mlruns" / "mlflow.db").is_file()
