"""The sending systems the store knows: a source is registered by its first ingested batch
(``ingest_batches.source``, which erasures keep), from a file (``talent ingest --new-source``) or
through the API. ``talent ingest`` refuses a name outside this list unless told it is new, so a
typo (``olympaid``) does not silently start a second source whose rows never merge with the
first one's identity map."""

from __future__ import annotations

import difflib

from sqlalchemy import select

from core.errors import TalentError
from footprint import tables
from footprint.columns import Columns as C
from footprint.store import Store


class UnknownSourceError(TalentError):
    """A ``--source`` the store has never received a batch from."""


def known_sources(store: Store) -> list[str]:
    """Every source the store has received a batch from, sorted."""
    t = tables.ingest_batches
    with store.engine.connect() as conn:
        return sorted(str(v) for v in conn.execute(select(t.c[C.SOURCE]).distinct()).scalars())


def check_source(store: Store, source: str, *, new: bool) -> None:
    """Refuse ``source`` unless the store knows it or ``new`` says it is meant to be new.

    Raises
    ------
    UnknownSourceError
        Naming the closest known sources and the flag that registers a new one.
    """
    if new:
        return
    known = known_sources(store)
    if source in known:
        return
    close = difflib.get_close_matches(source, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    listed = ", ".join(known) if known else "none yet"
    raise UnknownSourceError(
        f"unknown source {source!r} (known: {listed}){hint} Pass --new-source to register a "
        "new sending system."
    )
