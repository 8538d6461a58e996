"""The generic registry: create, get, list, update, delete and watch for any kind, on the Store.

Theory of operation
-------------------
One `ResourceStore` serves one resource (`services`, `endpointslices.discovery.k8s.io`, ...).
Objects are stored as JSON under `/registry/<group-resource>/<namespace>/<name>` (cluster-scoped:
`/registry/<group-resource>/<name>`) *without* `metadata.resourceVersion`: as in kube-apiserver's
etcd3 store, the resourceVersion of an object is the store's `mod_revision` of its key and is
filled in on every read.

Writes follow upstream's generic store (`k8s.io/apiserver/pkg/registry/generic/registry/store.go`):

* create: system fields (uid, creationTimestamp, generated name), strategy prepare + validate,
  the strategy's `begin_create` hook, then one store transaction `key absent + hook compares ->
  put object + hook ops`.
* update (PUT, PATCH, apply, status): read, call the caller's `updater(current)` (decoding,
  patching, field management happen there), check the resourceVersion precondition, keep what a
  client cannot change, prepare + validate, then compare-and-swap on the read revision.  A swap
  that lost a race is retried with a fresh read unless the caller pinned a resourceVersion
  (then 409 Conflict).  An update that changes nothing is not written.
* delete: preconditions, graceful deletion (Pods), finalizers (set deletionTimestamp and keep
  the object; `orphan`/`foregroundDeletion` added as the propagation policy asks, rules in
  `registry/deletion.py`), else a CAS delete.  An update that removes the last finalizer of an object
  being deleted with grace 0 deletes it.

Namespaced creates pass upstream's NamespaceLifecycle admission: the namespace must exist and
not be terminating.
"""

from __future__ import annotations

import asyncio
import base64
import builtins
import datetime as dt
import json
import os
import random
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubesvc.api import codec, errors, wireorder
from kubesvc.api import fields as F
from kubesvc.api.scheme import NAMESPACES, ResourceInfo
from kubesvc.registry import deletion
from kubesvc.registry.nscache import is_terminating
from kubesvc.registry.selectors import ObjectFilter
from kubesvc.registry.strategy import Obj, Strategy, WriteTxn, apply_defaults
from kubesvc.storage.interface import (
    CompactedError,
    Compare,
    Delete,
    FutureRevisionError,
    KeyValue,
    Put,
    Store,
)

# Upstream `names.SimpleNameGenerator`: 5 characters from an alphabet without vowels and
# look-alike digits, appended to the generateName prefix cut to 63-5 characters.
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
RANDOM_LENGTH = 5
MAX_GENERATED_PREFIX = 63 - RANDOM_LENGTH

MAX_RETRIES = 10
# Decoded watch events kept for the other watchers of the same change.
SHARED_DECODE_ENTRIES = 2048

Updater = Callable[[Obj | None], Awaitable[Obj]]

LIST_EXPIRED = "The resourceVersion for the provided list is too old."
CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a "
    "new list without the continue parameter, or use the continue token in this response to retrieve "
    "the remainder of the results. Continuing with the provided token results in an inconsistent list "
    "- objects that were created, modified, or deleted between the time the first chunk was returned "
    "and now may show up in the list."
)

NAMESPACE_TERMINATING_CAUSE = "NamespaceTerminating"


def clone(obj: Any) -> Any:
    """A deep copy of a JSON document (through orjson: several times faster than deepcopy)."""
    return codec.loads(codec.dumps(obj))


class _UidSource:
    """Random (version 4) UUIDs, as `uuid.uuid4()` makes them, from os.urandom read 4 KiB at a
    time: `uuid4()` calls os.urandom for every UID, and that call gives up the GIL, which on a busy
    apiserver (store threads) costs the event loop a wait to get it back on every create."""

    _BATCH = 256

    def __init__(self) -> None:
        self._buf = b""
        self._pos = 0
        os.register_at_fork(after_in_child=self._reset)  # a child must never reuse our bytes

    def _reset(self) -> None:
        self._buf, self._pos = b"", 0

    def __call__(self) -> str:
        if self._pos >= len(self._buf):
            self._buf, self._pos = os.urandom(16 * self._BATCH), 0
        raw = self._buf[self._pos : self._pos + 16]
        self._pos += 16
        return str(uuid.UUID(bytes=raw, version=4))


new_uid = _UidSource()


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate_name(prefix: str, rng: random.Random) -> str:
    if len(prefix) > MAX_GENERATED_PREFIX:
        prefix = prefix[:MAX_GENERATED_PREFIX]
    return prefix + "".join(rng.choice(NAME_ALPHABET) for _ in range(RANDOM_LENGTH))


@dataclass(frozen=True)
class ListOptions:
    filter: ObjectFilter
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""
    send_initial_events: bool = False  # the parameter was given (forbidden for a list)


