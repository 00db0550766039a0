"""The moderators' review flow end to end in headless Chromium, with the keyboard only.

A real server (uvicorn) runs on loopback in a thread; Playwright drives Debian's ``chromium``
(no browser download). Skipped when ``/usr/bin/chromium`` is absent (install Debian's
``chromium`` package).
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.core.config import DEV_TOKENS
from serving.main import create_app
from tests.serving.conftest import push, settings_for, world_records

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium package is not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A served world on loopback; yields its base URL."""
    settings = settings_for(f"sqlite:///{tmp_path / 'talent.db'}", live_as_of=None)
    with TestClient(create_app(settings)) as setup:  # push the world through the API
        for entity, records in world_records().items():
            assert push(setup, entity, records).status_code == 200
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_level="warning", access_log=False)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/moderation/")
    assert "/moderation/login" in page.url
    page.wait_for_function("document.activeElement && document.activeElement.id === 'token'")
    page.keyboard.type(DEV_TOKENS[Role.MODERATOR])  # the token field has the focus
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/moderation/", page.content()


def _tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus with Tab")


def test_review_flow_with_the_keyboard(server: str, browser: Any) -> None:
    first = browser.new_context().new_page()
    _login(first, server)
    assert "Всего на проверке: 2" in first.content()
    _tab_to(first, "a[href^='/moderation/achievements/']")
    with first.expect_navigation():
        first.keyboard.press("Enter")
    assert re.search(r"/moderation/achievements/.+", first.url)
    item_url = first.url
    # a second moderator opens the same item before the first decides
    second = browser.new_context().new_page()
    _login(second, server)
    second.goto(item_url)
    second.wait_for_function("document.activeElement.id === 'decision-verify'")

    assert first.evaluate("document.activeElement.id") == "decision-verify"  # autofocus
    first.keyboard.press("ArrowDown")  # -> reject
    assert first.evaluate("document.activeElement.id") == "decision-reject"
    _tab_to(first, "#comment")
    first.keyboard.type("Документ не соответствует результату")
    _tab_to(first, "button[type='submit']")
    with first.expect_navigation():
        first.keyboard.press("Enter")
    assert "done=" in first.url
    assert "сохранено" in first.content() and "Всего на проверке: 1" in first.content()

    second.keyboard.press("Space")  # verify
    _tab_to(second, "button[type='submit']")
    with second.expect_navigation():
        second.keyboard.press("Enter")
    assert "Другой модератор уже принял решение" in second.content()

    first.goto(f"{server}/moderation/audit")
    audit = first.content()
    assert "Документ не соответствует результату" in audit and "отклонение достижения" in audit
