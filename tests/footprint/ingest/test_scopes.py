"""Consent scopes: given and withdrawn on their own, latest change wins, idempotent, no erasure;
erasure and identity merges carry them."""

from __future__ import annotations

from pathlib import Path

from footprint.enums import ConsentScope
from footprint.ingest.run import ingest_file, ingest_path
from footprint.ingest.scopes import current_scopes
from footprint.store import Store
from tests.footprint.factory import small_world, write

SCOPE = ConsentScope.UNIVERSITY_SEARCH.value


def _scope(pid: str, status: str, at: str) -> dict[str, str]:
    return {"participant_id": pid, "scope": SCOPE, "consent_status": status, "changed_at": at}


def _status(store: Store, pid: str) -> str | None:
    with store.engine.connect() as conn:
        cur = current_scopes(conn, [pid])
    return None if cur.empty else str(cur["consent_status"].iloc[0])


def test_scope_life_cycle(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    given = write(tmp_path / "g", "consent_scopes", [_scope("p1", "given", "2026-01-10")])
    assert ingest_file(store, given, "platform").added == 1
    assert _status(store, "p1") == "given"
    again = ingest_file(store, given, "platform")
    assert (again.added, again.unchanged) == (0, 1)

    withdrawn = write(tmp_path / "x", "consent_scopes", [_scope("p1", "withdrawn", "2026-02-01")])
    summary = ingest_file(store, withdrawn, "platform")
    assert (summary.added, summary.erased) == (1, 0)
    assert _status(store, "p1") == "withdrawn"
    assert store.counts()["participants"] > 0  # nobody erased
    # an older change arriving late does not override the newer one
    late = write(tmp_path / "l", "consent_scopes", [_scope("p1", "given", "2026-01-20")])
    assert ingest_file(store, late, "platform").unchanged == 1
    assert _status(store, "p1") == "withdrawn"


def test_unknown_participant_and_bad_scope_are_quarantined(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    rows = [
        _scope("nobody", "given", "2026-01-10"),
        {**_scope("p1", "given", "2026-01-10"), "scope": "marketing"},
    ]
    summary = ingest_file(store, write(tmp_path / "b", "consent_scopes", rows), "platform")
    assert (summary.added, summary.quarantined) == (0, 2)


def test_general_withdrawal_erases_the_scope_rows(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    ingest_file(
        store,
        write(tmp_path / "g", "consent_scopes", [_scope("p1", "given", "2026-01-10")]),
        "platform",
    )
    consents = write(
        tmp_path / "c",
        "consents",
        [{"participant_id": "p1", "consent_status": "withdrawn", "changed_at": "2026-01-11"}],
    )
    assert ingest_file(store, consents, "platform").erased == 1
    assert _status(store, "p1") is None


def test_an_erased_participants_scope_is_refused(store: Store, tmp_path: Path) -> None:
    ingest_path(store, small_world(tmp_path / "w"), "platform")
    consents = write(
        tmp_path / "c",
        "consents",
        [{"participant_id": "p1", "consent_status": "withdrawn", "changed_at": "2026-01-11"}],
    )
    assert ingest_file(store, consents, "platform").erased == 1
    late = write(tmp_path / "g", "consent_scopes", [_scope("p1", "given", "2026-01-12")])
    summary = ingest_file(store, late, "platform")
    assert (summary.added, summary.quarantined) == (0, 1)
    assert _status(store, "p1") is None