@dataclass
class WatchItem:
    """One event for the watch stream; type PROGRESS only advances the known revision."""

    type: str  # ADDED MODIFIED DELETED BOOKMARK PROGRESS
    object: Obj | None
    revision: int


def encode_continue(rv: int, start: str, remaining: int | None = None) -> str:
    """The continue token: upstream's {v, rv, start}, plus (ours) the remainingItemCount of
    the page that made it, so the next page of the same snapshot needs no count."""
    doc: dict[str, Any] = {"v": "meta.k8s.io/v1", "rv": rv, "start": start}
    if remaining is not None:
        doc["rem"] = remaining
    raw = codec.dumps(doc)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _continue_remaining(token: str) -> int | None:
    """The remainingItemCount a continue token carries, if any (tokens are validated before)."""
    try:
        rem = codec.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))).get("rem")
    except Exception:
        return None
    return rem if isinstance(rem, int) and not isinstance(rem, bool) else None


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_JSON_STARTS = frozenset(b' \t\r\n{["-0123456789tfn')


def _continue_invalid(detail: str) -> errors.StatusError:
    # Upstream: `invalid continue token: continue key is not valid[: detail]` (400).
    return errors.bad_request(f"invalid continue token: continue key is not valid{detail}")


def decode_continue(token: str) -> tuple[int, str]:
    """The (resourceVersion, start key) of a continue token; rv -1 means "the latest"
    (the token an expired continue hands out).  Errors read as upstream's DecodeContinue."""
    for i, ch in enumerate(token):
        if ch not in _B64URL:
            raise _continue_invalid(f": illegal base64 data at input byte {i}")
    if len(token) % 4 == 1:
        raise _continue_invalid(f": illegal base64 data at input byte {len(token) - 1}")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    try:
        data = codec.loads(raw)
    except Exception as exc:
        first = raw.lstrip(b" \t\r\n")[:1]
        if not first:
            raise _continue_invalid(": unexpected end of JSON input") from exc
        if first[0] not in _JSON_STARTS:
            ch = json.dumps(chr(first[0]))[1:-1]
            raise _continue_invalid(f": invalid character '{ch}' looking for beginning of value") from exc
        raise _continue_invalid(f": {exc}") from exc
    if not isinstance(data, dict):
        raise _continue_invalid(": json: cannot unmarshal into Go value of type storage.continueToken")
    if data.get("v") != "meta.k8s.io/v1":
        raise _continue_invalid(f": server does not recognize this encoded version {data.get('v') or ''}")
    rv, start = data.get("rv", 0), data.get("start", "")
    if not isinstance(rv, int) or isinstance(rv, bool) or not isinstance(start, str):
        raise _continue_invalid(": json: cannot unmarshal into Go struct field continueToken of type int64")
    if rv == 0:
        raise _continue_invalid(": incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
    if not start:
        raise _continue_invalid(": encoded start key empty (version meta.k8s.io/v1)")
    return rv, start


def _meta(obj: Obj) -> dict[str, Any]:
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = {}
        obj["metadata"] = m
    return m


def _check_delete_preconditions(
    info: ResourceInfo, name: str, meta: Mapping[str, Any], uid: str | None, rv: str | None
) -> None:
    """DeleteOptions.preconditions: the stored uid and resourceVersion must be the given ones."""
    if uid is not None and uid != meta.get("uid"):
        raise _precondition_failed(info, name, "UID", uid, str(meta.get("uid")))
    if rv is not None and rv != meta.get("resourceVersion"):
        raise _precondition_failed(info, name, "ResourceVersion", rv, str(meta.get("resourceVersion")))


def _precondition_failed(
    info: ResourceInfo, name: str, what: str, want: str, have: str
) -> errors.StatusError:
    return errors.conflict(
        info.resource,
        name,
        f"Precondition failed: {what} in precondition: {want}, {what} in object meta: {have}",
        info.group,
    )


class ResourceStore:
    """CRUD + watch for one resource."""

    def __init__(
        self,
        info: ResourceInfo,
        strategy: Strategy,
        store: Store,
        *,
        registry: Any = None,
        clock: Callable[[], dt.datetime] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.info = info
        self.strategy = strategy
        self.store = store
        self.registry = registry
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.rng = rng or random.Random()
        self.root = f"/registry/{info.group_resource}/"
        self._shared: OrderedDict[tuple[str, int], Obj] = OrderedDict()

    # -- keys ---------------------------------------------------------------------------
    def key(self, namespace: str, name: str) -> str:
        if self.info.namespaced:
            return f"{self.root}{namespace}/{name}"
        return f"{self.root}{name}"

    def prefix(self, namespace: str) -> str:
        if self.info.namespaced and namespace:
            return f"{self.root}{namespace}/"
        return self.root

    # -- codec --------------------------------------------------------------------------
    def decode(self, kv: KeyValue) -> Obj:
        obj: Obj = codec.loads(kv.value)
        meta = _meta(obj)
        if "resourceVersion" in meta:  # the stored placeholder: the revision takes its place
            meta["resourceVersion"] = str(kv.mod_revision)
        else:  # stored before the key order was kept (see `encode`)
            meta["resourceVersion"] = str(kv.mod_revision)
            wireorder.order(obj, self.info.api_version, self.info.kind)
        return obj

    def decode_shared(self, kv: KeyValue) -> Obj:
        """`decode` for watch events, shared by every watcher of the same change (one decode
        per change instead of one per watcher).  The result is READ-ONLY."""
        cache_key = (kv.key, kv.mod_revision)
        obj = self._shared.get(cache_key)
        if obj is None:
            obj = self.decode(kv)
            self._shared[cache_key] = obj
            if len(self._shared) > SHARED_DECODE_ENTRIES:
                self._shared.popitem(last=False)
        return obj

    def encode(self, obj: Obj) -> bytes:
        """The stored bytes.  `obj` itself is first put in Go's key order (`api/wireorder.py`),
        so the stored bytes, and the answer built from `obj`, come as kube-apiserver writes
        them; its `resourceVersion` is stored empty (the revision is the key's mod_revision),
        keeping its place for the revision every read fills in."""
        meta = _meta(obj)
        rv = meta.setdefault("resourceVersion", "")
        wireorder.order(obj, self.info.api_version, self.info.kind)
        if not rv:
            return codec.dumps(obj)
        meta["resourceVersion"] = ""
        try:
            return codec.dumps(obj)
        finally:
            meta["resourceVersion"] = rv

    def ordered(self, obj: Obj) -> Obj:
        """`obj` in Go's key order (what `encode` does to what it stores), for the answers of
        writes that store nothing (dryRun)."""
        return wireorder.order(obj, self.info.api_version, self.info.kind)

    def _not_found(self, name: str) -> errors.StatusError:
        return errors.not_found(self.info.resource, name, self.info.group)

    def _invalid(self, name: str, errs: list[F.FieldError]) -> errors.StatusError:
        return errors.invalid(self.info.kind, name, errs, self.info.group)

    # -- read ---------------------------------------------------------------------------
    async def get(self, namespace: str, name: str) -> Obj:
        kv = await self.store.get(self.key(namespace, name))
        if kv is None:
            raise self._not_found(name)
        return self.decode(kv)

    async def list(self, namespace: str, opts: ListOptions) -> Obj:
        rv_param = opts.resource_version
        match = opts.resource_version_match
        list_errs: list[F.FieldError] = []
        if match and not rv_param:
            list_errs.append(
                F.forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            )
        if match and opts.continue_token:
            list_errs.append(
                F.forbidden(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
                )
            )
        if match and match not in ("Exact", "NotOlderThan"):
            list_errs.append(F.not_supported("resourceVersionMatch", match, ["Exact", "NotOlderThan", ""]))
        if match == "Exact" and rv_param == "0":
            list_errs.append(
                F.forbidden(
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
            )
        if opts.send_initial_events:
            list_errs.append(F.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list"))
        if list_errs:
            raise errors.invalid("ListOptions", "", list_errs, "meta.k8s.io")
        # Upstream's storage order: the resourceVersion parses, then the continue token decodes,
        # then a continue with a resourceVersion other than "" / "0" is refused.
        requested = parse_list_rv(rv_param) if rv_param else 0
        limit = opts.limit
        revision = 0
        start_after = ""
        start = ""
        prefix = self.prefix(namespace)
        if opts.continue_token:
            revision, start = decode_continue(opts.continue_token)
            if rv_param and rv_param != "0":
                raise errors.bad_request("specifying resource version is not allowed when using continue")
            if revision < 0:
                revision = 0  # an inconsistent continue: the rest at the latest revision
            start_after = prefix + start.rstrip("\x00")
        elif rv_param == "0":
            # Served by kube-apiserver's watch cache, which ignores the limit.
            limit = 0
        elif rv_param:
            current = await self.store.current_revision()
            # Exact, and the legacy form (a limit without resourceVersionMatch), list at
            # exactly that revision; NotOlderThan waits (3 s) for it to be reached.
            if match == "Exact" or (not match and limit > 0):
                if requested > current:
                    raise too_large_resource_version(requested, current)
                revision = requested
            elif requested > current:
                current = await self.wait_for_revision(requested)
                if requested > current:
                    raise too_large_resource_version(requested, current)
        try:
            items, revision, more, last_key = await self._list_filtered(
                prefix, revision, limit, start_after, opts.filter
            )
        except CompactedError as exc:
            if opts.continue_token:
                raise errors.StatusError(
                    410, "Expired", CONTINUE_EXPIRED, list_meta={"continue": encode_continue(-1, start)}
                ) from exc
            raise errors.resource_expired(LIST_EXPIRED) from exc
        list_meta: dict[str, Any] = {"resourceVersion": str(revision)}
        if more:
            remaining: int | None = None
            if opts.filter.everything:
                remaining = await self._remaining_items(
                    prefix, revision, last_key, opts.continue_token, len(items)
                )
            list_meta["continue"] = encode_continue(revision, last_key[len(prefix) :] + "\x00", remaining)
            if remaining is not None:
                list_meta["remainingItemCount"] = remaining
        for it in items:
            it.pop("kind", None)
            it.pop("apiVersion", None)
        return {
            "kind": self.info.list_kind_name,
            "apiVersion": self.info.api_version,
            "metadata": list_meta,
            "items": items,
        }

    async def _remaining_items(
        self, prefix: str, revision: int, last_key: str, token: str, returned: int
    ) -> int | None:
        """Upstream sets `remainingItemCount` only for a list without label or field selector
        (etcd's range count less the page; a selector would make it a guess).  A next page of
        the same snapshot takes its count from the token: the previous count less this page.
        None when the store cannot count."""
        previous = _continue_remaining(token) if token else None
        if previous is not None and previous - returned > 0:
            return previous - returned
        count = getattr(self.store, "count", None)
        if count is None:
            return None
        try:
            return int(await count(prefix, revision=revision, start_after=last_key))
        except CompactedError:
            return None

    async def wait_for_revision(self, rev: int, timeout: float = 3.0) -> int:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        current = await self.store.current_revision()
        while current < rev and loop.time() < deadline:
            await asyncio.sleep(0.05)
            current = await self.store.current_revision()
        return current

    async def _list_filtered(
        self, prefix: str, revision: int, limit: int, start_after: str, flt: ObjectFilter
    ) -> tuple[builtins.list[Obj], int, bool, str]:
        out: builtins.list[Obj] = []
        last_key = start_after
        page = limit if limit > 0 else 0
        if page and not flt.everything:
            page = max(page, 100)
        while True:
            res = await self.store.list(prefix, revision=revision, limit=page, start_after=last_key)
            revision = res.revision
            for kv in res.items:
                if limit > 0 and len(out) >= limit:
                    return out, revision, True, last_key
                last_key = kv.key
                obj = self.decode(kv)
                if flt.matches(obj):
                    out.append(obj)
            if not res.more:
                return out, revision, False, last_key
            if limit > 0 and len(out) >= limit:
                return out, revision, True, last_key

    # -- create -------------------------------------------------------------------------
    async def create(self, namespace: str, obj: Obj, *, dry_run: bool = False) -> Obj:
        meta = _meta(obj)
        if self.info.namespaced:
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(k, None)
        self.strategy.admit_create(obj)
        meta = _meta(obj)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generate_name(str(meta["generateName"]), self.rng)
        meta["uid"] = new_uid()
        meta["creationTimestamp"] = rfc3339(self.clock())
        name = str(meta.get("name") or "")
        self.strategy.prepare_for_create(obj)
        if not _allocates_first(self.strategy):
            errs = self.strategy.validate(obj)
            if errs:
                raise self._invalid(name, errs)
            self.strategy.canonicalize(obj)
        if self.info.namespaced:
            await self._admit_namespace(namespace, name)
        return await self._write_new(self.key(namespace, name), obj, dry_run=dry_run)

    async def _write_new(self, key: str, obj: Obj, *, dry_run: bool) -> Obj:
        name = obj["metadata"]["name"]
        pristine = codec.dumps(obj)  # decoded only if a retry needs it
        for _ in range(MAX_RETRIES):
            txn = WriteTxn(self.store)
            try:
                await self.strategy.begin_create(obj, txn, dry_run=dry_run)
                if _allocates_first(self.strategy):
                    # upstream order for Services: BeginCreate (allocation), then validation
                    errs = self.strategy.validate(obj)
                    if errs:
                        raise self._invalid(name, errs)
                    self.strategy.canonicalize(obj)
            except BaseException:
                txn.aborted()
                raise
            if dry_run:
                if await self.store.get(key) is not None:
                    txn.aborted()
                    raise errors.already_exists(self.info.resource, name, self.info.group)
                txn.aborted()
                return self.ordered(obj)
            res = await self.store.txn(
                [Compare(key, "mod_revision", "=", 0), *txn.compares],
                [Put(key, self.encode(obj)), *txn.ops],
            )
            if res.succeeded:
                txn.committed()
                _meta(obj)["resourceVersion"] = str(res.revision)
                return obj
            txn.current = dict(res.current)
            txn.aborted()
            if res.current.get(key) is not None:
                raise errors.already_exists(self.info.resource, name, self.info.group)
            # A hook's guard lost a race (e.g. an allocated IP was taken): retry from scratch.
            obj.clear()
            obj.update(codec.loads(pristine))
        raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)

    async def _admit_namespace(self, namespace: str, name: str) -> None:
        if self.registry is None:
            return
        ns_store: ResourceStore = self.registry.get(NAMESPACES)
        cache = getattr(self.registry, "namespace_cache", None)
        terminating = None if cache is None else await cache.terminating(namespace)
        if terminating is None:  # not in the cache: read the store (upstream: a live lookup)
            kv = await self.store.get(ns_store.key("", namespace))
            if kv is None:
                raise errors.not_found("namespaces", namespace)
            terminating = is_terminating(codec.loads(kv.value))
        if terminating:
            msg = f"unable to create new content in namespace {namespace} because it is being terminated"
            err = errors.forbidden(self.info.resource, name, msg, self.info.group)
            assert err.details is not None
            err.details["causes"] = [
                {"reason": NAMESPACE_TERMINATING_CAUSE, "message": msg, "field": "metadata.namespace"}
            ]
            raise err

    # -- update -------------------------------------------------------------------------
    async def update(
        self,
        namespace: str,
        name: str,
        updater: Updater,
        *,
        strategy: Strategy | None = None,
        dry_run: bool = False,
        allow_create: bool | None = None,
        retry_conflicts: bool = False,
    ) -> tuple[Obj, bool]:
        """Returns (object, created).  A resourceVersion in the updater's result is a
        precondition; a lost race is retried unless it came from the client (`retry_conflicts`
        False and a resourceVersion given)."""
        strategy = strategy or self.strategy
        key = self.key(namespace, name)
        if allow_create is None:
            allow_create = strategy.allow_create_on_update and not strategy.subresource
        for _ in range(MAX_RETRIES):
            kv = await self.store.get(key)
            if kv is None:
                if not allow_create:
                    raise self._not_found(name)
                new = await updater(None)
                new_meta = _meta(new)
                new_meta["name"] = name
                new_meta.pop("generateName", None)
                if new_meta.get("resourceVersion"):
                    # A resourceVersion precondition on a missing object can never hold.
                    raise self._not_found(name)
                try:
                    return await self.create(namespace, new, dry_run=dry_run), True
                except errors.StatusError as exc:
                    if exc.reason == "AlreadyExists":
                        continue
                    raise
            old = self.decode(kv)
            new = await updater(clone(old))
            new_meta = _meta(new)
            rv = new_meta.get("resourceVersion")
            if str(rv) == "0":
                # upstream's versioner parses "0" as "no version": an unconditional update
                rv = None
            pinned = bool(rv) and not retry_conflicts
            if rv:
                if str(rv) != str(kv.mod_revision):
                    raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)
            elif not strategy.allow_unconditional_update:
                raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)
            else:
                # as upstream's Store.Update: an unconditional update takes the stored version, so
                # metadata validation ("must be specified for an update") sees one
                new_meta["resourceVersion"] = str(kv.mod_revision)
            strategy.admit_update(new, old)
            self._before_update(new, old, namespace)
            strategy.prepare_for_update(new, old)
            late = _allocates_first(strategy)
            if not late:
                errs = strategy.validate_update(new, old)
                if errs:
                    raise self._invalid(name, errs)
                strategy.canonicalize(new)
                new_meta = _meta(new)
                new_meta["resourceVersion"] = str(kv.mod_revision)
                if new == old:
                    return old, False
            # Removing the last finalizer of an object being deleted deletes it: its delete
            # hooks (e.g. releasing a Service's IPs and ports) run instead of the update ones.
            deleting = _should_delete_during_update(new, self.info)
            txn = WriteTxn(self.store)
            try:
                if deleting:
                    await self.strategy.begin_delete(old, txn, dry_run=dry_run)
                else:
                    await strategy.begin_update(new, old, txn, dry_run=dry_run)
                if late:
                    # upstream order for Services: BeginUpdate (allocation), then validation
                    errs = strategy.validate_update(new, old)
                    if errs:
                        raise self._invalid(name, errs)
                    strategy.canonicalize(new)
            except BaseException:
                txn.aborted()
                raise
            if late:
                new_meta = _meta(new)
                new_meta["resourceVersion"] = str(kv.mod_revision)
                if new == old:
                    txn.aborted()
                    return old, False
            if dry_run:
                txn.aborted()
                return self.ordered(new), False
            if deleting:
                res = await self.store.txn(
                    [Compare(key, "mod_revision", "=", kv.mod_revision), *txn.compares],
                    [Delete(key), *txn.ops],
                )
                if res.succeeded:
                    txn.committed()
                    return new, False
                txn.aborted()
                if pinned:
                    raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)
                continue
            res = await self.store.txn(
                [Compare(key, "mod_revision", "=", kv.mod_revision), *txn.compares],
                [Put(key, self.encode(new)), *txn.ops],
            )
            if res.succeeded:
                txn.committed()
                new_meta["resourceVersion"] = str(res.revision)
                return new, False
            txn.current = dict(res.current)
            txn.aborted()
            now_kv = res.current.get(key)
            if pinned and (now_kv is None or now_kv.mod_revision != kv.mod_revision):
                raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)
        raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)

    def _before_update(self, new: Obj, old: Obj, namespace: str) -> None:
        """What no update may change (upstream `rest.BeforeUpdate`)."""
        new_meta = _meta(new)
        old_meta = old.get("metadata") or {}
        if self.info.namespaced:
            new_meta.setdefault("namespace", namespace)
        if not new_meta.get("uid"):
            new_meta["uid"] = old_meta.get("uid")
        if old_meta.get("creationTimestamp"):
            new_meta["creationTimestamp"] = old_meta["creationTimestamp"]
        if old_meta.get("deletionTimestamp"):
            new_meta["deletionTimestamp"] = old_meta["deletionTimestamp"]
        if "deletionGracePeriodSeconds" in old_meta and new_meta.get("deletionGracePeriodSeconds") is None:
            new_meta["deletionGracePeriodSeconds"] = old_meta["deletionGracePeriodSeconds"]
        if "generation" in old_meta:
            new_meta["generation"] = old_meta["generation"]
        else:
            new_meta.pop("generation", None)
        new_meta.pop("selfLink", None)

    # -- delete -------------------------------------------------------------------------
    async def delete(
        self,
        namespace: str,
        name: str,
        *,
        precondition_uid: str | None = None,
        precondition_rv: str | None = None,
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
        options: deletion.DeleteOptions | None = None,
    ) -> tuple[Obj, bool]:
        """Returns (object, deleted_now).  When deleted_now is False the object is being deleted
        (graceful deletion or finalizers, see `registry/deletion.py`) and is returned in its
        updated state.  `options` (the request's DeleteOptions) replaces the keyword options."""
        opts = options or deletion.DeleteOptions(
            grace_period_seconds=grace_period_seconds,
            precondition_uid=precondition_uid,
            precondition_rv=precondition_rv,
        )
        key = self.key(namespace, name)
        for _ in range(MAX_RETRIES):
            kv = await self.store.get(key)
            if kv is None:
                raise self._not_found(name)
            old = self.decode(kv)
            deletion.check_preconditions(self.info, old.get("metadata") or {}, opts)
            plan = deletion.plan_delete(
                old,
                opts,
                policy=deletion.default_gc_policy(self.info),
                grace_for=self.strategy.graceful_delete_seconds,
                now=self.clock(),
            )
            if plan.action is deletion.Action.PENDING:
                return old, False
            if plan.action is deletion.Action.UPDATE:
                new = plan.obj
                if new == old or dry_run:
                    return self.ordered(new), False
                res = await self.store.txn(
                    [Compare(key, "mod_revision", "=", kv.mod_revision)], [Put(key, self.encode(new))]
                )
                if not res.succeeded:
                    continue
                _meta(new)["resourceVersion"] = str(res.revision)
                return new, False
            if plan.obj != old and not dry_run:
                # A graceful deletion with a zero period: upstream's store first writes the
                # deletionTimestamp and zero grace period (watchers see it MODIFIED), then
                # deletes that state (the DELETED event carries it); a conflict in between
                # plans again, and an object already at grace 0 is deleted as it is.
                res = await self.store.txn(
                    [Compare(key, "mod_revision", "=", kv.mod_revision)], [Put(key, self.encode(plan.obj))]
                )
                if not res.succeeded:
                    continue
                kv = await self.store.get(key)
                if kv is None or kv.mod_revision != res.revision:
                    continue
                old = self.decode(kv)
                plan = deletion.DeletePlan(plan.action, old)
            txn = WriteTxn(self.store)
            try:
                await self.strategy.begin_delete(old, txn, dry_run=dry_run)
            except BaseException:
                txn.aborted()
                raise
            if dry_run:
                txn.aborted()
                return plan.obj, True
            res = await self.store.txn(
                [Compare(key, "mod_revision", "=", kv.mod_revision), *txn.compares], [Delete(key), *txn.ops]
            )
            if res.succeeded:
                txn.committed()
                # as upstream's etcd3 store: the deleted object carries the revision of its
                # deletion, the one its DELETED watch event has
                _meta(plan.obj)["resourceVersion"] = str(res.revision)
                return plan.obj, True
            txn.aborted()
        raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)

    async def delete_collection(
        self,
        namespace: str,
        opts: ListOptions,
        *,
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
        options: deletion.DeleteOptions | None = None,
    ) -> Obj:
        listed = await self.list(namespace, ListOptions(filter=opts.filter))
        deleted: builtins.list[Obj] = []
        for item in listed["items"]:
            m = item.get("metadata") or {}
            try:
                obj, _ = await self.delete(
                    str(m.get("namespace") or ""),
                    str(m.get("name")),
                    grace_period_seconds=grace_period_seconds,
                    dry_run=dry_run,
                    options=options,
                )
            except errors.StatusError as exc:
                if exc.code == 404:
                    continue
                raise
            obj.pop("kind", None)
            obj.pop("apiVersion", None)
            deleted.append(obj)
        return {
            "kind": self.info.list_kind_name,
            "apiVersion": self.info.api_version,
            "metadata": {"resourceVersion": listed["metadata"]["resourceVersion"]},
            "items": deleted,
        }

    # -- watch --------------------------------------------------------------------------
    async def watch(
        self,
        namespace: str,
        flt: ObjectFilter,
        *,
        resource_version: str = "",
        send_initial_events: bool | None = None,
    ) -> AsyncIterator[WatchItem]:
        """Events after `resource_version`; "" or "0" (or sendInitialEvents) start with a
        synthetic ADDED per existing object.  Raises CompactedError (as StatusError 410 by the
        caller) when the revision is gone."""
        prefix = self.prefix(namespace)
        initial = send_initial_events if send_initial_events is not None else resource_version in ("", "0")
        if initial:
            revision = 0
            last = ""
            while True:
                res = await self.store.list(prefix, revision=revision, limit=500, start_after=last)
                revision = res.revision
                for kv in res.items:
                    last = kv.key
                    obj = self.decode(kv)
                    if flt.matches(obj):
                        yield WatchItem("ADDED", obj, kv.mod_revision)
                if not res.more:
                    break
            if send_initial_events:
                yield WatchItem("BOOKMARK", None, revision)
            start = revision + 1
        elif resource_version in ("", "0"):
            # sendInitialEvents=false: no synthetic ADDED, start at the most recent revision.
            start = await self.store.current_revision() + 1
        else:
            start = _parse_rv(resource_version) + 1
        async for ev in self.store.watch(prefix, start_revision=start):
            rev = ev.kv.mod_revision
            if ev.type == "DELETE":
                obj = self.decode_shared(ev.kv)
                if flt.matches(obj):
                    yield WatchItem("DELETED", obj, rev)
                else:
                    yield WatchItem("PROGRESS", None, rev)
                continue
            obj = self.decode_shared(ev.kv)
            cur = flt.matches(obj)
            if ev.prev is not None and not flt.everything:
                prev_obj = self.decode(ev.prev)
                was = flt.matches(prev_obj)
                if cur and was:
                    yield WatchItem("MODIFIED", obj, rev)
                elif cur:
                    yield WatchItem("ADDED", obj, rev)
                elif was:
                    _meta(prev_obj)["resourceVersion"] = str(rev)
                    yield WatchItem("DELETED", prev_obj, rev)
                else:
                    yield WatchItem("PROGRESS", None, rev)
                continue
            if not cur:
                yield WatchItem("PROGRESS", None, rev)
            elif ev.kv.create_revision == ev.kv.mod_revision:
                yield WatchItem("ADDED", obj, rev)
            else:
                yield WatchItem("MODIFIED", obj, rev)


