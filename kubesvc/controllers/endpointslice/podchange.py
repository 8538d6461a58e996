"""Which Services a Pod event concerns (upstream GetPodUpdateProjectionKey / podEndpointsChanged)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesvc.client.cache import Indexer
from kubesvc.controllers.endpointslice.indexes import service_keys_for_labels
from kubesvc.controllers.endpointslice.pods import is_pod_ready, meta, spec, status


def _ips(pod: Mapping[str, Any]) -> list[str]:
    return [p.get("ip", "") for p in status(pod).get("podIPs") or ()]


def pod_endpoints_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[bool, bool]:
    """(the Pod changed in a way that changes its endpoints, its Service membership may have changed)."""
    labels_changed = (meta(old).get("labels") or {}) != (meta(new).get("labels") or {}) or (
        spec(old).get("hostname"),
        spec(old).get("subdomain"),
    ) != (spec(new).get("hostname"), spec(new).get("subdomain"))
    if meta(old).get("deletionTimestamp") != meta(new).get("deletionTimestamp"):
        return True, labels_changed
    if is_pod_ready(old) != is_pod_ready(new):
        return True, labels_changed
    if _ips(old) != _ips(new):
        return True, labels_changed
    return False, labels_changed


def services_for_pod_update(services: Indexer, old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    if meta(old).get("resourceVersion") == meta(new).get("resourceVersion"):
        return set()  # a resync: the Service informer covers those
    pod_changed, labels_changed = pod_endpoints_changed(old, new)
    if not pod_changed and not labels_changed:
        return set()
    ns = meta(new).get("namespace", "")
    current = service_keys_for_labels(services, ns, meta(new).get("labels"))
    if not labels_changed:
        return current
    previous = service_keys_for_labels(services, ns, meta(old).get("labels"))
    if pod_changed:
        return current | previous
    return current ^ previous
