"""HTTP request metrics, recorded in plain dictionaries and exposed by prometheus_client.

Importing prometheus_client costs tens of milliseconds (it pulls in ``http.server``),
which every Cloud Run cold start would pay before its first answer; so requests are
counted here and the library is imported at the first scrape, as a custom collector.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prometheus_client.metrics_core import Metric

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Dependency(Protocol):
    """A service the app can run without (``cache.breaker.CircuitBreaker``)."""

    name: str
    failures: int


class RequestStats:
    """Counts of requests by method, route and status, and latency histograms by route;
    failed calls to the ``dependencies`` (Redis) too."""

    def __init__(self) -> None:
        self.dependencies: list[Dependency] = []
        self.counts: defaultdict[tuple[str, str, str], int] = defaultdict(int)
        # per (method, route): one count per bucket plus +Inf, and the sum of seconds
        self.buckets: dict[tuple[str, str], list[int]] = {}
        self.sums: defaultdict[tuple[str, str], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.counts[method, route, str(status)] += 1
        series = (method, route)
        counts = self.buckets.get(series)
        if counts is None:
            counts = self.buckets[series] = [0] * (len(LATENCY_BUCKETS) + 1)
        counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.sums[series] += seconds

    def collect(self) -> Iterator[Metric]:
        """Prometheus metric families (the collector protocol of prometheus_client)."""
        from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

        requests = CounterMetricFamily(
            "movies_api_http_requests",
            "HTTP requests answered",
            labels=("method", "route", "status"),
        )
        for labels, count in sorted(self.counts.items()):
            requests.add_metric(labels, count)
        yield requests
        latency = HistogramMetricFamily(
            "movies_api_http_request_duration_seconds",
            "Time to answer an HTTP request",
            labels=("method", "route"),
        )
        for series, counts in sorted(self.buckets.items()):
            cumulative, running = [], 0
            for bound, count in zip((*map(str, LATENCY_BUCKETS), "+Inf"), counts, strict=True):
                running += count
                cumulative.append((bound, float(running)))
            latency.add_metric(series, cumulative, self.sums[series])
        yield latency
        failures = CounterMetricFamily(
            "movies_api_dependency_failures",
            "Failed calls to a service the API answers without (each one served without it)",
            labels=("dependency",),
        )
        for dependency in self.dependencies:
            failures.add_metric((dependency.name,), dependency.failures)
        yield failures


def exposition(stats: RequestStats) -> tuple[bytes, str]:
    """The Prometheus text format of ``stats`` and its content type."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(stats)
    return generate_latest(registry), CONTENT_TYPE_LATEST
