"""The competence review flow end to end in headless Chromium, with the keyboard only.

Two moderators (their own tokens) work on the review queue of a served world with a real (tiny)
competence bundle: the queue in order of worth, an item with its evidence, approve, override (a
missing comment is an error on the page, not a 500), send back, and one item decided by both at
once (the second gets the conflict). The outcome is then read back through the API: item
statuses, the audit trail (who, before, after, why) and the overrides exported as labels.
Shared pieces: ``tests/serving/browser_kit.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.core.config import TokenEntry, token_sha256
from serving.main import create_app
from tests.serving.browser_kit import (
    focused,
    live_server,
    login,
    requires_chromium,
    tab_to,
    unlabelled_controls,
)
from tests.serving.bundle_factory import world_push_records
from tests.serving.conftest import push, settings_for

pytestmark = requires_chromium

TOKENS = {  # name -> (role, token); only their hashes are configured
    "anna": (Role.MODERATOR, "anna-moderator-token-0123456789abcdef"),
    "boris": (Role.MODERATOR, "boris-moderator-token-0123456789abcdef"),
    "root": (Role.ADMIN, "root-admin-token-0123456789abcdef"),
}
SEND_BACK_WHY = "Оценка не сходится с дипломами, нужна проверка модели"
OVERRIDE_WHY = "Проверено по дипломам финала"


@dataclass(frozen=True)
class Served:
    base: str
    api: httpx2.Client  # the admin's API client on the same server


@pytest.fixture
def served(tmp_path: Path, bundles: list[Path]) -> Iterator[Served]:
    """The bundle's synthetic world pushed and its review queue filled (development tokens),
    then served on loopback with the tokens of :data:`TOKENS` only."""
    settings = settings_for(f"sqlite:///{tmp_path / 'talent.db'}", competence_bundle=bundles[0])
    with TestClient(create_app(settings)) as setup:
        for entity, rows in world_push_records().items():
            r = push(setup, entity, rows, source="world")
            assert r.status_code == 200 and r.json()["quarantined"] == 0, r.text[:300]
        state = setup.app.state.talent  # type: ignore[attr-defined]
        state.refresh.start(wait=True)
        assert state.refresh.status.opened >= 4, state.refresh.status
    entries = [
        TokenEntry(name=n, role=role, sha256=token_sha256(t)) for n, (role, t) in TOKENS.items()
    ]
    with live_server(settings.model_copy(update={"api_tokens": entries})) as base:
        headers = {"Authorization": f"Bearer {TOKENS['root'][1]}"}
        with httpx2.Client(base_url=base, headers=headers, timeout=30) as api:
            yield Served(base, api)


def _open_queue(page: Any, base: str) -> list[tuple[str, float]]:
    """From the verification queue to the competence queue by keyboard; returns the rows'
    (review id, priority) in page order."""
    tab_to(page, "nav a[href='/moderation/competence']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/moderation/competence"
    rows = page.evaluate("""() => [...document.querySelectorAll('tbody tr')].map(tr => [
        tr.querySelector('a').getAttribute('href').split('/').pop(),
        parseFloat(tr.cells[tr.cells.length - 1].textContent)])""")
    return [(str(r), float(p)) for r, p in rows]


def _open_first_item(page: Any) -> str:
    tab_to(page, "tbody a[href^='/moderation/competence/']")
    review_id = focused(page, "href").split("/")[-1]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/moderation/competence/{review_id}")
    page.wait_for_function("document.activeElement.id === 'd-approve'")  # autofocus
    return review_id


def _submit(page: Any) -> int:
    """Tab to the save button and press Enter; returns the final answer's HTTP status."""
    tab_to(page, "button[type='submit']:not(header button)")
    with page.expect_navigation() as nav:
        page.keyboard.press("Enter")
    response = nav.value
    return int(response.status) if response is not None else 0


def _decided(page: Any, base: str, query: str = "") -> str:
    """After a decision the next item of the same (filtered) queue opens, with a notice and the
    focus on the first decision; returns its review id."""
    match = re.fullmatch(rf"{re.escape(base)}/moderation/competence/([^?]+)\?(.*)", page.url)
    assert match is not None, page.url
    assert match.group(2) == (f"{query}&done=1" if query else "done=1")
    assert (
        page.locator("[role=status]").inner_text()
        == "Решение сохранено. Это следующая оценка в очереди."
    )
    page.wait_for_function("document.activeElement.id === 'd-approve'")
    return match.group(1)


