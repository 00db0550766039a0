"""The service's domain errors. Services raise these; only the routes turn them into HTTP answers
(404, 409, 422, 503), so the services stay usable without a web framework."""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import TalentError


class ServingError(TalentError):
    """Base class of the service's own errors."""


class NotFoundError(ServingError):
    """The thing asked for does not exist (unknown achievement, participant, review item)."""


class ConflictError(ServingError):
    """Someone changed the item since the caller read it (optimistic concurrency).

    ``current`` carries what the item looks like now, so the caller can show it and retry.
    """

    def __init__(self, message: str, current: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.current = dict(current or {})


class InvalidInputError(ServingError):
    """Input that passed the schema but not a domain rule; ``field`` names the culprit."""

    def __init__(self, message: str, field: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.field = field


class NotReadyError(ServingError):
    """A dependency (store, model) is not available yet."""
