"""What a DELETE request does to an object: pure rules after kube-apiserver's generic store.

Theory of operation
-------------------
Upstream (`k8s.io/apiserver/pkg/registry/generic/registry/store.go` and
`k8s.io/apiserver/pkg/registry/rest/delete.go`) decides a delete in three steps, reproduced here
without I/O so the registry only reads, plans and writes:

1. *Options* (`decode_delete_options`, `validate_delete_options`): a body `DeleteOptions` wins;
   only a request without a body reads `gracePeriodSeconds`, `propagationPolicy`,
   `orphanDependents` and `dryRun` from the query.  Both `orphanDependents` and
   `propagationPolicy` set, an unknown policy or an unknown dryRun value is a 422 on
   `DeleteOptions.meta.k8s.io`.
2. *Graceful deletion* (`rest.BeforeDelete`): kinds with a grace period (Pods) get
   `deletionTimestamp = now + grace` and `deletionGracePeriodSeconds`; a second delete may only
   shorten it, else the deletion is already pending and nothing changes.
3. *Garbage-collection finalizers* (`deletionFinalizersForGarbageCollection`): `orphan` when the
   request (or, without one, the object's own finalizers, or the kind's default) says to orphan
   dependents, `foregroundDeletion` when it says Foreground; the other one is removed.  An object
   left with any finalizer is only marked (`deletionTimestamp` now, grace 0, generation bumped);
   the garbage collector or whoever owns the finalizer removes it, and the update that removes
   the last one deletes the object.

Kinds whose strategy says "Unsupported" (Events, upstream) never get either finalizer.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubesvc.api import errors
from kubesvc.api import fields as F
from kubesvc.api.scheme import EVENTS_EVENTS_V1, EVENTS_V1, ResourceInfo

FINALIZER_ORPHAN = "orphan"
FINALIZER_FOREGROUND = "foregroundDeletion"

ORPHAN = "Orphan"
BACKGROUND = "Background"
FOREGROUND = "Foreground"
POLICIES = (FOREGROUND, BACKGROUND, ORPHAN)

Obj = dict[str, Any]


class GCPolicy(enum.Enum):
    """Upstream `rest.GarbageCollectionPolicy` (a strategy's `DefaultGarbageCollectionPolicy`);
    NONE is a strategy without one, which behaves as DELETE_DEPENDENTS."""

    NONE = ""
    DELETE_DEPENDENTS = "DeleteDependents"
    ORPHAN_DEPENDENTS = "OrphanDependents"
    UNSUPPORTED = "Unsupported"


def default_gc_policy(info: ResourceInfo) -> GCPolicy:
    """None of the kinds we serve orphans by default (upstream's orphaning defaults are old
    apps/extensions/batch versions); Events are never garbage-collection owners."""
    if info in (EVENTS_V1, EVENTS_EVENTS_V1):
        return GCPolicy.UNSUPPORTED
    return GCPolicy.NONE


@dataclass(frozen=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    orphan_dependents: bool | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: tuple[str, ...] = field(default=())


# -- decoding and validation ----------------------------------------------------------------

_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def _parse_bool(name: str, raw: str) -> bool:
    """Go's strconv.ParseBool, which query-parameter conversion uses."""
    if raw in _GO_TRUE:
        return True
    if raw in _GO_FALSE:
        return False
    raise errors.bad_request(f'strconv.ParseBool: parsing "{raw}": invalid syntax')


def _parse_int(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise errors.bad_request(f'invalid {name} "{raw}"') from exc


def _type_error(field_name: str, go_type: str, value: Any) -> errors.StatusError:
    kind = (
        "string"
        if isinstance(value, str)
        else "bool"
        if isinstance(value, bool)
        else "number"
        if isinstance(value, int | float)
        else "array"
        if isinstance(value, list)
        else "object"
    )
    return errors.bad_request(
        f"json: cannot unmarshal {kind} into Go struct field DeleteOptions.{field_name} of type {go_type}"
    )


def decode_delete_options(body: Mapping[str, Any] | None, query: Mapping[str, str]) -> DeleteOptions:
    """DeleteOptions from a decoded body, or (no body) from the query, as upstream's DELETE
    handler reads them."""
    if body is not None:
        grace = body.get("gracePeriodSeconds")
        if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int)):
            raise _type_error("gracePeriodSeconds", "int64", grace)
        policy = body.get("propagationPolicy")
        if policy is not None and not isinstance(policy, str):
            raise _type_error("propagationPolicy", "v1.DeletionPropagation", policy)
        orphan = body.get("orphanDependents")
        if orphan is not None and not isinstance(orphan, bool):
            raise _type_error("orphanDependents", "bool", orphan)
        pre = body.get("preconditions") or {}
        if not isinstance(pre, dict):
            raise _type_error("preconditions", "v1.Preconditions", pre)
        dry = body.get("dryRun") or []
        if not isinstance(dry, list) or not all(isinstance(d, str) for d in dry):
            raise _type_error("dryRun", "[]string", dry)
        uid = pre.get("uid")
        rv = pre.get("resourceVersion")
        return DeleteOptions(
            grace_period_seconds=grace,
            propagation_policy=policy,
            orphan_dependents=orphan,
            precondition_uid=None if uid is None else str(uid),
            precondition_rv=None if rv is None else str(rv),
            dry_run=tuple(dry),
        )
    return DeleteOptions(
        grace_period_seconds=(
            _parse_int("gracePeriodSeconds", query["gracePeriodSeconds"])
            if "gracePeriodSeconds" in query
            else None
        ),
        propagation_policy=query.get("propagationPolicy") if "propagationPolicy" in query else None,
        orphan_dependents=(
            _parse_bool("orphanDependents", query["orphanDependents"])
            if "orphanDependents" in query
            else None
        ),
        dry_run=(query["dryRun"],) if "dryRun" in query else (),
    )


