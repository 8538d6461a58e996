"""Defaulting: what kube-apiserver fills in when it decodes a v1 object, before validation.

`apply_defaults(obj)` dispatches on apiVersion/kind and mutates the dict in place.  The rules are
those of pkg/apis/core/v1/defaults.go, pkg/apis/discovery/v1/defaults.go and the generated
`SetObjectDefaults_*` functions (which add the `+default=` markers, e.g. container port protocol
TCP), as of Kubernetes 1.34.  Each function names its upstream counterpart.

Two kinds of fill-in happen here:

* **Defaulting proper**: the upstream `SetDefaults_*` rules (Service protocol TCP, targetPort =
  port, sessionAffinity None, ...).
* **Wire-shape zero values**: Go encodes a non-pointer struct field even when it is empty, so
  kube-apiserver stores and returns `status: {loadBalancer: {}}` on every Service, `conditions: {}`
  on every EndpointSlice endpoint and `resources: {}` on every container.  Clients (kubectl
  describe, the Python client) see those keys, so we add them too.

What is *not* here, because upstream does it in the registry (strategy / REST storage), not in
defaulting: ClusterIP / NodePort allocation, `ipFamilies` / `ipFamilyPolicy` resolution (alloc.go
`initIPFamilyFields`), clearing Service status on create, the Namespace `kubernetes` finalizer, Pod
phase Pending.  The one registry step that validation depends on, keeping `clusterIP` and
`clusterIPs` in sync, is provided as the pure helper `normalize_cluster_ips` for the registry to
call (upstream: storage.go `normalizeClusterIPs`, run first in beginCreate/beginUpdate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubesvc.api.wireorder import VOLUME_SOURCES

Obj = dict[str, Any]

DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS = 10800  # v1.DefaultClientIPServiceAffinitySeconds
DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30
DEFAULT_SCHEDULER_NAME = "default-scheduler"
TERMINATION_MESSAGE_PATH_DEFAULT = "/dev/termination-log"
LABEL_METADATA_NAME = "kubernetes.io/metadata.name"


def apply_defaults(obj: Obj) -> None:
    """Default `obj` in place according to its apiVersion and kind; unknown kinds are left alone.

    Lists (`ServiceList`, or a `v1 List` of mixed objects) have each item defaulted; items of a
    typed list may omit apiVersion/kind, which are then taken from the list.
    """
    api_version = obj.get("apiVersion", "")
    kind = obj.get("kind", "")
    if kind.endswith("List") and isinstance(obj.get("items"), list):
        item_kind = kind[: -len("List")]
        for item in obj["items"]:
            if not isinstance(item, dict):
                continue
            if item_kind and "kind" not in item:
                # typed list: items share the list's group/version and kind
                _apply(api_version, item_kind, item)
            else:
                apply_defaults(item)
        return
    _apply(api_version, kind, obj)


def _apply(api_version: str, kind: str, obj: Obj) -> None:
    fn = _DEFAULTERS.get((api_version, kind))
    if fn is not None:
        fn(obj)


# ---------------------------------------------------------------------------------------------
# Service


def externally_accessible(svc: Mapping[str, Any]) -> bool:
    """pkg/api/service `ExternallyAccessible`: LoadBalancer, NodePort, or ClusterIP with externalIPs."""
    spec = svc.get("spec")
    if not isinstance(spec, Mapping):
        return False
    t = spec.get("type")
    external_ips = spec.get("externalIPs")
    return t in ("LoadBalancer", "NodePort") or (
        t == "ClusterIP" and isinstance(external_ips, list | tuple) and len(external_ips) > 0
    )


def default_service(svc: Obj) -> None:
    """SetObjectDefaults_Service: SetDefaults_Service plus the port protocol marker."""
    spec: Obj = _child(svc, "spec")

    if not spec.get("sessionAffinity"):
        spec["sessionAffinity"] = "None"
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    if spec["sessionAffinity"] == "ClientIP":
        config = _as_dict(spec.get("sessionAffinityConfig"))
        client_ip = _as_dict(config.get("clientIP"))
        if client_ip.get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {
                "clientIP": {"timeoutSeconds": DEFAULT_CLIENT_IP_SERVICE_AFFINITY_SECONDS}
            }

    if not spec.get("type"):
        spec["type"] = "ClusterIP"

    for port in _dicts(spec.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        # an absent, null, 0 or "" targetPort all decode to the IntOrString zero values
        if port.get("targetPort") in (None, 0, ""):
            port["targetPort"] = port.get("port", 0)

    # "Defaults ExternalTrafficPolicy field for externally-accessible service to Global for
    # consistency" (upstream's comment; Global was renamed Cluster).
    if externally_accessible(svc) and not spec.get("externalTrafficPolicy"):
        spec["externalTrafficPolicy"] = "Cluster"

    if spec.get("internalTrafficPolicy") is None and spec["type"] in (
        "NodePort",
        "LoadBalancer",
        "ClusterIP",
    ):
        spec["internalTrafficPolicy"] = "Cluster"

    if spec["type"] == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is None:
        spec["allocateLoadBalancerNodePorts"] = True

    status: Obj = _child(svc, "status")
    lb: Obj = _child(status, "loadBalancer")  # wire shape: always present
    if spec["type"] == "LoadBalancer":
        for ing in _dicts(lb.get("ingress")):
            if ing.get("ip") and ing.get("ipMode") is None:
                ing["ipMode"] = "VIP"


def normalize_cluster_ips(*, old: Obj | None, new: Obj) -> None:
    """Keep `spec.clusterIP` and `spec.clusterIPs` in step, as the Service REST storage does.

    Upstream pkg/registry/core/service/storage `normalizeClusterIPs`: an old client sends only the
    singular field, a new client must send both.  On create, `clusterIPs` is filled from
    `clusterIP`.  On update, a client that dropped `clusterIPs` but kept `clusterIP` gets the old
    list back, and a change of `clusterIP` alone carries over to `clusterIPs` (or clears it when
    `clusterIP` was cleared).  Everything else is left for validation to judge.
    """
    new_spec: Obj = _child(new, "spec")
    new_ip = new_spec.get("clusterIP") or ""
    new_ips = _strings(new_spec.get("clusterIPs"))

    if old is None:
        if new_ip and not new_ips:
            new_spec["clusterIPs"] = [new_ip]
        return

    old_spec = _as_dict(old.get("spec"))
    old_ip = old_spec.get("clusterIP") or ""
    old_ips = _strings(old_spec.get("clusterIPs"))

    if old_ips and not new_ips and old_ip == new_ip:
        new_spec["clusterIPs"] = list(old_ips)

    if old_ip != new_ip:
        same_ips = old_ips == _strings(new_spec.get("clusterIPs"))
        if old_ip and not new_ip:
            if same_ips:
                new_spec.pop("clusterIPs", None)
        elif same_ips:
            new_spec["clusterIPs"] = [new_ip]


# ---------------------------------------------------------------------------------------------
# Pod


def image_pull_policy_for(image: str) -> str:
    """SetDefaults_Container: Always for an image whose tag is `latest` (given or implied), else
    IfNotPresent.  A digest without a tag implies no tag; an unparsable reference is IfNotPresent."""
    return "Always" if _image_tag(image) == "latest" else "IfNotPresent"


def _image_tag(image: str) -> str:
    """The tag of a docker reference as parsers.ParseImageName reports it ("" when invalid)."""
    if not image or image != image.strip():
        return ""
    name, _, digest = image.partition("@")
    if not name:
        return ""
    slash = name.rfind("/")
    last = name[slash + 1 :]
    repo, colon, tag = last.partition(":")
    path = name[: slash + 1] + repo
    # the repository path must be lowercase (a registry host may carry a port and capitals)
    first, _, rest = path.partition("/")
    repo_path = rest if rest and ("." in first or ":" in first or first == "localhost") else path
    if repo_path != repo_path.lower() or not repo:
        return ""
    if colon:
        return tag
    return "" if digest else "latest"


def default_container(c: Obj, *, host_network: bool) -> None:
    """SetDefaults_Container plus the per-container markers of SetObjectDefaults_Pod."""
    if not c.get("imagePullPolicy"):
        image = c.get("image")
        c["imagePullPolicy"] = image_pull_policy_for(image if isinstance(image, str) else "")
    if not c.get("terminationMessagePath"):
        c["terminationMessagePath"] = TERMINATION_MESSAGE_PATH_DEFAULT
    if not c.get("terminationMessagePolicy"):
        c["terminationMessagePolicy"] = "File"
    for port in _dicts(c.get("ports")):
        if not port.get("protocol"):
            port["protocol"] = "TCP"
        if host_network and not port.get("hostPort"):
            # defaultHostNetworkPorts: with host networking a container port is a host port
            port["hostPort"] = port.get("containerPort", 0)
    for env in _dicts(c.get("env")):
        field_ref = _as_dict(env.get("valueFrom")).get("fieldRef")
        if isinstance(field_ref, dict) and not field_ref.get("apiVersion"):
            field_ref["apiVersion"] = "v1"  # SetDefaults_ObjectFieldSelector
    for probe_key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.get(probe_key)
        if isinstance(probe, dict):
            default_probe(probe)
    lifecycle = c.get("lifecycle")
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if isinstance(handler, dict) and isinstance(handler.get("httpGet"), dict):
                _default_http_get(handler["httpGet"])
    resources = c.setdefault("resources", {})  # wire shape: always present
    limits = resources.get("limits") if isinstance(resources, dict) else None
    if isinstance(limits, dict) and limits:
        # SetDefaults_Pod: a limit without a request makes the request equal the limit
        requests = _child(resources, "requests")
        for name, value in limits.items():
            requests.setdefault(name, value)


def default_probe(probe: Obj) -> None:
    """SetDefaults_Probe, SetDefaults_HTTPGetAction and the GRPCAction.service marker."""
    if not probe.get("timeoutSeconds"):
        probe["timeoutSeconds"] = 1
    if not probe.get("periodSeconds"):
        probe["periodSeconds"] = 10
    if not probe.get("successThreshold"):
        probe["successThreshold"] = 1
    if not probe.get("failureThreshold"):
        probe["failureThreshold"] = 3
    if isinstance(probe.get("httpGet"), dict):
        _default_http_get(probe["httpGet"])
    grpc = probe.get("grpc")
    if isinstance(grpc, dict) and grpc.get("service") is None:
        grpc["service"] = ""


def _default_http_get(action: Obj) -> None:
    if not action.get("path"):
        action["path"] = "/"
    if not action.get("scheme"):
        action["scheme"] = "HTTP"


def default_pod(pod: Obj) -> None:
    """SetObjectDefaults_Pod: SetDefaults_Pod, SetDefaults_PodSpec and the container defaults."""
    spec: Obj = _child(pod, "spec")
    if spec.get("enableServiceLinks") is None:
        spec["enableServiceLinks"] = True
    if not spec.get("dnsPolicy"):
        spec["dnsPolicy"] = "ClusterFirst"
    if not spec.get("restartPolicy"):
        spec["restartPolicy"] = "Always"
    if spec.get("securityContext") is None:
        spec["securityContext"] = {}
    if spec.get("terminationGracePeriodSeconds") is None:
        spec["terminationGracePeriodSeconds"] = DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS
    if not spec.get("schedulerName"):
        spec["schedulerName"] = DEFAULT_SCHEDULER_NAME
    host_network = bool(spec.get("hostNetwork"))
    for key in ("initContainers", "containers"):
        for c in _dicts(spec.get(key)):
            default_container(c, host_network=host_network)
    for volume in _dicts(spec.get("volumes")):
        default_volume(volume)


DEFAULT_VOLUME_MODE = 0o644  # 420: secret, configMap, downwardAPI and projected volumes
DEFAULT_TOKEN_EXPIRATION_SECONDS = 3600


def default_volume(volume: Obj) -> None:
    """SetDefaults_Volume (a volume without a source is an emptyDir) and the defaults of each
    source, as SetObjectDefaults_Pod runs them."""
    if all(volume.get(src) is None for src in VOLUME_SOURCES):
        volume["emptyDir"] = {}
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict) and host_path.get("type") is None:
        host_path["type"] = ""  # HostPathUnset
    for src in ("secret", "configMap", "downwardAPI", "projected"):
        source = volume.get(src)
        if isinstance(source, dict) and source.get("defaultMode") is None:
            source["defaultMode"] = DEFAULT_VOLUME_MODE
    iscsi = volume.get("iscsi")
    if isinstance(iscsi, dict) and not iscsi.get("iscsiInterface"):
        iscsi["iscsiInterface"] = "default"
    rbd = volume.get("rbd")
    if isinstance(rbd, dict):
        for key, value in (("pool", "rbd"), ("user", "admin"), ("keyring", "/etc/ceph/keyring")):
            if not rbd.get(key):
                rbd[key] = value
    azure_disk = volume.get("azureDisk")
    if isinstance(azure_disk, dict):
        for key, default in (("cachingMode", "ReadWrite"), ("kind", "Shared"), ("fsType", "ext4")):
            if azure_disk.get(key) is None:
                azure_disk[key] = default
        if azure_disk.get("readOnly") is None:
            azure_disk["readOnly"] = False
    scale_io = volume.get("scaleIO")
    if isinstance(scale_io, dict):
        if not scale_io.get("storageMode"):
            scale_io["storageMode"] = "ThinProvisioned"
        if not scale_io.get("fsType"):
            scale_io["fsType"] = "xfs"
    downward = volume.get("downwardAPI")
    if isinstance(downward, dict):
        _default_downward_items(downward)
    projected = volume.get("projected")
    if isinstance(projected, dict):
        for source in _dicts(projected.get("sources")):
            inner = source.get("downwardAPI")
            if isinstance(inner, dict):
                _default_downward_items(inner)
            token = source.get("serviceAccountToken")
            if isinstance(token, dict) and token.get("expirationSeconds") is None:
                token["expirationSeconds"] = DEFAULT_TOKEN_EXPIRATION_SECONDS
    image = volume.get("image")
    if isinstance(image, dict) and not image.get("pullPolicy"):
        reference = image.get("reference")
        image["pullPolicy"] = image_pull_policy_for(reference if isinstance(reference, str) else "")
    ephemeral = volume.get("ephemeral")
    if isinstance(ephemeral, dict):
        template = ephemeral.get("volumeClaimTemplate")
        claim_spec = template.get("spec") if isinstance(template, dict) else None
        if isinstance(claim_spec, dict) and claim_spec.get("volumeMode") is None:
            claim_spec["volumeMode"] = "Filesystem"  # SetDefaults_PersistentVolumeClaimSpec


def _default_downward_items(source: Obj) -> None:
    for item in _dicts(source.get("items")):
        field_ref = item.get("fieldRef")
        if isinstance(field_ref, dict) and not field_ref.get("apiVersion"):
            field_ref["apiVersion"] = "v1"  # SetDefaults_ObjectFieldSelector


# ---------------------------------------------------------------------------------------------
# Node, Namespace, Endpoints, EndpointSlice


def default_node(node: Obj) -> None:
    """SetDefaults_NodeStatus: allocatable defaults to capacity."""
    status = node.get("status")
    if (
        isinstance(status, dict)
        and status.get("allocatable") is None
        and isinstance(status.get("capacity"), dict)
    ):
        status["allocatable"] = dict(status["capacity"])


def default_namespace(ns: Obj) -> None:
    """SetDefaults_Namespace (the kubernetes.io/metadata.name label) and SetDefaults_NamespaceStatus."""
    meta: Obj = _child(ns, "metadata")
    name = meta.get("name")
    if isinstance(name, str) and name:
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            labels = meta["labels"] = {}
        labels[LABEL_METADATA_NAME] = name
    status: Obj = _child(ns, "status")
    if not status.get("phase"):
        status["phase"] = "Active"


def default_endpoints(ep: Obj) -> None:
    """SetDefaults_Endpoints: port protocol TCP."""
    for subset in _dicts(ep.get("subsets")):
        for port in _dicts(subset.get("ports")):
            if not port.get("protocol"):
                port["protocol"] = "TCP"


def default_endpoint_slice(eps: Obj) -> None:
    """discovery/v1 SetDefaults_EndpointPort: name "" and protocol TCP when unset (nil)."""
    for port in _dicts(eps.get("ports")):
        if port.get("name") is None:
            port["name"] = ""
        if port.get("protocol") is None:
            port["protocol"] = "TCP"
    for endpoint in _dicts(eps.get("endpoints")):
        if endpoint.get("conditions") is None:
            endpoint["conditions"] = {}  # wire shape: a non-pointer struct


def _nothing(obj: Obj) -> None:
    """Events and Leases have no defaulting upstream."""


def _dicts(value: Any) -> list[Obj]:
    """The dict items of a list; anything else (a malformed body) yields nothing to default."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _strings(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _as_dict(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def _child(obj: Obj, key: str) -> Obj:
    """obj[key] as a dict, created (or replacing a null) when missing."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = obj[key] = {}
    return value


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("v1", "Service"): default_service,
    ("v1", "Pod"): default_pod,
    ("v1", "Node"): default_node,
    ("v1", "Namespace"): default_namespace,
    ("v1", "Endpoints"): default_endpoints,
    ("v1", "Event"): _nothing,
    ("discovery.k8s.io/v1", "EndpointSlice"): default_endpoint_slice,
    ("events.k8s.io/v1", "Event"): _nothing,
    ("coordination.k8s.io/v1", "Lease"): _nothing,
}
