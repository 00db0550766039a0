"""Directions are deployment data: the packaged three by default, a file named in settings
otherwise; a bad file is refused naming the entry and field; ingestion accepts a direction the
file adds and quarantines it without the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.errors import ConfigError
from footprint.directions import DIRECTIONS_FILE_ENV, direction_codes, directions, parse_directions
from footprint.ingest.run import ingest_path
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
