"""Prometheus metrics, named as kube-apiserver names them (each app gets its own registry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.5, 2, 3, 5, 10, 30, 60)


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r = self.registry
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        self.requests = Counter(
            "apiserver_request_total",
            "Counter of apiserver requests broken out for each verb, group, version, resource and HTTP response code.",
            ["verb", "group", "version", "resource", "subresource", "code"],
            registry=r,
        )
        self.latency = Histogram(
            "apiserver_request_duration_seconds",
            "Response latency distribution in seconds for each verb, group, version, resource and subresource.",
            ["verb", "group", "version", "resource", "subresource"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.longrunning = Gauge(
            "apiserver_longrunning_requests",
            "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource.",
            ["verb", "group", "version", "resource", "subresource"],
            registry=r,
        )
        self.storage_latency = Histogram(
            "etcd_request_duration_seconds",
            "Store request latency in seconds for each operation and object type.",
            ["operation", "type"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.watch_events = Counter(
            "apiserver_watch_events_total",
            "Number of events sent in watch clients",
            ["group", "version", "kind"],
            registry=r,
        )

    def child(self, metric: Any, *values: str) -> Any:
        """`metric.labels(*values)`, remembered: prometheus_client's `labels()` validates and
        stringifies on every call (several µs), and the hot path asks for the same few children
        on every request.  The child objects are the very ones `labels()` returns."""
        key = (id(metric), values)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*values)
        return found

    def render(self) -> bytes:
        return generate_latest(self.registry)
