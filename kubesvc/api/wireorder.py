"""JSON key order as kube-apiserver writes it: the order of the Go struct fields.

kube-apiserver encodes every object from its Go struct, so the keys of a JSON answer come in
the order the struct declares its fields (`kind`, `apiVersion`, `metadata`, `spec`, `status`;
inside `metadata`: `name`, `generateName`, `namespace`, `uid`, `resourceVersion`, ...), and
the keys of a Go map (`labels`, `annotations`, `selector`, `capacity`, ...) come sorted, as
`encoding/json` writes maps.  Keys a struct does not declare (there should be none once the
body was pruned) go last, in the order they came.

`ORDER` below is that declared order per Go struct, taken from k8s.io/api (core/v1,
discovery/v1, events/v1, coordination/v1) and k8s.io/apimachinery meta/v1 types.go, written as
data; `CHILDREN` names the struct of a field where `kubesvc.api.types` leaves it open
(`dict[str, Any]`).  Which field holds which struct, list or map otherwise comes from the
TypedDicts of `kubesvc.api.types`, which carry the Go type names.

`order(obj)` rearranges a served object in place (every nested dict keeps its identity), and is
meant to run once per write, when the registry encodes the object for the store: the stored
bytes are then already in Go's order, and GET, LIST and WATCH serve them as they are.
Pure: no I/O.
"""

from __future__ import annotations

import types as pytypes
import typing
from dataclasses import dataclass, field
from functools import cache
from itertools import repeat
from typing import Any, Final, Union, get_args, get_origin

# -- the Go declaration order, per struct ------------------------------------------------------

_TYPE_META: Final = ("kind", "apiVersion")
_TOP: Final = (*_TYPE_META, "metadata", "spec", "status")

# Every volume source of core/v1 VolumeSource, in Go order (a volume names at most one of them).
VOLUME_SOURCES: Final = (
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
)

_CONTAINER: Final = (
    "name",
    "image",
    "command",
    "args",
    "workingDir",
    "ports",
    "envFrom",
    "env",
    "resources",
    "resizePolicy",
    "restartPolicy",
    "restartPolicyRules",
    "volumeMounts",
    "volumeDevices",
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "lifecycle",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "imagePullPolicy",
    "securityContext",
    "stdin",
    "stdinOnce",
    "tty",
)

