"""Per-kind strategies: the hooks the generic registry calls around every write.

Theory of operation
-------------------
Like kube-apiserver's `rest.RESTCreateStrategy`/`RESTUpdateStrategy`/`RESTDeleteStrategy`, a
`Strategy` is mostly pure: it resets what a client may not set (`prepare_for_create`,
`prepare_for_update`), validates (`validate`, `validate_update`, returning field errors) and
normalises (`canonicalize`).  A status strategy (`status_strategy()`) is the same object's
behaviour for the `status` subresource: it keeps the old spec and metadata and only takes the
new `.status` (plus labels and annotations, as upstream's status strategies do).

Allocation hooks (`begin_create`, `begin_update`, `begin_delete`) are async and run inside the
write: they may read the store and add `Compare`/`Op` items to the `WriteTxn`, which the generic
registry commits atomically together with the object.  When the write fails (or is a dry run)
the registry runs the `on_abort` callbacks, else the `on_commit` callbacks, so an allocator can
release what it reserved in memory.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubesvc.api.fields import FieldError
from kubesvc.api.scheme import ResourceInfo
from kubesvc.storage.interface import Compare, Op, Store

Obj = dict[str, Any]


@dataclass
class WriteTxn:
    """Extra guards and writes committed atomically with one object write."""

    store: Store
    compares: list[Compare] = field(default_factory=list)
    ops: list[Op] = field(default_factory=list)
    _on_commit: list[Callable[[], None]] = field(default_factory=list)
    _on_abort: list[Callable[[], None]] = field(default_factory=list)
    #: after a failed transaction: the guarded keys as the store holds them (None: absent)
    current: dict[str, Any] = field(default_factory=dict)

    def add(self, *, compares: list[Compare] | None = None, ops: list[Op] | None = None) -> None:
        self.compares.extend(compares or ())
        self.ops.extend(ops or ())

    def on_commit(self, fn: Callable[[], None]) -> None:
        self._on_commit.append(fn)

    def on_abort(self, fn: Callable[[], None]) -> None:
        self._on_abort.append(fn)

    def committed(self) -> None:
        for fn in self._on_commit:
            fn()
        self._on_commit.clear()
        self._on_abort.clear()

    def aborted(self) -> None:
        for fn in reversed(self._on_abort):
            fn()
        self._on_commit.clear()
        self._on_abort.clear()

    def reset(self) -> None:
        """Forget collected items (before a retry of the same write)."""
        self.compares.clear()
        self.ops.clear()


def _meta(obj: Obj) -> dict[str, Any]:
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m


class Strategy:
    """Default behaviour for a kind; subclasses override what their kind does differently."""

    #: upstream `AllowCreateOnUpdate()`: PUT of a missing object creates it.
    allow_create_on_update = False
    #: upstream `AllowUnconditionalUpdate()`: PUT without a resourceVersion is accepted.
    allow_unconditional_update = True
    #: metadata.generation is 1 on create and bumped when the spec (non-metadata, non-status)
    #: content changes.  Not every kind does this upstream (Services do not).
    has_generation = False
    #: the kind has a status stanza that main-resource writes may not change.
    has_status = False
    #: the subresource this strategy handles ("" for the main resource)
    subresource = ""

    def __init__(self, info: ResourceInfo) -> None:
        self.info = info

    @property
    def namespace_scoped(self) -> bool:
        return self.info.namespaced

    # -- admission ----------------------------------------------------------------------
    def admit_create(self, obj: Obj) -> None:
        """Mutating admission of a create (kube-apiserver's default plugins), before the name
        is generated and the system fields set; may raise a StatusError.  None by default."""

    def admit_update(self, new: Obj, old: Obj) -> None:
        """Mutating admission of an update of the resource itself (not of a subresource)."""

    # -- create -------------------------------------------------------------------------
    def prepare_for_create(self, obj: Obj) -> None:
        if self.has_status:
            obj.pop("status", None)
        if self.has_generation:
            _meta(obj)["generation"] = 1

    def validate(self, obj: Obj) -> list[FieldError]:
        return _call_validation(obj, None)

    def warnings_on_create(self, obj: Obj) -> list[str]:
        return []

    # -- update -------------------------------------------------------------------------
    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        if self.has_status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if self.has_generation:
            old_gen = old.get("metadata", {}).get("generation", 0) or 0
            if _spec_of(new) != _spec_of(old):
                _meta(new)["generation"] = old_gen + 1
            else:
                _meta(new)["generation"] = old_gen

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return _call_validation(new, old)

    def warnings_on_update(self, new: Obj, old: Obj) -> list[str]:
        return []

    def canonicalize(self, obj: Obj) -> None:
        return None

    # -- delete -------------------------------------------------------------------------
    def graceful_delete_seconds(self, obj: Obj, requested: int | None) -> int | None:
        """The grace period to set on a graceful delete, or None when the kind deletes at once."""
        return None

    # -- allocation hooks, run inside the write -----------------------------------------
    async def begin_create(self, obj: Obj, txn: WriteTxn, *, dry_run: bool) -> None:
        return None

    async def begin_update(self, new: Obj, old: Obj, txn: WriteTxn, *, dry_run: bool) -> None:
        return None

    async def begin_delete(self, old: Obj, txn: WriteTxn, *, dry_run: bool) -> None:
        return None

    # -- subresources --------------------------------------------------------------------
    def status_strategy(self) -> Strategy | None:
        if not self.has_status:
            return None
        return StatusStrategy(self)


class StatusStrategy(Strategy):
    """Writes through `…/status`: take only `.status` (and labels/annotations) from the new object."""

    subresource = "status"

    def __init__(self, main: Strategy) -> None:
        super().__init__(main.info)
        self.main = main
        self.has_generation = False

    def prepare_for_create(self, obj: Obj) -> None:  # pragma: no cover - status is never created
        return None

    def prepare_for_update(self, new: Obj, old: Obj) -> None:
        keep_meta = copy.deepcopy(old.get("metadata", {}))
        new_meta = new.get("metadata", {})
        for k in ("labels", "annotations", "managedFields", "resourceVersion"):
            if k in new_meta:
                keep_meta[k] = new_meta[k]
            else:
                keep_meta.pop(k, None)
        status = new.get("status")
        for k in list(new.keys()):
            if k not in ("apiVersion", "kind"):
                del new[k]
        for k, v in old.items():
            if k not in ("metadata", "status", "apiVersion", "kind"):
                new[k] = copy.deepcopy(v)
        new["metadata"] = keep_meta
        if status is not None:
            new["status"] = status

    def validate_update(self, new: Obj, old: Obj) -> list[FieldError]:
        return _call_status_validation(new, old)

    def canonicalize(self, obj: Obj) -> None:
        self.main.canonicalize(obj)

    def graceful_delete_seconds(self, obj: Obj, requested: int | None) -> int | None:
        return None

    async def begin_update(self, new: Obj, old: Obj, txn: WriteTxn, *, dry_run: bool) -> None:
        return None

    def status_strategy(self) -> Strategy | None:
        return None


def _spec_of(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


# -- the shared defaulting and validation (MODEL/META's modules), looked up lazily ---------------


_FOUND: dict[tuple[str, str], Any] = {}


def _lookup(module: str, name: str) -> Any:
    found = _FOUND.get((module, name))
    if found is not None:  # every create and update asks: no import machinery once found
        return found
    import importlib

    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    fn = getattr(mod, name, None)
    if fn is not None:
        _FOUND[(module, name)] = fn
    return fn


def apply_defaults(obj: Obj) -> None:
    fn = _lookup("kubesvc.api.defaults", "apply_defaults")
    if fn is not None:
        fn(obj)


def _call_validation(obj: Obj, old: Obj | None) -> list[FieldError]:
    fn = _lookup("kubesvc.api.validation", "validate")
    if fn is None:
        return _minimal_meta_validation(obj)
    return list(fn(obj, old) if old is not None else fn(obj))


def _call_status_validation(obj: Obj, old: Obj) -> list[FieldError]:
    fn = _lookup("kubesvc.api.validation", "validate_status")
    if fn is None:
        return _minimal_meta_validation(obj)
    return list(fn(obj, old))


def _minimal_meta_validation(obj: Obj) -> list[FieldError]:
    """Only used while the shared validation module is absent: a name is required."""
    from kubesvc.api import fields

    if not obj.get("metadata", {}).get("name"):
        return [fields.required("metadata.name", "name or generateName is required")]
    return []
