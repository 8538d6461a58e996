"""A `kubesvc controller-manager` subprocess for the benchmarks: start, read /metrics, memory, stop.

The benchmarks measure the real binary (uvloop, the trimming informer factory, GC tuning),
talking to the apiserver over HTTPS as in a deployment, not a controller built inside the
benchmark process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in bytes."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) * 1024
    return out


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ManagerProcess:
    """`python -m kubesvc controller-manager --leader-elect=false` with /metrics on a free port."""

    def __init__(self, kubeconfig: str, controllers: str = "*", *extra: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubesvc",
                "controller-manager",
                f"--kubeconfig={kubeconfig}",
                "--leader-elect=false",
                f"--controllers={controllers}",
                f"--metrics-bind-address=127.0.0.1:{self.port}",
                *extra,
            ],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def metrics(self) -> dict[str, float]:
        """The manager's /metrics as {"name{labels}": value} (a busy manager answers late)."""
        timeout = aiohttp.ClientTimeout(total=3600)
        async with (
            aiohttp.ClientSession(timeout=timeout) as s,
            s.get(f"http://127.0.0.1:{self.port}/metrics") as r,
        ):
            text = await r.text()
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, _, value = line.rpartition(" ")
                with contextlib.suppress(ValueError):
                    out[name] = float(value)
        return out

    async def wait_cached(self, resource: str, count: int, timeout: float = 3600) -> dict[str, float]:
        """Until the manager's informer for `resource` holds at least `count` objects."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        key = f'kubesvc_controller_manager_informer_objects{{resource="{resource}"}}'
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"controller-manager exited with {self.proc.returncode}")
            try:
                m = await self.metrics()
                if m.get(key, -1) >= count:
                    return m
            except aiohttp.ClientError:
                pass
            if loop.time() > deadline:
                raise TimeoutError(f"controller-manager did not cache {count} {resource}")
            await asyncio.sleep(0.2)

    def memory(self) -> dict[str, int]:
        return proc_memory(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def counter(m: dict[str, float], name: str, **labels: str) -> float:
    """A sample of `name` with exactly these labels (0 when absent)."""
    inner = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return m.get(f"{name}{{{inner}}}" if inner else name, 0.0)
