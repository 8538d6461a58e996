"""Informers: list, then watch from the list's resourceVersion, into a read-only indexed cache.

Theory of operation (client-go's Reflector + sharedIndexInformer, in one asyncio task)
-------------------------------------------------------------------------------------
`run()` lists the collection (following `continue` tokens), replaces the cache with the result,
and calls handlers for the difference against what the cache held before: `on_add` for new
keys, `on_update(old, new)` for keys whose resourceVersion changed and `on_delete(obj)` for keys
that vanished (so a delete missed while disconnected is still reported).  `has_synced` turns
true after the first list.  Then it watches from the list's resourceVersion: ADDED/MODIFIED/
DELETED update the cache and call handlers; BOOKMARK only advances the resourceVersion.  When
the server ends the watch (timeoutSeconds), it watches again from the last resourceVersion.
On 410 Gone / Expired it re-lists; on other failures it waits (exponential backoff with jitter,
0.8 s up to 30 s, as client-go's reflector) and then re-lists.  A cancelled `run()` may be
started again: it resumes watching from the last resourceVersion (re-listing on 410).

Handlers are plain callables run in the informer's task, in event order; they must not block
and must not modify the objects they get (enqueue a key instead).  A handler that raises is
logged and does not stop the informer.  `transform(obj) -> obj` runs on every object before it
is cached (strip what you do not need, or build a view).

`InformerFactory(client)` shares one informer per (resource, namespace, selectors) between
controllers, as client-go's SharedInformerFactory: `factory.informer(PODS)`, `factory.start()`,
`await factory.wait_synced()`, `await factory.stop()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubesvc.aio.backoff import Backoff
from kubesvc.api.scheme import ResourceInfo
from kubesvc.client.cache import Indexer, IndexFunc, object_key
from kubesvc.client.errors import ClientError, GoneError
from kubesvc.client.rest import RestClient

log = logging.getLogger(__name__)

Obj = dict[str, Any]
AddHandler = Callable[[Obj], None]
UpdateHandler = Callable[[Obj, Obj], None]
DeleteHandler = Callable[[Obj], None]


@dataclass(frozen=True)
class _Handler:
    on_add: AddHandler | None
    on_update: UpdateHandler | None
    on_delete: DeleteHandler | None


def _rv(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


class Informer:
    def __init__(
        self,
        client: RestClient,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        transform: Callable[[Obj], Obj] | None = None,
        resync_period: float | None = None,
        page_size: int | None = None,
        min_watch_timeout: int = 300,
        backoff: Backoff | None = None,
    ) -> None:
        self.client = client
        self.info = info
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.transform = transform
        self.resync_period = resync_period
        self.page_size = page_size
        self.min_watch_timeout = min_watch_timeout
        self.backoff = backoff or Backoff(initial=0.8, maximum=30.0, factor=2.0, jitter=1.0)
        self.store = Indexer()
        self.resource_version: str | None = None
        self.lists = 0  # how many times it listed (tests and metrics)
        self._handlers: list[_Handler] = []
        self._synced = asyncio.Event()
        self._running = False

    # -- configuration -----------------------------------------------------------------------

    def add_handler(
        self,
        on_add: AddHandler | None = None,
        on_update: UpdateHandler | None = None,
        on_delete: DeleteHandler | None = None,
    ) -> None:
        """Register handlers; when added after sync, `on_add` is called for every cached object."""
        handler = _Handler(on_add, on_update, on_delete)
        self._handlers.append(handler)
        if self._synced.is_set() and on_add is not None:
            for obj in self.store.list():
                self._call(on_add, obj)

    def add_index(self, name: str, fn: IndexFunc) -> None:
        self.store.add_index(name, fn)

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    # -- running -----------------------------------------------------------------------------

    async def run(self) -> None:
        """List and watch until cancelled."""
        if self._running:
            raise RuntimeError(f"informer for {self.info.resource} is already running")
        self._running = True
        resync: asyncio.Task[None] | None = None
        if self.resync_period:
            resync = asyncio.create_task(self._resync_loop(self.resync_period))
        # A restarted informer resumes watching from where it stopped (re-listing on 410).
        resume = self.has_synced and self.resource_version is not None
        try:
            while True:
                try:
                    if not resume:
                        await self._list()
                    resume = False
                    await self._watch_until_gone()
                except GoneError:
                    log.info(
                        "%s: resourceVersion %s expired, re-listing",
                        self.info.resource,
                        self.resource_version,
                    )
                    continue
                except ClientError as exc:
                    delay = self.backoff.next()
                    log.warning(
                        "%s: list/watch failed (%s), retrying in %.1fs", self.info.resource, exc, delay
                    )
                    await asyncio.sleep(delay)
        finally:
            self._running = False
            if resync is not None:
                resync.cancel()

    async def _list(self) -> None:
        result = await self.client.list_all(
            self.info,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            page_size=self.page_size,
        )
        self.lists += 1
        items = [self._prepare(self._typed(o)) for o in result.get("items") or []]
        old_items = {object_key(o): o for o in self.store.list()}
        self.store.replace(items)
        self.resource_version = str((result.get("metadata") or {}).get("resourceVersion", "")) or None
        for obj in items:
            key = object_key(obj)
            old = old_items.pop(key, None)
            if old is None:
                self._dispatch_add(obj)
            elif _rv(old) != _rv(obj):
                self._dispatch_update(old, obj)
        for old in old_items.values():
            self._dispatch_delete(old)
        self._synced.set()

    async def _watch_until_gone(self) -> None:
        while True:
            timeout = int(self.min_watch_timeout * (1 + random.random()))
            got_event = False
            async for event in self.client.watch(
                self.info,
                namespace=self.namespace,
                resource_version=self.resource_version,
                label_selector=self.label_selector,
                field_selector=self.field_selector,
                allow_bookmarks=True,
                timeout_seconds=timeout,
            ):
                got_event = True
                self._handle_event(event)
            if got_event:
                self.backoff.reset()
            else:
                # A stream that ends at once with nothing in it: do not spin.
                await asyncio.sleep(min(1.0, self.backoff.next()))

    def _handle_event(self, event: Obj) -> None:
        etype = event.get("type")
        raw = event.get("object")
        if not isinstance(raw, dict):
            return
        rv = _rv(raw)
        if etype == "BOOKMARK":
            if rv:
                self.resource_version = rv
            return
        obj = self._prepare(raw)
        if etype in ("ADDED", "MODIFIED"):
            old = self.store.upsert(obj)
            if old is None:
                self._dispatch_add(obj)
            else:
                self._dispatch_update(old, obj)
        elif etype == "DELETED":
            self.store.remove(object_key(obj))
            self._dispatch_delete(obj)
        if rv:
            self.resource_version = rv

    def _typed(self, obj: Obj) -> Obj:
        # List items come without kind/apiVersion; put them back so cached objects are complete.
        if "kind" not in obj:
            obj["kind"] = self.info.kind
        if "apiVersion" not in obj:
            obj["apiVersion"] = self.info.api_version
        return obj

    def _prepare(self, obj: Obj) -> Obj:
        return self.transform(obj) if self.transform is not None else obj

    async def _resync_loop(self, period: float) -> None:
        while True:
            await asyncio.sleep(period)
            if self._synced.is_set():
                for obj in self.store.list():
                    self._dispatch_update(obj, obj)

    # -- dispatch ----------------------------------------------------------------------------

    def _call(self, fn: Callable[..., None], *args: Obj) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("%s informer: handler %r failed", self.info.resource, fn)

    def _dispatch_add(self, obj: Obj) -> None:
        for h in self._handlers:
            if h.on_add is not None:
                self._call(h.on_add, obj)

    def _dispatch_update(self, old: Obj, new: Obj) -> None:
        for h in self._handlers:
            if h.on_update is not None:
                self._call(h.on_update, old, new)

    def _dispatch_delete(self, obj: Obj) -> None:
        for h in self._handlers:
            if h.on_delete is not None:
                self._call(h.on_delete, obj)


def strip_managed_fields(obj: Obj) -> Obj:
    """Drop metadata.managedFields (what kube-controller-manager's informers do to save memory)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict) and "managedFields" in meta:
        meta.pop("managedFields")
    return obj


class InformerFactory:
    """One shared informer per (resource, namespace, label selector, field selector).

    `transform` (default: `strip_managed_fields`) applies to every informer that does not get
    its own."""

    def __init__(
        self,
        client: RestClient,
        *,
        resync_period: float | None = None,
        transform: Callable[[Obj], Obj] | None = strip_managed_fields,
    ) -> None:
        self.client = client
        self.resync_period = resync_period
        self.transform = transform
        self._informers: dict[tuple[Any, ...], Informer] = {}
        self._tasks: dict[tuple[Any, ...], asyncio.Task[None]] = {}

    def informer(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        transform: Callable[[Obj], Obj] | None = None,
    ) -> Informer:
        key = (info, namespace, label_selector, field_selector)
        inf = self._informers.get(key)
        if inf is None:
            inf = Informer(
                self.client,
                info,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                transform=transform if transform is not None else self.transform,
                resync_period=self.resync_period,
            )
            self._informers[key] = inf
        return inf

    def informers(self) -> list[Informer]:
        return list(self._informers.values())

    def start(self) -> None:
        """Start every informer not yet started (call again after asking for more)."""
        for key, inf in self._informers.items():
            if key not in self._tasks:
                self._tasks[key] = asyncio.create_task(inf.run(), name=f"informer:{inf.info.resource}")

    async def wait_synced(self) -> None:
        await asyncio.gather(*(inf.wait_synced() for inf in self._informers.values()))

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
