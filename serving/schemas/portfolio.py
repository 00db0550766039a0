"""Bodies of the portfolio routes: the portfolio, its signed export, keys and verification."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, Field, model_validator

from serving.schemas.common import Score, Strict


class PortfolioItem(BaseModel):
    achievement_id: str
    activity_id: str
    title: str
    kind: str
    level: str
    result: str
    score: Score | None
    achieved_at: str | None
    season: str
    direction: str | None = Field(description="the activity's main direction")


class PortfolioGroup(BaseModel):
    direction: str | None
    direction_title_ru: str | None
    season: str
    achievements: list[PortfolioItem]


class PortfolioDiploma(BaseModel):
    season: str
    direction: str
    diploma: str
    diploma_ru: str
    place: int
    points: Score | None


class PortfolioCompetence(BaseModel):
    direction: str
    direction_title_ru: str | None
    competence: Score | None
    lower: Score | None
    upper: Score | None
    level: str
    level_title_ru: str | None
    verified_records: int
    rests_on: list[str] = Field(description="the verified achievements that moved it most")


class PlannedStep(BaseModel):
    activity_id: str
    title: str
    kind: str
    level: str
    format: str
    start_at: str | None
    end_at: str | None
    registration_deadline: str | None = Field(description="null: open until the start")
    projected: bool = Field(description="dates expected from the series' last edition")
    conditional: bool = Field(description="open only on qualifying in an earlier step")
    success_chance: Score
    expected_competence_gain: Score
    expected_rating_points: Score
    reasons_ru: str


class PlannedTrajectory(BaseModel):
    goal: str
    goal_ru: str
    direction: str
    chosen_by: str = Field(description="participant (the goal was given) or default")
    as_of: str
    horizon_end: str | None
    competence_now: Score
    expected_competence: Score
    expected_rating_points: Score
    goal_expected_reached: bool
    summary_ru: str
    model_version: str
    steps: list[PlannedStep]


class Portfolio(BaseModel):
    participant_id: str
    as_of: str
    achievements: list[PortfolioGroup] = Field(description="verified only, by direction, season")
    pending: list[PortfolioItem] = Field(description="awaiting moderation; they prove nothing")
    diplomas: list[PortfolioDiploma]
    competence: list[PortfolioCompetence]
    competence_model: str | None
    trajectory: PlannedTrajectory | None = Field(
        default=None,
        description="the plan toward the participant's goal: a forecast, not "
        "verified; null without a recommender or an estimate",
    )


class PortfolioDocument(BaseModel):
    kind: str
    version: int
    issued_at: str
    key_id: str
    verification_code: str
    portfolio: Portfolio


class Signature(BaseModel):
    algorithm: str
    key_id: str
    value: str = Field(description="base64 Ed25519 signature over the RFC 8785 form of document")


class SignedPortfolio(BaseModel):
    document: PortfolioDocument
    signature: Signature
    document_sha256: str = Field(description="SHA-256 of the RFC 8785 form of document")


class PublicKeyOut(BaseModel):
    key_id: str
    algorithm: str
    public_key: str = Field(description="base64 of the raw 32-byte key")
    public_key_pem: str
    status: str = Field(description="active (signs now) or retired (still verifies)")


class VerifyIn(Strict):
    """Either a verification code, or a whole signed document (``document`` and ``signature``)."""

    code: Annotated[str | None, Field(max_length=64)] = None
    document: dict[str, Any] | None = None
    signature: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        has_doc = self.document is not None or self.signature is not None
        if (self.code is None) == (not has_doc):
            raise ValueError("give either code, or document with signature")
        if has_doc and (self.document is None or self.signature is None):
            raise ValueError("a document is checked with its signature: give both")
        return self


class VerifyOut(BaseModel):
    status: str = Field(
        description="genuine, superseded, unknown; for a document also bad_signature"
    )
    document_sha256: str | None
    key_id: str | None = None