def validate_delete_options(opts: DeleteOptions) -> list[F.FieldError]:
    """Upstream `ValidateDeleteOptions` (apimachinery meta/v1 validation)."""
    errs: list[F.FieldError] = []
    if opts.orphan_dependents is not None and opts.propagation_policy is not None:
        errs.append(
            F.invalid(
                "propagationPolicy",
                opts.propagation_policy,
                "orphanDependents and deletionPropagation cannot be both set",
            )
        )
    if opts.propagation_policy is not None and opts.propagation_policy not in POLICIES:
        errs.append(F.not_supported("propagationPolicy", opts.propagation_policy, [*POLICIES, "nil"]))
    if any(d != "All" for d in opts.dry_run):
        errs.append(F.not_supported("dryRun", list(opts.dry_run), ["All"]))
    return errs


def check_delete_options(opts: DeleteOptions) -> None:
    errs = validate_delete_options(opts)
    if errs:
        raise errors.invalid("DeleteOptions", "", errs, "meta.k8s.io")


def check_preconditions(info: ResourceInfo, meta: Mapping[str, Any], opts: DeleteOptions) -> None:
    """The precondition check of `rest.BeforeDelete` (409 on the object's kind)."""
    name = str(meta.get("name") or "")
    if opts.precondition_uid is not None and opts.precondition_uid != meta.get("uid"):
        raise errors.conflict(
            info.kind,
            name,
            f"the UID in the precondition ({opts.precondition_uid}) does not match the UID in record "
            f"({meta.get('uid') or ''}). The object might have been deleted and then recreated",
            info.group,
        )
    if opts.precondition_rv is not None and opts.precondition_rv != meta.get("resourceVersion"):
        raise errors.conflict(
            info.kind,
            name,
            f"the ResourceVersion in the precondition ({opts.precondition_rv}) does not match the "
            f"ResourceVersion in record ({meta.get('resourceVersion') or ''}). The object might have been modified",
            info.group,
        )


# -- garbage-collection finalizers ------------------------------------------------------------


def should_orphan(policy: GCPolicy, opts: DeleteOptions, finalizers: Sequence[str]) -> bool:
    """Upstream `shouldOrphanDependents`: options, then the object's finalizers, then the kind."""
    if policy is GCPolicy.UNSUPPORTED:
        return False
    if opts.orphan_dependents is not None:
        return opts.orphan_dependents
    if opts.propagation_policy is not None:
        if opts.propagation_policy == ORPHAN:
            return True
        if opts.propagation_policy in (BACKGROUND, FOREGROUND):
            return False
    for f in finalizers:
        if f == FINALIZER_ORPHAN:
            return True
        if f == FINALIZER_FOREGROUND:
            return False
    return policy is GCPolicy.ORPHAN_DEPENDENTS


def should_delete_dependents(policy: GCPolicy, opts: DeleteOptions, finalizers: Sequence[str]) -> bool:
    """Upstream `shouldDeleteDependents` (foreground): options, then the object's finalizers."""
    if policy is GCPolicy.UNSUPPORTED:
        return False
    if opts.orphan_dependents is not None:
        return False
    if opts.propagation_policy is not None:
        if opts.propagation_policy == FOREGROUND:
            return True
        if opts.propagation_policy in (BACKGROUND, ORPHAN):
            return False
    for f in finalizers:
        if f == FINALIZER_FOREGROUND:
            return True
        if f == FINALIZER_ORPHAN:
            return False
    return False


def gc_finalizers(policy: GCPolicy, opts: DeleteOptions, finalizers: Sequence[str]) -> tuple[bool, list[str]]:
    """(changed, finalizers): the object's finalizers with `orphan`/`foregroundDeletion` set as
    the delete request asks (upstream `deletionFinalizersForGarbageCollection`).  Unchanged when
    the set is the same."""
    orphan = should_orphan(policy, opts, finalizers)
    foreground = should_delete_dependents(policy, opts, finalizers)
    new = [f for f in finalizers if f not in (FINALIZER_ORPHAN, FINALIZER_FOREGROUND)]
    if orphan:
        new.append(FINALIZER_ORPHAN)
    if foreground:
        new.append(FINALIZER_FOREGROUND)
    if set(new) == set(finalizers):
        return False, list(finalizers)
    return True, new


