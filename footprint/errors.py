"""Moved to :mod:`core.errors`; this name stays until every import is rewritten."""

from core.errors import *  # noqa: F403
