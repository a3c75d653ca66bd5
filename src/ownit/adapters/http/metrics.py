"""Prometheus metrics of one app instance (its own registry: no global state)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ownit.domain.paging import REASONS

OpenCounts = Callable[[], dict[tuple[str, str], int]]
PagingCounts = Callable[[], dict[str, int]]


class _OpenIncidents(Collector):
    def __init__(self, counts: OpenCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            "ownit_open_incidents", "Incidents not yet resolved", labels=["status", "urgency"]
        )
        counts = self._counts()
        for status in ("triggered", "acknowledged"):
            for urgency in ("high", "low"):
                family.add_metric([status, urgency], counts.get((status, urgency), 0))
        yield family


class _PagingFailures(Collector):
    """``ownit_paging_failures_total{reason}``: incidents that could not be paged, by reason
    (read from the database, so every worker process counts)."""

    def __init__(self, counts: PagingCounts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "ownit_paging_failures",
            "Incidents that could not be paged, by reason (never silent: each got a fallback)",
            labels=["reason"],
        )
        counts = self._counts()
        for reason in sorted(set(REASONS) | set(counts)):
            family.add_metric([reason], counts.get(reason, 0))
        yield family


class Metrics:
    def __init__(
        self, open_counts: OpenCounts | None = None, paging_failures: PagingCounts | None = None
    ) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "ownit_events",
            "Events received, by format, result (accepted|rejected) and reason",
            ["format", "result", "reason"],
            registry=self.registry,
        )
        self.ingest_latency = Histogram(
            "ownit_ingest_latency_seconds",
            "Time from request to durable answer on the event endpoints",
            ["format"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "ownit_ingest_batch_size",
            "Requests committed together in one transaction",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "ownit_ingest_batch_seconds",
            "Time to commit one ingest batch",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=self.registry,
        )
        if open_counts is not None:
            self.registry.register(_OpenIncidents(open_counts))
        if paging_failures is not None:
            self.registry.register(_PagingFailures(paging_failures))

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
