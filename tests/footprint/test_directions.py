"""Directions are deployment data: the packaged three by default, a file named in settings
otherwise; a bad file is refused naming the entry and field; a ``directions`` file ingested into
the store adds or renames one (bad rows quarantined naming row and field), and snapshots carry
the list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from core.errors import ConfigError
from footprint.directions import (
    DIRECTIONS_FILE_ENV,
    direction_codes,
    directions,
    parse_directions,
    store_directions,
)
from footprint.ingest.reader import read_raw
from footprint.ingest.run import ingest_path, ingest_raw
from footprint.snapshot import create_snapshot, load_snapshot
from footprint.store import Store
from tests.footprint.factory import achievement, activity, participant, write

DEFAULT = Path(__file__).resolve().parents[2] / "footprint" / "data" / "directions.toml"
DRONES = '\n[[direction]]\ncode = "drones"\ntitle_ru = "Беспилотные авиационные системы"\n'


def four_directions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A deployment file with the packaged three and ``drones``, named in settings."""
    path = tmp_path / "directions.toml"
    path.write_text(DEFAULT.read_text("utf-8") + DRONES, "utf-8")
    monkeypatch.setenv(DIRECTIONS_FILE_ENV, str(path))
    return path


def test_default_is_the_contest_three(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DIRECTIONS_FILE_ENV, raising=False)
    assert direction_codes() == ("python", "robotics", "engineering")
    assert directions()[2].aka_ru == "Проектная деятельность и командная работа"


def test_file_named_in_settings_adds_a_direction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    four_directions(tmp_path, monkeypatch)
    assert direction_codes() == ("python", "robotics", "engineering", "drones")
    assert directions()[3].title_ru == "Беспилотные авиационные системы"


def test_csv_file_has_the_same_shape() -> None:
    text = "code,title_ru,aka_ru\nmath,Математика,\nchem,Химия,Химическая технология\n"
    got = parse_directions(text, "dirs.csv")
    assert [d.code for d in got] == ["math", "chem"]
    assert got[0].aka_ru is None and got[1].aka_ru == "Химическая технология"


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            '[[direction]]\ncode = "python"\ntitle_ru = "A"\n[[direction]]\ncode = "Bad Code"\n'
            'title_ru = "B"\n',
            "entry 2: invalid code",
        ),
        ('[[direction]]\ncode = "python"\n', "entry 1: invalid title_ru"),
        (
            '[[direction]]\ncode = "a"\ntitle_ru = "A"\n[[direction]]\ncode = "a"\ntitle_ru = "B"\n'
            "",
            "duplicate codes a",
        ),
        ("", "lists no direction"),
        ("[[direction]\n", "cannot be parsed"),
    ],
)
def test_bad_file_is_refused_with_entry_and_field(text: str, phrase: str) -> None:
    with pytest.raises(ConfigError, match=phrase):
        parse_directions(text, "deploy.toml")


def test_missing_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DIRECTIONS_FILE_ENV, str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="no such file"):
        direction_codes()


def _drone_world(folder: Path) -> Path:
    write(folder, "participants", [participant("p1")])
    write(folder, "activities", [activity("a1", directions="drones:0.7;python:0.3")])
    write(folder, "achievements", [achievement("r1", "p1", "a1")])
    return folder


def test_fourth_direction_is_ingested_only_when_configured(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DIRECTIONS_FILE_ENV, raising=False)
    refused = ingest_path(store, _drone_world(tmp_path / "w1"), "platform")
    assert [s.quarantined for s in refused if s.entity == "activities"] == [1]
    four_directions(tmp_path, monkeypatch)
    ingest_path(store, _drone_world(tmp_path / "w2"), "platform")
    snap = create_snapshot(store, dt.datetime(2026, 6, 1), tmp_path / "snaps")
    dirs = load_snapshot(snap).activity_directions
    assert sorted(dirs["direction"].astype(str)) == ["drones", "python"]


def _drones_rows(**over: str) -> list[dict[str, str]]:
    return [{"code": "drones", "title_ru": "Беспилотные авиационные системы", "aka_ru": ""} | over]


def test_a_direction_ingested_as_data_admits_its_activities_and_reaches_snapshots(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DIRECTIONS_FILE_ENV, raising=False)
    folder = _drone_world(tmp_path / "w")
    write(folder, "directions", _drones_rows())
    summaries = {s.entity: s for s in ingest_path(store, folder, "platform")}
    assert summaries["directions"].added == 1
    assert summaries["activities"].quarantined == 0 and summaries["activities"].added == 1
    snap = load_snapshot(create_snapshot(store, dt.datetime(2026, 6, 1), tmp_path / "snaps"))
    # the defaults keep their order, the ingested direction follows
    assert snap.direction_codes() == ("python", "robotics", "engineering", "drones")
    assert snap.direction_list()[3].title_ru == "Беспилотные авиационные системы"
    assert sorted(snap.activity_directions["direction"].astype(str)) == ["drones", "python"]
    # the same file again changes nothing
    again = ingest_path(store, write(tmp_path / "w2", "directions", _drones_rows()), "platform")
    assert (again[0].added, again[0].unchanged) == (0, 1)


def test_an_ingested_row_renames_a_default_and_a_new_title_updates_it(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DIRECTIONS_FILE_ENV, raising=False)
    rows = [{"code": "python", "title_ru": "Python", "aka_ru": "Программирование"}]
    ingest_path(store, write(tmp_path / "a", "directions", rows), "platform")
    changed = [*_drones_rows(), rows[0] | {"title_ru": "Программирование на Python 3"}]
    got = ingest_path(store, write(tmp_path / "b", "directions", changed), "platform")
    assert (got[0].added, got[0].updated) == (1, 1)
    snap = load_snapshot(create_snapshot(store, dt.datetime(2026, 6, 1), tmp_path / "snaps"))
    assert snap.direction_codes() == ("python", "robotics", "engineering", "drones")
    python = snap.direction_list()[0]
    assert (python.title_ru, python.aka_ru) == ("Программирование на Python 3", "Программирование")


def test_bad_direction_rows_are_quarantined_naming_row_and_field(
    store: Store, tmp_path: Path
) -> None:
    rows = [
        *_drones_rows(),
        {"code": "Bad Code", "title_ru": "Плохой код", "aka_ru": ""},
        {"code": "math", "title_ru": "", "aka_ru": ""},
        {"code": "drones", "title_ru": "Дроны", "aka_ru": ""},
    ]
    result = ingest_raw(store, read_raw(write(tmp_path, "directions", rows)), "platform")
    assert result.summary.added == 1 and result.summary.quarantined == 3
    found = {
        (int(r), f, c) for r, f, c in result.problems[["row_number", "field", "reason_code"]].values
    }
    assert found == {
        (2, "code", "bad_format"),
        (3, "title_ru", "missing_required"),
        (4, "code", "duplicate_in_file"),
    }
    assert "Bad Code" in result.problems.loc[0, "reason"]
    with store.engine.connect() as conn:
        assert [d.code for d in store_directions(conn)][-1] == "drones"


def test_a_snapshot_written_before_directions_were_data_reads_the_defaults(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(DIRECTIONS_FILE_ENV, raising=False)
    path = create_snapshot(store, dt.datetime(2026, 6, 1), tmp_path / "snaps")
    manifest = json.loads((path / "manifest.json").read_text())
    del manifest["tables"]["directions"]
    (path / "manifest.json").chmod(0o644)
    (path / "manifest.json").write_text(json.dumps(manifest))
    assert load_snapshot(path).direction_codes() == ("python", "robotics", "engineering")
