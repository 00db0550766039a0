"""Hostile values are quarantined with a named field, never crash a file, and never move a stored
record back in time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from footprint.ingest.run import QUARANTINE_VALUE_CHARS, ingest_file, ingest_path
from footprint.store import Store
from tests.footprint.factory import achievement, participant, small_world, write


def _problems(store: Store, file_name: str) -> list[tuple[int, str, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT row_number, field, reason_code FROM quarantine WHERE file_name = :f "
                "ORDER BY row_number, field"
            ),
            {"f": file_name},
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _stored_records(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(conn.execute(text("SELECT source_record_id FROM achievement_sources")).scalars())


@pytest.mark.parametrize("big", [2**63, 2**64, 10**30, -(2**63) - 1, 2**31])
def test_huge_json_integers_are_quarantined_and_the_rest_stored(
    store: Store, tmp_path: Path, big: int
) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    folder = tmp_path / "j"
    folder.mkdir()
    good = achievement("ok-1", "p2", "a2", result="finalist")
    bad = achievement("big-1", "p1", "a1", result="winner") | {"rank": big}
    with (folder / "achievements.jsonl").open("w") as fh:
        for row in (bad, good):
            fh.write(json.dumps({k: v for k, v in row.items() if v != ""}) + "\n")
    summary = ingest_file(store, folder / "achievements.jsonl", "org")
    assert (summary.rows, summary.quarantined) == (2, 1)
    assert _problems(store, "achievements.jsonl") == [(1, "rank", "out_of_range")]
    assert "ok-1" in _stored_records(store) and "big-1" not in _stored_records(store)


def test_huge_integers_in_csv_are_quarantined(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    path = write(
        tmp_path / "c",
        "achievements",
        [
            achievement("big-2", "p1", "a1", result="winner", rank=str(2**63)),
            achievement("ok-2", "p2", "a2", result="finalist"),
        ],
    )
    summary = ingest_file(store, path, "org")
    assert summary.quarantined == 1
    assert _problems(store, "achievements.csv") == [(1, "rank", "out_of_range")]


@pytest.mark.parametrize(
    ("over", "field", "code"),
    [
        (
            {"achieved_at": "1900-01-01", "recorded_at": "1900-01-02"},
            "achieved_at",
            "implausible_date",
        ),
        (
            {"achieved_at": "2999-01-01", "recorded_at": "2999-01-02"},
            "achieved_at",
            "implausible_date",
        ),
        ({"recorded_at": "2025-10-19"}, "recorded_at", "inconsistent"),  # achieved 2025-10-20
    ],
)
def test_implausible_dates_are_quarantined(
    store: Store, tmp_path: Path, over: dict[str, str], field: str, code: str
) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    path = write(tmp_path / "d", "achievements", [achievement("d-1", "p2", "a2", **over)])
    assert ingest_file(store, path, "org").quarantined == 1
    assert (1, field, code) in _problems(store, "achievements.csv")


def test_window_is_configured(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    monkeypatch.setenv("TALENT_PLAUSIBLE_FROM", "2025-10-21")
    path = write(tmp_path / "d", "achievements", [achievement("d-2", "p2", "a2")])
    assert ingest_file(store, path, "org").quarantined == 1  # achieved 2025-10-20
    assert _problems(store, "achievements.csv") == [(1, "achieved_at", "implausible_date")]


def test_a_merge_never_moves_recorded_at_back(store: Store, tmp_path: Path) -> None:
    """Another source's copy of a stored result, recorded earlier, used to pull recorded_at back,
    so a snapshot as of a date before the result was known would include it."""
    ingest_path(store, small_world(tmp_path / "w"), "platform")

    def recorded() -> str:
        with store.engine.connect() as conn:
            return str(
                conn.execute(
                    text(
                        "SELECT recorded_at FROM achievements WHERE participant_id = 'p1' "
                        "AND result = 'prize_winner'"
                    )
                ).scalar_one()
            )

    before = recorded()
    early = dict(achieved_at="2025-10-20", recorded_at="2025-10-20")
    copy = achievement("o-1", "p1", "a1", result="prize_winner", score="80", **early)
    assert ingest_file(store, write(tmp_path / "o", "achievements", [copy]), "org").merged == 1
    assert recorded() == before
    # nor does the same source's new version of its own record
    mine = achievement("r1", "p1", "a1", result="prize_winner", score="81", **early)
    assert (
        ingest_file(store, write(tmp_path / "m", "achievements", [mine]), "platform").updated == 1
    )
    assert recorded() == before


def test_region_codes_are_validated_as_by_the_api(store: Store, tmp_path: Path) -> None:
    path = write(
        tmp_path / "p",
        "participants",
        [participant("p1", region="Москва"), participant("p2", region="RU-MOW")],
    )
    summary = ingest_file(store, path, "platform")
    assert (summary.added, summary.quarantined) == (1, 1)
    assert _problems(store, "participants.csv") == [(1, "region", "bad_format")]


def test_quarantined_values_are_capped(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    huge = "x" * 200_000
    path = write(tmp_path / "h", "achievements", [achievement("h-1", "p1", "a1", evidence=huge)])
    assert ingest_file(store, path, "org").quarantined == 1
    with store.engine.connect() as conn:
        raw = json.loads(conn.execute(text("SELECT raw_row FROM quarantine")).scalar_one())
    assert raw["evidence"].startswith("x" * QUARANTINE_VALUE_CHARS)
    assert raw["evidence"].endswith(
        f"[{200_000 - QUARANTINE_VALUE_CHARS} more characters not kept]"
    )
