"""Service allocation through the real HTTP API of a real apiserver subprocess: the `kubernetes`
Service, races between 50 concurrent clients, dual-stack policies, restarts with SQLite and a
changed --service-cluster-ip-range."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.proc import run as proc_run

SVC_PATH = "/api/v1/namespaces/default/services"


def svc(name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"selector": {"app": name}, "ports": [{"port": 80}]}
    body.update(spec)
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": body}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    srv = start_apiserver(
        tmp_path_factory.mktemp("svcreg") / "data",
        "--service-cluster-ip-range",
        "10.96.0.0/16,fd00:10:96::/108",
        backend="memory",
    )
    try:
        yield srv
    finally:
        srv.stop()


def test_kubernetes_service_exists_after_start(server: ApiServer) -> None:
    status, body, _ = server.call("GET", f"{SVC_PATH}/kubernetes")
    assert status == 200, body
    spec = body["spec"]
    assert spec["clusterIP"] == "10.96.0.1"
    assert spec["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": server.port}]
    assert body["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert "selector" not in spec
    status, eps, _ = server.call("GET", "/api/v1/namespaces/default/endpoints/kubernetes")
    assert status == 200
    assert eps["subsets"] == [
        {
            "addresses": [{"ip": "127.0.0.1"}],
            "ports": [{"name": "https", "port": server.port, "protocol": "TCP"}],
        }
    ]
    status, es, _ = server.call(
        "GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes"
    )
    assert status == 200
    assert es["endpoints"][0]["addresses"] == ["127.0.0.1"]
    assert es["metadata"]["labels"]["kubernetes.io/service-name"] == "kubernetes"


async def _post_all(server: ApiServer, bodies: list[dict[str, Any]]) -> list[tuple[int, Any]]:
    async with server.session() as s:

        async def one(body: dict[str, Any]) -> tuple[int, Any]:
            async with s.post(SVC_PATH, json=body) as r:
                return r.status, await r.json()

        return await asyncio.gather(*(one(b) for b in bodies))


async def test_fifty_clients_same_ip_exactly_one_winner(server: ApiServer) -> None:
    results = await _post_all(server, [svc(f"race-ip-{i}", clusterIP="10.96.0.77") for i in range(50)])
    codes = sorted(code for code, _ in results)
    assert codes.count(201) == 1 and codes.count(422) == 49, codes
    loser = next(body for code, body in results if code == 422)
    name = loser["details"]["name"]
    assert loser["message"] == (
        f'Service "{name}" is invalid: spec.clusterIPs: Invalid value: []string{{"10.96.0.77"}}: '
        "failed to allocate IP 10.96.0.77: provided IP is already allocated"
    )
    assert loser["reason"] == "Invalid" and loser["details"]["causes"][0]["field"] == "spec.clusterIPs"


async def test_fifty_clients_same_node_port_exactly_one_winner(server: ApiServer) -> None:
    bodies = [
        svc(f"race-np-{i}", type="NodePort", ports=[{"port": 80, "nodePort": 30777}]) for i in range(50)
    ]
    results = await _post_all(server, bodies)
    codes = [code for code, _ in results]
    assert codes.count(201) == 1 and codes.count(422) == 49, codes
    loser = next(body for code, body in results if code == 422)
    assert loser["message"].endswith(
        "spec.ports[0].nodePort: Invalid value: 30777: provided port is already allocated"
    )


async def test_fifty_dynamic_creates_never_duplicate(server: ApiServer) -> None:
    bodies = [svc(f"dyn-{i}", type="NodePort", ipFamilyPolicy="PreferDualStack") for i in range(50)]
    results = await _post_all(server, bodies)
    assert all(code == 201 for code, _ in results), [b for c, b in results if c != 201][:2]
    ips = [ip for _, b in results for ip in b["spec"]["clusterIPs"]]
    ports = [b["spec"]["ports"][0]["nodePort"] for _, b in results]
    assert len(ips) == 100 and len(set(ips)) == 100
    assert len(set(ports)) == 50
    _, listed, _ = server.call("GET", SVC_PATH)
    every_ip = [ip for item in listed["items"] for ip in item["spec"].get("clusterIPs", []) if ip != "None"]
    assert len(every_ip) == len(set(every_ip))


@pytest.mark.parametrize(
    ("spec", "families", "n"),
    [
        ({}, ["IPv4"], 1),
        ({"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]}, ["IPv6"], 1),
        ({"ipFamilyPolicy": "PreferDualStack"}, ["IPv4", "IPv6"], 2),
        ({"ipFamilyPolicy": "RequireDualStack", "ipFamilies": ["IPv6", "IPv4"]}, ["IPv6", "IPv4"], 2),
        ({"clusterIP": "None", "selector": None}, ["IPv4", "IPv6"], 0),
    ],
    ids=["default", "single-v6", "prefer", "require-v6-first", "headless-selectorless"],
)
def test_dual_stack_server_every_policy(
    server: ApiServer, spec: dict[str, Any], families: list[str], n: int
) -> None:
    name = "ds-" + str(abs(hash(repr(spec))) % 100000)
    body = svc(name, **spec)
    body["spec"] = {k: v for k, v in body["spec"].items() if v is not None}
    status, out, _ = server.call("POST", SVC_PATH, body)
    assert status == 201, out
    assert out["spec"]["ipFamilies"] == families
    if n:
        assert [ipaddress.ip_address(ip).version for ip in out["spec"]["clusterIPs"]] == [
            6 if f == "IPv6" else 4 for f in families
        ]
    else:
        assert out["spec"]["clusterIPs"] == ["None"]


def test_type_transitions_and_delete_over_http(server: ApiServer) -> None:
    status, out, _ = server.call(
        "POST", SVC_PATH, svc("trans", type="LoadBalancer", externalTrafficPolicy="Local")
    )
    assert status == 201, out
    np = out["spec"]["ports"][0]["nodePort"]
    hc = out["spec"]["healthCheckNodePort"]
    out["spec"]["type"] = "ClusterIP"
    status, out2, _ = server.call("PUT", f"{SVC_PATH}/trans", out)
    assert status == 200, out2
    assert "nodePort" not in out2["spec"]["ports"][0] and "healthCheckNodePort" not in out2["spec"]
    # both ports are free again: another Service can take them
    status, other, _ = server.call(
        "POST",
        SVC_PATH,
        svc(
            "trans-2",
            type="LoadBalancer",
            externalTrafficPolicy="Local",
            healthCheckNodePort=hc,
            ports=[{"port": 80, "nodePort": np}],
        ),
    )
    assert status == 201, other
    status, _, _ = server.call("DELETE", f"{SVC_PATH}/trans-2")
    assert status == 200
    status, again, _ = server.call(
        "POST", SVC_PATH, svc("trans-3", type="NodePort", ports=[{"port": 80, "nodePort": np}])
    )
    assert status == 201, again


def test_dry_run_keeps_nothing(server: ApiServer) -> None:
    status, out, _ = server.call("POST", SVC_PATH + "?dryRun=All", svc("dry", clusterIP="10.96.0.88"))
    assert status == 201, out
    status, out, _ = server.call("POST", SVC_PATH, svc("wet", clusterIP="10.96.0.88"))
    assert status == 201, out


def _wait_for(cond: Any, timeout: float = 30.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_restart_keeps_allocations_and_changed_range_keeps_services(tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_apiserver(data, "--service-cluster-ip-range", "10.0.0.0/24")
    try:
        status, a, _ = srv.call("POST", SVC_PATH, svc("a", type="NodePort"))
        assert status == 201, a
        ip, np = a["spec"]["clusterIP"], a["spec"]["ports"][0]["nodePort"]
        srv.stop()
        srv.start()
        # the same address and port are still taken after a restart
        status, b, _ = srv.call("POST", SVC_PATH, svc("b", clusterIP=ip))
        assert status == 422 and "provided IP is already allocated" in b["message"]
        status, b, _ = srv.call(
            "POST", SVC_PATH, svc("b", type="NodePort", ports=[{"port": 80, "nodePort": np}])
        )
        assert status == 422 and "provided port is already allocated" in b["message"]
        srv.stop()
        # a changed range: the old Service keeps its address and can still be updated
        srv.args[srv.args.index("10.0.0.0/24")] = "10.1.0.0/24"
        srv.start()
        status, cur, _ = srv.call("GET", f"{SVC_PATH}/a")
        assert status == 200 and cur["spec"]["clusterIP"] == ip
        cur["metadata"].setdefault("labels", {})["touched"] = "yes"
        status, upd, _ = srv.call("PUT", f"{SVC_PATH}/a", cur)
        assert status == 200, upd
        assert upd["spec"]["clusterIP"] == ip
        status, k8s, _ = srv.call("GET", f"{SVC_PATH}/kubernetes")
        assert k8s["spec"]["clusterIP"] == "10.0.0.1"  # created under the old range, kept

        def out_of_range_event() -> Any:
            _, evs, _ = srv.call("GET", "/api/v1/namespaces/default/events")
            return [e for e in evs.get("items", []) if e.get("reason") == "ClusterIPOutOfRange"]

        events = _wait_for(out_of_range_event)
        assert events, srv.logs()[-2000:]
        names = {e["involvedObject"]["name"] for e in events}
        assert "a" in names
        ev = next(e for e in events if e["involvedObject"]["name"] == "a")
        assert ev["type"] == "Warning"
        assert ev["message"] == (
            f"Cluster IP [IPv4]:{ip} is not within the service CIDR 10.1.0.0/24; please recreate service"
        )
        # new Services come from the new range
        status, c, _ = srv.call("POST", SVC_PATH, svc("c"))
        assert status == 201 and ipaddress.ip_address(c["spec"]["clusterIP"]) in ipaddress.ip_network(
            "10.1.0.0/24"
        )
    finally:
        srv.stop()


DOC_EXAMPLES = """
apiVersion: v1
kind: Service
metadata:
  name: doc-multi
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: 9376
    - name: https
      protocol: TCP
      port: 443
      targetPort: 9377
