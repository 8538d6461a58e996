"""The fixtures of the test/cmd ports: each module gets its own apiserver (`server`); each test
its own namespace, a kubectl pinned to it (`kubectl`) and one that takes it from its kubeconfig's
context (`ctx_kubectl`).  Helpers and manifests are in `common.py`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.upstream_kubectl.common import (
    kubectl_in,
    kubectl_with_context,
    new_namespace,
    run_server,
)
from tests.support.apiserver import ApiServer
from tests.support.kubectl import Kubectl


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    yield from run_server(tmp_path_factory)


@pytest.fixture
def namespace(server: ApiServer) -> str:
    return new_namespace(server)


@pytest.fixture
def kubectl(server: ApiServer, namespace: str, tmp_path: Path) -> Kubectl:
    return kubectl_in(server, namespace, tmp_path)


@pytest.fixture
def ctx_kubectl(server: ApiServer, namespace: str, tmp_path: Path) -> Kubectl:
    return kubectl_with_context(server, namespace, tmp_path)