ORDER: Final[dict[str, tuple[str, ...]]] = {
    # meta/v1
    "ObjectMeta": (
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    ),
    "ListMeta": ("selfLink", "resourceVersion", "continue", "remainingItemCount"),
    "OwnerReference": ("apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"),
    "ManagedFieldsEntry": (
        "manager",
        "operation",
        "apiVersion",
        "time",
        "fieldsType",
        "fieldsV1",
        "subresource",
    ),
    "Status": (*_TYPE_META, "metadata", "status", "message", "reason", "details", "code"),
    "StatusDetails": ("name", "group", "kind", "uid", "causes", "retryAfterSeconds"),
    "StatusCause": ("reason", "message", "field"),
    "WatchEvent": ("type", "object"),
    "LabelSelector": ("matchLabels", "matchExpressions"),
    "LabelSelectorRequirement": ("key", "operator", "values"),
    "Condition": ("type", "status", "observedGeneration", "lastTransitionTime", "reason", "message"),
    "TypeMeta": _TYPE_META,
    "PartialObjectMetadata": (*_TYPE_META, "metadata"),
    "Table": (*_TYPE_META, "metadata", "columnDefinitions", "rows"),
    "TableColumnDefinition": ("name", "type", "format", "description", "priority"),
    "TableRow": ("cells", "conditions", "object"),
    "TableRowCondition": ("type", "status", "reason", "message"),
    "APIGroup": (*_TYPE_META, "name", "versions", "preferredVersion", "serverAddressByClientCIDRs"),
    "APIGroupList": (*_TYPE_META, "groups"),
    "APIVersions": (*_TYPE_META, "versions", "serverAddressByClientCIDRs"),
    "APIResourceList": (*_TYPE_META, "groupVersion", "resources"),
    "APIResource": (
        "name",
        "singularName",
        "namespaced",
        "group",
        "version",
        "kind",
        "verbs",
        "shortNames",
        "categories",
        "storageVersionHash",
    ),
    # core/v1: shared
    "ObjectReference": ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"),
    "LocalObjectReference": ("name",),
    # Service
    "Service": _TOP,
    "ServiceSpec": (
        "ports",
        "selector",
        "clusterIP",
        "clusterIPs",
        "type",
        "externalIPs",
        "sessionAffinity",
        "loadBalancerIP",
        "loadBalancerSourceRanges",
        "externalName",
        "externalTrafficPolicy",
        "healthCheckNodePort",
        "publishNotReadyAddresses",
        "sessionAffinityConfig",
        "ipFamilies",
        "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts",
        "loadBalancerClass",
        "internalTrafficPolicy",
        "trafficDistribution",
    ),
    "ServicePort": ("name", "protocol", "appProtocol", "port", "targetPort", "nodePort"),
    "SessionAffinityConfig": ("clientIP",),
    "ClientIPConfig": ("timeoutSeconds",),
    "ServiceStatus": ("loadBalancer", "conditions"),
    "LoadBalancerStatus": ("ingress",),
    "LoadBalancerIngress": ("ip", "hostname", "ipMode", "ports"),
    "PortStatus": ("port", "protocol", "error"),
    # Pod
    "Pod": _TOP,
    "PodSpec": (
        "volumes",
        "initContainers",
        "containers",
        "ephemeralContainers",
        "restartPolicy",
        "terminationGracePeriodSeconds",
        "activeDeadlineSeconds",
        "dnsPolicy",
        "nodeSelector",
        "serviceAccountName",
        "serviceAccount",
        "automountServiceAccountToken",
        "nodeName",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "shareProcessNamespace",
        "securityContext",
        "imagePullSecrets",
        "hostname",
        "subdomain",
        "affinity",
        "schedulerName",
        "tolerations",
        "hostAliases",
        "priorityClassName",
        "priority",
        "dnsConfig",
        "readinessGates",
        "runtimeClassName",
        "enableServiceLinks",
        "preemptionPolicy",
        "overhead",
        "topologySpreadConstraints",
        "setHostnameAsFQDN",
        "os",
        "hostUsers",
        "schedulingGates",
        "resourceClaims",
        "resources",
        "hostnameOverride",
    ),
    "Volume": ("name", *VOLUME_SOURCES),
    # the common volume sources (k8s.io/api core/v1 types.go)
    "HostPathVolumeSource": ("path", "type"),
    "EmptyDirVolumeSource": ("medium", "sizeLimit"),
    "SecretVolumeSource": ("secretName", "items", "defaultMode", "optional"),
    "ConfigMapVolumeSource": ("name", "items", "defaultMode", "optional"),
    "KeyToPath": ("key", "path", "mode"),
    "PersistentVolumeClaimVolumeSource": ("claimName", "readOnly"),
    "NFSVolumeSource": ("server", "path", "readOnly"),
    "DownwardAPIVolumeSource": ("items", "defaultMode"),
    "DownwardAPIVolumeFile": ("path", "fieldRef", "resourceFieldRef", "mode"),
    "ProjectedVolumeSource": ("sources", "defaultMode"),
    "VolumeProjection": (
        "secret",
        "downwardAPI",
        "configMap",
        "serviceAccountToken",
        "clusterTrustBundle",
        "podCertificate",
    ),
    "SecretProjection": ("name", "items", "optional"),
    "ConfigMapProjection": ("name", "items", "optional"),
    "DownwardAPIProjection": ("items",),
    "ServiceAccountTokenProjection": ("audience", "expirationSeconds", "path"),
    "CSIVolumeSource": ("driver", "readOnly", "fsType", "volumeAttributes", "nodePublishSecretRef"),
    "ImageVolumeSource": ("reference", "pullPolicy"),
    "Container": _CONTAINER,
    "EphemeralContainer": (*_CONTAINER, "targetContainerName"),
    "ContainerPort": ("name", "hostPort", "containerPort", "protocol", "hostIP"),
    "EnvFromSource": ("prefix", "configMapRef", "secretRef"),
    "ConfigMapEnvSource": ("name", "optional"),
    "SecretEnvSource": ("name", "optional"),
    "EnvVar": ("name", "value", "valueFrom"),
    "EnvVarSource": ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef"),
    "ObjectFieldSelector": ("apiVersion", "fieldPath"),
    "ResourceFieldSelector": ("containerName", "resource", "divisor"),
    "ConfigMapKeySelector": ("name", "key", "optional"),
    "SecretKeySelector": ("name", "key", "optional"),
    "ResourceRequirements": ("limits", "requests", "claims"),
    "ContainerResizePolicy": ("resourceName", "restartPolicy"),
    "VolumeMount": (
        "name",
        "readOnly",
        "recursiveReadOnly",
        "mountPath",
        "subPath",
        "mountPropagation",
        "subPathExpr",
    ),
    "VolumeDevice": ("name", "devicePath"),
    "Probe": (
        "exec",
        "httpGet",
        "tcpSocket",
        "grpc",
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
        "terminationGracePeriodSeconds",
    ),
    "ExecAction": ("command",),
    "HTTPGetAction": ("path", "port", "host", "scheme", "httpHeaders"),
    "HTTPHeader": ("name", "value"),
    "TCPSocketAction": ("port", "host"),
    "GRPCAction": ("port", "service"),
    "SleepAction": ("seconds",),
    "Lifecycle": ("postStart", "preStop", "stopSignal"),
    "LifecycleHandler": ("exec", "httpGet", "tcpSocket", "sleep"),
    "SecurityContext": (
        "capabilities",
        "privileged",
        "seLinuxOptions",
        "windowsOptions",
        "runAsUser",
        "runAsGroup",
        "runAsNonRoot",
        "readOnlyRootFilesystem",
        "allowPrivilegeEscalation",
        "procMount",
        "seccompProfile",
        "appArmorProfile",
    ),
    "Capabilities": ("add", "drop"),
    "SELinuxOptions": ("user", "role", "type", "level"),
    "SeccompProfile": ("type", "localhostProfile"),
    "AppArmorProfile": ("type", "localhostProfile"),
    "PodSecurityContext": (
        "seLinuxOptions",
        "windowsOptions",
        "runAsUser",
        "runAsGroup",
        "runAsNonRoot",
        "supplementalGroups",
        "supplementalGroupsPolicy",
        "fsGroup",
        "sysctls",
        "fsGroupChangePolicy",
        "seccompProfile",
        "appArmorProfile",
        "seLinuxChangePolicy",
    ),
    "Sysctl": ("name", "value"),
    "Toleration": ("key", "operator", "value", "effect", "tolerationSeconds"),
    "HostAlias": ("ip", "hostnames"),
    "PodDNSConfig": ("nameservers", "searches", "options"),
    "PodDNSConfigOption": ("name", "value"),
    "PodReadinessGate": ("conditionType",),
    "PodOS": ("name",),
    "PodSchedulingGate": ("name",),
    "TopologySpreadConstraint": (
        "maxSkew",
        "topologyKey",
        "whenUnsatisfiable",
        "labelSelector",
        "minDomains",
        "nodeAffinityPolicy",
        "nodeTaintsPolicy",
        "matchLabelKeys",
    ),
    "PodStatus": (
        "observedGeneration",
        "phase",
        "conditions",
        "message",
        "reason",
        "nominatedNodeName",
        "hostIP",
        "hostIPs",
        "podIP",
        "podIPs",
        "startTime",
        "initContainerStatuses",
        "containerStatuses",
        "qosClass",
        "ephemeralContainerStatuses",
        "resize",
        "resourceClaimStatuses",
        "extendedResourceClaimStatus",
    ),
    "PodCondition": (
        "type",
        "observedGeneration",
        "status",
        "lastProbeTime",
        "lastTransitionTime",
        "reason",
        "message",
    ),
    "PodIP": ("ip",),
    "HostIP": ("ip",),
    "ContainerStatus": (
        "name",
        "state",
        "lastState",
        "ready",
        "restartCount",
        "image",
        "imageID",
        "containerID",
        "started",
        "allocatedResources",
        "resources",
        "volumeMounts",
        "user",
        "allocatedResourcesStatus",
        "stopSignal",
    ),
    "ContainerState": ("waiting", "running", "terminated"),
    "ContainerStateWaiting": ("reason", "message"),
    "ContainerStateRunning": ("startedAt",),
    "ContainerStateTerminated": (
        "exitCode",
        "signal",
        "reason",
        "message",
        "startedAt",
        "finishedAt",
        "containerID",
    ),
    "VolumeMountStatus": ("name", "mountPath", "readOnly", "recursiveReadOnly"),
    # Node
    "Node": _TOP,
    "NodeSpec": (
        "podCIDR",
        "podCIDRs",
        "providerID",
        "unschedulable",
        "taints",
        "configSource",
        "externalID",
    ),
    "Taint": ("key", "value", "effect", "timeAdded"),
    "NodeStatus": (
        "capacity",
        "allocatable",
        "phase",
        "conditions",
        "addresses",
        "daemonEndpoints",
        "nodeInfo",
        "images",
        "volumesInUse",
        "volumesAttached",
        "config",
        "runtimeHandlers",
        "features",
        "declaredFeatures",
    ),
    "NodeCondition": ("type", "status", "lastHeartbeatTime", "lastTransitionTime", "reason", "message"),
    "NodeAddress": ("type", "address"),
    "NodeDaemonEndpoints": ("kubeletEndpoint",),
    "DaemonEndpoint": ("Port",),
    "NodeSystemInfo": (
        "machineID",
        "systemUUID",
        "bootID",
        "kernelVersion",
        "osImage",
        "containerRuntimeVersion",
        "kubeletVersion",
        "kubeProxyVersion",
        "operatingSystem",
        "architecture",
        "swap",
    ),
    "ContainerImage": ("names", "sizeBytes"),
    "AttachedVolume": ("name", "devicePath"),
    # Namespace
    "Namespace": _TOP,
    "NamespaceSpec": ("finalizers",),
    "NamespaceStatus": ("phase", "conditions"),
    "NamespaceCondition": ("type", "status", "lastTransitionTime", "reason", "message"),
    # Endpoints
    "Endpoints": (*_TYPE_META, "metadata", "subsets"),
    "EndpointSubset": ("addresses", "notReadyAddresses", "ports"),
    "EndpointAddress": ("ip", "hostname", "nodeName", "targetRef"),
    "EndpointPort": ("name", "port", "protocol", "appProtocol"),
    # discovery/v1
    "EndpointSlice": (*_TYPE_META, "metadata", "addressType", "endpoints", "ports"),
    "Endpoint": (
        "addresses",
        "conditions",
        "hostname",
        "targetRef",
        "deprecatedTopology",
        "nodeName",
        "zone",
        "hints",
    ),
    "EndpointConditions": ("ready", "serving", "terminating"),
    "EndpointHints": ("forZones", "forNodes"),
    "ForZone": ("name",),
    "ForNode": ("name",),
    "DiscoveryEndpointPort": ("name", "protocol", "port", "appProtocol"),
    # core/v1 Event
    "Event": (
        *_TYPE_META,
        "metadata",
        "involvedObject",
        "reason",
        "message",
        "source",
        "firstTimestamp",
        "lastTimestamp",
        "count",
        "type",
        "eventTime",
        "series",
        "action",
        "related",
        "reportingComponent",
        "reportingInstance",
    ),
    "EventSource": ("component", "host"),
    "EventSeries": ("count", "lastObservedTime"),
    # events/v1 Event
    "EventsV1Event": (
        *_TYPE_META,
        "metadata",
        "eventTime",
        "series",
        "reportingController",
        "reportingInstance",
        "action",
        "reason",
        "regarding",
        "related",
        "note",
        "type",
        "deprecatedSource",
        "deprecatedFirstTimestamp",
        "deprecatedLastTimestamp",
        "deprecatedCount",
    ),
    # coordination/v1
    "Lease": (*_TYPE_META, "metadata", "spec"),
    "LeaseSpec": (
        "holderIdentity",
        "leaseDurationSeconds",
        "acquireTime",
        "renewTime",
        "leaseTransitions",
        "strategy",
        "preferredHolder",
    ),
}

