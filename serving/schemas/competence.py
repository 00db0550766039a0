"""Bodies of the competence routes and the competence review queue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from models.competence.columns import CompetenceColumns as CC
from serving.schemas.common import (
    MAX_COMMENT_LENGTH,
    PageInfo,
    Score,
    Strict,
    UtcDateTime,
    rounded,
)
from serving.schemas.moderation import AuditEntryOut
from serving.services.reviews import ReviewDecision, ReviewStatus

MAX_REFRESH_IDS = 10_000


class Coded(BaseModel):
    """A flag or a piece of evidence: a stable code, its parameters and a Russian sentence.
    Evidence items carry more keys (feature, value, achievement_id, effect, ...)."""

    model_config = ConfigDict(extra="allow")

    code: str
    text_ru: str
    params: dict[str, Any] = {}

    @model_serializer(mode="wrap", when_used="json")
    def _rounded(self, handler: SerializerFunctionWrapHandler) -> Any:
        return rounded(handler(self))  # feature values, effects, thresholds in the params


class Moderation(BaseModel):
    """A moderator's decision on this estimate, when there is one."""

    status: ReviewStatus
    override_value: Score | None
    decided_at: UtcDateTime | None


class LatentInterval(BaseModel):
    """Where the participant's competence itself lies (population percentile, 0-100)."""

    lower: Score
    upper: Score
    level: Score = Field(description="nominal coverage (0.9)")


class NextResultInterval(BaseModel):
    """Where the participant's results in this direction over the next twelve months should
    fall: their mean result percentile (0-100, the share of an event's participants they
    outperform), a split-conformal predictive interval calibrated on a held-out year. Much wider
    than the latent interval: a year's results are noisy around the competence."""

    expected: Score = Field(description="expected mean result percentile over the next year")
    lower: Score
    upper: Score
    level: Score = Field(description="nominal coverage (0.9)")
    text_ru: str


def next_result_interval(row: Mapping[Any, Any] | None) -> NextResultInterval | None:
    """The predictive interval of an estimate row or a stored item's ``next_result`` (None when
    the bundle had none for it)."""
    if row is None:
        return None
    values = [row.get(k) for k in (CC.NEXT_RESULT, CC.NEXT_LOWER, CC.NEXT_UPPER, CC.NEXT_LEVEL)]
    if any(v is None or v != v for v in values):  # absent or NaN
        return None
    expected, lower, upper, level = (float(v) for v in values)  # type: ignore[arg-type]
    return NextResultInterval(
        expected=expected,
        lower=lower,
        upper=upper,
        level=level,
        text_ru=(
            f"С вероятностью {level:.0%} средний результат за следующий год — между "
            f"{lower:.0f} и {upper:.0f} процентилем участников (ожидается около "
            f"{expected:.0f})"
        ).replace("%", " %"),
    )


class CompetenceEstimate(BaseModel):
    """One direction: the model's value on the 0-100 scale, its interval, level and evidence."""

    direction: str
    competence: Score
    lower: Score = Field(
        description="lower end of the 90% interval of the latent competence on "
        "the 0-100 scale (the same as `latent_interval.lower`; not "
        "a range for the next result: see `next_result_interval`)"
    )
    upper: Score = Field(description="upper end of the same latent-competence interval")
    latent_interval: LatentInterval = Field(
        description="the interval of the competence itself (population percentile)"
    )
    next_result_interval: NextResultInterval | None = Field(
        None,
        description="the predictive interval of the next year's results; null when the "
        "served model has none for this direction",
    )
    level: str
    level_title_ru: str
    cold_start: bool
    n_records: int
    flags: list[Coded]
    top_features: list[Coded]
    top_achievements: list[Coded]
    moderation: Moderation | None = Field(
        None, description="the latest decision of a moderator on this direction's estimate"
    )


class NoEstimate(BaseModel):
    """A direction of the store the served model gives no estimate for (it had no data in
    that direction when it was trained): a stable code and a Russian sentence, not an error."""

    direction: str
    code: str
    text_ru: str


class CompetenceResponse(BaseModel):
    participant_id: str
    as_of: UtcDateTime
    model_version: str
    estimates: list[CompetenceEstimate]
    no_estimate: list[NoEstimate] = Field(
        default_factory=list,
        description="directions the store knows (GET /v1/directions) without an estimate, and why",
    )


class ReviewItem(BaseModel):
    """An estimate worth a look; ``version`` goes back with the decision."""

    review_id: str
    participant_id: str
    direction: str
    status: ReviewStatus
    priority: Score = Field(description="how much a look is worth; the queue's order")
    version: int
    model_version: str
    competence: Score
    lower: Score = Field(
        description="lower end of the 90% interval of the latent competence on "
        "the 0-100 scale (not a range for the next result: see "
        "`next_result_interval`)"
    )
    upper: Score = Field(description="upper end of the same latent-competence interval")
    next_result_interval: NextResultInterval | None = Field(
        None,
        description="the predictive interval of the next year's results, as it was when "
        "the item was last refreshed",
    )
    level: str
    previous_competence: Score | None
    flags: list[Coded]
    top_achievements: list[Coded]
    top_features: list[Coded]
    created_at: UtcDateTime
    updated_at: UtcDateTime
    decided_at: UtcDateTime | None
    decided_by: str | None
    override_value: Score | None
    comment: str | None


class ReviewPage(BaseModel):
    page: PageInfo
    items: list[ReviewItem]


class ReviewDetail(ReviewItem):
    audit: list[AuditEntryOut]


class ReviewDecisionRequest(Strict):
    """``approve``; ``override`` with a ``value`` (0-100) and a comment; ``send_back`` with a
    comment. ``expected_version`` is the item's version the moderator was shown."""

    decision: ReviewDecision
    expected_version: Annotated[int, Field(ge=0)]
    value: Annotated[float | None, Field(ge=0, le=100)] = None
    comment: Annotated[str, Field(max_length=MAX_COMMENT_LENGTH)] = ""


class ReviewDecisionResponse(BaseModel):
    review_id: str
    status: ReviewStatus
    version: int
    audit_id: str


class OverrideLabel(BaseModel):
    """A moderator's override as a training label."""

    participant_id: str
    direction: str
    competence: Score = Field(description="the moderator's value")
    model_competence: Score
    model_version: str
    decided_at: UtcDateTime
    review_id: str


class RefreshRequest(Strict):
    """Whom to estimate; everyone with a record in the store when absent."""

    participant_ids: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=64)]] | None,
        Field(max_length=MAX_REFRESH_IDS),
    ] = None


class RefreshStatusOut(BaseModel):
    state: str
    participants: int
    done: int
    opened: int
    refreshed: int
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None
    error: str | None
    model_version: str | None
