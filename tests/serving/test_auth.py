"""Every route declares its roles, and the whole route x role matrix holds: no token or an unknown
one gets 401 (pages: the login page), a token of another role 403, an admitted role gets through.
Plus the session cookie's own checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from serving.api.deps import PageGuard, RoleGuard
from serving.auth import Authenticator, Role
from serving.core.config import DEV_TOKENS, ServingSettings, TokenEntry, token_sha256
from serving.main import create_app
from tests.serving.conftest import bearer, push, settings_for, world_records

P, M, D, A = Role.PLATFORM, Role.MODERATOR, Role.DATA_SCIENTIST, Role.ADMIN
U = Role.UNIVERSITY
EVERYONE = {P, M, D, A}  # every role but the university's, which reaches only its own routes

# (method, route template) -> the roles it admits. A route missing here fails the test: a new
# route must be added with its roles on purpose.
MATRIX: dict[tuple[str, str], set[Role] | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/readyz"): None,
    ("GET", "/docs"): None,
    ("GET", "/docs/oauth2-redirect"): None,
    ("GET", "/redoc"): None,
    ("GET", "/metrics"): {D, A},
    ("GET", "/v1/me"): EVERYONE,
    ("POST", "/v1/admin/rating/invalidate"): {A},
    ("GET", "/v1/admin/models"): {A},
    ("POST", "/v1/admin/models/{kind}/reload"): {A},
    ("POST", "/v1/footprint/{entity}"): {P, A},
    ("POST", "/v1/participants/{participant_id}/erasure"): {P},
    ("GET", "/v1/directions"): EVERYONE,
    ("GET", "/v1/rating/{direction}"): EVERYONE,
    ("GET", "/v1/rating/{direction}/participants/{participant_id}"): EVERYONE,
    ("POST", "/v1/rating/{direction}/participants/{participant_id}/what-if"): EVERYONE,
    ("GET", "/v1/moderation/achievements"): {M, A},
    ("GET", "/v1/moderation/achievements/{achievement_id}"): {M, A},
    ("POST", "/v1/moderation/achievements/{achievement_id}/decision"): {M, A},
    ("GET", "/v1/moderation/audit"): {M, A},
    ("GET", "/v1/participants/{participant_id}/competence"): EVERYONE,
    ("GET", "/v1/participants/{participant_id}/recommendations"): EVERYONE,
    ("POST", "/v1/participants/{participant_id}/trajectory"): EVERYONE,
    ("POST", "/v1/recommendations/batch"): EVERYONE,
    ("POST", "/v1/feedback"): {P, A},
    ("GET", "/v1/feedback"): {D, A},
    ("GET", "/v1/moderation/competence"): {M, A},
    ("GET", "/v1/moderation/competence/{review_id}"): {M, A},
    ("POST", "/v1/moderation/competence/{review_id}/decision"): {M, A},
    ("GET", "/v1/moderation/competence-overrides"): {D, A},
    ("POST", "/v1/admin/competence/refresh"): {A},
    ("GET", "/v1/admin/competence/refresh"): {A},
    ("GET", "/moderation/login"): None,
    ("POST", "/moderation/login"): None,
    ("POST", "/moderation/logout"): None,
    ("GET", "/moderation/"): {M, A},
    ("GET", "/moderation/audit"): {M, A},
    ("GET", "/moderation/competence"): {M, A},
    ("GET", "/moderation/competence/{review_id}"): {M, A},
    ("POST", "/moderation/competence/{review_id}"): {M, A},
    ("GET", "/moderation/achievements/{achievement_id}"): {M, A},
    ("POST", "/moderation/achievements/{achievement_id}"): {M, A},
    ("GET", "/v1/talent"): {U},
    ("GET", "/v1/talent/shortlists"): {U},
    ("POST", "/v1/talent/shortlists"): {U},
    ("GET", "/v1/talent/shortlists/{shortlist_id}"): {U},
    ("PUT", "/v1/talent/shortlists/{shortlist_id}/participants/{participant_id}"): {U},
    ("DELETE", "/v1/talent/shortlists/{shortlist_id}/participants/{participant_id}"): {U},
    ("POST", "/v1/talent/invitations"): {U},
    ("GET", "/v1/talent/invitations"): {U},
    ("GET", "/v1/admin/universities"): {A},
    ("PUT", "/v1/admin/universities/{code}"): {A},
    ("GET", "/v1/participants/{participant_id}/university-views"): {P},
    ("GET", "/v1/invitations"): {P},
    ("POST", "/v1/invitations/{invitation_id}/answer"): {P},
    ("GET", "/v1/participants/{participant_id}/portfolio"): {P},
    ("POST", "/v1/participants/{participant_id}/portfolio/exports"): {P},
    ("GET", "/v1/portfolio/keys"): None,
    ("POST", "/v1/portfolio/verify"): None,
}

# A request per route that an admitted role can make without breaking the world for the others
# (decisions name a stale version and get 409; the erasure names an unknown id and gets 404).
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/admin/models/{kind}/reload"): {"url": "/v1/admin/models/competence/reload"},
    ("POST", "/v1/footprint/{entity}"): {
        "url": "/v1/footprint/activity_edges",
        "json": {
            "source": "platform",
            "records": [
                {"from_activity_id": "a1", "to_activity_id": "a2", "edge_type": "selection"}
            ],
        },
    },
    ("POST", "/v1/participants/{participant_id}/erasure"): {
        "url": "/v1/participants/unknown-1/erasure"
    },
    ("GET", "/v1/rating/{direction}"): {"url": "/v1/rating/python"},
    ("GET", "/v1/rating/{direction}/participants/{participant_id}"): {
        "url": "/v1/rating/python/participants/p1"
    },
    ("POST", "/v1/rating/{direction}/participants/{participant_id}/what-if"): {
        "url": "/v1/rating/python/participants/p1/what-if",
        "json": {"hypothetical": [{"kind": "test", "level": "school", "result": "completed"}]},
    },
    ("GET", "/v1/moderation/achievements/{achievement_id}"): {
        "url": "/v1/moderation/achievements/{aid}"
    },
    ("POST", "/v1/moderation/achievements/{achievement_id}/decision"): {
        "url": "/v1/moderation/achievements/{aid}/decision",
        "json": {"decision": "verify", "expected_version": 999},
    },
    ("GET", "/moderation/achievements/{achievement_id}"): {"url": "/moderation/achievements/{aid}"},
    ("GET", "/v1/participants/{participant_id}/competence"): {
        "url": "/v1/participants/p1/competence"
    },
    ("GET", "/v1/moderation/competence/{review_id}"): {"url": "/v1/moderation/competence/nope"},
    ("GET", "/v1/participants/{participant_id}/recommendations"): {
        "url": "/v1/participants/p1/recommendations"
    },
    ("POST", "/v1/participants/{participant_id}/trajectory"): {
        "url": "/v1/participants/p1/trajectory",
        "json": {"goal": "python:70"},
    },
    ("POST", "/v1/recommendations/batch"): {
        "url": "/v1/recommendations/batch",
        "json": {"participant_ids": ["p1"]},
    },
    ("POST", "/v1/feedback"): {
        "url": "/v1/feedback",
        "json": {
            "events": [
                {
                    "participant_id": "nobody",
                    "activity_id": "a1",
                    "event": "shown",
                    "occurred_at": "2026-06-01T00:00:00Z",
                }
            ]
        },
    },
    ("GET", "/moderation/competence/{review_id}"): {"url": "/moderation/competence/nope"},
    ("POST", "/moderation/competence/{review_id}"): {
        "url": "/moderation/competence/nope",
        "data": {"decision": "approve", "expected_version": "1"},
    },
    ("POST", "/v1/moderation/competence/{review_id}/decision"): {
        "url": "/v1/moderation/competence/nope/decision",
        "json": {"decision": "approve", "expected_version": 1},
    },
    ("POST", "/moderation/achievements/{achievement_id}"): {
        "url": "/moderation/achievements/{aid}",
        "data": {"decision": "verify", "expected_version": "999"},
    },
}
SAMPLES |= {
    ("POST", "/v1/talent/shortlists"): {"url": "/v1/talent/shortlists", "json": {"title": "x"}},
    ("GET", "/v1/talent/shortlists/{shortlist_id}"): {"url": "/v1/talent/shortlists/nope"},
    ("PUT", "/v1/talent/shortlists/{shortlist_id}/participants/{participant_id}"): {
        "url": "/v1/talent/shortlists/nope/participants/p1"
    },
    ("DELETE", "/v1/talent/shortlists/{shortlist_id}/participants/{participant_id}"): {
        "url": "/v1/talent/shortlists/nope/participants/p1"
    },
    ("POST", "/v1/talent/invitations"): {
        "url": "/v1/talent/invitations",
        "json": {"participant_id": "nobody"},
    },
    ("PUT", "/v1/admin/universities/{code}"): {
        "url": "/v1/admin/universities/dev-university",
        "json": {"name": "Вуз разработки"},
    },
    ("GET", "/v1/participants/{participant_id}/university-views"): {
        "url": "/v1/participants/p1/university-views"
    },
    ("POST", "/v1/invitations/{invitation_id}/answer"): {
        "url": "/v1/invitations/nope/answer",
        "json": {"answer": "accepted"},
    },
    ("GET", "/v1/participants/{participant_id}/portfolio"): {
        "url": "/v1/participants/p1/portfolio"
    },
    ("POST", "/v1/participants/{participant_id}/portfolio/exports"): {
        "url": "/v1/participants/p1/portfolio/exports"
    },
}
ALLOWED_STATUS = {
    ("GET", "/v1/talent"): 503,  # no competence bundle in the matrix's service
    ("GET", "/v1/talent/shortlists/{shortlist_id}"): 404,
    ("PUT", "/v1/talent/shortlists/{shortlist_id}/participants/{participant_id}"): 404,
    ("DELETE", "/v1/talent/shortlists/{shortlist_id}/participants/{participant_id}"): 404,
    ("POST", "/v1/talent/invitations"): 404,
    ("POST", "/v1/talent/shortlists"): 201,
    ("POST", "/v1/participants/{participant_id}/portfolio/exports"): 201,
    ("POST", "/v1/invitations/{invitation_id}/answer"): 404,
    ("GET", "/moderation/competence/{review_id}"): 404,
    ("POST", "/moderation/competence/{review_id}"): 404,
    # the matrix's service has no competence bundle: 503 says so after the role check
    ("GET", "/v1/participants/{participant_id}/competence"): 503,
    ("POST", "/v1/admin/competence/refresh"): 503,
    ("GET", "/v1/participants/{participant_id}/recommendations"): 503,
    ("POST", "/v1/participants/{participant_id}/trajectory"): 503,
    ("POST", "/v1/recommendations/batch"): 503,
    ("GET", "/v1/moderation/competence/{review_id}"): 404,
    ("POST", "/v1/moderation/competence/{review_id}/decision"): 404,
    ("POST", "/v1/admin/models/{kind}/reload"): 404,
    ("POST", "/v1/participants/{participant_id}/erasure"): 404,
    ("POST", "/v1/moderation/achievements/{achievement_id}/decision"): 409,
    ("POST", "/moderation/achievements/{achievement_id}"): 409,
}


def _guard_roles(route: APIRoute) -> frozenset[Role] | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, RoleGuard | PageGuard):
            return dep.call.roles
        stack.extend(dep.dependencies)
    return None


def _routes(client: TestClient) -> dict[tuple[str, str], APIRoute]:
    out = {}
    for ctx in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        route = ctx.original_route
        if isinstance(route, APIRoute) and ctx.path is not None:
            for method in ctx.methods or ():
                out[(method, ctx.path)] = route
    return out


def test_every_route_declares_the_expected_roles(client: TestClient) -> None:
    routes = _routes(client)
    assert set(routes) == set(MATRIX), "add new routes to MATRIX with their roles"
    for key, route in routes.items():
        roles = _guard_roles(route)
        expected = MATRIX[key]
        assert (set(roles) if roles is not None else None) == expected, key


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One world for the whole matrix: every sample request leaves it as it was (decisions name
    a stale version, the erasure an unknown id, the push repeats a stored edge)."""
    settings = settings_for(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'talent.db'}")
    with TestClient(create_app(settings)) as client:
        for entity, records in world_records().items():
            assert push(client, entity, records).status_code == 200
        r = client.put(
            "/v1/admin/universities/dev-university",
            headers=bearer(A),
            json={"name": "Вуз разработки", "directions": ["python"]},
        )
        assert r.status_code == 201, r.text
        yield client


