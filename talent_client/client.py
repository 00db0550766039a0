"""The client: one method per operation, answers parsed into :mod:`talent_client.models`, every
error answer raised as :class:`ProblemError` (the API's RFC 9457 problem details)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from talent_client.models import (
    BatchRecommendations,
    FeedbackItem,
    FeedbackPage,
    FeedbackResult,
    Recommendations,
    StoredFeedback,
)

M = TypeVar("M", bound=BaseModel)
BATCH_LIMIT = 500
"""Participants per batch call (the service refuses more with a 422)."""
FEEDBACK_LIMIT = 1000
"""Events per feedback call."""


class ProblemError(Exception):
    """An error answer of the API: ``status``, the stable ``code``, the English ``detail`` and
    the Russian ``text_ru``, the ``request_id`` to quote to the operator and, for bad input,
    ``errors`` (each naming its field)."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.code = str(problem.get("code", "unknown"))
        self.title = str(problem.get("title", ""))
        self.detail = str(problem.get("detail", ""))
        self.text_ru = str(problem.get("text_ru", ""))
        self.request_id = problem.get("request_id")
        self.errors: list[dict[str, Any]] = list(problem.get("errors") or [])
        super().__init__(f"{status} {self.code}: {self.detail}")


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.isoformat()


def _chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


class TalentClient:
    """A client of one service.

    Parameters
    ----------
    base_url
        The service's address, e.g. ``http://127.0.0.1:8000``.
    token
        A bearer token of the role the calls need (``talent token``).
    http
        An ``httpx.Client`` to use instead of a new one (a test client, a client with a proxy or
        custom TLS); the token is still sent with every call.
    timeout
        Seconds per call (a batch of 500 takes a few seconds on a large world).
    """

    def __init__(
        self,
        base_url: str = "",
        token: str | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self._own = http is None
        self._http = http if http is not None else httpx.Client(base_url=base_url, timeout=timeout)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def __enter__(self) -> TalentClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._own:
            self._http.close()

    def _call(self, model: type[M], method: str, url: str, **kwargs: Any) -> M:
        response = self._http.request(method, url, headers=self._headers, **kwargs)
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text}
            raise ProblemError(
                response.status_code, problem if isinstance(problem, dict) else {"detail": problem}
            )
        return model.model_validate(response.json())

    def recommendations(
        self,
        participant_id: str,
        *,
        k: int = 10,
        direction: str | None = None,
        as_of: dt.datetime | None = None,
        online_only: bool = False,
        regions: Sequence[str] = (),
    ) -> Recommendations:
        """One participant's top ``k`` activities (``ProblemError`` 404 ``not_found`` for a
        participant the store does not hold)."""
        params: dict[str, Any] = {"k": k, "online_only": online_only}
        if direction:
            params["direction"] = direction
        if as_of is not None:
            params["as_of"] = _iso(as_of)
        if regions:
            params["region"] = list(regions)
        return self._call(
            Recommendations,
            "GET",
            f"/v1/participants/{participant_id}/recommendations",
            params=params,
        )

    def batch_recommendations(
        self,
        participant_ids: Sequence[str],
        *,
        k: int = 10,
        direction: str | None = None,
        as_of: dt.datetime | None = None,
        online_only: bool = False,
        regions: Sequence[str] = (),
    ) -> BatchRecommendations:
        """Many participants' recommendations in one call (at most :data:`BATCH_LIMIT`; use
        :meth:`iter_batch_recommendations` for more). Unknown participants come back in
        ``errors``, not as an exception."""
        body: dict[str, Any] = {
            "participant_ids": list(participant_ids),
            "k": k,
            "online_only": online_only,
        }
        if direction:
            body["direction"] = direction
        if as_of is not None:
            body["as_of"] = _iso(as_of)
        if regions:
            body["regions"] = list(regions)
        return self._call(BatchRecommendations, "POST", "/v1/recommendations/batch", json=body)

    def iter_batch_recommendations(
        self, participant_ids: Sequence[str], **options: Any
    ) -> Iterator[BatchRecommendations]:
        """:meth:`batch_recommendations` over any number of participants, one call per
        :data:`BATCH_LIMIT` (a nightly job over everyone)."""
        for chunk in _chunks(list(participant_ids), BATCH_LIMIT):
            yield self.batch_recommendations(chunk, **options)

    def send_feedback(self, events: Sequence[FeedbackItem]) -> FeedbackResult:
        """Report events (at most :data:`FEEDBACK_LIMIT` per call); events of participants the
        store does not hold come back in ``refused`` with their position."""
        body = {
            "events": [
                {**e.model_dump(mode="json", exclude_none=True), "occurred_at": _iso(e.occurred_at)}
                for e in events
            ]
        }
        return self._call(FeedbackResult, "POST", "/v1/feedback", json=body)

    def feedback_page(
        self,
        *,
        after: int = 0,
        limit: int = 500,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> FeedbackPage:
        """One page of stored feedback in arrival order (data scientists' and admins' tokens)."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if since is not None:
            params["since"] = _iso(since)
        if until is not None:
            params["until"] = _iso(until)
        return self._call(FeedbackPage, "GET", "/v1/feedback", params=params)

    def iter_feedback(self, **options: Any) -> Iterator[StoredFeedback]:
        """Every stored event from ``after`` on, page by page."""
        after = int(options.pop("after", 0))
        while True:
            page = self.feedback_page(after=after, **options)
            yield from page.items
            if page.next_after is None:
                return
            after = page.next_after
