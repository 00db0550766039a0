"""Portfolios: verified items only (pending listed as pending), signed exports that verify
offline and fail after any changed byte, verification codes, supersession by a moderator's
rejection, key rotation, the rate limit and the printable page."""

from __future__ import annotations

import base64
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.core.config import ServingSettings
from serving.main import create_app
from serving.services.signing import Signer, new_private_key_b64, normalise_code
from tests.serving.conftest import bearer, push, settings_for, world_records

PLATFORM, MOD = bearer(Role.PLATFORM), bearer(Role.MODERATOR)


@pytest.fixture
def settings(tmp_path: Path) -> ServingSettings:
    # read as of each request's moment, so a decision made now shows in the next portfolio
    return settings_for(
        f"sqlite:///{tmp_path / 'talent.db'}", live_as_of=None, portfolio_verify_floor_ms=20.0
    )


def _export(client: TestClient, pid: str = "p1") -> dict[str, Any]:
    r = client.post(f"/v1/participants/{pid}/portfolio/exports", headers=PLATFORM)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _verify(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/v1/portfolio/verify", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_portfolio_shows_verified_items_and_lists_pending(world: TestClient) -> None:
    p1 = world.get("/v1/participants/p1/portfolio", headers=PLATFORM).json()
    items = [i for g in p1["achievements"] for i in g["achievements"]]
    assert sorted(i["result"] for i in items) == ["finalist", "prize_winner"]
    assert {(g["direction"], g["season"]) for g in p1["achievements"]} == {("python", "2025/26")}
    assert p1["pending"] == []
    p2 = world.get("/v1/participants/p2/portfolio", headers=PLATFORM).json()
    assert p2["achievements"] == []  # both of p2's records await moderation
    assert len(p2["pending"]) == 2
    assert world.get("/v1/participants/nobody/portfolio", headers=PLATFORM).status_code == 404


def test_signature_verifies_offline_and_fails_after_any_byte_changes(world: TestClient) -> None:
    signed = _export(world)
    keys = world.get("/v1/portfolio/keys").json()  # public: no token
    key = next(k for k in keys if k["key_id"] == signed["signature"]["key_id"])
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    payload = rfc8785.dumps(signed["document"])
    signature = base64.b64decode(signed["signature"]["value"])
    public.verify(signature, payload)  # raises if not genuine
    for i in range(len(payload)):
        changed = bytearray(payload)
        changed[i] ^= 0x01
        with pytest.raises(InvalidSignature):
            public.verify(signature, bytes(changed))
    # and the service agrees: a changed field is a bad signature
    forged = signed["document"] | {"issued_at": "2020-01-01T00:00:00Z"}
    out = _verify(world, document=forged, signature=signed["signature"])
    assert out["status"] == "bad_signature"
    assert (
        _verify(world, document=signed["document"], signature=signed["signature"])["status"]
        == "genuine"
    )


def test_codes_answer_genuine_unknown_and_nothing_more(world: TestClient) -> None:
    signed = _export(world)
    code = signed["document"]["verification_code"]
    assert len(normalise_code(code) or "") == 23  # 20 characters in four groups
    out = _verify(world, code=code)
    assert out == {
        "status": "genuine",
        "document_sha256": signed["document_sha256"],
        "key_id": None,
    }
    typed = code.lower().replace("-", " ")  # as a person might type it
    assert _verify(world, code=typed)["status"] == "genuine"
    other = "0" * 20
    assert _verify(world, code=other) == {
        "status": "unknown",
        "document_sha256": None,
        "key_id": None,
    }
    assert world.post("/v1/portfolio/verify", json={"code": "short"}).status_code == 422
    assert world.post("/v1/portfolio/verify", json={}).status_code == 422


def test_a_rejection_supersedes_earlier_documents(world: TestClient) -> None:
    signed = _export(world)
    code = signed["document"]["verification_code"]
    items = [i for g in signed["document"]["portfolio"]["achievements"] for i in g["achievements"]]
    aid = items[0]["achievement_id"]
    version = world.get(f"/v1/moderation/achievements/{aid}", headers=MOD).json()["version"]
    r = world.post(
        f"/v1/moderation/achievements/{aid}/decision",
        headers=MOD,
        json={
            "decision": "reject",
            "expected_version": version,
            "comment": "диплом не подтверждён",
        },
    )
    assert r.status_code == 200, r.text
    assert _verify(world, code=code)["status"] == "superseded"
    assert (
        _verify(world, document=signed["document"], signature=signed["signature"])["status"]
        == "superseded"
    )
    fresh = _export(world)
    shown = [
        i["achievement_id"]
        for g in fresh["document"]["portfolio"]["achievements"]
        for i in g["achievements"]
    ]
    assert aid not in shown
    assert _verify(world, code=fresh["document"]["verification_code"])["status"] == "genuine"


def test_rotation_keeps_earlier_documents_verifiable(
    world: TestClient, settings: ServingSettings
) -> None:
    signed = _export(world)
    old_key = world.app.state.talent.signer  # type: ignore[attr-defined]
    old_public = next(k for k in old_key.public_keys.values() if k.active).as_dict()["public_key"]
    rotated = settings.model_copy(
        update={
            "portfolio_signing_key": new_private_key_b64(),
            "portfolio_retired_public_keys": [old_public],
        }
    )
    with TestClient(create_app(rotated)) as client:
        keys = {k["key_id"]: k["status"] for k in client.get("/v1/portfolio/keys").json()}
        assert keys[signed["signature"]["key_id"]] == "retired" and len(keys) == 2
        assert (
            _verify(client, document=signed["document"], signature=signed["signature"])["status"]
            == "genuine"
        )
        new = _export(client)
        assert new["signature"]["key_id"] != signed["signature"]["key_id"]
    forgotten = settings.model_copy(update={"portfolio_signing_key": new_private_key_b64()})
    with TestClient(create_app(forgotten)) as client:  # the old key was dropped, not retired
        assert (
            _verify(client, document=signed["document"], signature=signed["signature"])["status"]
            == "bad_signature"
        )


def test_verification_is_rate_limited_and_equally_slow(tmp_path: Path) -> None:
    settings = settings_for(
        f"sqlite:///{tmp_path / 't.db'}",
        portfolio_verify_per_minute=11,
        portfolio_verify_floor_ms=40.0,
    )
    with TestClient(create_app(settings)) as client:
        for entity, records in world_records().items():
            assert push(client, entity, records).status_code == 200
        code = _export(client)["document"]["verification_code"]
        known, unknown = [], []
        for _ in range(5):
            for times, c in ((known, code), (unknown, "1" * 20)):
                started = time.perf_counter()
                _verify(client, code=c)
                times.append(time.perf_counter() - started)
        assert min(known + unknown) >= 0.040
        assert abs(statistics.median(known) - statistics.median(unknown)) < 0.015
        assert client.post("/v1/portfolio/verify", json={"code": code}).status_code == 200
        r = client.post("/v1/portfolio/verify", json={"code": code})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1


def test_printable_page_in_russian_with_the_code(world: TestClient) -> None:
    page = world.get("/v1/participants/p2/portfolio", params={"format": "html"}, headers=PLATFORM)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Портфолио участника" in page.text and "ожидает проверки модератором" in page.text
    r = world.post(
        "/v1/participants/p1/portfolio/exports", params={"format": "html"}, headers=PLATFORM
    )
    assert r.status_code == 201 and "Код проверки" in r.text
    assert "@page" in r.text  # print layout


def test_erasure_forgets_the_exports(world: TestClient) -> None:
    code = _export(world)["document"]["verification_code"]
    assert world.post("/v1/participants/p1/erasure", headers=PLATFORM).status_code == 200
    assert _verify(world, code=code)["status"] == "unknown"


def test_the_signer_refuses_a_malformed_key() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Signer(base64.b64encode(b"short").decode(), [])
