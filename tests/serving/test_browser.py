"""The moderators' verification flow end to end in headless Chromium, with the keyboard only.

A real server (uvicorn) runs on loopback in a thread; Playwright drives Debian's ``chromium``
(no browser download). Skipped when ``/usr/bin/chromium`` is absent (install Debian's
``chromium`` package). Shared pieces: ``tests/serving/browser_kit.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.main import create_app
from tests.serving.browser_kit import live_server, login, requires_chromium, tab_to
from tests.serving.conftest import push, settings_for, world_records

pytestmark = requires_chromium


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A served world on loopback; yields its base URL."""
    settings = settings_for(f"sqlite:///{tmp_path / 'talent.db'}", live_as_of=None)
    with TestClient(create_app(settings)) as setup:  # push the world through the API
        for entity, records in world_records().items():
            assert push(setup, entity, records).status_code == 200
    with live_server(settings) as base:
        yield base


def test_review_flow_with_the_keyboard(server: str, browser: Any) -> None:
    first = browser.new_context().new_page()
    login(first, server)
    assert "Всего на проверке: 2" in first.content()
    tab_to(first, "a[href^='/moderation/achievements/']")
    with first.expect_navigation():
        first.keyboard.press("Enter")
    assert re.search(r"/moderation/achievements/.+", first.url)
    item_url = first.url
    # a second moderator opens the same item before the first decides
    second = browser.new_context().new_page()
    login(second, server)
    second.goto(item_url)
    second.wait_for_function("document.activeElement.id === 'decision-verify'")

    assert first.evaluate("document.activeElement.id") == "decision-verify"  # autofocus
    first.keyboard.press("ArrowDown")  # -> reject
    assert first.evaluate("document.activeElement.id") == "decision-reject"
    # rejecting without a comment: an error, the choice kept, the comment marked and focused
    tab_to(first, "button[type='submit']")
    with first.expect_navigation():
        first.keyboard.press("Enter")
    assert "напишите комментарий" in first.locator("[role=alert]").inner_text()
    assert first.is_checked("#decision-reject")
    assert first.get_attribute("#comment", "aria-invalid") == "true"
    assert "form-error" in (first.get_attribute("#comment", "aria-describedby") or "")
    assert first.evaluate("document.activeElement.id") == "comment"
    first.keyboard.type("Документ не соответствует результату")
    tab_to(first, "button[type='submit']")
    with first.expect_navigation():
        first.keyboard.press("Enter")
    assert "done=" in first.url
    assert "сохранено" in first.content() and "Всего на проверке: 1" in first.content()

    second.keyboard.press("Space")  # verify
    tab_to(second, "button[type='submit']")
    with second.expect_navigation():
        second.keyboard.press("Enter")
    assert "Другой модератор уже принял решение" in second.content()

    first.goto(f"{server}/moderation/audit")
    audit = first.content()
    assert "Документ не соответствует результату" in audit and "отклонение достижения" in audit
