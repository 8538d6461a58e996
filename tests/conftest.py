"""Shared fixtures.

`apiserver`: a REAL apiserver subprocess (sqlite backend, free loopback port), one per test
module; use distinct namespaces/names per test.  `apiserver_factory(*flags, backend=...)` starts
extra servers (own data dirs) for a test and stops them afterwards.  Both are `ApiServer`
objects (tests/support/apiserver.py): `.url`, `.admin_token`, `.readonly_token`, `.ca_file`,
`.kubeconfig`, `.data_dir`, `.pid`, `.session()`, `.call()`, `.stop()`, `.restart()`.
`apiserver_inprocess`: the same surface from a thread of the test process (memory store).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import kubernetes.client.rest
import pytest
from hypothesis import settings

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.inprocess import start_inprocess_apiserver

# Property tests assert behaviour, not speed: hypothesis's per-example wall-clock deadline only
# measures how loaded the (2-core, shared) machine is, so it is off for the whole suite.
settings.register_profile("kubesvc", deadline=None)
settings.load_profile("kubesvc")

# The official Python client waits forever for an answer unless told otherwise: in tests, a
# request that is never answered fails after a minute instead of stalling the run.
_CLIENT_TIMEOUT = 60.0
_rest_request = kubernetes.client.rest.RESTClientObject.request


def _bounded_request(self: Any, *args: Any, **kwargs: Any) -> Any:
    if kwargs.get("_request_timeout") is None:
        kwargs["_request_timeout"] = _CLIENT_TIMEOUT
    return _rest_request(self, *args, **kwargs)


kubernetes.client.rest.RESTClientObject.request = _bounded_request  # type: ignore[method-assign]

# Every server of the suite is on loopback.  The official Python client sends its requests
# through the proxy of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY when the environment names one (as CI
# machines often do), loopback included unless NO_PROXY lists it: a proxy that cannot reach the
# test's 127.0.0.1 leaves each request waiting.  (kubectl, being Go, never proxies loopback.)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
for _var in ("NO_PROXY", "no_proxy"):
    _have = [h.strip() for h in os.environ.get(_var, "").split(",") if h.strip()]
    os.environ[_var] = ",".join(_have + [h for h in _LOOPBACK if h not in _have])

# The storage backend of the shared `apiserver` fixture (sqlite is the product default).
BACKEND = os.environ.get("KUBESVC_TEST_STORAGE", "sqlite")


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(tmp_path_factory.mktemp("apiserver") / "data", backend=BACKEND)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def apiserver_inprocess(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The same API served from a thread of the test process (memory store): fast start,
    but no process to restart or kill."""
    srv = start_inprocess_apiserver(tmp_path_factory.mktemp("apiserver-inproc") / "data")
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def apiserver_factory(tmp_path: Path) -> Iterator[Callable[..., ApiServer]]:
    started: list[ApiServer] = []

    def make(*flags: str, backend: str = BACKEND, data_dir: Path | None = None, **kw: Any) -> ApiServer:
        d = data_dir or tmp_path / f"data{len(started)}"
        srv = start_apiserver(d, *flags, backend=backend, **kw)
        started.append(srv)
        return srv

    try:
        yield make
    finally:
        for srv in started:
            srv.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (`CI=true`) a missing tool is a failure, never a silent skip."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and _STACKS in item.stash:
        report.sections.append(("stacks of the test's child processes (py-spy)", item.stash[_STACKS]))
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


# ------------------------------------------------------------------------------ hang diagnosis
# pytest-timeout (pyproject: `timeout`) fails a test that runs too long and prints the test
# process's own stacks.  Shortly before that, this watchdog also records where every process
# the test started (apiservers, managers) is, with py-spy, and attaches it to the report.

_STACKS = pytest.StashKey[str]()


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _dump_children(item: pytest.Item) -> None:
    parts = []
    for pid in _descendants(os.getpid()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        parts.append(f"--- pid {pid}: {cmd}")
        if "python" in cmd:
            try:
                dump = subprocess.run(
                    [os.path.join(os.path.dirname(sys.executable), "py-spy"), "dump", "--pid", str(pid)],
                    capture_output=True,
                    text=True,
                    timeout=20,
                )
                parts.append(dump.stdout + dump.stderr)
            except (OSError, subprocess.TimeoutExpired) as exc:
                parts.append(f"(py-spy: {exc})")
    item.stash[_STACKS] = "\n".join(parts) or "(no child processes)"


def _timeout_of(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker is not None and marker.args:
        return float(marker.args[0])
    return float(item.config.getini("timeout") or 0)


# The last resort.  The signal method fails a hung test only when its main thread gets back to
# Python code, and nothing bounds a teardown that hangs after that failure: a test still running
# HARD_GRACE seconds past its timeout has its stacks (all threads, and the child processes')
# written to the run's log, its child processes killed and its worker process ended.  xdist
# reports "worker crashed" for that test, starts a new worker and the run goes on.
HARD_GRACE = float(os.environ.get("KUBESVC_TEST_HARD_GRACE", "90"))


def _hard_stop(item: pytest.Item, limit: float) -> None:
    with contextlib.suppress(Exception):
        capman = item.config.pluginmanager.getplugin("capturemanager")
        if capman is not None:
            capman.suspend_global_capture(in_=True)
    err = sys.__stderr__ or sys.stderr
    with contextlib.suppress(Exception):
        err.write(
            f"\n{'+' * 30} {item.nodeid} still runs {limit + HARD_GRACE:.0f}s after it started "
            f"(timeout {limit:.0f}s): its stacks, then its worker ends {'+' * 30}\n"
        )
        err.flush()
        faulthandler.dump_traceback(file=err, all_threads=True)
        if _STACKS not in item.stash:
            _dump_children(item)
        err.write(item.stash.get(_STACKS, "") + "\n")
        err.flush()
    for pid in _descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    os._exit(3)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    limit = _timeout_of(item)
    timers = []
    if limit > 30:
        timers.append(threading.Timer(limit - 25, _dump_children, args=(item,)))
    if limit > 0:
        timers.append(threading.Timer(limit + HARD_GRACE, _hard_stop, args=(item, limit)))
    for timer in timers:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        for timer in timers:
            timer.cancel()