def _allocates_first(strategy: Strategy) -> bool:
    """Strategies whose `begin_*` hooks fill fields validation requires (Service allocation:
    upstream runs BeginCreate/BeginUpdate before validation) validate after the hook."""
    return bool(getattr(strategy, "allocate_before_validate", False))


def _should_delete_during_update(obj: Obj, info: ResourceInfo) -> bool:
    meta = obj.get("metadata") or {}
    if info == NAMESPACES and (obj.get("spec") or {}).get("finalizers"):
        return False
    return (
        bool(meta.get("deletionTimestamp"))
        and not meta.get("finalizers")
        # upstream: the existing object's grace period is 0 or unset (a terminating Namespace
        # has a deletionTimestamp but no grace period)
        and meta.get("deletionGracePeriodSeconds") in (None, 0)
    )


def _parse_rv(rv: str) -> int:
    try:
        n = int(rv)
        if n < 0:
            raise ValueError
    except ValueError as exc:
        raise errors.bad_request(f'invalid resource version "{rv}"') from exc
    return n


def parse_list_rv(rv: str) -> int:
    """A list's resourceVersion as upstream's versioner parses it (a Go uint64)."""
    if rv == "0":
        return 0
    if not rv.isascii() or not rv.isdigit():
        detail = f"strconv.ParseUint: parsing {json.dumps(rv)}: invalid syntax"
    elif int(rv) >= 1 << 64:
        detail = f"strconv.ParseUint: parsing {json.dumps(rv)}: value out of range"
    else:
        return int(rv)
    err = F.invalid("resourceVersion", rv, detail)
    raise errors.bad_request(f"invalid resource version: {err}")


