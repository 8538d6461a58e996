"""The suite talks to its servers on loopback directly, even on a machine whose environment
names an HTTP(S) proxy (tests/conftest.py): the official Python client would otherwise send
every request of the e2e tests to that proxy, which cannot reach the test's 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from kubernetes import client, config

from tests.support.apiserver import ApiServer


@pytest.fixture
def silent_proxy() -> Iterator[str]:
    """A "proxy" on loopback that accepts connections and never answers."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        srv.close()
        for conn in accepted:
            conn.close()


def test_the_python_client_reaches_a_loopback_server_past_an_environment_proxy(
    apiserver_inprocess: ApiServer, silent_proxy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(var, silent_proxy)
    api = config.new_client_from_config(config_file=str(apiserver_inprocess.kubeconfig))
    try:
        assert api.configuration.proxy == silent_proxy  # the client did read the environment
        names = client.CoreV1Api(api).list_namespace(_request_timeout=10)
        assert "default" in [ns.metadata.name for ns in names.items]
    finally:
        api.close()
