"""The simulated world has participants who consent to be found by partner universities, so
talent search on it (the demo's world) returns people, and only consenting ones."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from footprint.enums import ConsentScope, Entity
from footprint.ingest.run import ingest_path
from footprint.store import open_store
from serving.auth import Role
from serving.core.config import ServingSettings
from serving.main import create_app
from simulator import SimulationConfig, simulate
from tests.serving.conftest import bearer, settings_for

UNI, ADMIN = bearer(Role.UNIVERSITY), bearer(Role.ADMIN)
SOURCES = ("platform", "olympiad", "courses", "events")


@pytest.fixture
def settings(tmp_path: Path, bundles: list[Path]) -> ServingSettings:
    return settings_for(
        f"sqlite:///{tmp_path / 'talent.db'}",
        competence_bundle=bundles[0],
        talent_index_background=False,
    )


def test_talent_search_on_a_simulated_world_finds_consenting_people(
    tmp_path: Path, settings: ServingSettings
) -> None:
    world = tmp_path / "world"
    config = SimulationConfig(participants=300, seasons=2, first_season=2024, seed=3, format="csv")
    simulate(config, world, progress=False)
    scopes = pd.read_csv(world / "sources" / "platform" / f"{Entity.CONSENT_SCOPES.value}.csv")
    assert set(scopes["scope"]) == {ConsentScope.UNIVERSITY_SEARCH.value}
    consenting = set(scopes["participant_id"].astype(str))
    # about the configured share (0.3) of the 300 participants
    assert 0.15 * 300 < len(consenting) < 0.45 * 300
    store = open_store(settings.database_url)
    for source in SOURCES:
        folder = world / "sources" / source
        if folder.exists():
            for summary in ingest_path(store, folder, source, progress=False):
                assert summary.quarantined == 0, summary
    with TestClient(create_app(settings)) as client:
        r = client.put(
            "/v1/admin/universities/dev-university",
            headers=ADMIN,
            json={"name": "Университет", "directions": ["python"]},
        )
        assert r.status_code == 201, r.text
        r = client.get("/v1/talent", headers=UNI, params={"limit": 50})
        assert r.status_code == 200, r.text
        page = r.json()
    ids = [c["participant_id"] for c in page["candidates"]]
    assert len(ids) == min(50, page["matching"]) and page["matching"] >= 30
    assert set(ids) <= consenting
    assert any(c["score"] is not None for c in page["candidates"])
