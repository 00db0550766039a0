"""After an erasure, the participant's id is in no file under the data folder (which holds MLflow's
local store, ``mlruns/``, and everything else the project writes) nor in the working folder: not
in the store's files (SQLite with ``secure_delete`` and a truncated write-ahead log), not in
snapshots written before the erasure, not in the season's rating outputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.erasure_search import files_naming
from tests.footprint.factory import achievement, activity, participant, write

runner = CliRunner()
GONE, KEPT = "pGONE4417x", "pKEPT8802y"


def _talent(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_an_erased_participant_is_in_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    monkeypatch.setenv("TALENT_DATA_DIR", str(data))
    monkeypatch.setenv("TALENT_ERASURE_SALT", "erasure-test-salt-" + "9c1f" * 8)
    folder = tmp_path / "in"
    write(folder, "participants", [participant(GONE), participant(KEPT, grade="10")])
    write(folder, "activities", [activity("a1")])
    write(
        folder,
        "achievements",
        [
            achievement("r1", GONE, "a1", result="winner", score="95", evidence=f"doc:{GONE}"),
            achievement("r2", KEPT, "a1", result="prize_winner", score="80"),
        ],
    )
    # a bad row of each, kept in the quarantine
    write(
        folder / "bad",
        "achievements",
        [achievement("b1", GONE, "a1", result="x"), achievement("b2", KEPT, "a1", result="x")],
    )
    _talent("ingest", str(folder), "--source", "platform", "--new-source")
    _talent("ingest", str(folder / "bad"), "--source", "platform", "--new-source")
    out = _talent("snapshot", "--as-of", "2026-06-01")
    snapshot = Path(out.split("-> ")[-1].split()[0].strip())
    _talent("rate", "--season", "2025/26", "--snapshot", str(snapshot), "--explanations")
    # the data folder and anything written beside it by mistake (not the raw input files)
    roots = [p for p in tmp_path.iterdir() if p != folder]
    before = files_naming(roots, GONE)
    assert any(p.endswith(".parquet") and "snapshots" in p for p in before), before
    assert any("ratings" in p for p in before), before
    assert any(p.endswith("talent.db") or p.endswith("-wal") for p in before), before

    out = _talent("erase", GONE, "--actor", "support")
    assert "1 snapshot(s) deleted" in out
    assert files_naming(roots, GONE) == []
    # the search is not blind: the other participant is still everywhere it was
    _talent("snapshot", "--as-of", "2026-06-01")
    roots = [p for p in tmp_path.iterdir() if p != folder]
    kept = files_naming(roots, KEPT)
    assert any("snapshots" in p for p in kept) and any("ratings" in p for p in kept), kept
