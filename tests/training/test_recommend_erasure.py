"""Erasure reaches models: recommender files and their MLflow runs hold no participant id.

A recommender is trained with ``talent train recommend`` (saved under the data folder and logged
to MLflow), then every file under the data folder and the MLflow folder is searched for the
participants' ids, decompressing what is compressed (recommender files: zlib; Parquet: its
columns; any other zlib stream). Only the snapshot, written before (the training input, handled
by the data-protection rules for snapshots), may hold them; the check finds the ids there, so the
search can fail. Since bundles hold no participant data, erasing a participant from the store
needs no retraining: nothing of them is left in a model (the store side of an erasure is
``footprint.consent``'s, tested there).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli.main import app
from footprint.snapshot import write_snapshot
from models.recommend.base import BUNDLE_HEADER
from simulator import SimulationConfig
from tests.models.recommend.contract import ids_in_bytes
from training.simworld import simulate_world

FRAMES = ("participants", "activities", "activity_directions", "activity_edges", "achievements")


def readable(path: Path) -> bytes:
    """A file's bytes with compressed content opened: a recommender file's pickle, a Parquet
    file's columns as text, any zlib stream inflated (the raw bytes are kept too)."""
    raw = path.read_bytes()
    out = [raw]
    if raw.startswith(BUNDLE_HEADER):
        out.append(zlib.decompress(raw[len(BUNDLE_HEADER) :]))
    elif raw[:4] == b"PAR1":
        table = pq.read_table(io.BytesIO(raw))
        out.append("\n".join(map(str, table.to_pylist())).encode())
    else:
        for start in range(min(len(raw), 64)):
            try:
                out.append(zlib.decompress(raw[start:]))
                break
            except zlib.error:
                continue
    return b"\n".join(out)


@pytest.mark.parametrize("model", ["ease", "content", "als"])
def test_no_participant_id_outside_the_snapshot(
    tmp_path: Path, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # MLflow's artifacts go to ./mlruns
    mlruns = tmp_path / "mlruns"
    mlruns.mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{mlruns / 'mlflow.db'}")
    data = tmp_path / "data"
    world = simulate_world(SimulationConfig(participants=400, seasons=3, seed=5))
    snap = world.snapshot
    snapshot = write_snapshot({n: getattr(snap, n) for n in FRAMES}, snap.as_of, data / "snapshots")
    ids = set(snap.participants["participant_id"].astype(str))
    result = CliRunner().invoke(
        app,
        [
            "train",
            "recommend",
            "--snapshot",
            str(snapshot),
            "--out",
            str(data / "models" / "recommend" / "m.bin"),
            "--model",
            model,
            "--as-of",
            "2024-10-01",
        ],
    )
    assert result.exit_code == 0, result.output
    files = [p for root in (data, mlruns) for p in root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".bin" and "mlruns" in p.parts for p in files)  # the logged copy
    found = {p: ids_in_bytes(readable(p), ids) for p in files}
    outside = {p: f for p, f in found.items() if f and snapshot not in p.parents}
    assert outside == {}
    # the search does find them where they are (the snapshot's Parquet files)
    assert any(f for p, f in found.items() if snapshot in p.parents)
