"""Prometheus metrics of one service instance, in a registry of its own.

Labels never carry ids or paths with ids: requests are labelled by their route template
(``/v1/rating/{direction}``), so participant ids cannot reach the metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from serving.errors import ConflictError

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    """The service's counters, histograms and gauges."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "talent_http_requests",
            "HTTP requests by method, route template and status code",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "talent_http_request_seconds",
            "Time to answer an HTTP request, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.pushed_rows = Counter(
            "talent_footprint_pushed_rows",
            "Rows received by footprint pushes, by entity and outcome",
            ["entity", "outcome"],
            registry=self.registry,
        )
        self.erasures = Counter(
            "talent_erasures", "Participants erased through the API", registry=self.registry
        )
        self.erasure_purged_rows = Counter(
            "talent_erasure_purged_rows",
            "Rows of the service's tables deleted after erasures made outside the API",
            registry=self.registry,
        )
        self.decisions = Counter(
            "talent_moderation_decisions",
            "Moderation decisions by kind and outcome (done, conflict)",
            ["action", "outcome"],
            registry=self.registry,
        )
        self.rating_builds = Counter(
            "talent_rating_builds",
            "Rating results computed from the live store",
            registry=self.registry,
        )
        self.rating_build_seconds = Histogram(
            "talent_rating_build_seconds",
            "Time to read the store and compute one season's rating",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.model_info = Gauge(
            "talent_model_loaded",
            "1 for the model bundle version being served, by kind",
            ["kind", "version"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text of every metric."""
        return generate_latest(self.registry)

    @contextmanager
    def decision(self, action: str) -> Iterator[None]:
        """Count the moderator's decision made inside: ``done`` when it returns, ``conflict``
        when someone decided first (the :class:`ConflictError` goes on to the caller); any other
        error counts nothing."""
        try:
            yield
        except ConflictError:
            self.decisions.labels(action, "conflict").inc()
            raise
        self.decisions.labels(action, "done").inc()
