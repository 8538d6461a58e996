"""ObjectMeta validation, labels, annotations and metav1.LabelSelector, as Kubernetes checks them.

Facts from apimachinery `pkg/api/validation` (objectmeta.go, generic.go),
`pkg/apis/meta/v1/validation` and the core wrappers of `pkg/apis/core/validation`
(`ValidateObjectMeta` adds the "standard finalizer name" rule).  Objects are plain dicts in
Kubernetes JSON shape; absent keys read as Go's zero values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from kubesvc.api.fields import (
    ErrorList,
    FieldPath,
    forbidden,
    invalid,
    path,
    required,
    too_long,
)
from kubesvc.api.validation.names import (
    FIELD_IMMUTABLE_ERROR_MSG,
    IS_NEGATIVE_ERROR_MSG,
    is_dns1035_label,
    is_dns1123_label,
    is_dns1123_subdomain,
    is_qualified_name,
    is_valid_label_value,
)
from kubesvc.api.validation.zerovalues import as_int, as_map, as_seq, as_str

NameFn = Callable[[str, bool], list[str]]
"""`name_fn(name, prefix)`: messages for a bad name; `prefix` is true for generateName."""

TOTAL_ANNOTATION_SIZE_LIMIT_B: Final = 256 * (1 << 10)
FIELD_MANAGER_MAX_LENGTH: Final = 128
MAX_SUBRESOURCE_NAME_LENGTH: Final = 256

FINALIZER_ORPHAN_DEPENDENTS: Final = "orphan"
FINALIZER_DELETE_DEPENDENTS: Final = "foregroundDeletion"
FINALIZER_KUBERNETES: Final = "kubernetes"
STANDARD_FINALIZERS: Final = frozenset(
    {FINALIZER_KUBERNETES, FINALIZER_ORPHAN_DEPENDENTS, FINALIZER_DELETE_DEPENDENTS}
)

# Kinds that may not own other objects (group, version, kind).
BANNED_OWNERS: Final = frozenset({("", "v1", "Event")})

_METADATA: Final = path("metadata")


def _mask_trailing_dash(name: str) -> str:
    # upstream replaces the last two characters by "a" (a generateName gets a suffix appended)
    if name.endswith("-"):
        return name[:-2] + "a"
    return name


def name_is_dns1123_subdomain(name: str, prefix: bool) -> list[str]:
    return is_dns1123_subdomain(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1123_label(name: str, prefix: bool) -> list[str]:
    return is_dns1123_label(_mask_trailing_dash(name) if prefix else name)


def name_is_dns1035_label(name: str, prefix: bool) -> list[str]:
    return is_dns1035_label(_mask_trailing_dash(name) if prefix else name)


def validate_path_segment_name(name: str, prefix: bool) -> list[str]:
    """The name rule every object meets (apiserver's path.ValidatePathSegmentName)."""
    if not prefix:
        for illegal in (".", ".."):
            if name == illegal:
                return [f"may not be '{illegal}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in name]


validate_namespace_name = name_is_dns1123_label
validate_node_name = name_is_dns1123_subdomain
validate_service_name = name_is_dns1035_label


def _fp(fld: FieldPath | str) -> FieldPath:
    return fld if isinstance(fld, FieldPath) else FieldPath(fld)


# ---------------------------------------------------------------------------------------------
# labels, annotations, finalizers, owner references


def validate_label_name(name: str, fld: FieldPath | str) -> ErrorList:
    return [invalid(fld, name, msg) for msg in is_qualified_name(name)]


def validate_labels(labels: Mapping[str, str] | None, fld: FieldPath | str) -> ErrorList:
    """Each key a qualified name, each value a label value; errors sit on the map's own path."""
    errs: ErrorList = []
    for key, value in (labels or {}).items():
        errs.extend(validate_label_name(key, fld))
        errs.extend(invalid(fld, value, msg) for msg in is_valid_label_value(as_str(value)))
    return errs


def annotations_size(annotations: Mapping[str, str]) -> int:
    return sum(len(k.encode()) + len(as_str(v).encode()) for k, v in annotations.items())


def validate_annotations(annotations: Mapping[str, str] | None, fld: FieldPath | str) -> ErrorList:
    """Keys are qualified names in any case; keys and values together at most 256 KiB."""
    annotations = annotations or {}
    errs: ErrorList = []
    for key in annotations:
        errs.extend(invalid(fld, key, msg) for msg in is_qualified_name(key.lower()))
    if annotations_size(annotations) > TOTAL_ANNOTATION_SIZE_LIMIT_B:
        errs.append(too_long(fld, "", TOTAL_ANNOTATION_SIZE_LIMIT_B))
    return errs


def _split_api_version(api_version: str) -> tuple[str, str] | None:
    if api_version.count("/") == 0:
        return "", api_version
    if api_version.count("/") == 1:
        group, version = api_version.split("/")
        return group, version
    return None


def _validate_owner_reference(ref: Mapping[str, Any], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    api_version = as_str(ref.get("apiVersion"))
    kind = as_str(ref.get("kind"))
    gv = _split_api_version(api_version)
    group, version = gv if gv is not None else ("", "")
    if not version:
        errs.append(invalid(fld.child("apiVersion"), api_version, "version must not be empty"))
    if not kind:
        errs.append(invalid(fld.child("kind"), kind, "must not be empty"))
    if not as_str(ref.get("name")):
        errs.append(invalid(fld.child("name"), as_str(ref.get("name")), "must not be empty"))
    if not as_str(ref.get("uid")):
        errs.append(invalid(fld.child("uid"), as_str(ref.get("uid")), "must not be empty"))
    if (group, version, kind) in BANNED_OWNERS:
        gvk = f"{group}/{version}, Kind={kind}"
        errs.append(invalid(fld, dict(ref), f"{gvk} is disallowed from being an owner"))
    return errs


def validate_owner_references(refs: Sequence[Any] | None, fld: FieldPath | str) -> ErrorList:
    fld = _fp(fld)
    errs: ErrorList = []
    first_controller = ""
    for ref in refs or []:
        ref = as_map(ref)
        errs.extend(_validate_owner_reference(ref, fld))
        if ref.get("controller") is True:
            current = f"{as_str(ref.get('kind'))}/{as_str(ref.get('name'))}"
            if first_controller:
                errs.append(
                    invalid(
                        fld,
                        [dict(as_map(r)) for r in refs or []],
                        'Only one reference can have Controller set to true. Found "true" in '
                        f"references for {first_controller} and {current}",
                    )
                )
            else:
                first_controller = current
    return errs


def validate_finalizer_name(name: str, fld: FieldPath | str) -> ErrorList:
    return [invalid(fld, name, msg) for msg in is_qualified_name(name)]


def validate_finalizers(finalizers: Sequence[str] | None, fld: FieldPath | str) -> ErrorList:
    finalizers = list(finalizers or [])
    errs: ErrorList = []
    for f in finalizers:
        errs.extend(validate_finalizer_name(as_str(f), fld))
    if FINALIZER_ORPHAN_DEPENDENTS in finalizers and FINALIZER_DELETE_DEPENDENTS in finalizers:
        errs.append(
            invalid(
                fld,
                finalizers,
                f"finalizer {FINALIZER_ORPHAN_DEPENDENTS} and {FINALIZER_DELETE_DEPENDENTS} cannot be both set",
            )
        )
    return errs


def validate_kube_finalizer_name(name: str, fld: FieldPath | str) -> ErrorList:
    """Built-in kinds only accept the standard finalizers without a domain prefix."""
    if len(name.split("/")) == 1 and name not in STANDARD_FINALIZERS:
        return [invalid(fld, name, "name is neither a standard finalizer name nor is it fully qualified")]
    return []


def validate_no_new_finalizers(new: Sequence[str], old: Sequence[str], fld: FieldPath | str) -> ErrorList:
    extra = sorted(set(new) - set(old))
    if extra:
        shown = "[]string{" + ", ".join(f'"{e}"' for e in extra) + "}"
        return [
            forbidden(
                fld,
                f"no new finalizers can be added if the object is being deleted, found new finalizers {shown}",
            )
        ]
    return []


def validate_field_manager(manager: str, fld: FieldPath | str) -> ErrorList:
    errs: ErrorList = []
    if len(manager.encode()) > FIELD_MANAGER_MAX_LENGTH:
        errs.append(too_long(fld, manager, FIELD_MANAGER_MAX_LENGTH))
    if manager.isprintable():  # every character is: no need to look at each
        return errs
    pos = 0
    for ch in manager:
        if not ch.isprintable():
            errs.append(invalid(fld, manager, f"invalid character U+{ord(ch):04X} (at position {pos})"))
        pos += len(ch.encode())
    return errs


def validate_managed_fields(entries: Sequence[Any] | None, fld: FieldPath | str) -> ErrorList:
    fld = _fp(fld)
    errs: ErrorList = []
    for i, entry in enumerate(entries or []):
        entry = as_map(entry)
        p = fld.index(i)
        operation = as_str(entry.get("operation"))
        if operation not in ("Apply", "Update"):
            errs.append(invalid(p.child("operation"), operation, "must be `Apply` or `Update`"))
        fields_type = as_str(entry.get("fieldsType"))
        if fields_type and fields_type != "FieldsV1":
            errs.append(invalid(p.child("fieldsType"), fields_type, "must be `FieldsV1`"))
        errs.extend(validate_field_manager(as_str(entry.get("manager")), p.child("manager")))
        subresource = as_str(entry.get("subresource"))
        if len(subresource.encode()) > MAX_SUBRESOURCE_NAME_LENGTH:
            errs.append(too_long(p.child("subresource"), subresource, MAX_SUBRESOURCE_NAME_LENGTH))
    return errs


def validate_immutable_field(new: Any, old: Any, fld: FieldPath | str) -> ErrorList:
    if new != old:
        return [invalid(fld, new, FIELD_IMMUTABLE_ERROR_MSG)]
    return []


def validate_nonnegative_field(value: int, fld: FieldPath | str) -> ErrorList:
    if value < 0:
        return [invalid(fld, value, IS_NEGATIVE_ERROR_MSG)]
    return []


# ---------------------------------------------------------------------------------------------
# ObjectMeta


def validate_object_meta(
    meta: Mapping[str, Any] | None,
    *,
    namespaced: bool,
    name_fn: NameFn,
    fld: FieldPath = _METADATA,
    kube_finalizers: bool = True,
) -> ErrorList:
    """Metadata of an object being created (name generation has already happened).

    `kube_finalizers` adds core validation's rule that unprefixed finalizers must be standard
    ones; apimachinery's generic check (`kube_finalizers=False`) lacks it.
    """
    meta = as_map(meta)
    errs: ErrorList = []
    generate_name = as_str(meta.get("generateName"))
    name = as_str(meta.get("name"))
    if generate_name:
        errs.extend(
            invalid(fld.child("generateName"), generate_name, m) for m in name_fn(generate_name, True)
        )
    if not name:
        errs.append(required(fld.child("name"), "name or generateName is required"))
    else:
        errs.extend(invalid(fld.child("name"), name, m) for m in name_fn(name, False))
    namespace = as_str(meta.get("namespace"))
    if namespaced:
        if not namespace:
            errs.append(required(fld.child("namespace"), ""))
        else:
            errs.extend(
                invalid(fld.child("namespace"), namespace, m)
                for m in validate_namespace_name(namespace, False)
            )
    elif namespace:
        errs.append(forbidden(fld.child("namespace"), "not allowed on this type"))
    errs.extend(validate_nonnegative_field(as_int(meta.get("generation")), fld.child("generation")))
    errs.extend(validate_labels(as_map(meta.get("labels")), fld.child("labels")))
    errs.extend(validate_annotations(as_map(meta.get("annotations")), fld.child("annotations")))
    errs.extend(validate_owner_references(as_seq(meta.get("ownerReferences")), fld.child("ownerReferences")))
    finalizers = [as_str(f) for f in as_seq(meta.get("finalizers"))]
    errs.extend(validate_finalizers(finalizers, fld.child("finalizers")))
    errs.extend(validate_managed_fields(as_seq(meta.get("managedFields")), fld.child("managedFields")))
    if kube_finalizers:
        for i, f in enumerate(finalizers):
            errs.extend(validate_kube_finalizer_name(f, fld.child("finalizers").index(i)))
    return errs


def validate_object_meta_update(
    new: Mapping[str, Any] | None,
    old: Mapping[str, Any] | None,
    fld: FieldPath = _METADATA,
    kube_finalizers: bool = True,
) -> ErrorList:
    """Metadata of an object being updated: identity fields are immutable."""
    new, old = as_map(new), as_map(old)
    errs: ErrorList = []
    new_finalizers = [as_str(f) for f in as_seq(new.get("finalizers"))]
    if old.get("deletionTimestamp") is not None:
        old_finalizers = [as_str(f) for f in as_seq(old.get("finalizers"))]
        errs.extend(validate_no_new_finalizers(new_finalizers, old_finalizers, fld.child("finalizers")))
    rv = as_str(new.get("resourceVersion"))
    if not rv:
        errs.append(invalid(fld.child("resourceVersion"), rv, "must be specified for an update"))
    new_gen, old_gen = as_int(new.get("generation")), as_int(old.get("generation"))
    if new_gen < old_gen:
        errs.append(invalid(fld.child("generation"), new_gen, "must not be decremented"))
    for key, zero in (
        ("name", ""),
        ("namespace", ""),
        ("uid", ""),
        ("creationTimestamp", None),
        ("deletionTimestamp", None),
        ("deletionGracePeriodSeconds", None),
    ):
        errs.extend(validate_immutable_field(new.get(key, zero), old.get(key, zero), fld.child(key)))
    errs.extend(validate_labels(as_map(new.get("labels")), fld.child("labels")))
    errs.extend(validate_annotations(as_map(new.get("annotations")), fld.child("annotations")))
    errs.extend(validate_owner_references(as_seq(new.get("ownerReferences")), fld.child("ownerReferences")))
    errs.extend(validate_managed_fields(as_seq(new.get("managedFields")), fld.child("managedFields")))
    if kube_finalizers:
        for i, f in enumerate(new_finalizers):
            errs.extend(validate_kube_finalizer_name(f, fld.child("finalizers").index(i)))
    return errs


# ---------------------------------------------------------------------------------------------
# metav1.LabelSelector

LABEL_SELECTOR_OPERATORS: Final = ("In", "NotIn", "Exists", "DoesNotExist")


def validate_label_selector_requirement(
    req: Mapping[str, Any],
    fld: FieldPath | str,
    *,
    allow_invalid_label_value: bool = False,
) -> ErrorList:
    fld = _fp(fld)
    errs: ErrorList = []
    operator = as_str(req.get("operator"))
    values = [as_str(v) for v in as_seq(req.get("values"))]
    if operator in ("In", "NotIn"):
        if not values:
            errs.append(required(fld.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"))
    elif operator in ("Exists", "DoesNotExist"):
        if values:
            errs.append(
                forbidden(
                    fld.child("values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    else:
        errs.append(invalid(fld.child("operator"), operator, "not a valid selector operator"))
    errs.extend(validate_label_name(as_str(req.get("key")), fld.child("key")))
    if not allow_invalid_label_value:
        for i, value in enumerate(values):
            errs.extend(invalid(fld.child("values").index(i), value, m) for m in is_valid_label_value(value))
    return errs


def validate_label_selector(
    selector: Mapping[str, Any] | None,
    fld: FieldPath | str,
    *,
    allow_invalid_label_value: bool = False,
) -> ErrorList:
    """A metav1.LabelSelector (`matchLabels`, `matchExpressions`); None is valid."""
    if selector is None:
        return []
    fld = _fp(fld)
    errs = validate_labels(as_map(selector.get("matchLabels")), fld.child("matchLabels"))
    for i, req in enumerate(as_seq(selector.get("matchExpressions"))):
        errs.extend(
            validate_label_selector_requirement(
                as_map(req),
                fld.child("matchExpressions").index(i),
                allow_invalid_label_value=allow_invalid_label_value,
            )
        )
    return errs
