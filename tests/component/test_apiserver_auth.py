"""Security by default: HTTPS only, bearer tokens (401/403), generated CA/cert/tokens/kubeconfig
reused across restarts, graceful SIGTERM."""

from __future__ import annotations

import http.client
import ssl
import stat
from typing import Any

import yaml

from tests.support.apiserver import ApiServer

UNAUTHORIZED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "message": "Unauthorized",
    "reason": "Unauthorized",
    "code": 401,
}


def test_missing_or_bad_token_is_401(apiserver: ApiServer) -> None:
    st, body, _ = apiserver.call("GET", "/api/v1/namespaces", token=None)
    assert (st, body) == (401, UNAUTHORIZED)
    st, body, _ = apiserver.call("GET", "/api/v1/namespaces", token="not-a-token")
    assert (st, body) == (401, UNAUTHORIZED)
    st, body, _ = apiserver.call("GET", "/api", headers={"Authorization": "Basic Zm9vOmJhcg=="}, token=None)
    assert st == 401


def test_readonly_token_reads_but_cannot_write(apiserver: ApiServer) -> None:
    st, _, _ = apiserver.call("GET", "/api/v1/namespaces/default/services", token="readonly")
    assert st == 200
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "ro"},
        "spec": {"ports": [{"port": 80}]},
    }
    st, resp, _ = apiserver.call("POST", "/api/v1/namespaces/default/services", body, token="readonly")
    assert st == 403
    assert resp["reason"] == "Forbidden"
    assert resp["message"] == (
        'services is forbidden: User "readonly" cannot create resource "services" in API group "" '
        'in the namespace "default"'
    )
    st, resp, _ = apiserver.call("DELETE", "/api/v1/nodes/x", token="readonly")
    assert st == 403
    assert resp["message"] == (
        'nodes "x" is forbidden: User "readonly" cannot delete resource "nodes" in API group "" at the cluster scope'
    )
    assert apiserver.call("GET", "/api/v1/namespaces/default/services/ro")[0] == 404


def test_plain_http_is_refused(apiserver: ApiServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", apiserver.port, timeout=5)
    try:
        conn.request("GET", "/version")
        resp = conn.getresponse()
        # aiohttp over TLS answers garbage to plain HTTP with 400 or a closed connection.
        assert resp.status == 400 or resp.status >= 400
    except (http.client.HTTPException, ConnectionError, OSError):
        pass
    finally:
        conn.close()


def test_certificate_verifies_for_loopback_names(apiserver: ApiServer) -> None:
    ctx = ssl.create_default_context(cafile=str(apiserver.ca_file))
    for host in ("127.0.0.1", "localhost"):
        conn = http.client.HTTPSConnection(host, apiserver.port, context=ctx, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()


def test_kubeconfig(apiserver: ApiServer) -> None:
    mode = stat.S_IMODE(apiserver.kubeconfig.stat().st_mode)
    assert mode == 0o600
    cfg: dict[str, Any] = yaml.safe_load(apiserver.kubeconfig.read_text())
    cluster = cfg["clusters"][0]["cluster"]
    assert cluster["server"] == f"https://127.0.0.1:{apiserver.port}"
    assert cluster["certificate-authority-data"]
    assert cfg["users"][0]["user"]["token"] == apiserver.admin_token
    assert cfg["current-context"] == cfg["contexts"][0]["name"]
    tokens = (apiserver.data_dir / "tokens.csv").read_text().splitlines()
    assert tokens[0].endswith(",admin,admin,system:masters")
    assert stat.S_IMODE((apiserver.data_dir / "ca.key").stat().st_mode) == 0o600


def test_material_is_reused_after_restart(apiserver_factory: Any) -> None:
    srv = apiserver_factory()
    ca = srv.ca_file.read_bytes()
    cert = (srv.data_dir / "apiserver.crt").read_bytes()
    token = srv.admin_token
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "persist"},
        "spec": {"ports": [{"port": 80}]},
    }
    assert srv.call("POST", "/api/v1/namespaces/default/services", body)[0] == 201
    assert srv.stop() == 0, srv.logs()
    assert '"msg": "stopped"' in srv.logs()
    srv.start()
    assert srv.ca_file.read_bytes() == ca
    assert (srv.data_dir / "apiserver.crt").read_bytes() == cert
    assert srv.admin_token == token
    if "--storage-backend" in srv.args and srv.args[srv.args.index("--storage-backend") + 1] == "sqlite":
        assert srv.call("GET", "/api/v1/namespaces/default/services/persist")[0] == 200