---
apiVersion: v1
kind: Service
metadata:
  name: doc-nodeport
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - port: 80
      targetPort: 80
      nodePort: 30007
---
apiVersion: v1
kind: Service
metadata:
  name: doc-lb
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
  clusterIP: 10.96.0.199
  type: LoadBalancer
---
apiVersion: v1
kind: Service
metadata:
  name: doc-externalname
spec:
  type: ExternalName
  externalName: my.database.example.com
---
apiVersion: v1
kind: Service
metadata:
  name: doc-dualstack
spec:
  ipFamilyPolicy: PreferDualStack
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
"""


@pytest.mark.kubectl
def test_kubectl_apply_doc_examples_twice_and_get(server: ApiServer, tmp_path: Path) -> None:
    import os
    import shutil

    if shutil.which("kubectl") is None:
        pytest.skip("kubectl not installed")
    manifest = tmp_path / "svc.yaml"
    manifest.write_text(DOC_EXAMPLES)
    env = dict(os.environ, KUBECONFIG=str(server.kubeconfig))

    def kubectl(*args: str) -> str:
        r = proc_run(["kubectl", *args], env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert "service/doc-nodeport created" in kubectl("apply", "-f", str(manifest))
    # a second apply of the same manifest changes nothing (allocated values are kept)
    again = kubectl("apply", "-f", str(manifest))
    assert again.count("unchanged") == 5, again
    rows = {line.split()[0]: line.split() for line in kubectl("get", "svc").splitlines()[1:]}
    assert rows["doc-nodeport"][4] == "80:30007/TCP"
    assert rows["doc-lb"][2] == "10.96.0.199"
    assert rows["doc-multi"][4] == "80/TCP,443/TCP"
    assert rows["doc-externalname"][3] == "my.database.example.com"
    status, ds, _ = server.call("GET", f"{SVC_PATH}/doc-dualstack")
    assert len(ds["spec"]["clusterIPs"]) == 2
    # NodePort -> ClusterIP with kubectl patch frees the port
    kubectl("patch", "svc", "doc-nodeport", "-p", '{"spec":{"type":"ClusterIP"}}')
    status, body, _ = server.call(
        "POST", SVC_PATH, svc("doc-np-2", type="NodePort", ports=[{"port": 80, "nodePort": 30007}])
    )
    assert status == 201, body


def test_external_ip_admission_flags(tmp_path: Path) -> None:
    srv = start_apiserver(
        tmp_path / "data",
        "--deny-service-external-ips",
        "--service-node-port-range",
        "31000-31010",
        backend="memory",
    )
    try:
        status, body, _ = srv.call("POST", SVC_PATH, svc("eip", externalIPs=["198.51.100.32"]))
        assert status == 403, body
        assert body["reason"] == "Forbidden"
        assert (
            body["message"]
            == 'services "eip" is forbidden: Use of external IPs is denied by admission control'
        )
        status, body, _ = srv.call(
            "POST", SVC_PATH, svc("np", type="NodePort", ports=[{"port": 80, "nodePort": 30007}])
        )
        assert status == 422
        assert body["message"].endswith(
            "provided port is not in the valid range. The range of valid ports is 31000-31010"
        )
    finally:
        srv.stop()