# Fields `kubesvc.api.types` leaves open (`dict[str, Any]`) or does not declare, and the Go type
# they hold: a struct name, `[]Name` (a list of it), `map` (a Go map of scalars: keys sorted) or
# `{}Name` (a map of structs).
CHILDREN: Final[dict[str, dict[str, str]]] = {
    "Status": {"metadata": "ListMeta", "details": "StatusDetails"},
    "StatusDetails": {"causes": "[]StatusCause"},
    "PartialObjectMetadata": {"metadata": "ObjectMeta"},
    "Table": {"metadata": "ListMeta", "columnDefinitions": "[]TableColumnDefinition", "rows": "[]TableRow"},
    "TableRow": {"conditions": "[]TableRowCondition"},
    "APIGroupList": {"groups": "[]APIGroup"},
    "APIResourceList": {"resources": "[]APIResource"},
    "PodSpec": {
        "volumes": "[]Volume",
        "affinity": "",
        "hostAliases": "[]HostAlias",
        "dnsConfig": "PodDNSConfig",
        "os": "PodOS",
        "schedulingGates": "[]PodSchedulingGate",
        "topologySpreadConstraints": "[]TopologySpreadConstraint",
    },
    "PodSecurityContext": {
        "seLinuxOptions": "SELinuxOptions",
        "sysctls": "[]Sysctl",
        "seccompProfile": "SeccompProfile",
        "appArmorProfile": "AppArmorProfile",
    },
    "Container": {
        "resizePolicy": "[]ContainerResizePolicy",
        "volumeMounts": "[]VolumeMount",
        "volumeDevices": "[]VolumeDevice",
        "securityContext": "SecurityContext",
    },
    "EnvFromSource": {"configMapRef": "ConfigMapEnvSource", "secretRef": "SecretEnvSource"},
    "SecurityContext": {
        "capabilities": "Capabilities",
        "seLinuxOptions": "SELinuxOptions",
        "seccompProfile": "SeccompProfile",
        "appArmorProfile": "AppArmorProfile",
    },
    "TopologySpreadConstraint": {"labelSelector": "LabelSelector"},
    "PodDNSConfig": {"options": "[]PodDNSConfigOption"},
    "ContainerStatus": {"volumeMounts": "[]VolumeMountStatus"},
    "NodeStatus": {"images": "[]ContainerImage", "volumesAttached": "[]AttachedVolume"},
}
CHILDREN["EphemeralContainer"] = CHILDREN["Container"]
CHILDREN.update(
    {
        "Volume": {
            "hostPath": "HostPathVolumeSource",
            "emptyDir": "EmptyDirVolumeSource",
            "secret": "SecretVolumeSource",
            "configMap": "ConfigMapVolumeSource",
            "persistentVolumeClaim": "PersistentVolumeClaimVolumeSource",
            "nfs": "NFSVolumeSource",
            "downwardAPI": "DownwardAPIVolumeSource",
            "projected": "ProjectedVolumeSource",
            "csi": "CSIVolumeSource",
            "image": "ImageVolumeSource",
        },
        "SecretVolumeSource": {"items": "[]KeyToPath"},
        "ConfigMapVolumeSource": {"items": "[]KeyToPath"},
        "DownwardAPIVolumeSource": {"items": "[]DownwardAPIVolumeFile"},
        "DownwardAPIVolumeFile": {
            "fieldRef": "ObjectFieldSelector",
            "resourceFieldRef": "ResourceFieldSelector",
        },
        "ProjectedVolumeSource": {"sources": "[]VolumeProjection"},
        "VolumeProjection": {
            "secret": "SecretProjection",
            "downwardAPI": "DownwardAPIProjection",
            "configMap": "ConfigMapProjection",
            "serviceAccountToken": "ServiceAccountTokenProjection",
        },
        "SecretProjection": {"items": "[]KeyToPath"},
        "ConfigMapProjection": {"items": "[]KeyToPath"},
        "DownwardAPIProjection": {"items": "[]DownwardAPIVolumeFile"},
        "CSIVolumeSource": {"volumeAttributes": "map", "nodePublishSecretRef": "LocalObjectReference"},
    }
)

