"""The async REST client: typed-by-`ResourceInfo` verbs over aiohttp, JSON through `api.codec`.

    client = RestClient.from_kubeconfig(path)
    svc = await client.get(SERVICES, "web", namespace="default")
    async for event in client.watch(SERVICES, namespace="default", resource_version=rv):
        ...  # {"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK", "object": {...}}
    await client.close()

Every failure raises a `kubesvc.client.errors` error: an `ApiError` subclass with the Status
body for HTTP failures, `TransportError` when no answer came; the aiohttp exception is chained.
A watch `ERROR` event is raised as the matching `ApiError` (410 → `GoneError`), which ends the
iteration.  Objects returned are fresh dicts owned by the caller.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from kubesvc.api import codec
from kubesvc.api.scheme import ResourceInfo
from kubesvc.client.errors import ApiError, TransportError, error_from_status
from kubesvc.client.kubeconfig import ClientConfig, load_kubeconfig

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

Obj = dict[str, Any]


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    m = obj.get("metadata")
    return m if isinstance(m, Mapping) else {}


class LineSplitter:
    """The lines of a newline-delimited stream (a watch), fed in chunks as they arrive.

    Linear in the bytes fed: a backlog of thousands of events arriving as one large chunk is cut
    with one `split`, and a line spread over many chunks is joined once.  Blank lines are
    dropped."""

    def __init__(self) -> None:
        self._partial: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        parts = chunk.split(b"\n")
        if len(parts) == 1:
            if chunk:
                self._partial.append(chunk)
            return []
        if self._partial:
            self._partial.append(parts[0])
            parts[0] = b"".join(self._partial)
        tail = parts.pop()
        self._partial = [tail] if tail else []
        return [line for line in parts if line and not line.isspace()]

    def end(self) -> bytes | None:
        """What is left after the stream ended without a final newline (None if nothing)."""
        rest = b"".join(self._partial)
        self._partial = []
        return rest if rest and not rest.isspace() else None


class RestClient:
    """An async Kubernetes API client for one server and identity."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        user_agent: str = "kubesvc",
        request_timeout: float = 30.0,
        connection_limit: int = 100,
    ) -> None:
        self.config = config
        self.user_agent = user_agent
        self.request_timeout = request_timeout
        self._connection_limit = connection_limit
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"Accept": JSON, "User-Agent": user_agent}
        if config.token:
            self._headers["Authorization"] = f"Bearer {config.token}"

    @classmethod
    def from_kubeconfig(cls, path: str, *, context: str | None = None, **kwargs: Any) -> RestClient:
        return cls(load_kubeconfig(path, context), **kwargs)

    # -- session -----------------------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            ssl_ctx = self.config.ssl_context()
            connector = aiohttp.TCPConnector(
                ssl=ssl_ctx if ssl_ctx is not None else False, limit=self._connection_limit
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers, json_serialize=codec.dumps_str
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def __aenter__(self) -> RestClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- paths -------------------------------------------------------------------------------

    @staticmethod
    def path(
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        """`/api/v1/namespaces/ns/services/web/status` and friends."""
        prefix = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        parts = [prefix]
        if info.namespaced and namespace:
            parts.append(f"namespaces/{quote(namespace, safe='')}")
        parts.append(info.resource)
        if name is not None:
            parts.append(quote(name, safe=""))
        if subresource:
            parts.append(subresource)
        return "/".join(parts)

    # -- raw request -------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str = JSON,
        timeout: float | None = None,
    ) -> Any:
        """One request; returns the decoded JSON body (or None when empty); raises ApiError."""
        session = self._get_session()
        headers = {}
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else codec.dumps(body)
            headers["Content-Type"] = content_type
        kw: dict[str, Any] = {}
        if self.config.tls_server_name:
            kw["server_hostname"] = self.config.tls_server_name
        try:
            async with session.request(
                method,
                self.config.server + path,
                params=dict(params) if params else None,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=timeout or self.request_timeout),
                **kw,
            ) as resp:
                raw = await resp.read()
                status = resp.status
                ctype = resp.headers.get("Content-Type", "")
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"{method} {path}: {exc!r}") from exc
        if status >= 400:
            raise self._error(status, raw, ctype)
        if not raw:
            return None
        try:
            return codec.loads(raw)
        except codec.DecodeError as exc:
            raise TransportError(f"{method} {path}: undecodable response: {exc}") from exc

    @staticmethod
    def _error(code: int, raw: bytes, ctype: str) -> ApiError:
        body: Any = None
        if raw and "json" in ctype:
            try:
                body = codec.loads(raw)
            except codec.DecodeError:
                body = None
        if not isinstance(body, dict) or body.get("kind") != "Status":
            text = raw.decode(errors="replace").strip() if raw else ""
            body = {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": text or f"the server responded with status {code}",
                "code": code,
            }
        return error_from_status(body, code)

    # -- verbs -------------------------------------------------------------------------------

    async def get(
        self, info: ResourceInfo, name: str, *, namespace: str | None = None, subresource: str | None = None
    ) -> Obj:
        result: Obj = await self.request(
            "GET", self.path(info, namespace=namespace, name=name, subresource=subresource)
        )
        return result

    async def list(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        limit: int | None = None,
        continue_: str | None = None,
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Obj:
        params: dict[str, str] = {}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        if limit:
            params["limit"] = str(limit)
        if continue_:
            params["continue"] = continue_
        if resource_version is not None:
            params["resourceVersion"] = resource_version
        if resource_version_match:
            params["resourceVersionMatch"] = resource_version_match
        # Large collections take a while to encode and send: lists get a generous timeout.
        result: Obj = await self.request(
            "GET",
            self.path(info, namespace=namespace),
            params=params,
            timeout=max(self.request_timeout, 600.0),
        )
        return result

    async def list_all(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int | None = None,
    ) -> Obj:
        """List following `continue` tokens; returns one List with every item and the first RV."""
        first: Obj | None = None
        items: list[Obj] = []
        token: str | None = None
        while True:
            page = await self.list(
                info,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=page_size,
                continue_=token,
            )
            if first is None:
                first = page
            items.extend(page.get("items") or [])
            token = _meta(page).get("continue") or None
            if not token:
                break
        assert first is not None
        first["items"] = items
        first.setdefault("metadata", {}).pop("continue", None)
        return first

    async def create(
        self,
        info: ResourceInfo,
        obj: Mapping[str, Any],
        *,
        namespace: str | None = None,
        field_manager: str | None = None,
    ) -> Obj:
        ns = namespace if namespace is not None else _meta(obj).get("namespace")
        params = {"fieldManager": field_manager} if field_manager else None
        result: Obj = await self.request("POST", self.path(info, namespace=ns), body=obj, params=params)
        return result

    async def update(
        self, info: ResourceInfo, obj: Mapping[str, Any], *, subresource: str | None = None
    ) -> Obj:
        m = _meta(obj)
        result: Obj = await self.request(
            "PUT",
            self.path(info, namespace=m.get("namespace"), name=m["name"], subresource=subresource),
            body=obj,
        )
        return result

    async def update_status(self, info: ResourceInfo, obj: Mapping[str, Any]) -> Obj:
        return await self.update(info, obj, subresource="status")

    async def patch(
        self,
        info: ResourceInfo,
        name: str,
        patch: Any,
        *,
        namespace: str | None = None,
        content_type: str = MERGE_PATCH,
        subresource: str | None = None,
        field_manager: str | None = None,
        force: bool | None = None,
    ) -> Obj:
        params: dict[str, str] = {}
        if field_manager:
            params["fieldManager"] = field_manager
        if force is not None:
            params["force"] = "true" if force else "false"
        result: Obj = await self.request(
            "PATCH",
            self.path(info, namespace=namespace, name=name, subresource=subresource),
            body=patch,
            content_type=content_type,
            params=params,
        )
        return result

    async def delete(
        self,
        info: ResourceInfo,
        name: str,
        *,
        namespace: str | None = None,
        preconditions: Mapping[str, str] | None = None,
        propagation_policy: str | None = None,
        grace_period_seconds: int | None = None,
    ) -> Obj:
        """DELETE; returns what the server returned (the object, or a Success Status)."""
        opts: dict[str, Any] = {"kind": "DeleteOptions", "apiVersion": "v1"}
        if preconditions:
            opts["preconditions"] = dict(preconditions)
        if propagation_policy:
            opts["propagationPolicy"] = propagation_policy
        if grace_period_seconds is not None:
            opts["gracePeriodSeconds"] = grace_period_seconds
        result: Obj = await self.request("DELETE", self.path(info, namespace=namespace, name=name), body=opts)
        return result

    async def watch(
        self,
        info: ResourceInfo,
        *,
        namespace: str | None = None,
        resource_version: str | None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        allow_bookmarks: bool = True,
        timeout_seconds: int | None = None,
    ) -> AsyncIterator[Obj]:
        """Decoded watch events until the server ends the stream (or raises on an ERROR event)."""
        params: dict[str, str] = {"watch": "true"}
        if resource_version is not None:
            params["resourceVersion"] = resource_version
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        if allow_bookmarks:
            params["allowWatchBookmarks"] = "true"
        if timeout_seconds is not None:
            params["timeoutSeconds"] = str(timeout_seconds)
        path = self.path(info, namespace=namespace)
        session = self._get_session()
        kw: dict[str, Any] = {}
        if self.config.tls_server_name:
            kw["server_hostname"] = self.config.tls_server_name
        try:
            async with session.get(
                self.config.server + path,
                params=params,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self.request_timeout),
                **kw,
            ) as resp:
                if resp.status >= 400:
                    raise self._error(resp.status, await resp.read(), resp.headers.get("Content-Type", ""))
                lines = LineSplitter()
                async for chunk in resp.content.iter_any():
                    for line in lines.feed(chunk):
                        yield self._event(line)
                rest = lines.end()
                if rest is not None:
                    yield self._event(rest)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise TransportError(f"watch {path}: {exc!r}") from exc

    @staticmethod
    def _event(line: bytes) -> Obj:
        try:
            event = codec.loads(line)
        except codec.DecodeError as exc:
            raise TransportError(f"undecodable watch event: {exc}") from exc
        if not isinstance(event, dict):
            raise TransportError(f"watch event is not an object: {line[:200]!r}")
        if event.get("type") == "ERROR":
            obj = event.get("object")
            if not isinstance(obj, dict):
                obj = {"kind": "Status", "status": "Failure", "message": str(obj), "code": 500}
            raise error_from_status(obj)
        return event
