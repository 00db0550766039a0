"""``talent evaluate recommend``, ``talent recommend`` and ``talent plan`` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from footprint.snapshot import write_snapshot
from simulator import SimulationConfig
from tests.models.recommend.conftest import tiny_log
from training.simworld import simulate_world

runner = CliRunner()
FRAMES = ("participants", "activities", "activity_directions", "activity_edges", "achievements")


@pytest.fixture(scope="module")
def snapshot_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    world = simulate_world(SimulationConfig(participants=800, seasons=3, seed=8))
    snap = world.snapshot
    root = tmp_path_factory.mktemp("snapshots")
    path = write_snapshot({n: getattr(snap, n) for n in FRAMES}, snap.as_of, root)
    active = snap.achievements["participant_id"].astype(str).value_counts().index[0]
    return path, active


def test_evaluate_any_interaction_log(tmp_path: Path) -> None:
    log = tiny_log(np.random.default_rng(1))
    log["ts"] = np.arange(len(log))
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    out = tmp_path / "report.json"
    result = runner.invoke(
        app,
        [
            "evaluate",
            "recommend",
            "--interactions",
            str(path),
            "--user-col",
            "user",
            "--item-col",
            "item",
            "--time-col",
            "ts",
            "--output",
            str(out),
            "--no-mlflow",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text("utf-8"))
    assert set(data["table"]) == {"popular", "als", "ease", "ease_recency"}
    assert "ndcg@10" in data["table"]["ease"]
    result = runner.invoke(
        app,
        [
            "evaluate",
            "recommend",
            "--interactions",
            str(path),
            "--user-col",
            "user",
            "--item-col",
            "item",
            "--time-col",
            "ts",
            "--no-mlflow",
            "--json",
            "--no-select",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)  # the table only: no rich output on stdout
    assert set(body["table"]) == set(data["table"]) and body["mlflow_run"] is None


def test_evaluate_refuses_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    tiny_log(np.random.default_rng(1)).to_csv(path, index=False)
    result = runner.invoke(
        app,
        [
            "evaluate",
            "recommend",
            "--interactions",
            str(path),
            "--user-col",
            "user",
            "--item-col",
            "nope",
            "--no-mlflow",
        ],
    )
    assert result.exit_code == 2
    assert "nope" in result.output


def test_recommend_and_plan(snapshot_dir: tuple[Path, str]) -> None:
    path, pid = snapshot_dir
    result = runner.invoke(
        app,
        [
            "recommend",
            pid,
            "--snapshot",
            str(path),
            "--as-of",
            "2024-10-01",
            "--k",
            "3",
            "--model",
            "popular_direction",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)  # one JSON document on stdout
    assert body["participant_id"] == pid and body["model"] == "popular_direction"
    assert 1 <= len(body["items"]) <= 3 and body["items"][0]["reason_codes"]
    result = runner.invoke(
        app,
        [
            "plan",
            pid,
            "--goal",
            "python:prize_winner",
            "--snapshot",
            str(path),
            "--as-of",
            "2024-09-01",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert plan["participant_id"] == pid and plan["goal"]["diploma"] == "prize_winner"
    # an id the footprint does not hold: exit 3 with the API's code, not a cold-start answer
    for args in (
        ["recommend", "nobody", "--model", "popular_direction"],
        ["plan", "nobody", "--goal", "python:prize_winner"],
    ):
        result = runner.invoke(
            app, [*args, "--snapshot", str(path), "--as-of", "2024-09-01", "--json"]
        )
        assert result.exit_code == 3, result.output
        assert json.loads(result.stdout)["error"]["code"] == "not_found"
    result = runner.invoke(app, ["plan", pid, "--goal", "python", "--snapshot", str(path)])
    assert result.exit_code == 2


def test_train_recommend_saves_and_logs(
    snapshot_dir: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, pid = snapshot_dir
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    out = tmp_path / "model.joblib"
    result = runner.invoke(
        app,
        [
            "train",
            "recommend",
            "--snapshot",
            str(path),
            "--out",
            str(out),
            "--model",
            "ease",
            "--as-of",
            "2024-10-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert out.is_file() and "MLflow run" in result.output
    # the file holds parameters only: it scores the footprint it is given
    result = runner.invoke(
        app,
        [
            "recommend",
            pid,
            "--model-file",
            str(out),
            "--snapshot",
            str(path),
            "--as-of",
            "2024-10-01",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert '"model": "ease"' in result.output
    # an evaluation's run is open while it works: a failing one is left FAILED (same store)
    log = tmp_path / "log.csv"
    tiny_log(np.random.default_rng(1)).to_csv(log, index=False)
    args = ["evaluate", "recommend", "--interactions", str(log), "--user-col", "user"]
    assert runner.invoke(app, [*args, "--item-col", "nope"]).exit_code == 2
    import mlflow

    runs = mlflow.search_runs(experiment_names=["recommend"])
    status = dict(zip(runs["tags.mlflow.runName"], runs["status"], strict=True))
    assert status == {"train ease": "FINISHED", "evaluate recommend": "FAILED"}
