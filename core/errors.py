"""The project's exceptions. Every message says what went wrong and what to do about it."""

from __future__ import annotations


class TalentError(Exception):
    """Base class of every error this project raises on purpose."""


class InputFileError(TalentError):
    """An input file cannot be read at all (unknown entity, format or columns)."""


class SnapshotError(TalentError):
    """A snapshot is missing, incomplete or does not match its content address."""


class StoreError(TalentError):
    """The store is unreachable or not migrated."""


class ConfigError(TalentError):
    """A configuration or rules file is invalid."""


class SaltMismatchError(ConfigError):
    """``TALENT_ERASURE_SALT`` is not the salt the store's tombstones were made with."""


class EmptyInputError(TalentError, ValueError):
    """A report or plot was handed no rows to aggregate (nothing evaluated, or a filter left
    nothing)."""


class UnknownIdError(TalentError):
    """Ids the store does not hold (a participant never ingested, or erased). The command line
    exits 3 with the code ``not_found``, the API's 404 code for the same request."""

    def __init__(self, message: str, ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.ids = ids


class NotFittedError(TalentError):
    """A model was used before ``fit`` (or ``load``)."""
