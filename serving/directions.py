"""The direction codes a request may name: the configured defaults and every direction the live
store has shown this process (:class:`serving.services.live.LiveFootprint` notes them at each
whole or catalogue read, the first before the service accepts a request).

Directions are store data, so the set grows while the service runs; request validation reads it
here, where no store connection is at hand. A code is never forgotten: activities, ratings and
estimates keep naming a direction once it existed.
"""

from __future__ import annotations

import threading

from footprint.directions import direction_codes

_lock = threading.Lock()
_seen: tuple[str, ...] = ()


def note_directions(codes: tuple[str, ...]) -> None:
    """Remember ``codes`` (the live store's directions, in its order)."""
    global _seen
    with _lock:
        _seen = _seen + tuple(c for c in codes if c not in _seen)


def known_directions() -> tuple[str, ...]:
    """The configured defaults, then every other code the live store has shown."""
    defaults = direction_codes()
    return defaults + tuple(c for c in _seen if c not in defaults)
