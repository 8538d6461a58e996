"""Cache indexes the endpoint controllers share: Pods by label pair, Services by one selector
pair, slices by Service.

`pods_selected_by(pods, service)` looks up the smallest label-pair bucket of the Service's
selector and filters it, so a sync costs O(matching pods), not O(pods in the namespace).
`service_keys_for_labels(services, ns, labels)` goes the other way: every Service is indexed
under one pair of its selector (the smallest key), which a matching Pod must carry, so a Pod
event costs O(the Pod's labels + candidate Services), not O(Services in the namespace).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesvc.client.cache import Indexer, ensure_index
from kubesvc.controllers.endpointslice.pods import meta, selector_matches, selector_of, spec
from kubesvc.controllers.endpointslice.reconciler import LABEL_SERVICE_NAME

Obj = dict[str, Any]

POD_LABEL_INDEX = "kubesvc.io/pod-label"
SLICE_SERVICE_INDEX = "kubesvc.io/slice-service"
SERVICE_SELECTOR_INDEX = "kubesvc.io/service-selector-pair"


def _pod_label_values(pod: Obj) -> list[str]:
    m = meta(pod)
    ns = m.get("namespace", "")
    return [f"{ns}\x00{k}\x00{v}" for k, v in (m.get("labels") or {}).items()]


def _slice_service(slice_: Obj) -> list[str]:
    m = meta(slice_)
    name = (m.get("labels") or {}).get(LABEL_SERVICE_NAME)
    return [f"{m.get('namespace', '')}/{name}"] if name else []


def _service_selector_pair(svc: Obj) -> list[str]:
    sel = spec(svc).get("selector")
    if not sel:  # nil selector: selects nothing (an empty one is not kept by the API)
        return []
    k = min(sel)
    return [f"{meta(svc).get('namespace', '')}\x00{k}\x00{sel[k]}"]


def add_pod_indexes(pods: Indexer) -> None:
    ensure_index(pods, POD_LABEL_INDEX, _pod_label_values)


def add_slice_indexes(slices: Indexer) -> None:
    ensure_index(slices, SLICE_SERVICE_INDEX, _slice_service)


def pods_selected_by(pods: Indexer, service: Mapping[str, Any]) -> list[Obj]:
    sel = selector_of(service)
    if sel is None:
        return []
    ns = meta(service).get("namespace", "")
    best: list[str] | None = None
    for k, v in sel.items():
        keys = pods.index_keys(POD_LABEL_INDEX, f"{ns}\x00{k}\x00{v}")
        if best is None or len(keys) < len(best):
            best = keys
            if not best:
                return []
    out = []
    for key in best or ():
        p = pods.get(key)
        if p is not None and selector_matches(sel, meta(p).get("labels")):
            out.append(p)
    out.sort(key=lambda p: meta(p).get("name", ""))
    return out


def slices_of_service(slices: Indexer, namespace: str, name: str) -> list[Obj]:
    return slices.by_index(SLICE_SERVICE_INDEX, f"{namespace}/{name}")


def service_keys_for_labels(services: Indexer, namespace: str, labels: Mapping[str, str] | None) -> set[str]:
    """Keys of the Services in `namespace` whose (non-nil) selector matches `labels`."""
    ensure_index(services, SERVICE_SELECTOR_INDEX, _service_selector_pair)
    keys = set()
    for k, v in (labels or {}).items():
        for svc in services.by_index(SERVICE_SELECTOR_INDEX, f"{namespace}\x00{k}\x00{v}"):
            if selector_matches(spec(svc)["selector"], labels):
                keys.add(f"{namespace}/{meta(svc).get('name', '')}")
    return keys
