"""Rating routes answer exactly what the library computes on the same store."""

from __future__ import annotations

from fastapi.testclient import TestClient

from footprint.columns import Columns as C
from footprint.frames import Snapshot
from footprint.snapshot import read_frames
from models.rating import HypotheticalAchievement, RatingResult, load_rules, rate, what_if
from models.rating.codes import View
from serving.auth import Role
from serving.schemas.common import zulu
from tests.footprint.factory import achievement
from tests.serving.conftest import AS_OF, SEASON, bearer, push


def _library(client: TestClient, view: View = View.OFFICIAL) -> RatingResult:
    store = client.app.state.talent.store  # type: ignore[attr-defined]
    snapshot = Snapshot.from_frames(AS_OF, read_frames(store, AS_OF))
    return rate(snapshot, SEASON, load_rules(season=SEASON), provisional=view is View.PROVISIONAL)


def test_table_pages_match_the_library(world: TestClient) -> None:
    lib = _library(world, View.PROVISIONAL)
    expected = lib.table[lib.table[C.DIRECTION] == "python"]
    h = bearer(Role.PLATFORM)
    seen = []
    for offset in range(0, len(expected) + 1, 2):
        r = world.get(
            "/v1/rating/python",
            params={"view": "provisional", "offset": offset, "limit": 2, "season": SEASON},
            headers=h,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["page"] == {"total": len(expected), "offset": offset, "limit": 2}
        seen += body["items"]
    assert [i["participant_id"] for i in seen] == list(expected[C.PARTICIPANT_ID])
    assert [i["place"] for i in seen] == list(expected["place"])
    assert [i["raw_points"] for i in seen] == [round(p, 4) for p in expected["raw_points"]]
    assert body["season"] == SEASON and body["view"] == "provisional"
    assert body["thresholds"]["n_rated"] == len(expected)


def test_default_season_and_view(world: TestClient) -> None:
    body = world.get("/v1/rating/python", headers=bearer(Role.MODERATOR)).json()
    assert (body["season"], body["view"]) == (SEASON, "official")
    assert body["as_of"] == AS_OF.isoformat() + "Z"


def test_standing_equals_the_library_explanation_and_what_if(world: TestClient) -> None:
    lib = _library(world)
    r = world.get(
        "/v1/rating/python/participants/p1",
        params={"season": SEASON},
        headers=bearer(Role.DATA_SCIENTIST),
    )
    assert r.status_code == 200
    body = r.json()
    # the same objects; the API marks the library's naive UTC timestamps with "Z"
    assert body["explanation"] == zulu(lib.explain("p1", "python").model_dump(mode="json"))
    assert body["what_if"] == zulu(what_if(lib, "p1", "python").model_dump(mode="json"))
    assert body["explanation"]["contributions"][0]["achieved_at"].endswith("Z")
    assert body["explanation"]["contributions"][0]["reason"] is None


def test_what_if_with_hypothetical_achievements(world: TestClient) -> None:
    lib = _library(world)
    hyp = [{"kind": "hackathon", "level": "national", "result": "winner", "percentile": 0.8}]
    r = world.post(
        "/v1/rating/python/participants/p1/what-if",
        json={"hypothetical": hyp},
        params={"season": SEASON},
        headers=bearer(Role.PLATFORM),
    )
    assert r.status_code == 200, r.text
    expected = what_if(lib, "p1", "python", [HypotheticalAchievement(**hyp[0])])
    assert r.json()["what_if"] == zulu(expected.model_dump(mode="json"))
    assert r.json()["what_if"]["points_added"] > 0


def test_bad_rating_input_is_422_or_404(world: TestClient) -> None:
    h = bearer(Role.PLATFORM)
    for params, field in (
        ({"season": "2025-26"}, "season"),
        ({"season": "2025/27"}, "season"),
        ({"view": "secret"}, "view"),
        ({"limit": 10_000}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        r = world.get("/v1/rating/python", params=params, headers=h)
        assert r.status_code == 422, params
        assert r.json()["errors"][0]["loc"] == ["query", field]
    r = world.get("/v1/rating/cooking", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["path", "direction"]
    assert world.get("/v1/rating/python/participants/nobody", headers=h).status_code == 404
    bad = world.post(
        "/v1/rating/python/participants/p1/what-if",
        json={"hypothetical": [{"result": "winner"}]},
        headers=h,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][:3] == [
        "body",
        "hypothetical",
        0,
    ]
    unknown = world.post(
        "/v1/rating/python/participants/p1/what-if",
        json={"hypothetical": [{"activity_id": "zz", "result": "winner"}]},
        headers=h,
    )
    assert unknown.status_code == 422


def test_pushes_invalidate_the_cached_rating(world: TestClient) -> None:
    h = bearer(Role.PLATFORM)
    before = world.get("/v1/rating/python/participants/p2", headers=h).json()
    assert before["explanation"]["rated"] is False
    builds = world.app.state.talent.metrics.rating_builds._value.get()  # type: ignore[attr-defined]
    world.get("/v1/rating/python/participants/p2", headers=h)  # cached: no rebuild
    assert world.app.state.talent.metrics.rating_builds._value.get() == builds  # type: ignore[attr-defined]
    push(world, "achievements", [achievement("w1", "p2", "h1", result="prize_winner", score="")])
    after = world.get("/v1/rating/python/participants/p2", headers=h).json()
    assert after["explanation"]["rated"] is True


def test_changes_by_another_process_are_noticed(world: TestClient) -> None:
    """A second app on the same store (another worker) sees a push made through the first."""
    from serving.main import create_app

    settings = world.app.state.talent.settings  # type: ignore[attr-defined]
    h = bearer(Role.PLATFORM)
    with TestClient(create_app(settings)) as other:
        assert (
            other.get("/v1/rating/python/participants/p2", headers=h).json()["explanation"]["rated"]
            is False
        )
        push(world, "achievements", [achievement("w2", "p2", "h1", result="winner", score="")])
        assert (
            other.get("/v1/rating/python/participants/p2", headers=h).json()["explanation"]["rated"]
            is True
        )
