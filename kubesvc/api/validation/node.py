"""Validation of v1 Nodes (pkg/apis/core/validation: ValidateNode, ValidateNodeUpdate).

Covered: metadata (DNS-1123 subdomain name, cluster-scoped), spec.podCIDRs (valid CIDRs, at
most one per IP family, no duplicates, immutable once set), spec.providerID (immutable once
set), spec.externalID, taints (key, value, effect, unique by key and effect) and duplicate
status addresses.  The status subresource uses the same update rules, as upstream does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubesvc.api.fields import (
    ErrorList,
    FieldError,
    FieldPath,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    path,
    required,
)
from kubesvc.api.validation.meta import validate_node_name, validate_object_meta, validate_object_meta_update
from kubesvc.api.validation.names import (
    is_qualified_name,
    is_valid_label_value,
    parse_cidr_sloppy,
    validate_cidr,
)
from kubesvc.api.validation.zerovalues import as_map, as_seq, as_str

Obj = Mapping[str, Any]

TAINT_EFFECTS: Final = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def pod_cidrs(spec: Obj) -> list[str]:
    """spec.podCIDRs, or [spec.podCIDR] when only the singular field is set (v1 conversion)."""
    cidrs = [as_str(c) for c in as_seq(spec.get("podCIDRs"))]
    if not cidrs and as_str(spec.get("podCIDR")):
        cidrs = [as_str(spec.get("podCIDR"))]
    return cidrs


def validate_taint_effect(effect: str, fld: FieldPath, *, allow_empty: bool = False) -> ErrorList:
    if not allow_empty and not effect:
        return [required(fld, "")]
    if effect not in TAINT_EFFECTS:
        return [not_supported(fld, effect, TAINT_EFFECTS)]
    return []


def validate_node_taints(taints: Sequence[Any], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    seen: dict[str, set[str]] = {}
    for i, taint in enumerate(taints):
        taint = as_map(taint)
        p = fld.index(i)
        key, value, effect = as_str(taint.get("key")), as_str(taint.get("value")), as_str(taint.get("effect"))
        errs.extend(invalid(p.child("key"), key, m) for m in is_qualified_name(key))
        errs.extend(invalid(p.child("value"), value, m) for m in is_valid_label_value(value))
        errs.extend(validate_taint_effect(effect, p.child("effect")))
        if key in seen.get(effect, set()):
            dup = duplicate(p, dict(taint))
            errs.append(
                FieldError(dup.type, dup.field, dup.value, "taints must be unique by key and effect pair")
            )
            continue
        seen.setdefault(effect, set()).add(key)
    return errs


def _validate_pod_cidrs(cidrs: list[str]) -> ErrorList:
    fld = path("spec", "podCIDRs")
    errs: ErrorList = []
    for i, cidr in enumerate(cidrs):
        errs.extend(validate_cidr(cidr, fld.index(i)))
    if len(cidrs) > 1:
        families = {n.version for n in (parse_cidr_sloppy(c) for c in cidrs) if n is not None}
        if families != {4, 6} or len(cidrs) > 2:
            errs.append(invalid(fld, cidrs, "may specify no more than one CIDR for each IP family"))
        seen: set[str] = set()
        for i, cidr in enumerate(cidrs):
            if cidr in seen:
                errs.append(duplicate(fld.index(i), cidr))
            seen.add(cidr)
    return errs


def validate_node(node: Obj) -> ErrorList:
    errs = validate_object_meta(node.get("metadata"), namespaced=False, name_fn=validate_node_name)
    spec = as_map(node.get("spec"))
    errs.extend(validate_node_taints(as_seq(spec.get("taints")), path("spec", "taints")))
    errs.extend(_validate_pod_cidrs(pod_cidrs(spec)))
    return errs


def validate_node_update(new: Obj, old: Obj) -> ErrorList:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    new_spec, old_spec = as_map(new.get("spec")), as_map(old.get("spec"))
    errs.extend(_validate_pod_cidrs(pod_cidrs(new_spec)))
    addresses = list(as_seq(as_map(new.get("status")).get("addresses")))
    for i, address in enumerate(addresses):
        if address in addresses[:i]:
            errs.append(duplicate(path("status", "addresses").index(i), address))
    # the controller manager may set podCIDRs and providerID once; after that they stay
    old_cidrs, new_cidrs = pod_cidrs(old_spec), pod_cidrs(new_spec)
    if old_cidrs:
        changed_msg = 'node updates may not change podCIDR except from "" to valid'
        if len(old_cidrs) != len(new_cidrs):
            errs.append(forbidden(path("spec", "podCIDRs"), changed_msg))
        else:
            errs.extend(
                forbidden(path("spec", "podCIDRs"), changed_msg)
                for o, n in zip(old_cidrs, new_cidrs)
                if o != n
            )
    old_provider = as_str(old_spec.get("providerID"))
    if old_provider and old_provider != as_str(new_spec.get("providerID")):
        errs.append(
            forbidden(
                path("spec", "providerID"), 'node updates may not change providerID except from "" to valid'
            )
        )
    errs.extend(validate_node_taints(as_seq(new_spec.get("taints")), path("spec", "taints")))
    if as_str(new_spec.get("externalID")) != as_str(old_spec.get("externalID")):
        errs.append(forbidden(path("spec", "externalID"), "may not be updated"))
    return errs


validate_node_status_update = validate_node_update
