"""One structured logger for the whole project (structlog, key-value context, no personal data).

Log participant ids only where unavoidable, never names or contacts (the store holds none). Counts,
ids of batches and snapshots are the usual context.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

_configured = False


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was configured: a
    command run under a test runner (or a redirect) that later closes its stream would
    otherwise leave every later log line writing to a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(level: str | None = None, json: bool = False) -> None:
    """Configure structlog; logs go to stderr so command output on stdout stays clean. The level
    is ``level``, else ``TALENT_LOG_LEVEL``, else INFO (``talent -q`` / ``-v`` set it)."""
    global _configured
    level = (level or os.environ.get("TALENT_LOG_LEVEL") or "INFO").upper()
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    logging.getLogger().setLevel(level)
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=_Stderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    _configured = True


def get_logger(name: str) -> Any:
    if not _configured:
        configure()
    return structlog.get_logger(name)
