"""`kubesvc up`: the whole control plane on its embedded defaults, in one command.

The apiserver runs in this process; the controller-manager runs as a child process that talks to
it over HTTPS with the admin kubeconfig, exactly as it would on another machine.  The child is
restarted (with backoff) if it dies, and stopped (SIGTERM, then SIGKILL) when `up` ends.
Next issues add the proxy, DNS and node agents here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass

from kubesvc.aio.gctune import tune_gc
from kubesvc.apiserver.config import ServerConfig
from kubesvc.apiserver.server import serve, setup_logging


@dataclass
class Child:
    name: str
    argv: list[str]
    proc: asyncio.subprocess.Process | None = None


async def _supervise(child: Child, stop: asyncio.Event) -> None:
    """Run `child` until `stop`; restart it when it exits, waiting longer each time (max 30 s)."""
    delay = 1.0
    while not stop.is_set():
        child.proc = await asyncio.create_subprocess_exec(*child.argv)
        print(f"started {child.name} (pid {child.proc.pid})", flush=True)
        waiter = asyncio.create_task(child.proc.wait())
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            waiter.cancel()
            return
        stopper.cancel()
        # Ctrl-C reaches the whole process group: the child may exit a moment before our own
        # handler runs.  That is a shutdown, not a crash to restart from.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)
        if stop.is_set():
            return
        print(f"{child.name} exited with {child.proc.returncode}; restarting in {delay:.0f}s", flush=True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)
        delay = min(delay * 2, 30.0)


async def _terminate(child: Child, grace: float = 5.0) -> None:
    proc = child.proc
    if proc is None or proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def run_up(
    config: ServerConfig, *, controllers: bool = True, controller_manager_args: list[str] | None = None
) -> None:
    ready = asyncio.Event()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    apiserver = asyncio.create_task(serve(config, ready=ready))
    started = asyncio.create_task(ready.wait())
    done, _ = await asyncio.wait({apiserver, started}, return_when=asyncio.FIRST_COMPLETED)
    if apiserver in done:
        started.cancel()
        apiserver.result()  # re-raise the apiserver's start-up error
        return

    kubeconfig = os.path.abspath(os.path.join(config.data_dir, "kubeconfig"))
    children: list[Child] = []
    if controllers:
        children.append(
            Child(
                "controller-manager",
                [
                    sys.executable,
                    "-m",
                    "kubesvc",
                    "controller-manager",
                    "--kubeconfig",
                    kubeconfig,
                    *(controller_manager_args or []),
                ],
            )
        )
    supervisors = [asyncio.create_task(_supervise(c, stop)) for c in children]

    print(f"kubesvc is up: https://{config.public_address}:{config.secure_port}", flush=True)
    print(f"kubeconfig: {kubeconfig}", flush=True)
    print(f"try: KUBECONFIG={kubeconfig} kubectl get svc -A", flush=True)

    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({apiserver, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    for s in supervisors:
        await s
    for c in children:
        await _terminate(c)
    if not apiserver.done():
        apiserver.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await apiserver


def up(
    config: ServerConfig, *, controllers: bool = True, controller_manager_args: list[str] | None = None
) -> int:
    # With a controller-manager, its namespace controller finishes namespace deletion.
    config.builtin_namespace_finalizer = not controllers
    setup_logging(config.log_level)
    tune_gc()
    asyncio.run(run_up(config, controllers=controllers, controller_manager_args=controller_manager_args))
    return 0