# (apiVersion, kind) of each kind we serve -> its Go struct (the TypedDict of api/types.py of
# the same name; pruning and wireshape look kinds up here too).
SERVED_KINDS: Final[dict[tuple[str, str], str]] = {
    ("v1", "Service"): "Service",
    ("v1", "Pod"): "Pod",
    ("v1", "Node"): "Node",
    ("v1", "Namespace"): "Namespace",
    ("v1", "Endpoints"): "Endpoints",
    ("v1", "Event"): "Event",
    ("discovery.k8s.io/v1", "EndpointSlice"): "EndpointSlice",
    ("events.k8s.io/v1", "Event"): "EventsV1Event",
    ("coordination.k8s.io/v1", "Lease"): "Lease",
}

# (apiVersion, kind) of any object we write -> its Go struct.
ROOTS: Final[dict[tuple[str, str], str]] = {
    **SERVED_KINDS,
    ("v1", "Status"): "Status",
    ("meta.k8s.io/v1", "Table"): "Table",
    ("meta.k8s.io/v1", "PartialObjectMetadata"): "PartialObjectMetadata",
    ("v1", "APIGroup"): "APIGroup",
    ("v1", "APIGroupList"): "APIGroupList",
    ("v1", "APIResourceList"): "APIResourceList",
}

