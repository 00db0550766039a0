"""Health, readiness, identity and model status bodies."""

from __future__ import annotations

from pydantic import BaseModel

from serving.auth import Role
from serving.schemas.common import UtcDateTime


class Health(BaseModel):
    status: str = "ok"


class Readiness(BaseModel):
    """``ready`` is true when the store answers and every configured model bundle is loaded."""

    ready: bool
    store: bool
    models_missing: list[str]


class Me(BaseModel):
    """Who the token belongs to."""

    name: str
    role: Role


class ModelStatus(BaseModel):
    """One configured model kind and what is served for it."""

    kind: str
    loaded: bool
    version: str | None
    sha256: str | None
    loaded_at: UtcDateTime | None


class RatingInvalidated(BaseModel):
    generation: int
