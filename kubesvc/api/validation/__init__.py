"""Validation of every kind we serve, behind one dispatcher keyed by (apiVersion, kind).

`validate(obj)` checks an object being created, `validate(obj, old)` an update and
`validate_status(obj, old)` a write to the status subresource.  Each returns a list of field
errors; the registry turns a non-empty list into a 422 `Status`.

Besides the kind's own rules, the dispatcher runs the checks kube-apiserver's generic
registry applies to every object (`rest.BeforeCreate`/`BeforeUpdate`):

- on create, *after* the kind's rules and only if they passed, apimachinery's metadata
  validation with the path-segment name rule (a name may not be `.` or `..` nor contain
  `/` or `%`);
- on every update (status included), the same metadata validation followed by the metadata
  update rules (immutable name, namespace, uid, creationTimestamp, ...), *before* the
  kind's rules.  Kinds whose own update rules repeat metadata checks produce repeated causes,
  as upstream does; the aggregated message lists each text once.

Name rules per kind: Service RFC 1035 label, Namespace RFC 1123 label; Pod, Node, Endpoints,
EndpointSlice, Event (events.k8s.io/v1) and Lease RFC 1123 subdomain.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any, Final

from kubesvc.api.fields import ErrorList
from kubesvc.api.validation import endpoints, endpointslice, event, lease, namespace, node, pod
from kubesvc.api.validation.meta import (
    validate_object_meta,
    validate_object_meta_update,
    validate_path_segment_name,
)
from kubesvc.api.validation.zerovalues import as_map, as_str

Obj = Mapping[str, Any]
CreateFn = Callable[[Obj], ErrorList]
UpdateFn = Callable[[Obj, Obj], ErrorList]

NAMESPACED: Final[dict[tuple[str, str], bool]] = {
    ("v1", "Service"): True,
    ("v1", "Endpoints"): True,
    ("discovery.k8s.io/v1", "EndpointSlice"): True,
    ("v1", "Pod"): True,
    ("v1", "Node"): False,
    ("v1", "Namespace"): False,
    ("v1", "Event"): True,
    ("events.k8s.io/v1", "Event"): True,
    ("coordination.k8s.io/v1", "Lease"): True,
}


def _service(name: str) -> Any:
    # MODEL's module; imported on use so this package never depends on its import order
    module = sys.modules.get("kubesvc.api.validation.service") or importlib.import_module(
        "kubesvc.api.validation.service"
    )
    return getattr(module, name)


def _service_create(obj: Obj) -> ErrorList:
    result: ErrorList = _service("validate_service")(obj)
    return result


def _service_update(new: Obj, old: Obj) -> ErrorList:
    result: ErrorList = _service("validate_service_update")(new, old)
    return result


def _service_status(new: Obj, old: Obj) -> ErrorList:
    result: ErrorList = _service("validate_service_status_update")(new, old)
    return result


_CREATE: Final[dict[tuple[str, str], CreateFn]] = {
    ("v1", "Service"): _service_create,
    ("v1", "Endpoints"): endpoints.validate_endpoints,
    ("discovery.k8s.io/v1", "EndpointSlice"): endpointslice.validate_endpoint_slice,
    ("v1", "Pod"): pod.validate_pod,
    ("v1", "Node"): node.validate_node,
    ("v1", "Namespace"): namespace.validate_namespace,
    ("v1", "Event"): event.validate_event,
    ("events.k8s.io/v1", "Event"): event.validate_event,
    ("coordination.k8s.io/v1", "Lease"): lease.validate_lease,
}

_UPDATE: Final[dict[tuple[str, str], UpdateFn]] = {
    ("v1", "Service"): _service_update,
    ("v1", "Endpoints"): endpoints.validate_endpoints_update,
    ("discovery.k8s.io/v1", "EndpointSlice"): endpointslice.validate_endpoint_slice_update,
    ("v1", "Pod"): pod.validate_pod_update,
    ("v1", "Node"): node.validate_node_update,
    ("v1", "Namespace"): namespace.validate_namespace_update,
    ("v1", "Event"): event.validate_event_update,
    ("events.k8s.io/v1", "Event"): event.validate_event_update,
    ("coordination.k8s.io/v1", "Lease"): lease.validate_lease_update,
}

_STATUS: Final[dict[tuple[str, str], UpdateFn]] = {
    ("v1", "Service"): _service_status,
    ("v1", "Pod"): pod.validate_pod_status_update,
    ("v1", "Node"): node.validate_node_status_update,
    ("v1", "Namespace"): namespace.validate_namespace_status_update,
}


# Kinds whose create validation already ran the generic metadata checks (`validate_object_meta`,
# same namespacing) with a name rule stricter than the path-segment rule of `_common_create`:
# when it found nothing, the generic pass (which upstream runs too) cannot find anything either.
# Services: a DNS-1035 label (and such a generateName prefix) has no '/', '%', and is not '.'.
_META_ALREADY_CHECKED: Final = frozenset({("v1", "Service")})


def _key(obj: Obj) -> tuple[str, str]:
    return as_str(obj.get("apiVersion")), as_str(obj.get("kind"))


def _namespaced(obj: Obj) -> bool:
    known = NAMESPACED.get(_key(obj))
    if known is not None:
        return known
    return bool(_meta(obj).get("namespace"))


def _common_create(obj: Obj) -> ErrorList:
    return validate_object_meta(
        _meta(obj), namespaced=_namespaced(obj), name_fn=validate_path_segment_name, kube_finalizers=False
    )


def _common_update(new: Obj, old: Obj) -> ErrorList:
    errs = _common_create(new)
    errs.extend(validate_object_meta_update(_meta(new), _meta(old), kube_finalizers=False))
    return errs


def _meta(obj: Obj) -> Obj:
    return as_map(obj.get("metadata"))


def validate(obj: Obj, old: Obj | None = None) -> ErrorList:
    """Field errors for creating `obj`, or for updating `old` to `obj`."""
    key = _key(obj)
    if old is None:
        create = _CREATE.get(key)
        errs = create(obj) if create is not None else []
        if errs or key in _META_ALREADY_CHECKED:
            return errs
        return _common_create(obj)
    errs = _common_update(obj, old)
    update = _UPDATE.get(key)
    if update is not None:
        errs.extend(update(obj, old))
    return errs


def validate_status(obj: Obj, old: Obj) -> ErrorList:
    """Field errors for a write to the status subresource."""
    key = _key(obj)
    errs = _common_update(obj, old)
    status = _STATUS.get(key) or _UPDATE.get(key)
    if status is not None:
        errs.extend(status(obj, old))
    return errs


def validate_namespace_finalize(obj: Obj, old: Obj) -> ErrorList:
    """Field errors for a write to a Namespace's finalize subresource."""
    errs = _common_update(obj, old)
    errs.extend(namespace.validate_namespace_finalize_update(obj, old))
    return errs


__all__ = ["NAMESPACED", "validate", "validate_namespace_finalize", "validate_status"]
