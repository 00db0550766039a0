"""``talent simulate``: writes a world and prints rows per file; bad options fail clearly."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


def test_simulate_writes_the_world_and_prints_rows_per_file(tmp_path: Path) -> None:
    out = tmp_path / "world"
    args = [
        "simulate",
        "--participants",
        "600",
        "--seasons",
        "1",
        "--seed",
        "4",
        "--out",
        str(out),
        "--format",
        "csv",
        "--messy",
        "--first-season",
        "2024",
        "--no-progress",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["config"]["first_season"] == 2024
    for name, entry in manifest["files"].items():
        assert (out / name).exists()
        assert name in result.output
        assert f"{entry['rows']:,}" in result.output
    assert (out / "sources/platform/identities.csv").exists()
    assert "injected mess" in result.output and "unparseable_grade" in result.output


def test_simulate_refuses_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "w"), "--format", "xlsx"])
    assert result.exit_code != 0
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "w"), "--participants", "5"])
    assert result.exit_code != 0
    assert "participants" in result.output
    assert not (tmp_path / "w").exists()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x.txt").write_text("x")
    result = runner.invoke(
        app,
        [
            "simulate",
            "--out",
            str(tmp_path / "busy"),
            "--participants",
            "300",
            "--seasons",
            "1",
            "--no-progress",
            "--json",
        ],
    )
    assert result.exit_code == 2  # an error (cli/output.py's exit codes)
    assert "not empty" in result.output
    assert json.loads(result.stdout)["error"]["code"] == "error"


def test_demo_trains_with_the_pipeline_config_on_its_snapshot(tmp_path: Path) -> None:
    """``talent demo`` trains through the weekly pipeline's config (every candidate registered,
    then the promotion gate) on its own snapshot with its shorter label window."""
    from cli.demo_command import DEMO_WINDOW_DAYS, demo_pipeline_config

    cfg = demo_pipeline_config(tmp_path / "snap")
    assert cfg.snapshot.path == tmp_path / "snap" and cfg.snapshot.store is None
    assert cfg.competence.window_days == DEMO_WINDOW_DAYS
    assert cfg.recommend.register_candidates and cfg.promotion.baseline_fallback
    gated = {g.name: g for g in cfg.promotion.gated}
    assert (
        "competence.all.spearman_label.last_result"
        in gated["competence.all.spearman_label.model"].baselines
    )
    assert "recommend.popular_direction.ndcg@10" in gated["recommend.{candidate}.ndcg@10"].baselines
