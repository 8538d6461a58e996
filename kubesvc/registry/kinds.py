"""Strategies of the served kinds (what each resets, keeps and bumps), after kube-apiserver's
`pkg/registry/<group>/<kind>/strategy.go`.

| kind          | create resets                      | update keeps             | generation | create on PUT |
|---------------|------------------------------------|--------------------------|------------|---------------|
| Service       | status = {loadBalancer: {}}        | status                   | no         | yes           |
| Pod           | status = {phase: Pending, qosClass}| status                   | no (1.31)  | no            |
| Node          | (keeps status: kubelets post it)   | status                   | no         | no            |
| Namespace     | status.phase Active, finalizer     | status, spec.finalizers  | no         | no            |
|               | "kubernetes" added                 |                          |            |               |
| Endpoints     | -                                  | -                        | no         | yes           |
| EndpointSlice | -                                  | -                        | 1, +1 on content or label change | no |
| Event         | -                                  | -                        | no         | yes           |
| Lease         | -                                  | -                        | no         | yes (no unconditional update) |

Service ClusterIP/NodePort allocation is not here: it lives in `registry/service.py` (issue 4)
and plugs in through `build_registry`.
"""

from __future__ import annotations

import copy
from typing import Any

from kubesvc.api import scheme
from kubesvc.api.defaults import LABEL_METADATA_NAME
from kubesvc.api.fields import FieldError
from kubesvc.api.scheme import ResourceInfo
from kubesvc.api.validation.pod import pod_warnings_on_create
from kubesvc.registry import admission
from kubesvc.registry.strategy import Obj, StatusStrategy, Strategy

# The finalizer every namespace gets (upstream `v1.FinalizerKubernetes`).
FINALIZER_KUBERNETES = "kubernetes"


class ServiceStrategy(Strategy):
    has_status = True
    allow_create_on_update = True

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"loadBalancer": {}}


def _qos_class(pod: Obj) -> str:
    """Upstream `qos.GetPodQOS`, for cpu and memory (the resources it considers)."""
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or []) + list(spec.get("initContainers") or [])
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    is_guaranteed = True
    any_set = False
    for c in containers:
        res = c.get("resources") or {}
        req = {k: v for k, v in (res.get("requests") or {}).items() if k in ("cpu", "memory")}
        lim = {k: v for k, v in (res.get("limits") or {}).items() if k in ("cpu", "memory")}
        if req or lim:
            any_set = True
        requests.update(req)
        limits.update(lim)
        if set(lim) != {"cpu", "memory"}:
            is_guaranteed = False
        for k, v in req.items():
            if lim.get(k) != v:
                is_guaranteed = False
    if not any_set:
        return "BestEffort"
    if is_guaranteed:
        return "Guaranteed"
    return "Burstable"


class PodStrategy(Strategy):
    has_status = True
    # kube-apiserver's --disable-admission-plugins (set by `build_registry` from the config)
    disabled_admission_plugins: frozenset[str] = frozenset()

    def admit_create(self, obj: Obj) -> None:
        admission.admit_pod_create(obj, self.disabled_admission_plugins)

    def admit_update(self, new: Obj, old: Obj) -> None:
        admission.admit_pod_update(new, old, self.disabled_admission_plugins)

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Pending", "qosClass": _qos_class(obj)}

    def warnings_on_create(self, obj: Obj) -> list[str]:
        # upstream podStrategy.WarningsOnCreate; its WarningsOnUpdate returns none ("humans don't
        # typically interact directly with pods"), and so does the inherited one here
        return pod_warnings_on_create(obj)

    def graceful_delete_seconds(self, obj: Obj, requested: int | None) -> int | None:
        """Upstream pod `CheckGracefulDelete`: the requested period, else the pod's
        `terminationGracePeriodSeconds` (default 30); unscheduled pods go at once."""
        spec = obj.get("spec") or {}
        if requested is not None:
            period = requested
        else:
            period = spec.get("terminationGracePeriodSeconds", 30)
            if period is None:
                period = 30
        if not spec.get("nodeName"):
            return 0
        phase = (obj.get("status") or {}).get("phase")
        if phase in ("Failed", "Succeeded"):
            return 0
        return int(period)


class NodeStrategy(Strategy):
    has_status = True

    def prepare_for_create(self, obj: Obj) -> None:
        # Kubelets register nodes with their status: create keeps it (upstream nodeStrategy).
        status = obj.get("status")
        super().prepare_for_create(obj)
        if status is not None:
            obj["status"] = status


class NamespaceStrategy(Strategy):
    has_status = True

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        obj["status"] = {"phase": "Active"}
        spec = obj.setdefault("spec", {})
        finalizers = list(spec.get("finalizers") or [])
        if FINALIZER_KUBERNETES not in finalizers:
            finalizers.append(FINALIZER_KUBERNETES)
        spec["finalizers"] = finalizers

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        super().prepare_for_update(new, old)
        old_spec = old.get("spec")
        if old_spec is not None and "finalizers" in old_spec:
            new.setdefault("spec", {})["finalizers"] = copy.deepcopy(old_spec["finalizers"])
        elif isinstance(new.get("spec"), dict):
            new["spec"].pop("finalizers", None)

    def canonicalize(self, obj: Obj) -> None:
        # upstream namespaceStrategy.Canonicalize: the name label, also for a name generated
        # after defaulting ran (generateName)
        super().canonicalize(obj)
        meta = obj.setdefault("metadata", {})
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = meta["labels"] = {}
        labels[LABEL_METADATA_NAME] = meta.get("name", "")

    def status_strategy(self) -> Strategy | None:
        return NamespaceStatusStrategy(self)

    def finalize_strategy(self) -> Strategy:
        return NamespaceFinalizeStrategy(self)


