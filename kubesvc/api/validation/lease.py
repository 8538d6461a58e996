"""Validation of coordination.k8s.io/v1 Leases (pkg/apis/coordination/validation).

leaseDurationSeconds > 0, leaseTransitions >= 0, strategy a known name (OldestEmulationVersion)
or a prefixed qualified name (reported at `spec.strategy.strategy`, as upstream does), and
preferredHolder only together with a strategy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from kubesvc.api.fields import ErrorList, FieldPath, forbidden, invalid, not_supported, path
from kubesvc.api.validation.meta import (
    name_is_dns1123_subdomain,
    validate_object_meta,
    validate_object_meta_update,
)
from kubesvc.api.validation.names import is_qualified_name
from kubesvc.api.validation.zerovalues import as_map

Obj = Mapping[str, Any]

VALID_LEASE_STRATEGIES: Final = ("OldestEmulationVersion",)

validate_lease_name = name_is_dns1123_subdomain


def validate_coordinated_lease_strategy(strategy: str, fld: FieldPath) -> ErrorList:
    p = fld.child("strategy")
    if len(strategy.split("/")) == 1:
        if strategy not in VALID_LEASE_STRATEGIES:
            return [not_supported(p, strategy, VALID_LEASE_STRATEGIES)]
        return []
    return [invalid(p, strategy, m) for m in is_qualified_name(strategy)]


def validate_lease_spec(spec: Obj, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        errs.append(invalid(fld.child("leaseDurationSeconds"), duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if isinstance(transitions, int) and transitions < 0:
        errs.append(invalid(fld.child("leaseTransitions"), transitions, "must be greater than or equal to 0"))
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        errs.extend(validate_coordinated_lease_strategy(strategy, fld.child("strategy")))
    preferred = spec.get("preferredHolder")
    if isinstance(preferred, str) and preferred and not strategy:
        errs.append(forbidden(fld.child("preferredHolder"), "may only be specified if `strategy` is defined"))
    return errs


def validate_lease(lease: Obj) -> ErrorList:
    errs = validate_object_meta(lease.get("metadata"), namespaced=True, name_fn=validate_lease_name)
    errs.extend(validate_lease_spec(as_map(lease.get("spec")), path("spec")))
    return errs


def validate_lease_update(new: Obj, old: Obj) -> ErrorList:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_lease_spec(as_map(new.get("spec")), path("spec")))
    return errs