def namespace_gc_finalizers(opts: DeleteOptions, finalizers: Sequence[str]) -> list[str]:
    """The first delete of a Namespace (upstream namespace storage's `shouldHaveOrphanFinalizer`
    and `shouldHaveDeleteDependentsFinalizer`): the options decide, else what the namespace has."""
    has_orphan = FINALIZER_ORPHAN in finalizers
    has_foreground = FINALIZER_FOREGROUND in finalizers
    if opts.orphan_dependents is not None:
        orphan, foreground = opts.orphan_dependents, False
    elif opts.propagation_policy is not None:
        orphan = opts.propagation_policy == ORPHAN
        foreground = opts.propagation_policy == FOREGROUND
    else:
        orphan, foreground = has_orphan, has_foreground
    new = [f for f in finalizers if f not in (FINALIZER_ORPHAN, FINALIZER_FOREGROUND)]
    if orphan:
        new.append(FINALIZER_ORPHAN)
    if foreground:
        new.append(FINALIZER_FOREGROUND)
    return new if set(new) != set(finalizers) else list(finalizers)


# -- the plan -----------------------------------------------------------------------------------


class Action(enum.Enum):
    PENDING = "pending"  # already being deleted: answer with the object as it is
    UPDATE = "update"  # write `obj` (marked as being deleted) and answer with it
    DELETE = "delete"  # delete now; answer with `obj`


@dataclass
class DeletePlan:
    action: Action
    obj: Obj


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(s: Any) -> dt.datetime | None:
    if not isinstance(s, str) or not s:
        return None
    try:
        return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None


def _mark_as_deleting(meta: dict[str, Any], now: dt.datetime) -> None:
    """Upstream `markAsDeleting`: grace 0, deletionTimestamp now unless an earlier one is set,
    and a generation bump on the first mark."""
    existing = _parse_time(meta.get("deletionTimestamp"))
    if existing is None and int(meta.get("generation") or 0) > 0:
        meta["generation"] = int(meta["generation"]) + 1
    if existing is None or existing > now:
        meta["deletionTimestamp"] = rfc3339(now)
    meta["deletionGracePeriodSeconds"] = 0


def plan_delete(
    obj: Mapping[str, Any],
    opts: DeleteOptions,
    *,
    policy: GCPolicy,
    grace_for: Callable[[Obj, int | None], int | None],
    now: dt.datetime,
) -> DeletePlan:
    """What deleting `obj` with `opts` does.  `grace_for(obj, requested)` is the strategy's
    graceful-deletion period (None for kinds deleted at once, Pods: their grace period).
    Preconditions and option validation are checked by the caller."""
    new: Obj = copy.deepcopy(dict(obj))
    meta = new.setdefault("metadata", {})
    requested = opts.grace_period_seconds
    if requested is not None and requested < 0:
        requested = 1
    graceful = False
    period = 0
    supports_grace = grace_for(dict(obj), requested) is not None
    if supports_grace:
        current_ts = _parse_time(meta.get("deletionTimestamp"))
        current_grace = meta.get("deletionGracePeriodSeconds")
        if current_ts is not None:
            if current_grace is not None and current_grace < 0:
                current_grace = 1
            if current_grace:
                # only a shorter grace period may be asked for; else the deletion is pending
                if requested is None or requested >= current_grace:
                    return DeletePlan(Action.PENDING, dict(obj))
                shifted = current_ts - dt.timedelta(seconds=current_grace) + dt.timedelta(seconds=requested)
                meta["deletionTimestamp"] = rfc3339(shifted)
                meta["deletionGracePeriodSeconds"] = requested
                graceful = True
                period = requested
        else:
            period = int(grace_for(dict(obj), requested) or 0)
            if period < 0:
                period = 1
            meta["deletionTimestamp"] = rfc3339(now + dt.timedelta(seconds=period))
            meta["deletionGracePeriodSeconds"] = period
            if int(meta.get("generation") or 0) > 0:
                meta["generation"] = int(meta["generation"]) + 1
            graceful = True
    old_finalizers = [str(f) for f in (obj.get("metadata") or {}).get("finalizers") or []]
    changed, finalizers = gc_finalizers(policy, opts, old_finalizers)
    if not (graceful or old_finalizers or changed):
        return DeletePlan(Action.DELETE, dict(obj))
    if changed:
        if finalizers:
            meta["finalizers"] = finalizers
        else:
            meta.pop("finalizers", None)
    pending_finalizers = bool(finalizers)
    if not graceful:
        if pending_finalizers:
            _mark_as_deleting(meta, now)
            return DeletePlan(Action.UPDATE, new)
        return DeletePlan(Action.DELETE, dict(obj))
    if pending_finalizers or period > 0:
        return DeletePlan(Action.UPDATE, new)
    # graceful with a zero period and nothing left to wait for: gone now (upstream writes the
    # deletionTimestamp first, then deletes; the answer is that last state)
    return DeletePlan(Action.DELETE, new)