def test_competence_review_with_the_keyboard(served: Served, browser: Any) -> None:
    base, api = served.base, served.api
    anna = browser.new_context().new_page()
    login(anna, base, TOKENS["anna"][1])
    queue = _open_queue(anna, base)
    # the page shows the queue in the API's order: the most worth a look first
    listed = api.get("/v1/moderation/competence", params={"limit": 50}).json()["items"]
    assert [r for r, _ in queue] == [i["review_id"] for i in listed]
    priorities = [p for _, p in queue]
    assert len(queue) >= 4 and priorities == sorted(priorities, reverse=True) and priorities[0] > 0

    # 1. approve the first item, after checking its evidence, labels and focus order
    approved = _open_first_item(anna)
    item = api.get(f"/v1/moderation/competence/{approved}").json()
    text = anna.locator("main").inner_text()
    assert "Почему на проверке" in text and "Достижения, повлиявшие на оценку" in text
    assert item["flags"] and all(f["text_ru"] in text for f in item["flags"])
    assert item["top_achievements"]
    assert all(e["achievement_id"] in text for e in item["top_achievements"])
    assert unlabelled_controls(anna) == []
    order = []
    for _ in range(3):
        anna.keyboard.press("Tab")
        order.append(focused(anna) or focused(anna, "type"))
    assert order == ["value", "comment", "submit"]  # the decisions are one stop, then the fields
    anna.keyboard.press("Shift+Tab")
    anna.keyboard.press("Shift+Tab")
    anna.keyboard.press("Shift+Tab")
    assert focused(anna) == "d-approve"
    anna.keyboard.press("Space")
    assert _submit(anna) == 200
    overridden = _decided(anna, base)
    assert overridden == queue[1][0]  # the next item is the queue's next one

    # 2. override: first without a comment (an error on the page, nothing saved), then with one
    anna.keyboard.press("ArrowDown")  # -> override, checked
    assert focused(anna) == "d-override"
    anna.keyboard.press("Tab")
    assert focused(anna) == "value"
    anna.keyboard.type("62.5")
    assert _submit(anna) == 422
    alert = anna.locator("[role=alert]")
    assert alert.inner_text() == "Для исправления укажите значение от 0 до 100 и комментарий."
    # the choice and the value are kept; the comment has the focus and is described by the error
    assert anna.is_checked("#d-override") and anna.input_value("#value") == "62.5"
    assert focused(anna) == "comment"
    assert anna.get_attribute("#comment", "aria-invalid") == "true"
    assert "form-error" in (anna.get_attribute("#comment", "aria-describedby") or "")
    assert api.get(f"/v1/moderation/competence/{overridden}").json()["status"] == "open"
    anna.keyboard.type(OVERRIDE_WHY)
    assert _submit(anna) == 200
    _decided(anna, base)

    # 3. filter the queue by a reason (keyboard), then send back an item of it with a comment;
    # the next item shown is the next of the filtered queue
    open_items = api.get("/v1/moderation/competence", params={"limit": 200}).json()["items"]
    flag = next(f["code"] for i in open_items for f in i["flags"] if f["code"] != "wide_interval")
    anna.goto(f"{base}/moderation/competence")
    tab_to(anna, "#f-flag")
    anna.select_option("#f-flag", flag)
    tab_to(anna, "form[role=search] button[type='submit']")
    with anna.expect_navigation():
        anna.keyboard.press("Enter")
    assert anna.url.startswith(f"{base}/moderation/competence?") and f"&flag={flag}&" in anna.url
    wanted = api.get("/v1/moderation/competence", params={"flag": flag, "limit": 200}).json()
    assert wanted["page"]["total"] >= 1
    assert all(flag in {f["code"] for f in i["flags"]} for i in wanted["items"])
    hrefs = anna.eval_on_selector_all("tbody a", "els => els.map(a => a.getAttribute('href'))")
    assert [h.split("/")[-1].split("?")[0] for h in hrefs] == [
        i["review_id"] for i in wanted["items"]
    ]
    assert all(h.endswith(f"?flag={flag}") for h in hrefs)
    assert unlabelled_controls(anna) == []
    tab_to(anna, "tbody a[href^='/moderation/competence/']")
    with anna.expect_navigation():
        anna.keyboard.press("Enter")
    sent_back = anna.url.split("/")[-1].split("?")[0]
    assert sent_back == wanted["items"][0]["review_id"]
    anna.wait_for_function("document.activeElement.id === 'd-approve'")
    anna.keyboard.press("ArrowDown")
    anna.keyboard.press("ArrowDown")
    assert focused(anna) == "d-send-back"
    tab_to(anna, "#comment")
    anna.keyboard.type(SEND_BACK_WHY)
    assert _submit(anna) == 200
    if wanted["page"]["total"] > 1:
        assert _decided(anna, base, f"flag={flag}") == wanted["items"][1]["review_id"]
    else:  # the filtered queue is done: back to it, empty, with the notice
        assert anna.url == f"{base}/moderation/competence?flag={flag}&done=1"
    # a filter value that cannot be used is an error on the field, with the choice kept
    anna.goto(f"{base}/moderation/competence?flag={flag}&updated_from=01.02.2025")
    assert anna.get_attribute("#f-from", "aria-invalid") == "true"
    assert focused(anna) == "f-from" and anna.input_value("#f-flag") == flag
    assert "ГГГГ-ММ-ДД" in anna.locator("[role=alert]").inner_text()

    # 4. anna and boris open the same item; anna approves first, boris gets the conflict
    anna.goto(f"{base}/moderation/competence")
    contested = _open_first_item(anna)
    boris = browser.new_context().new_page()
    login(boris, base, TOKENS["boris"][1])
    boris.goto(f"{base}/moderation/competence/{contested}")
    boris.wait_for_function("document.activeElement.id === 'd-approve'")
    anna.keyboard.press("Space")
    assert _submit(anna) == 200
    boris.keyboard.press("ArrowDown")  # override
    tab_to(boris, "#value")
    boris.keyboard.type("10")
    tab_to(boris, "#comment")
    boris.keyboard.type("Слишком высоко")
    assert _submit(boris) == 409
    assert "ваше решение не сохранено" in boris.locator("[role=alert]").inner_text()
    assert "согласовано" in boris.locator("main").inner_text()  # the current state is shown
    assert boris.locator("form[action^='/moderation/competence/']").count() == 0

    # the outcome, read back through the API
    status = {
        r: api.get(f"/v1/moderation/competence/{r}").json()
        for r in (approved, overridden, sent_back, contested)
    }
    assert {r: s["status"] for r, s in status.items()} == {
        approved: "approved",
        overridden: "overridden",
        sent_back: "sent_back",
        contested: "approved",
    }
    assert status[overridden]["override_value"] == 62.5
    audit = api.get("/v1/moderation/audit", params={"subject_type": "competence"}).json()
    entries = {a["subject_id"]: a for a in audit["items"]}
    assert audit["page"]["total"] == 4 and set(entries) == set(status)  # boris's try is not in it
    expected = {
        approved: ("competence.approve", "approved", ""),
        overridden: ("competence.override", "overridden", OVERRIDE_WHY),
        sent_back: ("competence.send_back", "sent_back", SEND_BACK_WHY),
        contested: ("competence.approve", "approved", ""),
    }
    for review_id, (action, after, comment) in expected.items():
        a = entries[review_id]
        assert (a["actor"], a["actor_role"], a["action"]) == ("moderator:anna", "moderator", action)
        assert a["before"] == {  # the audit keeps the value; the API shows four decimals
            "status": "open",
            "version": 1,
            "competence": pytest.approx(status[review_id]["competence"], abs=5e-5),
        }
        assert a["after"]["status"] == after and a["after"]["version"] == 2
        assert a["comment"] == comment
    assert entries[overridden]["after"]["override_value"] == 62.5
    labels = api.get("/v1/moderation/competence-overrides").json()
    assert [(x["review_id"], x["competence"]) for x in labels] == [(overridden, 62.5)]
    # the audit names review items, never participants
    pids = {s["participant_id"] for s in status.values()}
    assert not any(re.search(re.escape(p), str(audit)) for p in pids)
