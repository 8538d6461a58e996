"""Fixtures shared by the e2e modules that talk to one module-scoped server of their own.

A module defines `server` (an ApiServer started with the flags it needs); these build on it:
`api` (the official Python client, from the server's kubeconfig), `core` (CoreV1Api) and
`manager` (the controller-manager against that server, without leader election), `ns` (the
e2e framework's per-test namespace) and `node` (a Ready Node for the Pods the tests 'run').
A module overrides any of them by defining its own.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from kubernetes import client, config

from tests.support.apiserver import ApiServer
from tests.support.manager import ControllerManager, start_controller_manager


@pytest.fixture(scope="module")
def api(server: ApiServer) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture(scope="module")
def core(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


@pytest.fixture(scope="module")
def manager(server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControllerManager]:
    log = tmp_path_factory.mktemp("controller-manager") / "controller-manager.log"
    cm = start_controller_manager(server.kubeconfig, log, "--leader-elect=false", "--metrics-bind-address=0")
    try:
        yield cm
    finally:
        cm.stop()


@pytest.fixture
def ns(core: client.CoreV1Api, request: pytest.FixtureRequest) -> str:
    """The e2e framework's per-test namespace: `<base>-<random>`."""
    base = re.sub(r"[^a-z0-9]+", "-", request.node.name.removeprefix("test_").lower())[:40].strip("-")
    name = f"{base}-{uuid.uuid4().hex[:5]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    return name


@pytest.fixture(scope="module")
def node(core: client.CoreV1Api) -> str:
    """A Node for the Pods the tests 'run' (nothing runs them: the tests write their status)."""
    name = "e2e-node"
    core.create_node(
        client.V1Node(
            metadata=client.V1ObjectMeta(name=name),
            status=client.V1NodeStatus(
                addresses=[client.V1NodeAddress(type="InternalIP", address="192.0.2.50")],
                conditions=[client.V1NodeCondition(type="Ready", status="True")],
            ),
        )
    )
    return name
