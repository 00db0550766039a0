"""Bodies of the partner universities' routes: universities, talent search, shortlists,
invitations and the views a participant can ask about."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from serving.schemas.common import Direction, Score, Strict, UtcDateTime
from serving.services.outreach import Answer, InvitationStatus
from serving.services.talent_index import RankBy


class UniversityIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=300)]
    directions: Annotated[list[Direction], Field(max_length=50)] = Field(
        default_factory=list, description="directions of interest"
    )
    active: bool = True


class UniversityOut(BaseModel):
    code: str
    name: str
    directions: list[str]
    active: bool


class DirectionEvidence(BaseModel):
    direction: str
    competence: Score | None = Field(description="0-100, on verified achievements only")
    lower: Score | None = Field(description="lower end of the interval (the ranking score)")
    upper: Score | None
    level: str | None
    level_title_ru: str | None
    verified_by_level: dict[str, int] = Field(
        description="verified achievements by activity level (school ... international)"
    )
    points_current: Score = Field(description="official rating points, current season")
    points_previous: Score = Field(description="official rating points, previous season")
    trend: Score = Field(description="points_current - points_previous")


class DiplomaOut(BaseModel):
    season: str
    direction: str
    diploma: str


class Candidate(BaseModel):
    participant_id: str = Field(description="pseudonymous id")
    grade: int
    region: str
    score: Score | None = Field(
        description="conservative score: the lower end of the competence interval (in the "
        "filtered direction, else the best direction); null without an estimate"
    )
    region_rank: int | None = Field(description="place within the region among the matches")
    verified_achievements: int
    few_records: bool = Field(description="fewer than 3 verified achievements: shown, marked")
    online_only: bool
    directions: list[DirectionEvidence]
    diplomas: list[DiplomaOut]


class SpreadRow(BaseModel):
    value: str | int
    shown: int
    shown_share: Score
    matching: int
    matching_share: Score
    population: int
    population_share: Score


class Spread(BaseModel):
    """How this page, all matches and the whole consenting population spread over regions and
    grades."""

    regions: list[SpreadRow]
    grades: list[SpreadRow]


class TalentPage(BaseModel):
    as_of: UtcDateTime
    season: str
    previous_season: str
    model_version: str
    rank_by: RankBy
    matching: int = Field(description="consenting participants matching the filters")
    next_cursor: str | None
    candidates: list[Candidate]
    spread: Spread


class ShortlistIn(Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]


class ShortlistOut(BaseModel):
    shortlist_id: str
    title: str
    created_at: UtcDateTime
    participants: list[str]


class ShortlistDetail(ShortlistOut):
    candidates: list[Candidate]


class InvitationIn(Strict):
    participant_id: Annotated[str, Field(pattern=r"^[^\s/]{1,64}$")]
    direction: Direction | None = None


class UniversityInvitation(BaseModel):
    """An invitation as the university sees it: ``accepted`` once the participant accepted,
    ``awaiting`` otherwise (a refusal is not told apart from silence)."""

    invitation_id: str
    participant_id: str
    direction: str | None
    created_at: UtcDateTime
    status: str
    accepted_at: UtcDateTime | None


class PlatformInvitation(BaseModel):
    invitation_id: str
    university_code: str
    university_name: str | None
    participant_id: str
    direction: str | None
    status: InvitationStatus
    created_at: UtcDateTime
    answered_at: UtcDateTime | None


class AnswerIn(Strict):
    answer: Answer


class UniversityView(BaseModel):
    university_code: str
    name: str | None
    views: int
    first_viewed_at: UtcDateTime
    last_viewed_at: UtcDateTime
