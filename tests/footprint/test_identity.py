"""A child known under ids in several sources is resolved to one participant by the identity map."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from footprint.ingest.run import ingest_file, ingest_path
from footprint.store import Store
from tests.footprint.factory import achievement, participant, small_world, write


def _achievements_of(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT participant_id, COUNT(*) FROM achievements GROUP BY participant_id")
        ).all()
    return {r[0]: r[1] for r in rows}


def test_map_first_then_alias_rows_resolve(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    idmap = write(
        tmp_path / "m",
        "identities",
        [{"source": "hackathons", "source_participant_id": "hk-1", "participant_id": "p2"}],
    )
    assert ingest_file(store, idmap, "platform").added == 1
    rows = write(
        tmp_path / "h", "achievements", [achievement("h1", "hk-1", "a2", result="finalist")]
    )
    summary = ingest_file(store, rows, "hackathons")
    assert (summary.added, summary.quarantined) == (1, 0)
    assert _achievements_of(store) == {"p1": 2, "p2": 2}


def test_alias_known_first_is_merged_when_the_map_arrives(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    # the hackathon site registered the same child under its own id, with one duplicate result
    site = tmp_path / "site"
    write(site, "participants", [participant("hk-9", grade="10")])
    write(
        site,
        "achievements",
        [
            achievement(
                "h1", "hk-9", "a1", status="pending", status_changed_at=""
            ),  # p2 has it too
            achievement("h2", "hk-9", "a2", result="finalist"),
        ],
    )
    ingest_path(store, site, "hackathons")
    assert _achievements_of(store) == {"p1": 2, "p2": 1, "hk-9": 2}
    idmap = write(
        tmp_path / "m",
        "identities",
        [{"source": "hackathons", "source_participant_id": "hk-9", "participant_id": "p2"}],
    )
    summary = ingest_file(store, idmap, "platform")
    assert summary.merged == 1
    assert _achievements_of(store) == {"p1": 2, "p2": 2}  # the duplicate collapsed
    with store.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT COUNT(*) FROM participants WHERE participant_id = 'hk-9'")
            ).scalar_one()
            == 0
        )
        refs = conn.execute(text("SELECT COUNT(*) FROM achievement_sources")).scalar_one()
    assert refs == 5  # every source reference survives the merge
    # later rows from that source under the alias land on the canonical participant
    more = write(
        tmp_path / "h3", "achievements", [achievement("h3", "hk-9", "a2", result="winner")]
    )
    ingest_file(store, more, "hackathons")
    assert _achievements_of(store) == {"p1": 2, "p2": 3}


def test_conflicting_map_entry_is_quarantined(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    first = write(
        tmp_path / "m1",
        "identities",
        [{"source": "x", "source_participant_id": "x-1", "participant_id": "p1"}],
    )
    ingest_file(store, first, "platform")
    second = write(
        tmp_path / "m2",
        "identities",
        [{"source": "x", "source_participant_id": "x-1", "participant_id": "p2"}],
    )
    summary = ingest_file(store, second, "platform")
    assert summary.quarantined == 1
    with store.engine.connect() as conn:
        reason = conn.execute(text("SELECT reason FROM quarantine")).scalar_one()
    assert "already mapped to participant p1" in reason
