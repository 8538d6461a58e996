"""Run the apiserver: open the store, make the TLS material, listen, write the kubeconfig,
serve until SIGTERM/SIGINT, then shut down gracefully (watches end, store closed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from kubesvc.aio.gctune import tune_gc
from kubesvc.apiserver import pki
from kubesvc.apiserver.app import STATE, build_app
from kubesvc.apiserver.config import ServerConfig

log = logging.getLogger("kubesvc.apiserver")
# Lifecycle lines ("serving", "stopped") are written whatever --log-level says: tools wait for them.
lifecycle = logging.getLogger("kubesvc.apiserver.lifecycle")
lifecycle.setLevel(logging.INFO)

_STD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        d: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for k, v in record.__dict__.items():
            if k not in _STD_ATTRS and not k.startswith("_"):
                d[k] = v
        if record.exc_info:
            d["exc"] = self.formatException(record.exc_info)
        return json.dumps(d, default=str)


def setup_logging(level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _bind(host: str, port: int) -> socket.socket:
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _, _, _, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    sock.bind(addr)
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int) -> str:
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def _open_store(config: ServerConfig) -> Any:
    from kubesvc.storage import open_store

    if config.storage_backend == "sqlite":
        return open_store("sqlite", data_dir=config.data_dir)
    return open_store(config.storage_backend, data_dir=config.data_dir)


async def _compactor(store: Any, keep: int, interval: float) -> None:
    """Keep at most `keep` revisions of history (`--storage-compaction-revisions`)."""
    while True:
        await asyncio.sleep(interval)
        try:
            current = await store.current_revision()
            target = current - keep
            if target > await store.compacted_revision():
                await store.compact(target)
        except Exception:
            log.exception("compaction failed")


async def serve(config: ServerConfig, *, ready: asyncio.Event | None = None) -> None:
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        data_dir.chmod(0o700)
    users = pki.ensure_tokens(data_dir)
    cert, key = pki.ensure_serving_cert(data_dir, [config.bind_address, config.public_address])
    ssl_ctx = pki.server_ssl_context(cert, key)
    sock = _bind(config.bind_address, config.secure_port)
    port = sock.getsockname()[1]
    config.secure_port = port
    store = _open_store(config)
    app = build_app(config, store, users=users, server_address=f"{config.public_address}:{port}")
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=5.0)
    await runner.setup()
    site = web.SockSite(runner, sock, ssl_context=ssl_ctx)
    await site.start()
    url = _url(config.public_address, port)
    kubeconfig = pki.write_kubeconfig(data_dir, url, pki.token_for(users, pki.ADMIN_USER))
    state = app[STATE]
    if config.storage_compaction_revisions > 0:
        state.background.append(
            asyncio.create_task(
                _compactor(store, config.storage_compaction_revisions, config.storage_compaction_interval)
            )
        )
    elif hasattr(store, "start_background_compaction"):
        # 0 = the store's own policy: compact every interval, keeping the last 10,000 revisions.
        store.start_background_compaction(interval_s=config.storage_compaction_interval)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    lifecycle.info(
        "serving",
        extra={"url": url, "port": port, "kubeconfig": str(kubeconfig), "storage": config.storage_backend},
    )
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        lifecycle.info("shutting down")
        state.shutdown.set()
        await runner.cleanup()
        with contextlib.suppress(Exception):
            await store.close()
        lifecycle.info("stopped")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop when installed (libuv's loop and its C TLS transport cost a create about a third
    less CPU than asyncio's); `KUBESVC_EVENT_LOOP=asyncio` forces the standard loop."""
    if os.environ.get("KUBESVC_EVENT_LOOP", "") == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(config: ServerConfig) -> None:
    setup_logging(config.log_level)
    tune_gc()
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve(config))
