"""The moderators' pages: login, queue, decision form, conflicts, CSRF and roles."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from serving.api.deps import SESSION_COOKIE
from serving.auth import Role
from serving.core.config import DEV_TOKENS


def _login(client: TestClient, role: Role = Role.MODERATOR) -> None:
    r = client.post(
        "/moderation/login",
        data={"token": DEV_TOKENS[role], "next": "/moderation/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/moderation" in cookie
    assert DEV_TOKENS[role] not in cookie


def _form(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


def test_pages_need_a_session(world: TestClient) -> None:
    r = world.get("/moderation/achievements/x", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/moderation/login?next=/moderation/achievements/x"
    page = world.get(r.headers["location"])
    assert page.status_code == 200 and "Токен доступа" in page.text
    world.cookies.set(SESSION_COOKIE, "a" * 64 + ".9999999999.b", path="/moderation")
    forged = world.get("/moderation/", follow_redirects=False)
    assert forged.status_code == 303


def test_login_refuses_wrong_tokens_and_roles(world: TestClient) -> None:
    r = world.post("/moderation/login", data={"token": "nope"})
    assert r.status_code == 401 and "Неверный токен" in r.text
    r = world.post("/moderation/login", data={"token": DEV_TOKENS[Role.PLATFORM]})
    assert r.status_code == 403 and SESSION_COOKIE not in r.headers.get("set-cookie", "")
    # an open redirect is not possible through `next`
    r = world.post(
        "/moderation/login",
        data={"token": DEV_TOKENS[Role.MODERATOR], "next": "https://evil.example/"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/moderation/"


def test_review_flow_in_the_browser_forms(world: TestClient) -> None:
    _login(world)
    queue = world.get("/moderation/")
    assert queue.status_code == 200
    assert "Достижения на проверке" in queue.text and "Всего на проверке: 2" in queue.text
    link = re.search(r'href="(/moderation/achievements/[^"]+)"', queue.text)
    assert link is not None
    page = world.get(link.group(1))
    assert page.status_code == 200 and "Подтверждающий документ" in page.text
    hidden = _form(page.text)
    # a rejection without a comment is refused with the reason, nothing saved
    r = world.post(link.group(1), data=hidden | {"decision": "reject", "comment": ""})
    assert r.status_code == 422 and "напишите комментарий" in r.text
    r = world.post(
        link.group(1),
        data=hidden | {"decision": "reject", "comment": "фальшивка"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/moderation/?done=")
    assert "Всего на проверке: 1" in world.get(r.headers["location"]).text
    # the same stale form again: a conflict page, not an overwrite
    stale = world.post(link.group(1), data=hidden | {"decision": "verify", "comment": ""})
    assert stale.status_code == 409 and "Другой модератор уже принял решение" in stale.text
    audit = world.get("/moderation/audit")
    assert "фальшивка" in audit.text and "отклонение достижения" in audit.text


def test_forms_need_the_csrf_token(world: TestClient) -> None:
    _login(world)
    queue = world.get("/moderation/")
    link = re.search(r'href="(/moderation/achievements/[^"]+)"', queue.text)
    assert link is not None
    hidden = _form(world.get(link.group(1)).text)
    r = world.post(link.group(1), data=hidden | {"csrf": "forged", "decision": "verify"})
    assert r.status_code == 403
    assert "Всего на проверке: 2" in world.get("/moderation/").text


def test_other_roles_get_403_pages(world: TestClient) -> None:
    for role in (Role.PLATFORM, Role.DATA_SCIENTIST):
        r = world.get("/moderation/", headers={"Authorization": f"Bearer {DEV_TOKENS[role]}"})
        assert r.status_code == 403 and "Нет доступа" in r.text
    _login(world, Role.ADMIN)
    assert world.get("/moderation/").status_code == 200


def test_logout_ends_the_session(world: TestClient) -> None:
    _login(world)
    hidden = _form(world.get("/moderation/").text)
    r = world.post("/moderation/logout", data={"csrf": hidden["csrf"]}, follow_redirects=False)
    assert r.status_code == 303
    assert world.get("/moderation/", follow_redirects=False).status_code == 303


def test_a_copy_of_the_cookie_is_dead_after_logout(world: TestClient) -> None:
    """Issue 16 item 11: deleting the cookie in the browser is not enough; a copy of it (another
    tab, a proxy's log) must stop working too, in every worker (the store remembers it)."""
    _login(world)
    cookie = world.cookies.get(SESSION_COOKIE, path="/moderation")
    assert cookie
    hidden = _form(world.get("/moderation/").text)
    world.post("/moderation/logout", data={"csrf": hidden["csrf"]}, follow_redirects=False)
    world.cookies.clear()
    world.cookies.set(SESSION_COOKIE, cookie, path="/moderation")
    replay = world.get("/moderation/", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/moderation/login")
    world.cookies.clear()
    _login(world)  # a new session works, even within the same second
    assert world.get("/moderation/", follow_redirects=False).status_code == 200


def test_pages_carry_a_content_security_policy_and_refuse_frames(world: TestClient) -> None:
    for path in ("/moderation/login", "/v1/me"):
        r = world.get(path)
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
        assert "script-src" not in policy  # no script runs on a page of this service
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
