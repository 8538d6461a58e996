"""The aiohttp application: authentication, authorization, routing, health, metrics, discovery.

`build_app(config, store)` returns a `web.Application` whose only route is a catch-all: the path
is parsed into a `RequestInfo` (as kube-apiserver's request-info filter does), the bearer token
authenticates the user, a two-role authorizer decides (system:masters may do everything, the
read-only group may get/list/watch and read non-resource paths), and the verb's handler runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from kubesvc.api import codec, errors, scheme
from kubesvc.apiserver import discovery, eviction, handlers, openapi, pki, reviews
from kubesvc.apiserver import negotiation as neg
from kubesvc.apiserver import requestinfo as rinfo
from kubesvc.apiserver import watch as watchmod
from kubesvc.apiserver.config import ServerConfig
from kubesvc.apiserver.metrics import Metrics
from kubesvc.registry import Registry, build_registry
from kubesvc.registry.generic import ListOptions
from kubesvc.storage.interface import Compare, KeyValue, ListResult, Op, Store, TxnResult, WatchEvent

log = logging.getLogger("kubesvc.apiserver")

# Paths anyone may read without a token (upstream `system:public-info-viewer`).
PUBLIC_PATHS = ("/healthz", "/livez", "/readyz", "/version")

READ_VERBS = ("get", "list", "watch")


@dataclass
class AppState:
    config: ServerConfig
    store: Store
    registry: Registry
    users: dict[str, pki.UserInfo]
    metrics: Metrics
    shutdown: asyncio.Event = field(default_factory=asyncio.Event)
    server_address: str = ""
    background: list[asyncio.Task[Any]] = field(default_factory=list)


STATE: web.AppKey[AppState] = web.AppKey("state", AppState)
REQUEST_INFO: web.RequestKey[rinfo.RequestInfo] = web.RequestKey("request_info", rinfo.RequestInfo)
USER: web.RequestKey[pki.UserInfo | None] = web.RequestKey("user", object)  # type: ignore[arg-type]


class InstrumentedStore:
    """A Store proxy that records `etcd_request_duration_seconds` per operation."""

    def __init__(self, inner: Store, metrics: Metrics) -> None:
        self.inner = inner
        self.h = metrics.storage_latency
        self._metrics = metrics

    def _observe(self, op: str, key: str, elapsed: float) -> None:
        self._metrics.child(self.h, op, self._type(key)).observe(elapsed)

    @staticmethod
    def _type(key: str) -> str:
        parts = key.split("/")
        return parts[2] if len(parts) > 2 else key

    async def get(self, key: str, *, revision: int = 0) -> KeyValue | None:
        t = time.perf_counter()
        try:
            return await self.inner.get(key, revision=revision)
        finally:
            self._observe("get", key, time.perf_counter() - t)

    async def list(
        self, prefix: str, *, revision: int = 0, limit: int = 0, start_after: str = ""
    ) -> ListResult:
        t = time.perf_counter()
        try:
            return await self.inner.list(prefix, revision=revision, limit=limit, start_after=start_after)
        finally:
            self._observe("list", prefix, time.perf_counter() - t)

    async def count(self, prefix: str, *, revision: int = 0, start_after: str = "") -> int:
        t = time.perf_counter()
        try:
            counted: int = await self.inner.count(  # type: ignore[attr-defined]
                prefix, revision=revision, start_after=start_after
            )
            return counted
        finally:
            self._observe("count", prefix, time.perf_counter() - t)

    async def txn(self, compares: Sequence[Compare], ops: Sequence[Op]) -> TxnResult:
        t = time.perf_counter()
        try:
            return await self.inner.txn(compares, ops)
        finally:
            key = ops[0].key if ops else (compares[0].key if compares else "")
            self._observe("txn", key, time.perf_counter() - t)

    async def create(self, key: str, value: bytes) -> int:
        return await self.inner.create(key, value)

    async def update(self, key: str, value: bytes, *, expected_revision: int) -> int:
        return await self.inner.update(key, value, expected_revision=expected_revision)

    async def delete(self, key: str, *, expected_revision: int = 0) -> tuple[int, KeyValue]:
        return await self.inner.delete(key, expected_revision=expected_revision)

    def watch(self, prefix: str, *, start_revision: int) -> AsyncIterator[WatchEvent]:
        return self.inner.watch(prefix, start_revision=start_revision)

    async def current_revision(self) -> int:
        return await self.inner.current_revision()

    async def compacted_revision(self) -> int:
        return await self.inner.compacted_revision()

    async def compact(self, revision: int) -> None:
        await self.inner.compact(revision)

    async def close(self) -> None:
        await self.inner.close()


def _status_response(err: errors.StatusError, *, pretty: bool = False) -> web.Response:
    resp = web.Response(
        body=codec.dumps_go(err.to_status(), pretty=pretty), status=err.code, content_type="application/json"
    )
    for k, v in err.headers.items():
        resp.headers[k] = v
    if err.code == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="kubernetes"'
    return resp


def _authenticate(request: web.Request, state: AppState) -> pki.UserInfo | None:
    auth = request.headers.get("Authorization", "")
    if not auth:
        if request.path in PUBLIC_PATHS or request.path.startswith(tuple(p + "/" for p in PUBLIC_PATHS)):
            return None
        raise errors.unauthorized()
    scheme_, _, token = auth.partition(" ")
    if scheme_.lower() != "bearer" or not token.strip():
        raise errors.unauthorized()
    user = state.users.get(token.strip())
    if user is None:
        raise errors.unauthorized()
    return user


class _PlainInternalError(Exception):
    """A 500 that kube-apiserver writes with Go's http.Error: plain text, not a Status."""


