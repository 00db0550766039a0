"""Batches pushed as JSON records (the API path) behave like files: per-row problems, atomic."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputFileError
from footprint.enums import Entity
from footprint.ingest.reader import raw_from_records
from footprint.ingest.run import ingest_path, ingest_raw
from footprint.store import Store
from tests.footprint.factory import achievement, small_world


def test_pushed_records_report_each_bad_row(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    good = achievement("api-1", "p2", "a2", result="finalist")
    typed = achievement("api-2", "p1", "a1", result="winner") | {"score": 91.5, "rank": 1}
    bad = achievement("api-3", "p1", "a1", result="champion")
    raw = raw_from_records(Entity.ACHIEVEMENTS, [good, typed, bad], "push")
    result = ingest_raw(store, raw, "platform_api")
    assert (result.summary.added, result.summary.quarantined) == (2, 1)
    problems = result.problems
    assert problems[["row_number", "field", "reason_code"]].values.tolist() == [
        [3, "result", "unknown_value"]
    ]
    again = ingest_raw(
        store, raw_from_records(Entity.ACHIEVEMENTS, [good, typed], "push"), "platform_api"
    )
    assert again.summary.unchanged == 2


def test_pushed_records_with_unknown_keys_are_refused() -> None:
    with pytest.raises(InputFileError, match="unknown columns \\['email'\\]"):
        raw_from_records(Entity.PARTICIPANTS, [{"participant_id": "p", "email": "x@y"}], "push")


@pytest.mark.parametrize("small_batch", [0, 2_000], ids=["whole-reads", "keyed-lookups"])
def test_small_batches_look_up_their_own_keys_with_the_same_outcome(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_batch: int
) -> None:
    """A small batch reads only its own participants, activities and references; a large one
    reads whole columns. Both must store and refuse exactly the same rows."""
    from footprint.ingest import achievements, context, run

    for module in (context, achievements, run):
        monkeypatch.setattr(module, "SMALL_BATCH", small_batch)
    ingest_path(store, small_world(tmp_path / "w"), "platform")

    def push(rows: list[dict[str, object]], source: str = "platform_api") -> tuple[int, ...]:
        s = ingest_raw(store, raw_from_records(Entity.ACHIEVEMENTS, rows, "push"), source).summary
        return s.added, s.updated, s.unchanged, s.merged, s.quarantined

    first = [
        achievement("k-1", "p2", "a2", result="finalist"),
        achievement("k-2", "nobody", "a1"),
        achievement("k-3", "p1", "no-such-activity"),
        achievement("k-4", "p1", "a1", score="999"),
    ]
    assert push(first) == (1, 0, 0, 0, 3)
    # the same record again, then a new version of it
    assert push(first[:1]) == (0, 0, 1, 0, 0)
    assert push([achievement("k-1", "p2", "a2", result="finalist", score="70")]) == (0, 1, 0, 0, 0)
    # another source sends the same result: linked to the stored achievement by its natural key
    assert push([achievement("o-9", "p2", "a2", result="finalist")], "olympiad") == (0, 0, 0, 1, 0)
    # a bad row sent again is not quarantined twice; an erased participant's row is refused
    from sqlalchemy import func, select

    from core.settings import FootprintSettings
    from footprint import tables
    from footprint.consent import erase_participants

    def quarantined() -> int:
        with store.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(tables.quarantine)).scalar_one()
            )

    held = quarantined()
    assert push([achievement("k-2", "nobody", "a1")]) == (0, 0, 0, 0, 1)
    assert quarantined() == held
    salt = FootprintSettings().erasure_salt
    with store.transaction() as conn:
        erase_participants(conn, ["p1"], actor="test", reason_code="consent_withdrawn", salt=salt)
    assert push(
        [achievement("k-5", "p1", "a2"), achievement("k-6", "p2", "a1", result="winner")]
    ) == (1, 0, 0, 0, 1)
