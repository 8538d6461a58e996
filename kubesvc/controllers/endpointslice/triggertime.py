"""The last-change trigger time of a Service's endpoints (upstream TriggerTimeTracker).

The `endpoints.kubernetes.io/last-change-trigger-time` annotation says when the change that
caused an Endpoints/EndpointSlice write happened: for a Service seen for the first time its
creationTimestamp; afterwards the earliest Ready-condition transition (or Service creation)
that changed since the previous sync; None when nothing changed (the annotation is removed).
Call `compute` once per sync of a key (never concurrently for one key).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@functools.lru_cache(maxsize=1 << 16)
def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_rfc3339_nano(t: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: fractional seconds without trailing zeros."""
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        base += "." + f"{t.microsecond:06d}".rstrip("0")
    return base + "Z"


def _pod_trigger_time(pod: Mapping[str, Any]) -> datetime | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return parse_time(cond.get("lastTransitionTime"))
    return None


@dataclass
class _State:
    pods: dict[str, datetime] = field(default_factory=dict)
    service: datetime | None = None


class TriggerTimeTracker:
    def __init__(self) -> None:
        self._states: dict[tuple[str, str], _State] = {}

    def compute(self, service: Mapping[str, Any], pods: Iterable[Mapping[str, Any]]) -> str | None:
        meta = service.get("metadata") or {}
        key = (meta.get("namespace", ""), meta.get("name", ""))
        state = self._states.get(key)
        known = state is not None
        old = state or _State()
        earliest: datetime | None = None
        pod_times: dict[str, datetime] = {}
        for pod in pods:
            t = _pod_trigger_time(pod)
            if t is None:
                continue
            name = (pod.get("metadata") or {}).get("name", "")
            pod_times[name] = t
            last = old.pods.get(name)
            if last is None or t > last:
                earliest = t if earliest is None or t < earliest else earliest
        svc_time = parse_time(meta.get("creationTimestamp"))
        if svc_time is not None and (old.service is None or svc_time > old.service):
            earliest = svc_time if earliest is None or svc_time < earliest else earliest
        self._states[key] = _State(pod_times, svc_time)
        if not known:
            return format_rfc3339_nano(svc_time) if svc_time else None
        return format_rfc3339_nano(earliest) if earliest else None

    def delete_service(self, namespace: str, name: str) -> None:
        self._states.pop((namespace, name), None)
