"""Moved to :mod:`core.logs`; this name stays until every import is rewritten."""

from core.logs import *  # noqa: F403
