"""Which Services a Pod event concerns (upstream GetPodUpdateProjectionKey / podEndpointsChanged).

`queue_services_on_events` wires this into the Endpoints and EndpointSlice controllers alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubesvc.client.cache import Indexer, object_key
from kubesvc.controllers.endpointslice.indexes import service_keys_for_labels
from kubesvc.controllers.endpointslice.pods import is_pod_ready, meta, spec, status

if TYPE_CHECKING:
    from kubesvc.client.informer import Informer
    from kubesvc.client.workqueue import WorkQueue


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


def queue_services_on_events(
    queue: WorkQueue[str], services: Informer, pods: Informer, *, batch_period: float
) -> None:
    """Queue a Service's key on its own events, and the keys of the Services a Pod event concerns.

    Pod-driven keys wait `batch_period` seconds when it is positive (upstream's
    endpointUpdatesBatchPeriod), so that a burst of Pod changes makes one sync.
    """

    def on_service(svc: Mapping[str, Any]) -> None:
        queue.add(object_key(svc))

    def enqueue_batched(key: str) -> None:
        if batch_period > 0:
            queue.add_after(key, batch_period)
        else:
            queue.add(key)

    def on_pod(pod: Mapping[str, Any]) -> None:
        m = meta(pod)
        for key in service_keys_for_labels(services.store, m.get("namespace", ""), m.get("labels")):
            enqueue_batched(key)

    def on_pod_update(old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for key in services_for_pod_update(services.store, old, new):
            enqueue_batched(key)

    services.add_handler(on_add=on_service, on_update=lambda old, new: on_service(new), on_delete=on_service)
    pods.add_handler(on_add=on_pod, on_update=on_pod_update, on_delete=on_pod)
