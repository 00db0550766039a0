"""The command line's conventions: ``--json`` prints one JSON document (errors too, with the
API's code), unknown ids exit 3 (``not_found``), an unknown ``--source`` is refused unless
``--new-source``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from cli.main import app
from cli.output import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_REFUSED, fail, plain
from core.errors import ConfigError, UnknownIdError
from tests.footprint.factory import small_world

runner = CliRunner()
SALT = "salt-O-9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def _talent(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"TALENT_ERASURE_SALT": SALT})
    return result.exit_code, result.stdout, result.stderr


def test_plain_turns_library_values_into_json_data() -> None:
    @dataclasses.dataclass
    class Row:
        when: dt.datetime
        path: Path

    frame = pd.DataFrame({"a": [1, 2], "b": [0.5, float("nan")]})
    data = plain(
        {
            "row": Row(dt.datetime(2026, 1, 2, 3), Path("/x")),
            "frame": frame,
            "n": np.int64(3),
            "arr": np.array([1.5]),
            "inf": math.inf,
            "t": (1, "x"),
        }
    )
    assert data == {
        "row": {"when": "2026-01-02T03:00:00", "path": "/x"},
        "frame": [{"a": 1, "b": 0.5}, {"a": 2, "b": None}],
        "n": 3,
        "arr": [1.5],
        "inf": None,
        "t": [1, "x"],
    }
    json.dumps(data)


def test_fail_maps_errors_to_codes_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert fail(UnknownIdError("no p9", ("p9",))).exit_code == EXIT_NOT_FOUND
    exit_ = fail(ConfigError("bad rules"), as_json=True)
    assert isinstance(exit_, typer.Exit) and exit_.exit_code == EXIT_ERROR
    out = capsys.readouterr()
    assert json.loads(out.out) == {"error": {"code": "error", "detail": "bad rules"}}
    assert "error[not_found]: no p9" in out.err


def test_erase_of_an_unknown_id_exits_3_and_erases_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'talent.db'}"
    world = small_world(tmp_path / "w")
    assert (
        _talent("ingest", str(world), "--source", "platform", "--new-source", "--database-url", db)[
            0
        ]
        == 0
    )
    code, out, err = _talent(
        "erase", "p1", "nobody", "--actor", "support", "--database-url", db, "--json"
    )
    assert code == EXIT_NOT_FOUND, err
    assert json.loads(out)["error"] == {
        "code": "not_found",
        "ids": ["nobody"],
        "detail": "not in the store and never erased: nobody (nothing was erased)",
    }
    code, out, err = _talent("erase", "p1", "--actor", "support", "--database-url", db, "--json")
    assert code == 0, err
    body = json.loads(out)
    assert body["erased"] == ["p1"] and body["rows_deleted"]["participants"] == 1
    # erased before: said so, not an error
    code, out, err = _talent("erase", "p1", "--actor", "support", "--database-url", db, "--json")
    assert code == 0, err
    assert json.loads(out)["already_erased"] == ["p1"] and json.loads(out)["erased"] == []


def test_an_unknown_source_is_refused_unless_new(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'talent.db'}"
    world = small_world(tmp_path / "w")
    code, out, err = _talent("ingest", str(world), "--source", "platform", "--database-url", db)
    assert code == EXIT_ERROR and "unknown source 'platform'" in err and "--new-source" in err
    code, out, err = _talent(
        "ingest", str(world), "--source", "platform", "--new-source", "--database-url", db, "--json"
    )
    assert code == 0, err
    assert {c["file"].rsplit("/", 1)[-1] for c in json.loads(out)["committed"]} >= {
        "participants.csv",
        "achievements.csv",
    }
    # known now: no flag needed; a typo is refused with the closest name
    assert _talent("ingest", str(world), "--source", "platform", "--database-url", db)[0] == 0
    code, _, err = _talent("ingest", str(world), "--source", "platfrom", "--database-url", db)
    assert code == EXIT_ERROR and "did you mean platform?" in err


def test_a_refused_file_exits_1_with_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'talent.db'}"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "activity_edges.csv").write_text(
        "from_activity_id,to_activity_id,edge_type,note\na1,a2,selection,x\n"
    )
    code, out, _ = _talent(
        "ingest", str(bad), "--source", "x", "--new-source", "--database-url", db, "--json"
    )
    assert code == EXIT_REFUSED
    assert "unknown columns" in json.loads(out)["failed"][0]["error"]


def test_quarantine_and_snapshot_print_json(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'talent.db'}"
    folder = small_world(tmp_path / "w")
    assert (
        _talent(
            "ingest",
            str(folder / "achievements.csv"),
            "--source",
            "platform",
            "--new-source",
            "--database-url",
            db,
        )[0]
        == 0
    )
    code, out, err = _talent("quarantine", "--waiting", "--json", "--database-url", db)
    assert code == 0, err
    waiting = json.loads(out)["waiting"]
    assert {w["id"] for w in waiting if w["waits_for"] == "participant"} >= {"p1", "p2"}
    code, out, err = _talent("quarantine", "--json", "--database-url", db)
    assert code == 0 and {r["reason_code"] for r in json.loads(out)["quarantine"]} == {
        "unknown_participant"
    }
    code, out, err = _talent(
        "snapshot",
        "--as-of",
        "2026-06-01",
        "--out",
        str(tmp_path / "s"),
        "--database-url",
        db,
        "--json",
    )
    assert code == 0, err
    body = json.loads(out)
    assert len(body["id"]) == 64 and body["rows"]["achievements"] == 0
