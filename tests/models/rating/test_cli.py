"""``talent rate``: from a snapshot folder to Parquet, CSV and JSON Lines, plus the printed top."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.rating_commands import default_out
from footprint.snapshot import write_snapshot

from .conftest import World


@pytest.fixture
def snapshot_dir(world: World, tmp_path: Path) -> Path:
    world.activity("f", kind="olympiad_final", directions={"python": 0.5, "robotics": 0.5})
    world.activity("k", kind="competition")
    for i in range(1, 21):
        world.achievement(f"p{i:02d}", "k", "winner", score=i)
    world.achievement("p20", "f", "winner")
    world.achievement("p19", "f", "prize_winner", status="pending")
    snap = world.snapshot()
    return write_snapshot(world.frames(), snap.as_of, tmp_path / "snapshots")


def test_rate_writes_table_and_explanations(snapshot_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        [
            "rate",
            "--season",
            "2025/26",
            "--snapshot",
            str(snapshot_dir),
            "--out",
            str(out),
            "--top",
            "3",
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_parquet(out / "rating.parquet")
    assert len(table) == 21  # 20 in python, p20 also in robotics
    assert table.iloc[0]["participant_id"] == "p20"
    assert table.iloc[0]["raw_points"] == pytest.approx(40.0)  # 20 (final x 0.5) + 20
    csv = pd.read_csv(out / "rating.csv")
    assert list(csv.columns) == list(table.columns)
    assert list(csv["participant_id"]) == list(table["participant_id"])
    lines = (out / "explanations.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 22  # also p19 in robotics: explained (pending), not rated
    first = json.loads(lines[0])
    assert first["schema_version"] == "1" and first["season"] == "2025/26"
    assert (out / "thresholds.csv").exists()
    assert "python" in res.output and "robotics" in res.output and "победитель" in res.output
    assert "p20" in res.output and "p16" not in res.output  # --top 3


def test_provisional_is_written_apart(snapshot_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["rate", "--season", "2025/26", "--snapshot", str(snapshot_dir), "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    res = CliRunner().invoke(
        app, [*args, "--provisional", "--direction", "robotics", "--no-explanations"]
    )
    assert res.exit_code == 0, res.output
    official = pd.read_parquet(out / "rating.parquet")
    provisional = pd.read_parquet(out / "rating-provisional.parquet")
    assert not official["provisional"].any() and provisional["provisional"].all()
    assert set(provisional["participant_id"]) == {"p19", "p20"}  # p19's pending final counts
    assert not (out / "explanations-provisional.jsonl").exists()
    res = CliRunner().invoke(app, [*args, "--json", "--top", "2", "--direction", "robotics"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["files"]["parquet"] == str(out / "rating.parquet")
    assert [r["participant_id"] for r in body["top"]["robotics"]] == list(
        official[official["direction"] == "robotics"].sort_values("place")["participant_id"][:2]
    )


def test_errors_are_reported_without_a_traceback(snapshot_dir: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["rate", "--season", "2025-26", "--snapshot", str(snapshot_dir), "--out", str(tmp_path)],
    )
    assert res.exit_code == 2
    assert "YYYY/YY" in res.output
    res = CliRunner().invoke(app, ["rate", "--season", "2025/26", "--snapshot", str(tmp_path)])
    assert res.exit_code == 2 and "not a snapshot" in res.output


def test_default_out_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TALENT_DATA_DIR", raising=False)
    assert default_out("2025/26") == Path("data/ratings/2025-26")
    monkeypatch.setenv("TALENT_DATA_DIR", str(tmp_path))  # where the erasure sweep looks
    assert default_out("2025/26") == tmp_path / "ratings" / "2025-26"


def test_rating_csv_neutralises_formula_like_cells(world: World, tmp_path: Path) -> None:
    world.activity("k", kind="competition")
    hostile = '=HYPERLINK("http://example.invalid","x")'
    world.achievement(hostile, "k", "winner")
    world.achievement("-p2", "k", "participant")
    snap = world.snapshot()
    snapshot = write_snapshot(world.frames(), snap.as_of, tmp_path / "snapshots")
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["rate", "--season", "2025/26", "--snapshot", str(snapshot), "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    cells = pd.read_csv(out / "rating.csv", dtype=str)["participant_id"].tolist()
    assert sorted(cells) == sorted(["'" + hostile, "'-p2"])
    # the Parquet table keeps the ids as they are
    assert hostile in pd.read_parquet(out / "rating.parquet")["participant_id"].tolist()
