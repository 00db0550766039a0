"""What the browser tests share: a real service on loopback and keyboard helpers for Playwright.

The service runs in uvicorn on a free port in a thread of the test process (so the test can read
its store directly); Playwright drives Debian's ``chromium`` (no browser download). The
``browser`` fixture is in ``tests/serving/conftest.py``.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from serving.auth import Role
from serving.core.config import DEV_TOKENS, ServingSettings
from serving.main import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

requires_chromium = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None, reason="Debian's chromium package is not installed"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(settings: ServingSettings, start_seconds: float = 30) -> Iterator[str]:
    """The service for ``settings`` on loopback (uvicorn, one thread); yields its base URL and
    stops it (lifespan shutdown included) on exit."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_seconds
    try:
        while not server.started:
            assert thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)  # polling a condition, with a deadline
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def focused(page: Any, attribute: str = "id") -> str:
    """An attribute of the element that has the focus (``""`` when it has none)."""
    return str(page.evaluate(f"document.activeElement.getAttribute({attribute!r}) || ''"))


def tab_to(page: Any, selector: str, limit: int = 40) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus with Tab")


def login(page: Any, base: str, token: str = DEV_TOKENS[Role.MODERATOR]) -> None:
    """Log in on the login page with the keyboard only (the token field has the focus)."""
    page.goto(f"{base}/moderation/")
    assert "/moderation/login" in page.url
    page.wait_for_function("document.activeElement && document.activeElement.id === 'token'")
    page.keyboard.type(token)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{base}/moderation/", page.content()


def unlabelled_controls(page: Any) -> list[str]:
    """Visible form controls without an accessible label (a <label>, aria-label or
    aria-labelledby; buttons by their text)."""
    return list(
        page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), textarea, select, button')].filter(el =>
          !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
          && !el.getAttribute('aria-labelledby')
          && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map(el => el.outerHTML)""")
    )