_LAST = 1 << 30  # rank of an undeclared key: after every declared one, in arrival order

# -- compiled plans ----------------------------------------------------------------------------

STRUCT, LIST, MAP, MAP_OF = 0, 1, 2, 3


@dataclass(slots=True)
class Plan:
    """One Go struct: the rank of each declared key, and what its nested fields hold as
    (mode, plan) with mode STRUCT, LIST (of structs), MAP (of scalars: keys sorted) or MAP_OF
    (map of structs: keys sorted, values ordered)."""

    name: str
    rank: dict[str, int] = field(default_factory=dict)
    children: dict[str, tuple[int, Plan | None]] = field(default_factory=dict)


def _types_module() -> Any:
    from kubesvc.api import types as api_types

    return api_types


def _typeddict_name(tp: Any) -> str | None:
    if isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__total__"):
        return tp.__name__
    return None


def _field_kind(tp: Any) -> tuple[int, str | None] | None:
    """What a TypedDict annotation holds: (STRUCT|LIST|MAP|MAP_OF, struct name) or None for a
    scalar or an open value."""
    cands: list[Any] = [tp]
    origin = get_origin(tp)
    if origin is Union or origin is pytypes.UnionType:
        cands = [a for a in get_args(tp) if a is not type(None)]
    for c in cands:
        name = _typeddict_name(c)
        if name is not None:
            return STRUCT, name
        o = get_origin(c)
        args = get_args(c)
        if o is list and args:
            item = _typeddict_name(args[0])
            if item is not None:
                return LIST, item
        if o is dict and len(args) == 2 and args[1] is not Any:
            value = _typeddict_name(args[1])
            return (MAP_OF, value) if value is not None else (MAP, None)
    return None


