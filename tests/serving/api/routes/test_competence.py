"""Competence estimates with a served bundle, the competence review queue, overrides as labels,
and switching bundles without failing requests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from footprint.columns import Columns as C
from footprint.frames import Snapshot
from footprint.snapshot import read_frames
from models.competence.bundle import CompetenceBundle
from models.competence.rating_features import rating_frame
from serving.auth import Role
from serving.core.config import ServingSettings
from serving.main import create_app
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import AS_OF, bearer, push, settings_for

MOD, ADMIN, PLATFORM = bearer(Role.MODERATOR), bearer(Role.ADMIN), bearer(Role.PLATFORM)
P = "p000000"


@pytest.fixture
def settings(tmp_path: Path, bundles: list[Path]) -> ServingSettings:
    return settings_for(f"sqlite:///{tmp_path / 'talent.db'}", competence_bundle=bundles[0])


@pytest.fixture(scope="module")
def records() -> dict[str, list[dict[str, Any]]]:
    return world_push_records()


@pytest.fixture
def world(client: TestClient, records: dict[str, list[dict[str, Any]]]) -> TestClient:
    """The client, with the bundle's own synthetic world pushed (the bundle knows its
    activities, so estimates have evidence and flags)."""
    for entity, rows in records.items():
        r = push(client, entity, rows, source="world")
        assert r.status_code == 200 and r.json()["quarantined"] == 0, r.text[:500]
    return client


def _refresh(client: TestClient, ids: list[str] | None = None) -> dict[str, Any]:
    r = client.post(
        "/v1/admin/competence/refresh",
        headers=ADMIN,
        json={"participant_ids": ids} if ids else None,
    )
    assert r.status_code == 202, r.text
    for _ in range(200):
        status = client.get("/v1/admin/competence/refresh", headers=ADMIN).json()
        if status["state"] != "running":
            return dict(status)
        time.sleep(0.05)
    raise AssertionError("refresh did not finish")


def _queue(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/v1/moderation/competence", headers=MOD)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def test_estimates_equal_the_bundle_on_the_same_store(
    world: TestClient, bundles: list[Path]
) -> None:
    r = world.get(f"/v1/participants/{P}/competence", headers=PLATFORM)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_version"] == "tiny-1"
    store = world.app.state.talent.store  # type: ignore[attr-defined]
    snap = Snapshot.from_frames(AS_OF, read_frames(store, AS_OF))
    mine = snap.achievements[snap.achievements[C.PARTICIPANT_ID] == P]
    who = snap.participants[snap.participants[C.PARTICIPANT_ID] == P]
    lib = CompetenceBundle.load(bundles[0]).estimate(
        mine, who, AS_OF, rating=rating_frame(snap, AS_OF)
    )
    got = {e["direction"]: e for e in body["estimates"]}
    assert set(got) == set(lib[C.DIRECTION])
    for row in lib.to_dict("records"):
        e = got[row[C.DIRECTION]]
        assert e["competence"] == pytest.approx(row["competence"], abs=5e-5)  # 4 decimals
        assert (e["lower"], e["upper"]) == pytest.approx((row["lower"], row["upper"]), abs=5e-5)
        assert e["lower"] <= e["competence"] <= e["upper"] and e["level_title_ru"]
        assert e["latent_interval"] == {"lower": e["lower"], "upper": e["upper"], "level": 0.9}
        nxt = e["next_result_interval"]  # the predictive one, named apart from the latent one
        assert nxt["expected"] == pytest.approx(row["next_result"], abs=5e-5)
        assert 0 <= nxt["lower"] <= nxt["expected"] <= nxt["upper"] <= 100
        assert nxt["level"] == 0.9 and "следующий год" in nxt["text_ru"]
        assert [f["code"] for f in e["flags"]] == [f["code"] for f in row["flags"]]
    warm = [e for e in got.values() if not e["cold_start"]]
    assert warm and warm[0]["top_achievements"][0]["text_ru"]
    assert warm[0]["top_features"][0]["text_ru"]
    only = world.get(
        f"/v1/participants/{P}/competence", params={"direction": "robotics"}, headers=MOD
    ).json()
    assert [e["direction"] for e in only["estimates"]] == ["robotics"]


def test_unknown_participant_and_missing_model(world: TestClient, tmp_path: Path) -> None:
    assert world.get("/v1/participants/nobody/competence", headers=PLATFORM).status_code == 404
    plain = settings_for(f"sqlite:///{tmp_path / 'plain.db'}")
    with TestClient(create_app(plain)) as client:
        r = client.get("/v1/participants/p1/competence", headers=PLATFORM)
        assert r.status_code == 503 and "no competence model" in r.json()["detail"]
        assert client.post("/v1/admin/competence/refresh", headers=ADMIN).status_code == 503


def test_review_queue_is_ordered_by_worth_and_holds_evidence(world: TestClient) -> None:
    status = _refresh(world)
    assert status["state"] == "done" and status["participants"] > 250, status
    r = world.get("/v1/moderation/competence", params={"limit": 200}, headers=MOD).json()
    items = r["items"]
    assert items and status["opened"] == r["page"]["total"]
    priorities = [i["priority"] for i in items]
    assert priorities == sorted(priorities, reverse=True) and priorities[0] > 0
    for item in items:
        codes = {f["code"] for f in item["flags"]}
        assert codes and "cold_start" not in codes
        assert item["version"] == 1 and item["status"] == "open"
        assert item["top_achievements"] or item["top_features"]
        assert item["next_result_interval"]["lower"] <= item["next_result_interval"]["upper"]
        # only what a moderator can decide opens an item; a wide interval alone does not
        assert codes - {"wide_interval", "other_directions"}
    # filters: by flag, participant, direction and the instant of the last refresh
    flag = items[0]["flags"][0]["code"]
    by_flag = world.get(
        "/v1/moderation/competence", params={"flag": flag, "limit": 200}, headers=MOD
    ).json()
    assert by_flag["page"]["total"] == sum(flag in {f["code"] for f in i["flags"]} for i in items)
    one = items[-1]
    mine = world.get(
        "/v1/moderation/competence",
        headers=MOD,
        params={"participant_id": one["participant_id"], "direction": one["direction"]},
    ).json()["items"]
    assert [i["review_id"] for i in mine] == [one["review_id"]]
    later = world.get(
        "/v1/moderation/competence", headers=MOD, params={"updated_from": "2099-01-01T00:00:00Z"}
    ).json()
    assert later["page"]["total"] == 0
    assert (
        world.get("/v1/moderation/competence", params={"flag": "nonsense"}, headers=MOD).status_code
        == 422
    )
    # a second refresh with the same estimates changes nothing
    again = _refresh(world)
    assert (again["opened"], again["refreshed"]) == (0, 0)


def test_decisions_conflicts_audit_and_override_labels(world: TestClient) -> None:
    _refresh(world)
    first, second = _queue(world)[:2]
    url = f"/v1/moderation/competence/{first['review_id']}/decision"
    v = first["version"]
    for body, field in (
        ({"decision": "override", "expected_version": v, "comment": "x"}, "value"),
        ({"decision": "override", "expected_version": v, "value": 70}, "comment"),
        ({"decision": "approve", "expected_version": v, "value": 70}, "value"),
        ({"decision": "send_back", "expected_version": v}, "comment"),
        ({"decision": "override", "expected_version": v, "value": 170, "comment": "x"}, "value"),
        ({"decision": "reopen", "expected_version": v}, "decision"),
    ):
        r = world.post(url, json=body, headers=MOD)
        assert r.status_code == 422, body
        assert r.json()["errors"][0]["loc"][-1] == field, r.json()
    r = world.post(
        url,
        json={
            "decision": "override",
            "expected_version": v,
            "value": 72.5,
            "comment": "финал олимпиады не учтён",
        },
        headers=MOD,
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "overridden" and r.json()["version"] == v + 1
    late = world.post(url, json={"decision": "approve", "expected_version": v}, headers=ADMIN)
    assert late.status_code == 409
    assert late.json()["current"]["status"] == "overridden"
    sent = world.post(
        f"/v1/moderation/competence/{second['review_id']}/decision",
        json={
            "decision": "send_back",
            "expected_version": second["version"],
            "comment": "модель не видит командные результаты",
        },
        headers=ADMIN,
    )
    assert sent.status_code == 200
    open_ids = {i["review_id"] for i in _queue(world)}
    assert first["review_id"] not in open_ids and second["review_id"] not in open_ids
    detail = world.get(f"/v1/moderation/competence/{first['review_id']}", headers=MOD).json()
    audit = detail["audit"]
    assert [a["action"] for a in audit] == ["competence.override"]
    assert audit[0]["before"]["status"] == "open" and audit[0]["after"]["override_value"] == 72.5
    assert audit[0]["actor"] == "moderator:dev-moderator"
    assert first["participant_id"] not in str(audit)  # the audit names the item, not the child
    labels = world.get("/v1/moderation/competence-overrides", headers=bearer(Role.DATA_SCIENTIST))
    assert labels.status_code == 200
    assert [(x["participant_id"], x["direction"], x["competence"]) for x in labels.json()] == [
        (first["participant_id"], first["direction"], 72.5)
    ]
    csv = world.get("/v1/moderation/competence-overrides", params={"format": "csv"}, headers=ADMIN)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("participant_id,direction,competence")
    # the platform sees the moderator's decision next to the model's value
    mine = world.get(
        f"/v1/participants/{first['participant_id']}/competence", headers=PLATFORM
    ).json()
    decided = next(e for e in mine["estimates"] if e["direction"] == first["direction"])
    assert decided["moderation"]["override_value"] == 72.5


def test_a_newer_estimate_makes_a_stale_decision_conflict(world: TestClient) -> None:
    _refresh(world)
    # the lowest estimate of the queue: a win at a final must move it (an estimate already at
    # the top of the scale may not move, and then nothing is refreshed)
    item = min(_queue(world), key=lambda i: i["competence"])
    pid = item["participant_id"]
    # the participant wins a national final: the next estimate differs and refreshes the item
    final = next(r for r in world_push_records()["activities"] if r["kind"] == "olympiad_final")
    push(
        world,
        "achievements",
        [
            {
                "source_record_id": "new-1",
                "participant_id": pid,
                "activity_id": final["activity_id"],
                "result": "winner",
                "score": 99.0,
                "status": "verified",
                "status_changed_at": final["end_at"],
                "achieved_at": final["end_at"],
                "recorded_at": final["end_at"],
            }
        ],
        source="world",
    )
    done = _refresh(world, [pid])
    assert done["refreshed"] >= 1, done
    r = world.post(
        f"/v1/moderation/competence/{item['review_id']}/decision",
        json={"decision": "approve", "expected_version": item["version"]},
        headers=MOD,
    )
    assert r.status_code == 409


def test_erasure_purges_estimates_and_reviews(world: TestClient) -> None:
    _refresh(world)
    store = world.app.state.talent.store  # type: ignore[attr-defined]

    def rows(pid: str) -> int:
        with store.engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT (SELECT COUNT(*) FROM serving_competence_estimates WHERE "
                        "participant_id"
                        " = :p) + (SELECT COUNT(*) FROM serving_competence_reviews WHERE "
                        "participant_id"
                        " = :p)"
                    ),
                    {"p": pid},
                ).scalar_one()
            )

    pid = _queue(world)[0]["participant_id"]
    assert rows(pid) > 0
    assert world.post(f"/v1/participants/{pid}/erasure", headers=PLATFORM).status_code == 200
    assert rows(pid) == 0
    assert all(i["participant_id"] != pid for i in _queue(world))


def test_switching_bundles_during_requests(
    world: TestClient, bundles: list[Path], tmp_path: Path
) -> None:
    import shutil
    import threading

    served = tmp_path / "served.joblib"

    def publish(source: Path) -> None:  # the bundle with its signature
        shutil.copy(source, served)
        shutil.copy(source.with_name(source.name + ".sig"), served.with_name(served.name + ".sig"))

    publish(bundles[0])
    state = world.app.state.talent  # type: ignore[attr-defined]
    slot = state.models._slots["competence"]
    slot.source = type(slot.source)(served)
    errors: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            r = world.get(f"/v1/participants/{P}/competence", headers=PLATFORM)
            if r.status_code != 200:
                errors.append(r.status_code)
            else:
                versions.add(r.json()["model_version"])

    threads = [threading.Thread(target=load) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for source in (bundles[1], bundles[0], bundles[1]):
            publish(source)
            r = world.post("/v1/admin/models/competence/reload", headers=ADMIN)
            assert r.status_code == 200, r.text
        served.write_bytes(b"not a bundle")
        refused = world.post("/v1/admin/models/competence/reload", headers=ADMIN)
        assert refused.status_code == 409
        time.sleep(0.3)  # let the readers make a few requests on the last good bundle
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert versions <= {"tiny-1", "tiny-2"} and versions
    after = world.get(f"/v1/participants/{P}/competence", headers=PLATFORM).json()
    assert after["model_version"] == "tiny-2"
    models = world.get("/v1/admin/models", headers=ADMIN).json()
    assert models[0]["version"] == "tiny-2"  # the refused file left the last good one serving


def test_a_watched_folder_switches_to_the_newly_promoted_bundle(
    tmp_path: Path, bundles: list[Path]
) -> None:
    """The export layout of a promotion: bundle, ``<bundle>.sha256`` (sha256sum format), then
    ``latest.txt`` switched; a bundle whose checksum does not match is refused."""
    from serving.bundles import file_sha256

    folder = tmp_path / "models"
    folder.mkdir()
    for b in bundles:
        (folder / b.name).write_bytes(b.read_bytes())
        (folder / f"{b.name}.sha256").write_text(f"{file_sha256(b)}  {b.name}\n")
        (folder / f"{b.name}.sig").write_bytes(b.with_name(f"{b.name}.sig").read_bytes())
    (folder / "latest.txt").write_text("tiny-1.joblib\n")
    settings = settings_for(
        f"sqlite:///{tmp_path / 'w.db'}", competence_bundle=folder, model_watch_seconds=0.05
    )
    with TestClient(create_app(settings)) as client:

        def served() -> dict[str, Any]:
            return dict(client.get("/v1/admin/models", headers=ADMIN).json()[0])

        def wait_for(version: str) -> None:
            for _ in range(100):
                if served()["version"] == version:
                    return
                time.sleep(0.05)
            raise AssertionError(f"{version} was not switched in: {served()}")

        assert served()["version"] == "tiny-1"
        (folder / "latest.txt").write_text("tiny-2.joblib\n")
        wait_for("tiny-2")
        assert served()["sha256"] == file_sha256(bundles[1])
        # a promotion whose file does not match its checksum is refused; tiny-2 keeps serving
        (folder / "tiny-1.joblib.sha256").write_text("0" * 64 + "  tiny-1.joblib\n")
        (folder / "latest.txt").write_text("tiny-1.joblib\n")
        time.sleep(0.5)
        assert served()["version"] == "tiny-2"
        assert client.get("/readyz").json()["ready"] is True


def test_competence_review_in_the_pages(world: TestClient) -> None:
    import re

    from serving.core.config import DEV_TOKENS

    _refresh(world)
    r = world.post(
        "/moderation/login", data={"token": DEV_TOKENS[Role.MODERATOR]}, follow_redirects=False
    )
    assert r.status_code == 303
    queue = world.get("/moderation/competence")
    assert queue.status_code == 200 and "Оценки компетенций на проверке" in queue.text
    link = re.search(r'href="(/moderation/competence/[^"]+)"', queue.text)
    assert link is not None
    page = world.get(link.group(1))
    assert "Почему на проверке" in page.text and "Достижения, повлиявшие на оценку" in page.text
    assert "Интервал компетенции (90 %" in page.text
    assert re.search(r"Прогноз результатов на следующий год.*?</dt>\s*<dd>\d+–\d+", page.text, re.S)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    r = world.post(
        link.group(1), data=hidden | {"decision": "override", "value": "55", "comment": ""}
    )
    assert r.status_code == 422 and "укажите значение" in r.text
    r = world.post(
        link.group(1),
        data=hidden | {"decision": "override", "value": "55,5", "comment": "проверено по дипломам"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    stale = world.post(link.group(1), data=hidden | {"decision": "approve"})
    assert stale.status_code == 409 and "ваше решение не сохранено" in stale.text
    labels = world.get("/v1/moderation/competence-overrides", headers=ADMIN).json()
    assert [x["competence"] for x in labels] == [55.5]
    assert "исправление оценки" in world.get("/moderation/audit").text


def test_overrides_csv_neutralises_formula_like_cells(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    from serving.api.routes import competence as route

    frame = pd.DataFrame(
        {
            "participant_id": ["=cmd|' /C calc'!A0", "p1"],
            "direction": ["python", "@x"],
            "competence": [-3.0, 72.5],
        }
    )
    monkeypatch.setattr(route, "overrides", lambda store, since: frame)
    response = route.override_labels(None, None, None, "csv")  # type: ignore[arg-type]
    lines = response.body.decode().splitlines()
    assert lines[1:] == ["'=cmd|' /C calc'!A0,python,-3.0", "p1,'@x,72.5"]


def test_a_direction_the_model_never_saw_gets_a_coded_no_estimate(world: TestClient) -> None:
    """A direction ingested after training: a clear answer with a code, not a 500 or a gap."""
    code = "drones_competence"
    row = {"code": code, "title_ru": "Беспилотники", "aka_ru": ""}
    assert push(world, "directions", [row]).json()["added"] == 1
    r = world.get(f"/v1/participants/{P}/competence", headers=PLATFORM)
    assert r.status_code == 200, r.text
    body = r.json()
    assert code not in {e["direction"] for e in body["estimates"]} and body["estimates"]
    assert [m["direction"] for m in body["no_estimate"]] == [code]
    assert body["no_estimate"][0]["code"] == "direction_not_in_model"
    assert "Беспилотники" in body["no_estimate"][0]["text_ru"]
    one = world.get(f"/v1/participants/{P}/competence?direction={code}", headers=PLATFORM).json()
    assert one["estimates"] == [] and [m["direction"] for m in one["no_estimate"]] == [code]
    known = world.get(f"/v1/participants/{P}/competence?direction=python", headers=PLATFORM)
    assert known.json()["no_estimate"] == [] and len(known.json()["estimates"]) == 1
    unknown = world.get(f"/v1/participants/{P}/competence?direction=cooking", headers=PLATFORM)
    assert unknown.status_code == 422