def _pending_id(client: TestClient) -> str:
    r = client.get("/v1/moderation/achievements", headers=bearer(A))
    return str(r.json()["items"][0]["achievement_id"])


@pytest.mark.parametrize(
    "key", [k for k, v in MATRIX.items() if v is not None], ids=lambda k: f"{k[0]} {k[1]}"
)
def test_route_role_matrix(shared_world: TestClient, key: tuple[str, str]) -> None:
    world = shared_world
    method, template = key
    sample = dict(SAMPLES.get(key, {"url": template}))
    sample["url"] = sample["url"].replace("{aid}", _pending_id(world))
    page = template.startswith("/moderation")
    allowed = MATRIX[key]
    assert allowed is not None
    for role in (None, *Role):
        for token in [None, "not-a-token"] if role is None else [None]:
            r = world.request(method, headers=bearer(role, token), follow_redirects=False, **sample)
            if role is None:
                expected = 303 if page else 401
                assert r.status_code == expected, (key, token, r.text)
                if not page:
                    assert r.headers["www-authenticate"] == "Bearer"
            elif role in allowed:
                assert r.status_code == ALLOWED_STATUS.get(key, 200), (key, role, r.text)
            else:
                assert r.status_code == 403, (key, role, r.text)


def test_public_routes_need_no_token(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/moderation/login").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    assert client.get("/v1/portfolio/keys").status_code == 200
    assert client.post("/v1/portfolio/verify", json={"code": "0" * 20}).status_code == 200


def _auth() -> Authenticator:
    tokens = [TokenEntry(name="anna", role=M, sha256=token_sha256("s3cret-token"))]
    return Authenticator(tokens, "k" * 40, session_seconds=60)


def test_tokens_are_compared_by_hash() -> None:
    auth = _auth()
    principal = auth.principal("s3cret-token", loopback=True)
    assert principal is not None and principal.actor == "moderator:anna"
    assert auth.principal("s3cret-token ", loopback=True) is None
    # the hash is not a token
    assert auth.principal(token_sha256("s3cret-token"), loopback=True) is None
    assert auth.principal(None, loopback=True) is None


def test_session_cookies_expire_and_cannot_be_forged() -> None:
    auth = _auth()
    cookie = auth.session_cookie("s3cret-token", now=1000.0)
    assert "s3cret-token" not in cookie
    assert auth.session_principal(cookie, now=1030.0, loopback=True) is not None
    assert auth.session_principal(cookie, now=1061.0, loopback=True) is None  # expired
    token_hash, expiry, nonce, mac = cookie.split(".")
    assert (
        auth.session_principal(
            f"{token_hash}.{int(expiry) + 999}.{nonce}.{mac}", now=1030.0, loopback=True
        )
        is None
    )
    assert auth.session_cookie("s3cret-token", now=1000.0) != cookie  # each login its own
    other = Authenticator([], "k" * 40, 60)  # the token was removed: the session is revoked
    assert other.session_principal(cookie, now=1030.0, loopback=True) is None
    assert auth.check_csrf(cookie, auth.csrf_token(cookie))
    assert not auth.check_csrf(cookie, "0" * 32)


def test_the_live_snapshot_is_built_before_the_first_request(world: TestClient) -> None:
    """Start-up builds the live snapshot, so the first requests do not each wait for it."""
    # a second service on the same (non-empty) store: its start-up alone must build it
    settings = world.app.state.talent.settings
    with TestClient(create_app(settings)) as fresh:
        live = fresh.app.state.talent.live
        assert live.is_built
        assert live.has_participant(world_records()["participants"][0]["participant_id"])


def test_development_tokens_are_refused_from_the_network(settings: ServingSettings) -> None:
    """Issue 16 item 5: a development service reachable from another machine must not let that
    machine in with a token printed in this repository."""
    admin = bearer(A)
    with TestClient(create_app(settings), client=("192.0.2.7", 40000)) as remote:
        r = remote.get("/v1/me", headers=admin)
        assert r.status_code == 401 and "loopback" in r.text
        login = remote.post("/moderation/login", data={"token": DEV_TOKENS[M]})
        assert login.status_code == 401
    with TestClient(create_app(settings), client=("127.0.0.1", 40000)) as local:
        assert local.get("/v1/me", headers=admin).status_code == 200
    with TestClient(create_app(settings), client=("::1", 40000)) as local6:
        assert local6.get("/v1/me", headers=admin).status_code == 200


def test_a_session_made_locally_is_refused_from_the_network(settings: ServingSettings) -> None:
    auth = Authenticator([], "k" * 40, 60, loopback_only=settings.loopback_only_tokens())
    dev = Authenticator(
        settings.tokens(), "k" * 40, 60, loopback_only=settings.loopback_only_tokens()
    )
    cookie = dev.session_cookie(DEV_TOKENS[M])
    assert dev.session_principal(cookie, loopback=True) is not None
    assert dev.session_principal(cookie, loopback=False) is None
    assert auth.session_principal(cookie, loopback=True) is None


def test_the_explicit_flag_lets_development_tokens_in_from_the_network(
    settings: ServingSettings,
) -> None:
    loud = settings.model_copy(update={"allow_dev_tokens_on_network": True})
    assert loud.dev_tokens_on_network()
    with TestClient(create_app(loud), client=("192.0.2.7", 40000)) as remote:
        assert remote.get("/v1/me", headers=bearer(A)).status_code == 200


def test_configured_tokens_work_from_the_network(settings: ServingSettings) -> None:
    entry = TokenEntry(name="platform-main", role=P, sha256=token_sha256("a-real-token"))
    real = settings.model_copy(update={"api_tokens": [entry]})
    assert not real.serves_dev_tokens()
    with TestClient(create_app(real), client=("192.0.2.7", 40000)) as remote:
        assert remote.get("/v1/me", headers=bearer(None, "a-real-token")).status_code == 200
        assert remote.get("/v1/me", headers=bearer(A)).status_code == 401
