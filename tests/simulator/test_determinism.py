"""Same seed and config give byte-identical files; another seed gives different ones."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from core.errors import ConfigError
from simulator import SimulationConfig, simulate


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize(("fmt", "messy"), [("parquet", False), ("csv", True), ("jsonl", True)])
def test_same_seed_gives_identical_bytes(tmp_path: Path, fmt: str, messy: bool) -> None:
    config = SimulationConfig(participants=2_000, seasons=2, seed=5, format=fmt, messy=messy)
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(config, a, progress=False)
    simulate(config, b, progress=False)
    ha, hb = _hashes(a), _hashes(b)
    assert ha == hb
    names = set(ha)
    assert f"sources/olympiad/achievements.{fmt}" in names
    assert "truth/competence.parquet" in names
    assert (f"sources/platform/identities.{fmt}" in names) is messy


def test_other_seed_differs(tmp_path: Path) -> None:
    base = SimulationConfig(participants=2_000, seasons=1, seed=5)
    simulate(base, tmp_path / "a", progress=False)
    simulate(base.model_copy(update={"seed": 6}), tmp_path / "b", progress=False)
    ha, hb = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert set(ha) == set(hb)
    for name in ha:
        if "/directions." in name:  # the deployment's list, not drawn from the seed
            assert ha[name] == hb[name], name
        elif name.startswith("sources/") or name == "truth/competence.parquet":
            assert ha[name] != hb[name], name


def test_manifest_lists_every_file_with_its_hash_and_config(tmp_path: Path) -> None:
    config = SimulationConfig(participants=1_000, seasons=1, seed=3, format="csv")
    summary = simulate(config, tmp_path / "w", progress=False)
    manifest = json.loads((tmp_path / "w" / "manifest.json").read_text())
    hashes = _hashes(tmp_path / "w")
    data_files = {n for n in hashes if n not in ("manifest.json", "truth/README.md")}
    assert set(manifest["files"]) == data_files
    for name, entry in manifest["files"].items():
        assert entry["sha256"] == hashes[name]
        assert entry["rows"] == summary.rows[name]
    assert SimulationConfig(**manifest["config"]) == config
    participants = (tmp_path / "w/sources/platform/participants.csv").read_text().splitlines()
    assert manifest["files"]["sources/platform/participants.csv"]["rows"] == len(participants) - 1


def test_rerun_replaces_an_earlier_output_but_refuses_a_foreign_folder(tmp_path: Path) -> None:
    messy = SimulationConfig(participants=1_000, seasons=1, seed=3, messy=True)
    simulate(messy, tmp_path / "w", progress=False)
    assert (tmp_path / "w/sources/platform/identities.parquet").exists()
    simulate(messy.model_copy(update={"messy": False}), tmp_path / "w", progress=False)
    assert not (tmp_path / "w/sources/platform/identities.parquet").exists()

    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        simulate(messy, foreign, progress=False)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_config_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="extra"):
        SimulationConfig(participants=1_000, sesons=2)  # type: ignore[call-arg]


def test_tiny_worlds_do_not_crash(tmp_path: Path) -> None:
    """Regression: a final that no team reached crashed the season loop (400 participants)."""
    for n in (200, 400):
        summary = simulate(
            SimulationConfig(participants=n, seasons=2, seed=0), tmp_path / str(n), progress=False
        )
        assert summary.rows
