"""The apiserver in a thread of the test process (its own event loop): the same HTTPS + token
surface as the subprocess harness, without the interpreter start-up cost.

    srv = start_inprocess_apiserver(tmp_path / "data")      # memory store by default
    srv.call("GET", "/api/v1/namespaces"); async with srv.session() as s: ...
    srv.stop()

Use the subprocess `apiserver` fixture for anything about processes (restart, crash, SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from pathlib import Path
from typing import Any

from aiohttp import web

from kubesvc.apiserver import pki
from kubesvc.apiserver.app import build_app
from kubesvc.apiserver.config import ServerConfig
from kubesvc.apiserver.server import _bind
from kubesvc.storage import open_store
from tests.support.apiserver import ApiServer


@dataclasses.dataclass
class InProcessApiServer(ApiServer):
    config: ServerConfig | None = None
    _thread: threading.Thread | None = None
    _loop: asyncio.AbstractEventLoop | None = None
    _stop: asyncio.Event | None = None

    @property
    def pid(self) -> int:
        import os

        return os.getpid()

    def start(self, timeout: float = 30.0) -> InProcessApiServer:
        assert self.config is not None
        config = self.config
        self.data_dir.mkdir(parents=True, exist_ok=True)
        users = pki.ensure_tokens(self.data_dir)
        cert, key = pki.ensure_serving_cert(self.data_dir, [config.bind_address])
        ssl_ctx = pki.server_ssl_context(cert, key)
        sock = _bind(config.bind_address, config.secure_port)
        self.port = sock.getsockname()[1]
        config.secure_port = self.port
        ready = threading.Event()
        errors: list[BaseException] = []

        async def main() -> None:
            self._stop = asyncio.Event()
            store = open_store(config.storage_backend, data_dir=str(self.data_dir))
            app = build_app(config, store, users=users, server_address=f"127.0.0.1:{self.port}")
            runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
            await runner.setup()
            await web.SockSite(runner, sock, ssl_context=ssl_ctx).start()
            pki.write_kubeconfig(self.data_dir, self.url, pki.token_for(users, pki.ADMIN_USER))
            ready.set()
            try:
                await self._stop.wait()
            finally:
                await runner.cleanup()
                with contextlib.suppress(Exception):
                    await store.close()

        def thread_main() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(main())
            except BaseException as exc:
                errors.append(exc)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=thread_main, name="inprocess-apiserver", daemon=True)
        self._thread.start()
        if not ready.wait(timeout) or errors:
            raise RuntimeError(f"in-process apiserver failed to start: {errors!r}")
        self._load_tokens()
        return self

    def stop(self, timeout: float = 10.0) -> int | None:
        if self._loop is not None and self._stop is not None and self._thread and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)
        return 0

    def kill(self) -> None:
        self.stop()

    def logs(self) -> str:
        return ""


def start_inprocess_apiserver(
    data_dir: Path | str, *, backend: str = "memory", **config: Any
) -> InProcessApiServer:
    """Start the apiserver in a thread on 127.0.0.1:<free port>; `config` overrides
    `ServerConfig` fields (e.g. `service_cluster_ip_range="10.0.0.0/24"`)."""
    cfg = ServerConfig(
        data_dir=str(data_dir), bind_address="127.0.0.1", secure_port=0, storage_backend=backend, **config
    )
    srv = InProcessApiServer(Path(data_dir), [], {}, config=cfg)
    return srv.start()
