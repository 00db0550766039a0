"""The hostile set (tests/serving/hostile.py) against the service: no 500, every 422 names its
field, every hostile bundle refused and no payload run. ``bench/hostile.py`` replays the whole
set and prints the table for docs/benchmarks.md; here the values the issue names."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from serving.main import create_app
from serving.model_slots import _competence_smoke, _load_competence
from tests.serving.conftest import push, settings_for, world_records
from tests.serving.hostile import replay_bundles, replay_requests

# issue 16 item 6: non-finite numbers and extreme dates and seasons
NAMED = {
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "date 0001-01-01",
    "date 9999-12-31",
    "datetime 0001-01-01T00:00:00",
    "datetime 9999-12-31T23:59:59Z",
    "season 0000/01",
}


@pytest.mark.slow
def test_hostile_requests_get_clean_answers(
    tmp_path: Path, bundles: list[Path], recommender: Path
) -> None:
    settings = settings_for(
        f"sqlite:///{tmp_path / 't.db'}", competence_bundle=bundles[0], recommend_bundle=recommender
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        for entity, records in world_records().items():
            assert push(client, entity, records).status_code == 200
        tallies = replay_requests(client, NAMED)
    tried = sum(t.tried for t in tallies.values())
    failures = {k: t.examples for k, t in tallies.items() if t.server_errors or t.unnamed_422}
    assert tried > 500 and failures == {}
    assert all(t.unavailable == 0 for t in tallies.values())


def test_hostile_bundles_are_refused_and_no_payload_runs(
    tmp_path: Path, bundles: list[Path]
) -> None:
    outcomes = replay_bundles(tmp_path, bundles[0], _load_competence, _competence_smoke)
    assert len(outcomes) >= 13
    assert [o.name for o in outcomes if o.payload_ran] == []
    assert [(o.name, o.error) for o in outcomes if not o.refused] == []