def _parse_child(spec: str) -> tuple[int, str | None] | None:
    if not spec:
        return None
    if spec == "map":
        return MAP, None
    if spec.startswith("[]"):
        return LIST, spec[2:]
    if spec.startswith("{}"):
        return MAP_OF, spec[2:]
    return STRUCT, spec


@cache
def _hints(name: str) -> dict[str, Any]:
    mod = _types_module()
    td = getattr(mod, name, None)
    if _typeddict_name(td) is None:
        return {}
    hints: dict[str, Any] = typing.get_type_hints(td, globalns=vars(mod))
    return hints


_PLANS: dict[str, Plan] = {}


def plan_for(name: str) -> Plan:
    """The compiled plan of one Go struct (cached; cycles are fine)."""
    plan = _PLANS.get(name)
    if plan is not None:
        return plan
    plan = Plan(name)
    _PLANS[name] = plan
    declared = ORDER.get(name) or tuple(_hints(name))
    plan.rank = {k: i for i, k in enumerate(declared)}
    kinds: dict[str, tuple[int, str | None] | None] = {}
    for key, tp in _hints(name).items():
        kinds[key] = _field_kind(tp)
    for key, spec in CHILDREN.get(name, {}).items():
        kinds[key] = _parse_child(spec)
    for key, kind in kinds.items():
        if kind is None:
            continue
        mode, sub = kind
        plan.children[key] = (mode, plan_for(sub) if sub else None)
    return plan


