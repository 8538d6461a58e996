"""Validation of v1 Namespaces (pkg/apis/core/validation: ValidateNamespace*).

Names are DNS-1123 labels; spec.finalizers are qualified names and, without a domain, one of
the standard finalizers.  A status update may only set phase Active while the namespace is
not being deleted and Terminating once it is (reported under `status.Phase`, as upstream does).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubesvc.api.fields import ErrorList, FieldPath, invalid, path
from kubesvc.api.validation.meta import (
    validate_finalizer_name,
    validate_kube_finalizer_name,
    validate_namespace_name,
    validate_object_meta,
    validate_object_meta_update,
)
from kubesvc.api.validation.zerovalues import as_map, as_seq, as_str

Obj = Mapping[str, Any]


def _validate_spec_finalizers(namespace: Obj) -> ErrorList:
    fld: FieldPath = path("spec", "finalizers")
    errs: ErrorList = []
    for i, name in enumerate(as_seq(as_map(namespace.get("spec")).get("finalizers"))):
        p = fld.index(i)
        errs.extend(validate_finalizer_name(as_str(name), p))
        errs.extend(validate_kube_finalizer_name(as_str(name), p))
    return errs


def validate_namespace(namespace: Obj) -> ErrorList:
    errs = validate_object_meta(namespace.get("metadata"), namespaced=False, name_fn=validate_namespace_name)
    errs.extend(_validate_spec_finalizers(namespace))
    return errs


def validate_namespace_update(new: Obj, old: Obj) -> ErrorList:
    """Only metadata: the strategy keeps spec and status from the stored object."""
    return validate_object_meta_update(new.get("metadata"), old.get("metadata"))


def validate_namespace_status_update(new: Obj, old: Obj) -> ErrorList:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    phase = as_str(as_map(new.get("status")).get("phase"))
    if not as_map(new.get("metadata")).get("deletionTimestamp"):
        if phase != "Active":
            errs.append(
                invalid(
                    path("status", "Phase"), phase, "may only be 'Active' if `deletionTimestamp` is empty"
                )
            )
    elif phase != "Terminating":
        errs.append(
            invalid(
                path("status", "Phase"),
                phase,
                "may only be 'Terminating' if `deletionTimestamp` is not empty",
            )
        )
    return errs


def validate_namespace_finalize_update(new: Obj, old: Obj) -> ErrorList:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_validate_spec_finalizers(new))
    return errs
