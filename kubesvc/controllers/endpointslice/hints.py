"""Topology hints for `trafficDistribution` (upstream k8s.io/endpointslice/trafficdist).

PreferClose / PreferSameZone: every ready endpoint gets `hints.forZones = [its zone]` (none
when it has no zone); PreferSameNode also `hints.forNodes = [its node]`.  Any other value (or
none): hints are removed.  Not-ready endpoints are left as they are under the close heuristics.
The topology-mode "Auto" annotation takes precedence over trafficDistribution upstream; its
proportional hints are not implemented here, so such Services get no hints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Obj = dict[str, Any]

ANNOTATION_TOPOLOGY_MODE = "service.kubernetes.io/topology-mode"
ANNOTATION_TOPOLOGY_HINTS = "service.kubernetes.io/topology-aware-hints"
CLOSE_TRAFFIC_DISTRIBUTIONS = ("PreferClose", "PreferSameZone", "PreferSameNode")


def _endpoint_ready(ep: Mapping[str, Any]) -> bool:
    return bool((ep.get("conditions") or {}).get("ready"))


def _wanted_hints(ep: Mapping[str, Any], node_hints: bool) -> Obj | None:
    hints: Obj = {}
    if ep.get("zone"):
        hints["forZones"] = [{"name": ep["zone"]}]
    if node_hints and ep.get("nodeName"):
        hints["forNodes"] = [{"name": ep["nodeName"]}]
    return hints or None


def hints_need_update(slice_: Mapping[str, Any], close: bool, node_hints: bool) -> bool:
    for ep in slice_.get("endpoints") or ():
        hints = ep.get("hints")
        if not close:
            if hints is not None:
                return True
            continue
        if not _endpoint_ready(ep):
            continue
        hints = hints or {}
        if ep.get("zone"):
            fz = hints.get("forZones") or []
            if len(fz) != 1 or fz[0].get("name") != ep["zone"]:
                return True
        elif hints.get("forZones"):
            return True
        if node_hints and ep.get("nodeName"):
            fn = hints.get("forNodes") or []
            if len(fn) != 1 or fn[0].get("name") != ep["nodeName"]:
                return True
        elif hints.get("forNodes"):
            return True
    return False


def apply_hints(slice_: Obj, close: bool, node_hints: bool) -> None:
    for ep in slice_.get("endpoints") or ():
        if not close:
            ep.pop("hints", None)
            continue
        if not _endpoint_ready(ep):
            continue
        wanted = _wanted_hints(ep, node_hints)
        if wanted is None:
            ep.pop("hints", None)
        else:
            ep["hints"] = wanted


def hints_enabled(service: Mapping[str, Any]) -> bool:
    ann = (service.get("metadata") or {}).get("annotations") or {}
    val = ann.get(ANNOTATION_TOPOLOGY_HINTS, ann.get(ANNOTATION_TOPOLOGY_MODE))
    return val in ("Auto", "auto")