# -- ordering ----------------------------------------------------------------------------------


def _in_order(d: dict[str, Any], rank: dict[str, int]) -> bool:
    ranks = list(map(rank.get, d, repeat(_LAST)))
    return ranks == sorted(ranks)


def _sorted_map(d: dict[str, Any]) -> None:
    if len(d) > 1:
        keys = list(d)
        if keys != sorted(keys):
            items = sorted(d.items())
            d.clear()
            d.update(items)


def order_struct(d: dict[str, Any], plan: Plan) -> None:
    """Rearrange `d` (a value of `plan`'s struct) and everything under it, in place."""
    rank = plan.rank
    if not _in_order(d, rank):
        items = sorted(d.items(), key=lambda kv: rank.get(kv[0], _LAST))
        d.clear()
        d.update(items)
    children = plan.children
    if not children:
        return
    for key, value in d.items():
        child = children.get(key)
        if child is None:
            continue
        mode, sub = child
        if mode == STRUCT:
            if isinstance(value, dict) and sub is not None:
                order_struct(value, sub)
        elif mode == LIST:
            if isinstance(value, list) and sub is not None:
                for item in value:
                    if isinstance(item, dict):
                        order_struct(item, sub)
        elif isinstance(value, dict):
            _sorted_map(value)
            if mode == MAP_OF and sub is not None:
                for v in value.values():
                    if isinstance(v, dict):
                        order_struct(v, sub)


def root_plan(api_version: str, kind: str) -> Plan | None:
    name = ROOTS.get((api_version, kind))
    return plan_for(name) if name is not None else None


def order(obj: dict[str, Any], api_version: str = "", kind: str = "") -> dict[str, Any]:
    """Put `obj` (one object, or a `<Kind>List` of served objects) in Go's key order, in place;
    returns it.  apiVersion and kind default to the object's own.  An unknown kind is left
    alone."""
    api_version = api_version or str(obj.get("apiVersion") or "")
    kind = kind or str(obj.get("kind") or "")
    plan = root_plan(api_version, kind)
    if plan is not None:
        order_struct(obj, plan)
        return obj
    if kind.endswith("List"):
        item_plan = root_plan(api_version, kind[: -len("List")])
        if item_plan is not None:
            order_struct(obj, _list_plan())
            for item in obj.get("items") or ():
                if isinstance(item, dict):
                    order_struct(item, item_plan)
    return obj


@cache
def _list_plan() -> Plan:
    plan = Plan("List", rank={k: i for i, k in enumerate((*_TYPE_META, "metadata", "items"))})
    plan.children["metadata"] = (STRUCT, plan_for("ListMeta"))
    return plan


def order_metadata(meta: dict[str, Any]) -> None:
    """ObjectMeta alone (e.g. after a key was added at the end)."""
    order_struct(meta, plan_for("ObjectMeta"))


__all__ = [
    "CHILDREN",
    "ORDER",
    "ROOTS",
    "SERVED_KINDS",
    "Plan",
    "order",
    "order_metadata",
    "order_struct",
    "plan_for",
    "root_plan",
]
