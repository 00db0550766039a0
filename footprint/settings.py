"""Moved to :mod:`core.settings`; this name stays until every import is rewritten."""

from core.settings import *  # noqa: F403
