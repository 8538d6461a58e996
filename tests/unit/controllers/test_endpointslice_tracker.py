"""EndpointSliceTracker (stale-cache protection) and TriggerTimeTracker."""

from __future__ import annotations

from typing import Any

from kubesvc.controllers.endpointslice.tracker import EndpointSliceTracker
from kubesvc.controllers.endpointslice.triggertime import TriggerTimeTracker

SVC = {"metadata": {"namespace": "ns", "name": "web", "creationTimestamp": "2024-01-01T00:00:00Z"}}


def sl(uid: str, gen: int) -> dict[str, Any]:
    return {
        "metadata": {
            "namespace": "ns",
            "name": f"web-{uid}",
            "uid": uid,
            "generation": gen,
            "labels": {"kubernetes.io/service-name": "web"},
        }
    }


def test_stale_when_cache_is_older_than_our_writes() -> None:
    t = EndpointSliceTracker()
    assert not t.stale_slices(SVC, [sl("a", 1)]), "nothing written yet"
    t.update(sl("a", 2))
    assert t.stale_slices(SVC, [sl("a", 1)]), "older generation in cache"
    assert not t.stale_slices(SVC, [sl("a", 2)])
    assert t.stale_slices(SVC, []), "a slice we created is missing from the cache"
    t.expect_deletion(sl("a", 2))
    assert t.stale_slices(SVC, [sl("a", 2)]), "a slice we deleted is still cached"
    assert not t.stale_slices(SVC, [])


def test_should_sync_ignores_our_own_echoes() -> None:
    t = EndpointSliceTracker()
    assert t.should_sync(sl("a", 1)), "unknown slice"
    t.update(sl("a", 3))
    assert not t.should_sync(sl("a", 3))
    assert not t.should_sync(sl("a", 2))
    assert t.should_sync(sl("a", 4)), "someone else changed it"
    assert t.has(sl("a", 4))


def test_handle_deletion_tells_expected_from_unexpected() -> None:
    t = EndpointSliceTracker()
    t.update(sl("a", 1))
    t.expect_deletion(sl("b", 1))
    assert t.handle_deletion(sl("b", 1)) is True
    assert t.handle_deletion(sl("a", 1)) is False
    assert not t.has(sl("a", 1))
    t.update(sl("c", 1))
    t.delete_service("ns", "web")
    assert not t.has(sl("c", 1))


def pod(name: str, ready_at: str | None) -> dict[str, Any]:
    conds = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}] if ready_at else []
    return {"metadata": {"name": name}, "status": {"conditions": conds}}


def test_trigger_time_first_sync_is_service_creation_then_earliest_change() -> None:
    t = TriggerTimeTracker()
    assert t.compute(SVC, [pod("a", "2024-01-01T00:00:05Z")]) == "2024-01-01T00:00:00Z"
    assert t.compute(SVC, [pod("a", "2024-01-01T00:00:05Z")]) is None, "nothing changed"
    got = t.compute(SVC, [pod("a", "2024-01-01T00:00:09Z"), pod("b", "2024-01-01T00:00:07.250Z")])
    assert got == "2024-01-01T00:00:07.25Z"
    t.delete_service("ns", "web")
    assert t.compute(SVC, []) == "2024-01-01T00:00:00Z"
