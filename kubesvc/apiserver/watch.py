"""Watch streaming: `?watch=true` (and `/watch/` paths) as a chunked stream of JSON lines.

Each line is `{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": {...}}`.  A producer task
pulls events from the registry's watch into a queue; the response loop writes them, sends a
BOOKMARK when the client allowed them and the interval passed (or when the initial events of
`sendInitialEvents=true` are done), and ends at `timeoutSeconds` (default: a random value in
[min-request-timeout, 2x], as kube-apiserver), at shutdown, or when the client goes away.
A compacted start revision becomes an ERROR event carrying a 410 Expired Status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import OrderedDict
from typing import Any

from aiohttp import web

from kubesvc.api import codec, errors
from kubesvc.api import fields as F
from kubesvc.apiserver import handlers as h
from kubesvc.apiserver import negotiation as neg
from kubesvc.apiserver import tables, wireshape
from kubesvc.registry.generic import WatchItem, parse_list_rv, too_large_resource_version
from kubesvc.registry.selectors import ObjectFilter, build_filter
from kubesvc.storage.interface import CompactedError

log = logging.getLogger("kubesvc.apiserver.watch")

INITIAL_EVENTS_END = "k8s.io/initial-events-end"

_DONE = object()

# Encoded event lines shared by the watchers of the same change.
ENCODED_ENTRIES = 2048
_ENCODED: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()


def _bool_param(v: str | None) -> bool | None:
    if v is None or v == "":
        return None
    return v.lower() in ("true", "1")


def _watch_filter(scope: h.RequestScope) -> ObjectFilter:
    q = scope.query
    fs = q.get("fieldSelector", "")
    if scope.ri.name:
        # A watch on one object (`/watch/.../services/web` or `services/web?watch=true`) is a
        # collection watch with `metadata.name=<name>`, as upstream rewrites it.
        fs = f"metadata.name={scope.ri.name}" + (f",{fs}" if fs else "")
    return build_filter(scope.info, q.get("labelSelector", ""), fs)


def _check_params(scope: h.RequestScope, send_initial: bool | None, allow_bookmarks: bool) -> None:
    q = scope.query
    errs: list[F.FieldError] = []
    match = q.get("resourceVersionMatch", "")
    if send_initial is not None and match != "NotOlderThan":
        errs.append(
            F.forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )
        )
    if match:
        if send_initial is None:
            errs.append(
                F.forbidden(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
                )
            )
        if match != "NotOlderThan":
            errs.append(F.not_supported("resourceVersionMatch", match, ["NotOlderThan"]))
        if q.get("continue"):
            errs.append(
                F.forbidden(
                    "resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided"
                )
            )
    if errs:
        raise errors.invalid("ListOptions", "", errs, "meta.k8s.io")


async def serve(
    request: web.Request,
    scope: h.RequestScope,
    *,
    min_request_timeout: int,
    bookmark_interval: float,
    shutdown: asyncio.Event,
    on_event: Any = None,
) -> web.StreamResponse:
    q = scope.query
    out = h.output_for(request, allow_table=True, stream=True)
    flt = _watch_filter(scope)
    allow_bookmarks = _bool_param(q.get("allowWatchBookmarks")) is True
    send_initial = _bool_param(q.get("sendInitialEvents"))
    _check_params(scope, send_initial, allow_bookmarks)
    rv = q.get("resourceVersion", "")
    too_large: errors.StatusError | None = None
    if rv and rv != "0":
        requested = parse_list_rv(rv)
        # A revision from the future.  As the watch cache: a plain watch is established and
        # simply waits for it; a watch with initial events waits 3 s for the store to reach it,
        # else the stream's one event is an ERROR (504 "Too large resource version").
        if send_initial:
            current = await scope.rs.store.current_revision()
            if requested > current:
                current = await scope.rs.wait_for_revision(requested)
                if requested > current:
                    too_large = too_large_resource_version(requested, current)
    timeout = 0.0
    if q.get("timeoutSeconds"):
        try:
            timeout = float(int(q["timeoutSeconds"]))
        except ValueError as exc:
            raise errors.bad_request(f'invalid timeoutSeconds "{q["timeoutSeconds"]}"') from exc
    if timeout <= 0:
        # As upstream: no (or a zero) timeout means a random one in [min, 2*min).
        timeout = min_request_timeout * (1.0 + random.random())

    info = scope.info
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=1000)

    async def produce() -> None:
        if too_large is not None:
            await queue.put(too_large)
            await queue.put(_DONE)
            return
        try:
            async for item in scope.rs.watch(
                scope.ri.namespace, flt, resource_version=rv, send_initial_events=send_initial
            ):
                await queue.put(item)
        except CompactedError as exc:
            await queue.put(
                errors.resource_expired(f"too old resource version: {exc.requested} ({exc.compacted})")
            )
        except errors.StatusError as exc:
            await queue.put(exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the store failed: end the stream with an error event
            log.exception("watch failed")
            await queue.put(errors.internal_error(str(exc)))
        await queue.put(_DONE)

    content_type = neg.TABLE_CONTENT_TYPE if out.as_ == "Table" else neg.JSON
    resp = web.StreamResponse(
        status=200, headers={"Content-Type": content_type, "Cache-Control": "no-cache, private"}
    )
    resp.enable_chunked_encoding()
    producer = asyncio.create_task(produce())
    first_table = True
    # Progress known so far: a resumed watch is up to date at the requested revision.
    last_rev = int(rv) if rv and rv != "0" else 0
    next_bookmark = loop.time() + bookmark_interval
    prepared = False

    async def write(event_type: str, obj: Any, line: bytes | None = None) -> None:
        nonlocal prepared
        if not prepared:
            await resp.prepare(request)
            prepared = True
        await resp.write(line if line is not None else codec.dumps_go({"type": event_type, "object": obj}))
        if on_event is not None:
            on_event()

    def bookmark(rev: int, *, initial_end: bool = False) -> dict[str, Any]:
        meta: dict[str, Any] = {"resourceVersion": str(rev), "creationTimestamp": None}
        if initial_end:
            meta["annotations"] = {INITIAL_EVENTS_END: "true"}
        # the kind's empty object with only its resourceVersion set, as Go writes it
        return {
            "kind": info.kind,
            "apiVersion": info.api_version,
            "metadata": meta,
            **wireshape.zero_body(info.api_version, info.kind),
        }

    try:
        await resp.prepare(request)
        prepared = True
        while True:
            now = loop.time()
            if now >= deadline or shutdown.is_set():
                break
            wait = min(deadline - now, 1.0)
            if allow_bookmarks:
                wait = min(wait, max(next_bookmark - now, 0.0))
            try:
                # Take what is queued without waiting: under write load one loop iteration
                # takes long, and a wait per event would send one event per iteration.
                if queue.empty():
                    item = await asyncio.wait_for(queue.get(), timeout=max(wait, 0.0))
                else:
                    item = queue.get_nowait()
            except TimeoutError:
                if request.transport is None or request.transport.is_closing():
                    break
                if allow_bookmarks and loop.time() >= next_bookmark and last_rev:
                    await write("BOOKMARK", bookmark(last_rev))
                    next_bookmark = loop.time() + bookmark_interval
                continue
            if item is _DONE:
                break
            if isinstance(item, errors.StatusError):
                await write("ERROR", item.to_status())
                break
            assert isinstance(item, WatchItem)
            last_rev = max(last_rev, item.revision)
            if item.type == "PROGRESS":
                continue
            if item.type == "BOOKMARK":
                if allow_bookmarks:
                    await write("BOOKMARK", bookmark(item.revision, initial_end=True))
                    next_bookmark = loop.time() + bookmark_interval
                continue
            obj = item.object
            assert obj is not None
            if out.as_ == "Table":
                payload = tables.to_table(
                    info,
                    [obj],
                    now=h.now(),
                    include_object=q.get("includeObject") or "Metadata",
                    no_headers=not first_table,
                    version=out.version,
                )
                first_table = False
            elif out.as_ == "PartialObjectMetadata":
                payload = {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": f"meta.k8s.io/{out.version}",
                    "metadata": obj.get("metadata", {}),
                }
            else:
                # Plain JSON: every watcher of this change sends the same line; encode it once.
                meta = obj.get("metadata") or {}
                cache_key = (
                    info.group_resource,
                    item.type,
                    item.revision,
                    meta.get("namespace"),
                    meta.get("name"),
                )
                line = _ENCODED.get(cache_key)
                if line is None:
                    line = codec.dumps_go({"type": item.type, "object": obj})
                    _ENCODED[cache_key] = line
                    if len(_ENCODED) > ENCODED_ENTRIES:
                        _ENCODED.popitem(last=False)
                await write(item.type, obj, line)
                continue
            await write(item.type, payload)
    except ConnectionResetError:
        pass
    finally:
        producer.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await producer
    with contextlib.suppress(Exception):
        await resp.write_eof()
    return resp
