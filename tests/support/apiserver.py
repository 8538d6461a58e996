"""Start a REAL `python -m kubesvc apiserver` subprocess on a free loopback port and talk to it.

    srv = start_apiserver(tmp_path / "data")          # sqlite by default; backend="memory" is faster
    status, body = srv.call("GET", "/api/v1/namespaces")            # sync, admin token
    async with srv.session() as s:                                  # aiohttp, base_url = srv.url
        async with s.get("/api/v1/namespaces/default/services") as r: ...
    srv.stop()                                                      # SIGTERM, then SIGKILL, by PID

`srv.kubeconfig` is the generated admin kubeconfig (kubectl and the `kubernetes` client use it).
"""

from __future__ import annotations

import contextlib
import csv
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parents[2]


@dataclass
class ApiServer:
    data_dir: Path
    args: list[str]
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    log_path: Path = field(default_factory=Path)
    admin_token: str = ""
    readonly_token: str = ""

    # -- addresses and credentials ----------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> Path:
        return self.data_dir / "ca.crt"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))

    def logs(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- clients ----------------------------------------------------------------------------
    def session(self, token: str | None = "admin", **kwargs: Any) -> aiohttp.ClientSession:
        """An aiohttp session with base_url = the server, the CA trusted and a bearer token
        (`"admin"` (default), `"readonly"`, None for no token, or a literal token)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        tok = self._token(token)
        if tok:
            headers["Authorization"] = f"Bearer {tok}"
        connector = aiohttp.TCPConnector(ssl=self.ssl_context())
        # aiohttp's default gives a request 5 minutes (the suite's whole per-test budget): a
        # server that stops answering fails the request sooner, with its own message.  A watch
        # may stay open as long as the test likes, as long as something arrives every 2 min.
        kwargs.setdefault("timeout", aiohttp.ClientTimeout(total=None, sock_connect=30, sock_read=120))
        return aiohttp.ClientSession(base_url=self.url, headers=headers, connector=connector, **kwargs)

    def _token(self, token: str | None) -> str | None:
        if token == "admin":
            return self.admin_token
        if token == "readonly":
            return self.readonly_token
        return token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = "admin",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float = 60.0,
    ) -> tuple[int, Any, dict[str, str]]:
        """A blocking request; returns (status, decoded JSON body or raw bytes, headers)."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, context=self.ssl_context(), timeout=timeout
        )
        hdrs = {"Accept": "application/json"}
        hdrs.update(headers or {})
        tok = self._token(token)
        if tok:
            hdrs["Authorization"] = f"Bearer {tok}"
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", content_type)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            raw = resp.read()
            resp_headers = {k: v for k, v in resp.getheaders()}
            warnings = resp.headers.get_all("Warning") or []
            if warnings:
                resp_headers["Warning"] = "\n".join(warnings)
        finally:
            conn.close()
        try:
            decoded: Any = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw
        return resp.status, decoded, resp_headers

    # -- lifecycle --------------------------------------------------------------------------
    def start(self, timeout: float = 60.0) -> ApiServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-apiserver.log"
        log = self.log_path.open("ab")
        start_offset = log.tell()
        cmd = [sys.executable, "-m", "kubesvc", "apiserver", "--data-dir", str(self.data_dir), *self.args]
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO), env=self.env, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"apiserver exited with {self.proc.returncode}:\n{self.logs()[start_offset:]}"
                )
            text = self.logs()[start_offset:]
            for line in text.splitlines():
                if '"msg": "serving"' in line:
                    self.port = int(json.loads(line)["port"])
                    self._load_tokens()
                    return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"apiserver did not become ready in {timeout}s:\n{self.logs()[start_offset:]}")

    def _load_tokens(self) -> None:
        with (self.data_dir / "tokens.csv").open(newline="") as f:
            for row in csv.reader(f):
                if len(row) >= 2 and row[1] == "admin":
                    self.admin_token = row[0]
                elif len(row) >= 2 and row[1] == "readonly":
                    self.readonly_token = row[0]

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM (graceful), then SIGKILL after `timeout`.  Returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL (a crash)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def restart(self, *, kill: bool = False, timeout: float = 60.0) -> ApiServer:
        """Stop (or kill -9) and start again on the same data dir (a new port unless fixed)."""
        if kill:
            self.kill()
        else:
            self.stop()
        return self.start(timeout)

    def __enter__(self) -> ApiServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_apiserver(
    data_dir: Path | str,
    *extra_args: str,
    backend: str = "sqlite",
    port: int = 0,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> ApiServer:
    """Start `python -m kubesvc apiserver` on 127.0.0.1 (port 0 = free port) and wait until it
    serves.  `extra_args` are more flags (e.g. "--service-cluster-ip-range", "10.0.0.0/24")."""
    args = [
        "--bind-address",
        "127.0.0.1",
        "--secure-port",
        str(port),
        "--storage-backend",
        backend,
        *extra_args,
    ]
    full_env = dict(os.environ)
    full_env.setdefault("PYTHONUNBUFFERED", "1")
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    srv = ApiServer(Path(data_dir), args, full_env)
    return srv.start(timeout)
