"""Shared fixtures.

`apiserver`: a REAL apiserver subprocess (sqlite backend, free loopback port), one per test
module; use distinct namespaces/names per test.  `apiserver_factory(*flags, backend=...)` starts
extra servers (own data dirs) for a test and stops them afterwards.  Both are `ApiServer`
objects (tests/support/apiserver.py): `.url`, `.admin_token`, `.readonly_token`, `.ca_file`,
`.kubeconfig`, `.data_dir`, `.pid`, `.session()`, `.call()`, `.stop()`, `.restart()`.
`apiserver_inprocess`: the same surface from a thread of the test process (memory store).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.inprocess import start_inprocess_apiserver

# Property tests assert behaviour, not speed: hypothesis's per-example wall-clock deadline only
# measures how loaded the (2-core, shared) machine is, so it is off for the whole suite.
settings.register_profile("kubesvc", deadline=None)
settings.load_profile("kubesvc")

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
    if os.environ.get("CI") == "true" and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"