_IMPERSONATE_USER = "Impersonate-User"
_IMPERSONATE_GROUP = "Impersonate-Group"
_IMPERSONATE_UID = "Impersonate-Uid"
_IMPERSONATE_EXTRA = "Impersonate-Extra-"


def _impersonate(request: web.Request, user: pki.UserInfo | None) -> pki.UserInfo | None:
    """kube-apiserver's impersonation filter: with Impersonate-User (and -Group, -Uid,
    -Extra-*), the request goes on as that user once the requester may `impersonate` each
    (here: system:masters only).  Groups, uid or extra without a user are a 500 as upstream's
    `requested ... without impersonating a user`; the impersonated user gains
    system:authenticated (a service account also its two service-account groups)."""
    headers = request.headers
    name = headers.get(_IMPERSONATE_USER, "")
    groups = list(headers.getall(_IMPERSONATE_GROUP, []))
    uid = headers.get(_IMPERSONATE_UID, "")
    extra = [k for k in headers if k.lower().startswith(_IMPERSONATE_EXTRA.lower())]
    if not name and not groups and not uid and not extra:
        return user
    if not name:
        # Go's %v of the ObjectReferences asked for: {Kind Namespace Name UID APIVersion
        # ResourceVersion FieldPath}; upstream answers with http.Error's plain text
        v1 = "authentication.k8s.io/v1"
        asked = [f"{{Group  {g}     }}" for g in groups]
        for key in extra:
            key_name = key[len(_IMPERSONATE_EXTRA) :].lower()
            asked += [f"{{UserExtra  {v}  {v1}  {key_name}}}" for v in headers.getall(key)]
        if uid:
            asked.append(f"{{UID  {uid}  {v1}  }}")
        text = f"requested [{' '.join(asked)}] without impersonating a user"
        message = f"Internal Server Error: {json.dumps(request.path_qs)}: {text}"
        # responsewriters.InternalError's sanitizer
        raise _PlainInternalError(message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    if user is None:
        raise errors.unauthorized()
    sa_parts = name.split(":")
    service_account = len(sa_parts) == 4 and name.startswith("system:serviceaccount:")
    if pki.MASTERS_GROUP not in user.groups:
        resource, obj, where = "users", name, " at the cluster scope"
        if service_account:
            resource, obj, where = "serviceaccounts", sa_parts[3], f' in the namespace "{sa_parts[2]}"'
        msg = f'User "{user.name}" cannot impersonate resource "{resource}" in API group ""{where}'
        raise errors.forbidden(resource, obj, msg)
    if service_account and not groups:
        groups = ["system:serviceaccounts", f"system:serviceaccounts:{sa_parts[2]}"]
    if name == "system:anonymous":
        if "system:unauthenticated" not in groups:
            groups.append("system:unauthenticated")
    elif "system:authenticated" not in groups:
        groups.append("system:authenticated")
    return pki.UserInfo(name=name, uid=uid, groups=tuple(groups))


def _authorize(user: pki.UserInfo | None, ri: rinfo.RequestInfo, method: str) -> None:
    if user is None:
        return  # public path
    if pki.MASTERS_GROUP in user.groups:
        return
    if pki.READONLY_GROUP in user.groups:
        if ri.is_resource and ri.verb in READ_VERBS:
            return
        if not ri.is_resource and method in ("GET", "HEAD"):
            return
    if not ri.is_resource and method in ("GET", "HEAD") and reviews.is_discovery_path(ri.path):
        return  # system:discovery and system:public-info-viewer, for every authenticated user
    if ri.is_resource:
        where = f' in the namespace "{ri.namespace}"' if ri.namespace else " at the cluster scope"
        resource = ri.resource + (f"/{ri.subresource}" if ri.subresource else "")
        msg = f'User "{user.name}" cannot {ri.verb} resource "{resource}" in API group "{ri.group}"{where}'
        raise errors.forbidden(ri.resource, ri.name, msg, ri.group)
    raise errors.StatusError(
        403,
        "Forbidden",
        f'forbidden: User "{user.name}" cannot {ri.verb} path "{ri.path}"',
        {},
    )


def _json(
    obj: Any, status: int = 200, content_type: str = "application/json", *, pretty: bool = False
) -> web.Response:
    """A JSON answer as kube-apiserver's serializer writes it (see `codec.dumps_go`)."""
    return web.Response(
        body=codec.dumps_go(obj, pretty=pretty), status=status, headers={"Content-Type": content_type}
    )


# -- non-resource endpoints ----------------------------------------------------------------------


# kube-apiserver's post-start hooks, in the order its /readyz?verbose lists them (1.33); each has
# run by the time we serve, so each reports ok (health_handlers.go requires most of them)
_POST_START_HOOKS = (
    "poststarthook/start-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/priority-and-fairness-config-consumer",
    "poststarthook/priority-and-fairness-filter",
    "poststarthook/storage-object-count-tracker-hook",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/crd-informer-synced",
    "poststarthook/start-system-namespaces-controller",
    "poststarthook/start-cluster-authentication-info-controller",
    "poststarthook/start-kube-apiserver-identity-lease-controller",
    "poststarthook/start-kube-apiserver-identity-lease-garbage-collector",
    "poststarthook/start-legacy-token-tracking-controller",
    "poststarthook/start-service-ip-repair-controllers",
    "poststarthook/rbac/bootstrap-roles",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "poststarthook/priority-and-fairness-config-producer",
    "poststarthook/bootstrap-controller",
    "poststarthook/start-kubernetes-service-cidr-controller",
    "poststarthook/aggregator-reload-proxy-client-cert",
    "poststarthook/start-kube-aggregator-informers",
    "poststarthook/apiservice-status-local-available-controller",
    "poststarthook/apiservice-status-remote-available-controller",
    "poststarthook/apiservice-registration-controller",
    "poststarthook/apiservice-discovery-controller",
    "poststarthook/kube-apiserver-autoregistration",
    "autoregister-completion",
    "poststarthook/apiservice-openapi-controller",
    "poststarthook/apiservice-openapiv3-controller",
)


async def _health_checks(state: AppState, name: str) -> list[tuple[str, bool]]:
    """The checks of /healthz, /livez or /readyz (`name`), in kube-apiserver's order."""
    checks: list[tuple[str, bool]] = [("ping", True), ("log", True)]
    try:
        await asyncio.wait_for(state.store.current_revision(), timeout=2.0)
        ok = True
    except Exception:
        ok = False
    checks.append(("etcd", ok))
    if name == "readyz":
        checks += [("etcd-readiness", ok), ("informer-sync", True)]
    checks += [(hook, True) for hook in _POST_START_HOOKS]
    if name == "readyz":
        checks.append(("shutdown", not state.shutdown.is_set()))
    return checks


async def _health(request: web.Request, state: AppState, name: str) -> web.Response:
    """kube-apiserver's healthz handler: `?exclude=<check>` (repeatable) skips a check; the
    list is written with `?verbose`, and always on failure (then with status 500)."""
    excluded = set(request.query.getall("exclude", []))
    lines = []
    healthy = True
    for check, ok in await _health_checks(state, name):
        if check in excluded:
            excluded.discard(check)
            lines.append(f"[+]{check} excluded: ok\n")
        elif ok:
            lines.append(f"[+]{check} ok\n")
        else:
            healthy = False
            lines.append(f"[-]{check} failed: reason withheld\n")
    if excluded:
        quoted = ",".join(json.dumps(c) for c in sorted(excluded))
        lines.append(f"warn: some health checks cannot be excluded: no matches for {quoted}\n")
    headers = {"Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff"}
    if not healthy:
        # upstream's http.Error: the whole list, "<name> check failed" and a newline
        return web.Response(text="".join(lines) + f"{name} check failed\n", status=500, headers=headers)
    if "verbose" not in request.query:
        return web.Response(text="ok", headers=headers)
    return web.Response(text="".join(lines) + f"{name} check passed\n", headers=headers)


async def _health_check(state: AppState, name: str, check: str) -> web.Response:
    """`/<name>/<check>`: one check, "ok" or 500; an unknown check is an unknown path."""
    results = dict(await _health_checks(state, name))
    if check not in results:
        raise errors.path_not_found()
    if results[check]:
        return web.Response(text="ok", headers={"Content-Type": "text/plain; charset=utf-8"})
    return web.Response(
        text="internal server error: reason withheld\n",
        status=500,
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )


async def _discovery(request: web.Request, ri: rinfo.RequestInfo, state: AppState) -> web.Response:
    accept = request.headers.get("Accept")
    if ri.api_prefix == "api" and not ri.version:
        v = neg.discovery_version(accept)
        if v:
            return _json(
                discovery.aggregated(True, f"apidiscovery.k8s.io/{v}"),
                content_type=f"application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList",
            )
        return _json(discovery.api_versions(state.server_address), pretty=handlers.is_pretty(request))
    if ri.api_prefix == "apis" and not ri.group:
        v = neg.discovery_version(accept)
        if v:
            return _json(
                discovery.aggregated(False, f"apidiscovery.k8s.io/{v}"),
                content_type=f"application/json;g=apidiscovery.k8s.io;v={v};as=APIGroupDiscoveryList",
            )
        return _json(discovery.api_group_list(), pretty=handlers.is_pretty(request))
    if ri.api_prefix == "apis" and not ri.version:
        g = discovery.api_group(ri.group)
        if g is None:
            raise errors.path_not_found()
        return _json(g, pretty=handlers.is_pretty(request))
    lst = discovery.api_resource_list(ri.group, ri.version)
    if lst is None:
        raise errors.path_not_found()
    return _json(lst, pretty=handlers.is_pretty(request))


async def _non_resource(request: web.Request, ri: rinfo.RequestInfo, state: AppState) -> web.StreamResponse:
    path = request.path
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/")
    if request.method not in ("GET", "HEAD"):
        raise handlers.method_not_allowed()
    if path == "/version":
        # upstream WriteRawJSON: always indented
        return _json(discovery.version_info(*state.config.emulated_version), pretty=True)
    if path in ("/healthz", "/livez", "/readyz"):
        return await _health(request, state, path.strip("/"))
    if path.startswith(("/healthz/", "/livez/", "/readyz/")):
        endpoint, _, check = path[1:].partition("/")
        return await _health_check(state, endpoint, check)
    if path == "/metrics":
        return web.Response(
            body=state.metrics.render(), headers={"Content-Type": "text/plain; version=0.0.4"}
        )
    if path == "/openapi/v2" or path == "/swagger-2.0.0.pb-v1":
        body, ctype = openapi.v2_response(request.headers.get("Accept", ""))
        return web.Response(body=body, headers={"Content-Type": ctype})
    if path == "/openapi/v3":
        return _json(openapi.v3_index())
    if path.startswith("/openapi/v3/"):
        status, headers, body = openapi.v3_http(
            path[len("/openapi/v3/") :],
            request.query.get("hash"),
            if_none_match=request.headers.get("If-None-Match"),
        )
        return web.Response(body=body, status=status, headers=headers)
    if path == "/":
        return _json({"paths": sorted(_root_paths())}, pretty=True)
    raise errors.path_not_found()


def _root_paths() -> list[str]:
    paths = [
        "/api",
        "/api/v1",
        "/apis",
        "/healthz",
        "/livez",
        "/readyz",
        "/metrics",
        "/version",
        "/openapi/v2",
        "/openapi/v3",
    ]
    for g, v in scheme.group_versions():
        if g:
            paths += [f"/apis/{g}", f"/apis/{g}/{v}"]
    for r in reviews.served():
        paths += [f"/apis/{r.group}", f"/apis/{r.group}/{r.version}"]
    return sorted(set(paths))


# -- resource dispatch ---------------------------------------------------------------------------


async def _resource(request: web.Request, ri: rinfo.RequestInfo, state: AppState) -> web.StreamResponse:
    info = scheme.by_resource(ri.group, ri.version, ri.resource)
    if info is None or info not in state.registry:
        raise errors.path_not_found()
    # A namespaced path for a cluster-scoped resource (or the reverse) does not exist.
    if info.namespaced and not ri.namespace and ri.verb not in ("list", "watch"):
        raise errors.path_not_found()
    if not info.namespaced and ri.namespace and info != scheme.NAMESPACES:
        raise errors.path_not_found()
    if info == scheme.PODS and ri.subresource == eviction.SUBRESOURCE and ri.name and ri.namespace:
        scope = handlers.RequestScope(ri, state.registry.get(info), request.query)
        return await eviction.serve(request, scope, state.config.max_request_body_bytes)
    if ri.subresource and ri.subresource not in info.subresources:
        raise errors.path_not_found()
    if ri.verb in ("update", "patch") and not ri.name:
        raise handlers.method_not_allowed()
    if info == scheme.NAMESPACES:
        ri = rinfo.RequestInfo(**{**ri.__dict__, "namespace": ""})
    rs = state.registry.get(info)
    scope = handlers.RequestScope(ri, rs, request.query)
    limit = state.config.max_request_body_bytes
    verb = ri.verb
    if verb == "get":
        return await handlers.get(request, scope)
    if verb == "list":
        return await handlers.list_(request, scope)
    if verb == "watch":
        labels = (ri.verb, info.group, info.version, info.resource, ri.subresource)
        state.metrics.longrunning.labels(*labels).inc()
        try:
            return await watchmod.serve(
                request,
                scope,
                min_request_timeout=state.config.min_request_timeout,
                bookmark_interval=state.config.bookmark_interval,
                shutdown=state.shutdown,
                on_event=state.metrics.watch_events.labels(info.group, info.version, info.kind).inc,
            )
        finally:
            state.metrics.longrunning.labels(*labels).dec()
    if verb == "create":
        return await handlers.create(request, scope, limit)
    if verb == "update":
        return await handlers.update(request, scope, limit)
    if verb == "patch":
        return await handlers.patch(request, scope, limit)
    if verb == "delete":
        return await handlers.delete(request, scope, limit)
    if verb == "deletecollection":
        return await handlers.delete_collection(request, scope, limit)
    raise handlers.method_not_allowed()


async def _dispatch(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    ri = rinfo.parse(request.method, request.path, request.query)
    request[REQUEST_INFO] = ri
    try:
        user = _impersonate(request, _authenticate(request, state))
    except _PlainInternalError as exc:
        resp = web.Response(status=500, text=f"{exc}\n", content_type="text/plain", charset="utf-8")
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp
    request[USER] = user
    if (review := reviews.review_info(ri)) is not None:
        # Self reviews: every authenticated user may create them.
        answer: web.StreamResponse = await reviews.serve(
            request, review, user, state.config.max_request_body_bytes
        )
        return answer
    _authorize(user, ri, request.method)
    if ri.is_resource:
        return await _resource(request, ri, state)
    if ri.api_prefix:
        if request.method not in ("GET", "HEAD"):
            raise handlers.method_not_allowed()
        return await _discovery(request, ri, state)
    return await _non_resource(request, ri, state)


# Verb labels as upstream's metrics report them (HTTP method, LIST/WATCH for collections).
_METRIC_VERBS = {"create": "POST", "update": "PUT", "deletecollection": "DELETECOLLECTION"}


async def _cache_control(request: web.Request, resp: web.StreamResponse) -> None:
    """Every answer is private and not to be cached unless its handler says otherwise, as
    kube-apiserver's WithCacheControl filter has it (watch streams included)."""
    if "Cache-Control" not in resp.headers:
        resp.headers["Cache-Control"] = "no-cache, private"


@web.middleware
async def _middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    state = request.app[STATE]
    start = time.perf_counter()
    try:
        resp = await handler(request)
    except errors.StatusError as exc:
        resp = _status_response(exc, pretty=handlers.is_pretty(request))
    except web.HTTPException as exc:
        resp = _status_response(
            errors.StatusError(exc.status, exc.reason.replace(" ", ""), exc.text or exc.reason),
            pretty=handlers.is_pretty(request),
        )
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    except Exception as exc:
        log.exception("request failed: %s %s", request.method, request.path)
        resp = _status_response(errors.internal_error(str(exc)))
    elapsed = time.perf_counter() - start
    ri: rinfo.RequestInfo | None = request.get(REQUEST_INFO)
    if ri is not None and ri.is_resource:
        verb = _METRIC_VERBS.get(ri.verb, ri.verb.upper())
        if ri.verb == "patch" and request.headers.get("Content-Type", "").startswith(neg.APPLY_PATCH):
            verb = "APPLY"
        m = state.metrics
        m.child(m.requests, verb, ri.group, ri.version, ri.resource, ri.subresource, str(resp.status)).inc()
        if ri.verb != "watch":
            m.child(m.latency, verb, ri.group, ri.version, ri.resource, ri.subresource).observe(elapsed)
    if not log.isEnabledFor(logging.INFO):
        return resp  # the access log line below is only built when it is written
    user = request.get(USER)
    log.info(
        "request",
        extra={
            "verb": ri.verb if ri else request.method,
            "uri": request.path_qs,
            "code": resp.status,
            "latency_ms": round(elapsed * 1000, 3),
            "user": user.name if user else "",
            "userAgent": request.headers.get("User-Agent", ""),
        },
    )
    return resp


async def _namespace_finalizer(state: AppState) -> None:
    """`--builtin-namespace-finalizer`: finish terminating namespaces inside the apiserver (for
    runs without the namespace controller).  Retries every second while content remains."""
    from kubesvc.registry.selectors import ObjectFilter

    ns_store = state.registry.get(scheme.NAMESPACES)
    pending: set[str] = set()
    while not state.shutdown.is_set():
        try:
            listed = await ns_store.list("", ListOptions(filter=ObjectFilter()))
            for item in listed["items"]:
                if (item.get("metadata") or {}).get("deletionTimestamp"):
                    pending.add(item["metadata"]["name"])
            for name in sorted(pending):
                if await state.registry.finalize_namespace(name):
                    pending.discard(name)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("namespace finalization failed")
        await asyncio.sleep(1.0)


async def _start_background(app: web.Application) -> None:
    state = app[STATE]
    await state.registry.ensure_system_namespaces()
    if state.config.builtin_namespace_finalizer:
        state.background.append(asyncio.create_task(_namespace_finalizer(state)))
    # The `kubernetes` Service (+ its Endpoints/EndpointSlice) and the allocation repair loop.
    from kubesvc.registry.repair import start_service_controllers

    task = await start_service_controllers(
        state.registry,
        state.config,
        secure_port=state.config.secure_port or 6443,
        metrics_registry=state.metrics.registry,
    )
    if task is not None:
        state.background.append(task)


async def _on_shutdown(app: web.Application) -> None:
    state = app[STATE]
    state.shutdown.set()
    for t in state.background:
        t.cancel()
    for t in state.background:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await t


def build_app(
    config: ServerConfig,
    store: Store,
    *,
    users: dict[str, pki.UserInfo] | None = None,
    server_address: str = "",
) -> web.Application:
    reviews.configure(config.runtime_config)
    metrics = Metrics()
    instrumented = InstrumentedStore(store, metrics)
    registry = build_registry(instrumented, config)
    if users is None:
        data_dir = Path(config.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        users = pki.ensure_tokens(data_dir)
    state = AppState(
        config=config,
        store=instrumented,
        registry=registry,
        users=users,
        metrics=metrics,
        server_address=server_address or f"{config.public_address}:{config.secure_port}",
    )
    app = web.Application(
        middlewares=[_middleware], client_max_size=config.max_request_body_bytes + 1024 * 1024
    )
    app[STATE] = state
    app.router.add_route("*", "/{tail:.*}", _dispatch)
    app.on_response_prepare.append(_cache_control)
    app.on_startup.append(_start_background)
    app.on_shutdown.append(_on_shutdown)
    return app
