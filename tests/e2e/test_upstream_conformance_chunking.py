"""Upstream's API chunking conformance tests (kubernetes/kubernetes test/e2e/apimachinery/
chunking.go, "Servers with support for API chunking"), ported to the official Python client.

Upstream lists 400 PodTemplates, which we do not serve; these ports list 400 Endpoints (plain
namespaced objects that nothing else writes when no Service selects them).  The server keeps
a short history (compaction of all but the last few revisions, several times a second), so
that a continue token's revision is compacted away within a second instead of the five
minutes of etcd's default compaction interval.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.apiserver import ApiServer, start_apiserver

TOTAL = 400  # numberOfTotalResources


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(
        tmp_path_factory.mktemp("conformance-chunking") / "data",
        "--storage-compaction-revisions",
        "5",
        "--storage-compaction-interval",
        "0.2",
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def core(server: ApiServer) -> Iterator[client.CoreV1Api]:
    api_client = config.new_client_from_config(config_file=str(server.kubeconfig))
    try:
        yield client.CoreV1Api(api_client)
    finally:
        api_client.close()


@pytest.fixture
def ns(core: client.CoreV1Api) -> str:
    """The BeforeEach: a namespace holding template-0000 ... template-0399, created by 20
    workers in parallel (workqueue.ParallelizeUntil)."""
    name = f"chunking-{uuid.uuid4().hex[:5]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))

    def create(i: int) -> None:
        for _ in range(4):
            try:
                core.create_namespaced_endpoints(
                    name, client.V1Endpoints(metadata=client.V1ObjectMeta(name=f"template-{i:04d}"))
                )
                return
            except ApiException:
                continue
        raise AssertionError(f"unable to create template {i}")

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(create, range(TOTAL)))
    return name


def _check_remaining(page: client.V1EndpointsList, found_before: int) -> None:
    """The RemainingItemCount checks: none on the last page, else what is left exactly."""
    if not page.metadata._continue:
        assert page.metadata.remaining_item_count is None
    else:
        assert page.metadata.remaining_item_count is not None
        assert page.metadata.remaining_item_count + len(page.items) + found_before == TOTAL


def test_should_return_chunks_of_results_for_list_calls(core: client.CoreV1Api, ns: str) -> None:
    """apimachinery/chunking.go: "should return chunks of results for list calls"."""
    rng = random.Random(11)
    for _ in range(3):
        found = 0
        last_rv = ""
        token = None
        while True:
            limit = rng.randrange(TOTAL // 10) + 1
            page = core.list_namespaced_endpoints(ns, limit=limit, _continue=token)
            assert len(page.items) <= limit
            if not last_rv:
                last_rv = page.metadata.resource_version
            assert page.metadata.resource_version == last_rv
            _check_remaining(page, found)
            for item in page.items:
                assert item.metadata.name == f"template-{found:04d}"
                found += 1
            token = page.metadata._continue
            if not token:
                break
        assert found == TOTAL
    # retrieving those results all at once
    assert len(core.list_namespaced_endpoints(ns, limit=TOTAL + 1).items) == TOTAL


def test_should_support_continue_listing_from_the_last_key_if_the_original_version_has_been_compacted_away(
    core: client.CoreV1Api, ns: str
) -> None:
    """apimachinery/chunking.go: "should support continue listing from the last key if the
    original version has been compacted away, though the list is inconsistent [Slow]".  The
    writes that move history on happen in another namespace (upstream relies on the rest of
    the cluster and etcd's periodic compaction)."""
    one_tenth = TOTAL // 10
    page = core.list_namespaced_endpoints(ns, limit=one_tenth)
    first_token = page.metadata._continue
    first_rv = page.metadata.resource_version
    _check_remaining(page, 0)

    # retrieving the second page until the token expires
    other = f"{ns}-writes"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=other)))
    inconsistent = ""
    deadline = time.monotonic() + 90
    i = 0
    while not inconsistent:
        assert time.monotonic() < deadline, f"token {first_token} never expired"
        core.create_namespaced_endpoints(
            other, client.V1Endpoints(metadata=client.V1ObjectMeta(name=f"w-{i}"))
        )
        i += 1
        try:
            core.list_namespaced_endpoints(ns, limit=one_tenth, _continue=first_token)
        except ApiException as exc:
            assert exc.status == 410, exc
            status = json.loads(exc.body)
            assert status["reason"] == "Expired"
            inconsistent = status["metadata"].get("continue", "")
            assert inconsistent, "expect non empty continue token"
        else:
            time.sleep(0.1)

    # retrieving the second page again with the token received with the error message
    page = core.list_namespaced_endpoints(ns, limit=one_tenth, _continue=inconsistent)
    assert page.metadata.resource_version != first_rv
    assert len(page.items) == one_tenth
    found = one_tenth
    _check_remaining(page, found)
    for item in page.items:
        assert item.metadata.name == f"template-{found:04d}"
        found += 1

    # retrieving all remaining pages
    token = page.metadata._continue
    last_rv = page.metadata.resource_version
    while True:
        page = core.list_namespaced_endpoints(ns, limit=one_tenth, _continue=token)
        _check_remaining(page, found)
        assert len(page.items) <= one_tenth
        assert page.metadata.resource_version == last_rv
        for item in page.items:
            assert item.metadata.name == f"template-{found:04d}"
            found += 1
        token = page.metadata._continue
        if not token:
            break
    assert found == TOTAL
