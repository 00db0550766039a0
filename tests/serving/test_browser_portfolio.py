"""The printable portfolio page in headless Chromium: Russian text, keyboard reachable content,
the print layout (screen-only notes hidden, A4 pages) and the export's verification code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.auth import Role
from serving.core.config import DEV_TOKENS
from serving.main import create_app
from tests.serving.browser_kit import live_server, requires_chromium
from tests.serving.conftest import push, settings_for, world_records

pytestmark = requires_chromium
PLATFORM = {"Authorization": f"Bearer {DEV_TOKENS[Role.PLATFORM]}"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = settings_for(f"sqlite:///{tmp_path / 'talent.db'}", live_as_of=None)
    with TestClient(create_app(settings)) as setup:
        for entity, records in world_records().items():
            assert push(setup, entity, records).status_code == 200
    with live_server(settings) as base:
        yield base


def test_printable_page(server: str, browser: Any) -> None:
    page = browser.new_context(extra_http_headers=PLATFORM).new_page()
    page.goto(f"{server}/v1/participants/p2/portfolio?format=html")
    text = page.inner_text("body")
    assert "Портфолио участника" in text and "ожидает проверки модератором" in text
    # keyboard: the first Tab reaches the skip link, Enter moves the focus to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # print layout: the screen-only note disappears, the skip link too
    assert page.is_visible(".screen-only")
    page.emulate_media(media="print")
    assert not page.is_visible(".screen-only")
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 1


def test_export_page_shows_the_code(server: str, browser: Any) -> None:
    context = browser.new_context(extra_http_headers=PLATFORM)
    response = context.request.post(f"{server}/v1/participants/p1/portfolio/exports?format=html")
    assert response.status == 201
    page = context.new_page()
    page.set_content(response.text())
    code = page.inner_text(".seal .code")
    assert len(code.replace("-", "")) == 20
    assert "Код проверки" in page.inner_text(".seal")
