"""A small typed Python client of the Talent trajectories API, for the platform's jobs and for
data scientists: recommendations (one participant or a batch), feedback on them, and the
service's problem details as one exception.

It depends on httpx and pydantic only and imports nothing of the service (import-linter keeps it
so): the models here are the client's own reading of the OpenAPI document, and they ignore
fields they do not know, so a newer service does not break an older client.

Example (docs/serving.md)::

    from talent_client import FeedbackItem, TalentClient

    with TalentClient("http://127.0.0.1:8000", token="...") as api:
        batch = api.batch_recommendations(["p000001", "p000002"], k=5)
        for result in batch.results:
            print(result.participant_id, [i.activity_id for i in result.items])
"""

from talent_client.client import ProblemError, TalentClient
from talent_client.models import (
    BatchRecommendations,
    FeedbackEvent,
    FeedbackItem,
    FeedbackPage,
    FeedbackResult,
    ParticipantError,
    ParticipantRecommendations,
    Recommendation,
    Recommendations,
    RefusedEvent,
    StoredFeedback,
)

__all__ = [
    "BatchRecommendations",
    "FeedbackEvent",
    "FeedbackItem",
    "FeedbackPage",
    "FeedbackResult",
    "ParticipantError",
    "ParticipantRecommendations",
    "ProblemError",
    "Recommendation",
    "Recommendations",
    "RefusedEvent",
    "StoredFeedback",
    "TalentClient",
]