def too_large_resource_version(requested: int, current: int) -> errors.StatusError:
    return errors.StatusError(
        504,
        "Timeout",
        f"Too large resource version: {requested}, current: {current}",
        {
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        },
    )


__all__ = [
    "CompactedError",
    "FutureRevisionError",
    "ListOptions",
    "ResourceStore",
    "WatchItem",
    "apply_defaults",
    "generate_name",
    "rfc3339",
]


class EventsV1ResourceStore(ResourceStore):
    """events.k8s.io/v1 Events are core v1 Events stored under the same keys and converted on
    the way in and out, so both APIs (and their watches) see the same objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.root = "/registry/events/"

    def decode(self, kv: KeyValue) -> Obj:
        from kubesvc.registry.kinds import event_from_core

        obj = event_from_core(codec.loads(kv.value))
        _meta(obj)["resourceVersion"] = str(kv.mod_revision)
        return wireorder.order(obj, self.info.api_version, self.info.kind)

    def encode(self, obj: Obj) -> bytes:
        from kubesvc.registry.kinds import event_to_core

        _meta(obj).setdefault("resourceVersion", "")
        wireorder.order(obj, self.info.api_version, self.info.kind)
        core = event_to_core(obj)
        meta = dict(core.get("metadata") or {})
        meta["resourceVersion"] = ""
        core["metadata"] = meta
        return codec.dumps(wireorder.order(core, "v1", "Event"))


# Namespaces that may never be deleted (upstream NamespaceLifecycle `immortalNamespaces`).
IMMORTAL_NAMESPACES = ("default", "kube-system", "kube-public")

NAMESPACE_DELETE_PENDING = (
    "The system is ensuring all content is removed from this namespace.  Upon completion, this "
    "namespace will automatically be purged by the system."
)


class NamespaceResourceStore(ResourceStore):
    """Namespace deletion (upstream `pkg/registry/core/namespace/storage`): a namespace with
    `spec.finalizers` is only marked (deletionTimestamp, phase Terminating); the namespace
    controller empties it, clears the finalizers through `finalize` and deletes it again."""

    async def delete(
        self,
        namespace: str,
        name: str,
        *,
        precondition_uid: str | None = None,
        precondition_rv: str | None = None,
        grace_period_seconds: int | None = None,
        dry_run: bool = False,
        options: deletion.DeleteOptions | None = None,
    ) -> tuple[Obj, bool]:
        if options is not None:
            precondition_uid = options.precondition_uid
            precondition_rv = options.precondition_rv
        if name in IMMORTAL_NAMESPACES:
            raise errors.forbidden("namespaces", name, "this namespace may not be deleted")
        key = self.key("", name)
        for _ in range(MAX_RETRIES):
            kv = await self.store.get(key)
            if kv is None:
                raise self._not_found(name)
            old = self.decode(kv)
            meta = old.get("metadata") or {}
            _check_delete_preconditions(self.info, name, meta, precondition_uid, precondition_rv)
            spec_finalizers = (old.get("spec") or {}).get("finalizers") or []
            if meta.get("deletionTimestamp"):
                if spec_finalizers:
                    raise errors.conflict("namespaces", name, NAMESPACE_DELETE_PENDING)
                if meta.get("finalizers"):
                    # emptied: the generic delete (GC finalizers as the options say) finishes it
                    return await super().delete(
                        namespace, name, dry_run=dry_run, options=options or deletion.DeleteOptions()
                    )
            elif spec_finalizers or meta.get("finalizers") or options is not None:
                new = clone(old)
                finalizers = deletion.namespace_gc_finalizers(
                    options or deletion.DeleteOptions(), [str(f) for f in meta.get("finalizers") or []]
                )
                if finalizers:
                    _meta(new)["finalizers"] = finalizers
                else:
                    _meta(new).pop("finalizers", None)
                if not spec_finalizers and not finalizers:
                    if dry_run:
                        return old, True
                    res = await self.store.txn(
                        [Compare(key, "mod_revision", "=", kv.mod_revision)], [Delete(key)]
                    )
                    if res.succeeded:
                        _meta(old)["resourceVersion"] = str(res.revision)
                        return old, True
                    continue
                _meta(new)["deletionTimestamp"] = rfc3339(self.clock())
                new.setdefault("status", {})["phase"] = "Terminating"
                if dry_run:
                    return self.ordered(new), False
                res = await self.store.txn(
                    [Compare(key, "mod_revision", "=", kv.mod_revision)], [Put(key, self.encode(new))]
                )
                if not res.succeeded:
                    continue
                _meta(new)["resourceVersion"] = str(res.revision)
                return new, False
            if dry_run:
                return old, True
            res = await self.store.txn([Compare(key, "mod_revision", "=", kv.mod_revision)], [Delete(key)])
            if res.succeeded:
                _meta(old)["resourceVersion"] = str(res.revision)
                return old, True
        raise errors.conflict(self.info.resource, name, errors.CONFLICT_MODIFIED, self.info.group)
