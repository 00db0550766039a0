"""Partner universities: only consenting participants and only verified data, withdrawal at the
next request, every view audited and askable by the platform, cursor pages, the spread,
shortlists and the invitation life cycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from serving.auth import Role
from serving.core.config import ServingSettings
from serving.tables import university_views
from tests.footprint.factory import achievement, participant
from tests.serving.conftest import bearer, push, settings_for

UNI, ADMIN, PLATFORM = bearer(Role.UNIVERSITY), bearer(Role.ADMIN), bearer(Role.PLATFORM)
CODE = "dev-university"  # the development university token's name


@pytest.fixture
def settings(tmp_path: Path, bundles: list[Path]) -> ServingSettings:
    # a stale index is rebuilt in the request, so each answer reflects the store at once
    return settings_for(
        f"sqlite:///{tmp_path / 'talent.db'}",
        competence_bundle=bundles[0],
        talent_index_background=False,
    )


def _scope(client: TestClient, pid: str, status: str, at: str) -> None:
    r = push(
        client,
        "consent_scopes",
        [
            {
                "participant_id": pid,
                "scope": "university_search",
                "consent_status": status,
                "changed_at": at,
            }
        ],
    )
    assert r.status_code == 200 and r.json()["quarantined"] == 0, r.text


@pytest.fixture
def uni(world: TestClient) -> TestClient:
    """The small world plus two participants elsewhere; a registered university; p1, p2, p4 and
    p5 consenting, p3 not."""
    extra = {
        "participants": [
            participant("p4", region="RU-TAT", grade="9"),
            participant("p5", region="RU-TAT", grade="10"),
        ],
        "achievements": [
            achievement("r6", "p4", "a1", result="winner", score="90"),
            achievement(
                "r7",
                "p4",
                "h1",
                result="prize_winner",
                score="",
                achieved_at="2025-11-22",
                recorded_at="2025-11-23",
                status_changed_at="2025-11-25",
            ),
            achievement("r8", "p5", "a1", result="participant", score="30"),
        ],
    }
    for entity, rows in extra.items():
        assert push(world, entity, rows).status_code == 200
    r = world.put(
        f"/v1/admin/universities/{CODE}",
        headers=ADMIN,
        json={"name": "Университет", "directions": ["python"]},
    )
    assert r.status_code == 201, r.text
    for pid in ("p1", "p2", "p4", "p5"):
        _scope(world, pid, "given", "2026-01-10")
    return world


def _search(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/v1/talent", headers=UNI, params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _ids(page: dict[str, Any]) -> list[str]:
    return [c["participant_id"] for c in page["candidates"]]


def test_only_consenting_participants_and_only_verified_data(uni: TestClient) -> None:
    page = _search(uni, limit=50)
    assert sorted(_ids(page)) == ["p1", "p2", "p4", "p5"]  # p3 never gave the scope
    assert page["matching"] == 4
    by_id = {c["participant_id"]: c for c in page["candidates"]}
    # p2's two achievements are pending: nothing of them shows, and p2 is marked, not hidden
    assert by_id["p2"]["verified_achievements"] == 0 and by_id["p2"]["few_records"]
    assert by_id["p4"]["verified_achievements"] == 2
    levels = {d["direction"]: d["verified_by_level"] for d in by_id["p4"]["directions"]}
    assert levels["python"] == {"regional": 1, "national": 1}
    # ranked by the conservative score, highest first
    scores = [c["score"] for c in page["candidates"] if c["score"] is not None]
    assert scores == sorted(scores, reverse=True)


def test_withdrawal_removes_at_the_next_request(uni: TestClient) -> None:
    assert "p4" in _ids(_search(uni))
    r = uni.post("/v1/talent/invitations", headers=UNI, json={"participant_id": "p4"})
    assert r.status_code == 201
    _scope(uni, "p4", "withdrawn", "2026-02-01")
    assert "p4" not in _ids(_search(uni))
    assert _search(uni)["matching"] == 3
    assert uni.get("/v1/talent/invitations", headers=UNI).json() == []
    r = uni.post("/v1/talent/invitations", headers=UNI, json={"participant_id": "p4"})
    assert r.status_code == 404
    pending = uni.get("/v1/invitations", headers=PLATFORM, params={"status": "pending"}).json()
    assert pending == []  # nothing left to deliver either
    _scope(uni, "p4", "given", "2026-03-01")  # given again: back, invitation included
    assert "p4" in _ids(_search(uni))
    assert len(uni.get("/v1/talent/invitations", headers=UNI).json()) == 1


def test_every_view_is_audited_and_the_platform_can_ask(uni: TestClient) -> None:
    assert uni.get("/v1/participants/p4/university-views", headers=PLATFORM).json() == []
    page = _search(uni, limit=2)
    shown = _ids(page)
    store = uni.app.state.talent.store  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        rows = conn.execute(select(university_views)).mappings().all()
    assert sorted(r["participant_id"] for r in rows) == sorted(shown)
    assert {(r["university_code"], r["actor"], r["context"]) for r in rows} == {
        (CODE, f"university:{CODE}", "search")
    }
    views = uni.get(f"/v1/participants/{shown[0]}/university-views", headers=PLATFORM).json()
    assert [(v["university_code"], v["name"], v["views"]) for v in views] == [
        (CODE, "Университет", 1)
    ]
    not_shown = ({"p1", "p2", "p4", "p5"} - set(shown)).pop()
    assert uni.get(f"/v1/participants/{not_shown}/university-views", headers=PLATFORM).json() == []


def test_cursor_pages_cover_every_match_once(uni: TestClient) -> None:
    for rank_by in ("overall", "within_region"):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1, "rank_by": rank_by}
            if cursor:
                params["cursor"] = cursor
            page = _search(uni, **params)
            seen += _ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == ["p1", "p2", "p4", "p5"] and len(seen) == 4
        assert seen == _ids(_search(uni, limit=10, rank_by=rank_by))
    first = _search(uni, limit=1)
    r = uni.get(
        "/v1/talent", headers=UNI, params={"cursor": first["next_cursor"], "region": "RU-TAT"}
    )
    assert r.status_code == 422  # a cursor belongs to its own filters


def test_within_region_ranking_and_the_spread(uni: TestClient) -> None:
    page = _search(uni, rank_by="within_region", limit=10)
    ranks = [c["region_rank"] for c in page["candidates"]]
    assert ranks == sorted(ranks) and ranks[:2] == [1, 1]  # each region's best first
    regions = {row["value"]: row for row in page["spread"]["regions"]}
    assert regions["RU-TAT"]["population"] == 2 and regions["RU-MOW"]["population"] == 2
    tat = _search(uni, region="RU-TAT")
    assert sorted(_ids(tat)) == ["p4", "p5"]
    spread = {row["value"]: row for row in tat["spread"]["regions"]}
    assert spread["RU-TAT"]["matching"] == 2 and spread["RU-MOW"]["matching"] == 0
    assert spread["RU-MOW"]["population_share"] == 0.5


def test_filters(uni: TestClient) -> None:
    # grades as of the live instant (15 June 2026 counts toward 2026/27): p4's 9 is now 10
    assert sorted(_ids(_search(uni, grade_min=10, grade_max=10))) == ["p4"]
    online = _ids(_search(uni, online_only=True))
    assert "p1" not in online  # p1 has a verified offline final
    assert "p2" not in online  # nothing verified: not "online only"
    assert set(online) <= {"p4", "p5"}
    high = _search(uni, min_competence=100)
    assert high["candidates"] == [] and high["matching"] == 0
    r = uni.get("/v1/talent", headers=UNI, params={"min_level": "genius"})
    assert r.status_code == 422


def test_invitation_life_cycle(uni: TestClient) -> None:
    r = uni.post(
        "/v1/talent/invitations", headers=UNI, json={"participant_id": "p1", "direction": "python"}
    )
    assert r.status_code == 201 and r.json()["status"] == "awaiting"
    again = uni.post("/v1/talent/invitations", headers=UNI, json={"participant_id": "p1"})
    assert again.status_code == 200 and again.json()["invitation_id"] == r.json()["invitation_id"]
    pending = uni.get("/v1/invitations", headers=PLATFORM, params={"status": "pending"}).json()
    assert [(i["participant_id"], i["university_code"], i["university_name"]) for i in pending] == [
        ("p1", CODE, "Университет")
    ]
    inv = pending[0]["invitation_id"]
    # declined: the university is not told
    assert (
        uni.post(
            f"/v1/invitations/{inv}/answer", headers=PLATFORM, json={"answer": "declined"}
        ).status_code
        == 200
    )
    assert uni.get("/v1/talent/invitations", headers=UNI).json()[0]["status"] == "awaiting"
    assert (
        uni.post(
            f"/v1/invitations/{inv}/answer", headers=PLATFORM, json={"answer": "accepted"}
        ).status_code
        == 409
    )
    # accepted: only then the university learns it
    r2 = uni.post("/v1/talent/invitations", headers=UNI, json={"participant_id": "p5"})
    inv2 = r2.json()["invitation_id"]
    assert (
        uni.post(
            f"/v1/invitations/{inv2}/answer", headers=PLATFORM, json={"answer": "accepted"}
        ).status_code
        == 200
    )
    mine = {i["participant_id"]: i for i in uni.get("/v1/talent/invitations", headers=UNI).json()}
    assert mine["p5"]["status"] == "accepted" and mine["p5"]["accepted_at"]
    assert mine["p1"]["status"] == "awaiting" and mine["p1"]["accepted_at"] is None
    assert (
        uni.post("/v1/talent/invitations", headers=UNI, json={"participant_id": "p3"}).status_code
        == 404
    )  # not consenting


def test_shortlists(uni: TestClient) -> None:
    r = uni.post("/v1/talent/shortlists", headers=UNI, json={"title": "Сильные"})
    assert r.status_code == 201
    sid = r.json()["shortlist_id"]
    for pid in ("p4", "p1"):
        assert (
            uni.put(f"/v1/talent/shortlists/{sid}/participants/{pid}", headers=UNI).status_code
            == 204
        )
    assert uni.put(f"/v1/talent/shortlists/{sid}/participants/p3", headers=UNI).status_code == 404
    detail = uni.get(f"/v1/talent/shortlists/{sid}", headers=UNI).json()
    assert detail["participants"] == ["p4", "p1"]
    assert [c["participant_id"] for c in detail["candidates"]] == ["p4", "p1"]
    _scope(uni, "p4", "withdrawn", "2026-02-01")
    assert uni.get(f"/v1/talent/shortlists/{sid}", headers=UNI).json()["participants"] == ["p1"]
    assert uni.get("/v1/talent/shortlists", headers=UNI).json()[0]["participants"] == ["p1"]
    assert (
        uni.delete(f"/v1/talent/shortlists/{sid}/participants/p1", headers=UNI).status_code == 204
    )


def test_inactive_or_unknown_university_is_refused(uni: TestClient) -> None:
    r = uni.put(
        f"/v1/admin/universities/{CODE}",
        headers=ADMIN,
        json={"name": "Университет", "active": False},
    )
    assert r.status_code == 200 and r.json()["active"] is False
    assert uni.get("/v1/talent", headers=UNI).status_code == 403
    assert uni.get("/v1/talent/invitations", headers=UNI).status_code == 403


def test_erasure_removes_the_universities_rows(uni: TestClient) -> None:
    _search(uni)
    uni.post("/v1/talent/invitations", headers=UNI, json={"participant_id": "p4"})
    r = uni.post("/v1/participants/p4/erasure", headers=PLATFORM)
    assert r.status_code == 200, r.text
    store = uni.app.state.talent.store  # type: ignore[attr-defined]
    with store.engine.connect() as conn:
        left = conn.execute(select(university_views.c.participant_id)).scalars().all()
    assert "p4" not in left
    assert "p4" not in _ids(_search(uni))
    assert uni.get("/v1/invitations", headers=PLATFORM).json() == []


def test_development_tokens_include_a_university() -> None:
    tokens = {t.name: t.role for t in settings_for("sqlite://").tokens()}
    assert tokens[CODE] is Role.UNIVERSITY


def test_a_stale_index_answers_while_the_new_one_is_built(uni: TestClient) -> None:
    talent = uni.app.state.talent.talent  # type: ignore[attr-defined]
    talent._background = True  # the service's default
    assert "p1" in _ids(_search(uni))
    assert push(uni, "participants", [participant("p6", region="RU-TAT")]).status_code == 200
    assert (
        push(uni, "achievements", [achievement("r9", "p6", "a1", result="winner")]).status_code
        == 200
    )
    _scope(uni, "p6", "given", "2026-01-10")
    _scope(uni, "p1", "withdrawn", "2026-02-01")
    page = _search(uni)  # answered at once, from the old index or the new one
    assert "p1" not in _ids(page)  # a withdrawal applies even to a stale index
    talent.wait_for_rebuild()
    assert sorted(_ids(_search(uni))) == ["p2", "p4", "p5", "p6"]


def test_scores_and_points_are_written_to_four_decimals() -> None:
    from serving.schemas.universities import DirectionEvidence

    long = 29.802500000000002
    evidence = DirectionEvidence(
        direction="python",
        competence=long,
        lower=long,
        upper=None,
        level=None,
        level_title_ru=None,
        verified_by_level={},
        points_current=long,
        points_previous=0.1 + 0.2,
        trend=long,
    )
    dumped = evidence.model_dump(mode="json")
    assert dumped["competence"] == dumped["lower"] == dumped["trend"] == 29.8025
    assert dumped["points_previous"] == 0.3 and dumped["upper"] is None
