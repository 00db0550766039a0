"""Keeping the cyclic garbage collector's full passes short in a long-running worker.

A worker holds a few hundred thousand long-lived objects (the live snapshot, the rating, the
model bundles) and allocates many short-lived ones per request. Every so often CPython's
collector runs a full (generation 2) pass over *all* tracked objects: about 200 ms with the GIL
held on the 250,000-participant world, one every 30 s or so at 100 requests/s, and every request
of the worker waits for it (the load test's latency spikes).

:func:`settle_heap` collects everything once, then freezes the survivors (``gc.freeze``): later
full passes skip them, and they are still freed by reference counting when dropped. It starts by
unfreezing, so cyclic garbage among objects frozen earlier (an old snapshot or bundle) is
reclaimed at the next settle instead of kept forever. Call it after the long-lived state changes:
at start-up and after a snapshot rebuild. Not after a bundle switch: a recommender bundle holds
no reference cycle (checked: nothing left for the collector once dropped, so reference counting
frees the old one), few tracked objects, and a full collection there would only add a pause of
the GIL to the switch.
"""

from __future__ import annotations

import gc
import time

from core.logs import get_logger

log = get_logger(__name__)


def settle_heap(reason: str) -> int:
    """Collect all generations, then freeze what survives; returns the objects collected."""
    started = time.perf_counter()
    gc.unfreeze()
    collected = gc.collect()
    gc.freeze()
    log.info(
        "heap_settled",
        reason=reason,
        collected=collected,
        frozen=gc.get_freeze_count(),
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return collected