class NamespaceStatusStrategy(StatusStrategy):
    pass


class NamespaceFinalizeStrategy(StatusStrategy):
    """`namespaces/{name}/finalize`: only `spec.finalizers` may change (status and the rest kept)."""

    subresource = "finalize"

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        finalizers = (new.get("spec") or {}).get("finalizers")
        result = copy.deepcopy(old)
        for k in ("apiVersion", "kind"):
            if k in new:
                result[k] = new[k]
        spec = result.setdefault("spec", {})
        if finalizers:
            spec["finalizers"] = finalizers
        else:
            spec.pop("finalizers", None)
        new.clear()
        new.update(result)

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        from kubesvc.api import fields

        errs: list[FieldError] = []
        for i, f in enumerate((new.get("spec") or {}).get("finalizers") or []):
            if not isinstance(f, str) or not f:
                errs.append(fields.invalid(fields.path("spec", "finalizers").index(i), f, "name is empty"))
        return errs


class EndpointSliceStrategy(Strategy):
    has_generation = True

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        old_meta = old.get("metadata", {})
        old_gen = old_meta.get("generation", 0) or 0
        content_changed = _content(new) != _content(old)
        labels_changed = (new.get("metadata", {}).get("labels") or {}) != (old_meta.get("labels") or {})
        new.setdefault("metadata", {})["generation"] = (
            old_gen + 1 if content_changed or labels_changed else old_gen
        )


def _content(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "apiVersion", "kind")}


class EndpointsStrategy(Strategy):
    allow_create_on_update = True


class EventStrategy(Strategy):
    allow_create_on_update = True


class LeaseStrategy(Strategy):
    allow_create_on_update = True
    allow_unconditional_update = False


# events.k8s.io/v1 Event <-> core v1 Event: the same stored objects, two shapes (upstream
# `pkg/apis/events/v1` conversion).  (events.k8s.io field, core field)
EVENT_FIELD_MAP = (
    ("regarding", "involvedObject"),
    ("note", "message"),
    ("deprecatedSource", "source"),
    ("deprecatedFirstTimestamp", "firstTimestamp"),
    ("deprecatedLastTimestamp", "lastTimestamp"),
    ("deprecatedCount", "count"),
    ("reportingController", "reportingComponent"),
)
_EVENT_SHARED = (
    "metadata",
    "eventTime",
    "series",
    "reportingInstance",
    "action",
    "reason",
    "related",
    "type",
)


def event_to_core(ev: Obj) -> Obj:
    out: Obj = {"apiVersion": "v1", "kind": "Event"}
    for k in _EVENT_SHARED:
        if k in ev:
            out[k] = ev[k]
    for new, core in EVENT_FIELD_MAP:
        if new in ev:
            out[core] = ev[new]
    return out


def event_from_core(ev: Obj) -> Obj:
    out: Obj = {"apiVersion": "events.k8s.io/v1", "kind": "Event"}
    for k in _EVENT_SHARED:
        if k in ev:
            out[k] = ev[k]
    for new, core in EVENT_FIELD_MAP:
        if core in ev and ev[core] not in (None, "", 0, {}):
            out[new] = ev[core]
    # Go's encoding of events.k8s.io/v1 Event: the structs and times that are not pointers are
    # always written (`regarding: {}`, `deprecatedSource: {}`, null times); the optional strings
    # are omitted when empty.
    for key, zero in _EVENTS_V1_ALWAYS:
        if out.get(key) is None:
            out[key] = {} if zero == {} else zero
    for key in ("reportingInstance", "action", "reason", "type"):
        if out.get(key) == "":
            del out[key]
    return out


_EVENTS_V1_ALWAYS: tuple[tuple[str, Any], ...] = (
    ("eventTime", None),
    ("regarding", {}),
    ("deprecatedSource", {}),
    ("deprecatedFirstTimestamp", None),
    ("deprecatedLastTimestamp", None),
)


STRATEGIES: dict[ResourceInfo, type[Strategy]] = {
    scheme.SERVICES: ServiceStrategy,
    scheme.PODS: PodStrategy,
    scheme.NODES: NodeStrategy,
    scheme.NAMESPACES: NamespaceStrategy,
    scheme.ENDPOINTS: EndpointsStrategy,
    scheme.EVENTS_V1: EventStrategy,
    scheme.ENDPOINT_SLICES: EndpointSliceStrategy,
    scheme.LEASES: LeaseStrategy,
    scheme.EVENTS_EVENTS_V1: EventStrategy,
}


def strategy_for(info: ResourceInfo) -> Strategy:
    return STRATEGIES.get(info, Strategy)(info)
