"""The object model: Kubernetes objects as dicts in their exact JSON shape, declared as TypedDicts.

Why dicts and not classes: the API edge speaks JSON, and Kubernetes tells `null` from an absent
field, spells keys in camelCase (`clusterIPs`, `podIPs`) and mixes types (`targetPort` is an int or
a port name).  A dict holds all of that as it is, patches apply to it directly, and every validator
can quote the user's own value back.  These declarations give mypy the key names and value types;
`schema.py` reads them (through `typing.get_type_hints`) to prune unknown fields.

Every TypedDict is `total=False`: any key may be absent, exactly as `omitempty` fields may be in
the wire form.  The names are the Kubernetes Go type names.  Keep this module declarative: no
functions, no defaults (those live in `defaults.py`), no validation (that lives in `validation/`).
Field sets follow k8s.io/api v1.34.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

# Scalars with a Kubernetes meaning.
Time = str  # RFC 3339, second precision: "2024-01-02T03:04:05Z"
MicroTime = str  # RFC 3339 with microseconds: "2024-01-02T03:04:05.000000Z"
Quantity = str | int | float  # resource.Quantity: "100m", "1Gi", 2
IntOrString = int | str

Protocol = Literal["TCP", "UDP", "SCTP"]
IPFamily = Literal["IPv4", "IPv6"]

# ---------------------------------------------------------------------------------------------
# meta/v1


class OwnerReference(TypedDict, total=False):
    apiVersion: str
    kind: str
    name: str
    uid: str
    controller: bool
    blockOwnerDeletion: bool


class ManagedFieldsEntry(TypedDict, total=False):
    manager: str
    operation: str  # Apply | Update
    apiVersion: str
    time: Time
    fieldsType: str  # FieldsV1
    fieldsV1: dict[str, Any]
    subresource: str


class ObjectMeta(TypedDict, total=False):
    name: str
    generateName: str
    namespace: str
    selfLink: str
    uid: str
    resourceVersion: str
    generation: int
    creationTimestamp: Time | None
    deletionTimestamp: Time
    deletionGracePeriodSeconds: int
    labels: dict[str, str]
    annotations: dict[str, str]
    ownerReferences: list[OwnerReference]
    finalizers: list[str]
    managedFields: list[ManagedFieldsEntry]


# `continue` is a Python keyword, hence the functional form.
ListMeta = TypedDict(
    "ListMeta",
    {"selfLink": str, "resourceVersion": str, "continue": str, "remainingItemCount": int},
    total=False,
)


class StatusCause(TypedDict, total=False):
    reason: str
    message: str
    field: str


class StatusDetails(TypedDict, total=False):
    name: str
    group: str
    kind: str
    uid: str
    causes: list[StatusCause]
    retryAfterSeconds: int


class Status(TypedDict, total=False):
    kind: str  # "Status"
    apiVersion: str  # "v1"
    metadata: ListMeta
    status: str  # Success | Failure
    message: str
    reason: str
    details: StatusDetails
    code: int


class WatchEvent(TypedDict, total=False):
    type: str  # ADDED | MODIFIED | DELETED | BOOKMARK | ERROR
    object: dict[str, Any]


class LabelSelectorRequirement(TypedDict, total=False):
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist
    values: list[str]


class LabelSelector(TypedDict, total=False):
    matchLabels: dict[str, str]
    matchExpressions: list[LabelSelectorRequirement]


class Condition(TypedDict, total=False):
    """metav1.Condition, as used in Service status."""

    type: str
    status: str  # True | False | Unknown
    observedGeneration: int
    lastTransitionTime: Time
    reason: str
    message: str


class TypeMeta(TypedDict, total=False):
    apiVersion: str
    kind: str


# ---------------------------------------------------------------------------------------------
# core/v1 shared pieces


class ObjectReference(TypedDict, total=False):
    kind: str
    namespace: str
    name: str
    uid: str
    apiVersion: str
    resourceVersion: str
    fieldPath: str


class LocalObjectReference(TypedDict, total=False):
    name: str


# ---------------------------------------------------------------------------------------------
# core/v1 Service


class ServicePort(TypedDict, total=False):
    name: str
    protocol: str
    appProtocol: str
    port: int
    targetPort: IntOrString
    nodePort: int


class ClientIPConfig(TypedDict, total=False):
    timeoutSeconds: int


class SessionAffinityConfig(TypedDict, total=False):
    clientIP: ClientIPConfig


class ServiceSpec(TypedDict, total=False):
    ports: list[ServicePort]
    selector: dict[str, str]
    clusterIP: str
    clusterIPs: list[str]
    type: str  # ClusterIP | NodePort | LoadBalancer | ExternalName
    externalIPs: list[str]
    sessionAffinity: str  # None | ClientIP
    loadBalancerIP: str
    loadBalancerSourceRanges: list[str]
    externalName: str
    externalTrafficPolicy: str  # Cluster | Local
    healthCheckNodePort: int
    publishNotReadyAddresses: bool
    sessionAffinityConfig: SessionAffinityConfig
    ipFamilies: list[str]
    ipFamilyPolicy: str  # SingleStack | PreferDualStack | RequireDualStack
    allocateLoadBalancerNodePorts: bool
    loadBalancerClass: str
    internalTrafficPolicy: str  # Cluster | Local
    trafficDistribution: str  # PreferClose | PreferSameZone | PreferSameNode


class PortStatus(TypedDict, total=False):
    port: int
    protocol: str
    error: str


class LoadBalancerIngress(TypedDict, total=False):
    ip: str
    hostname: str
    ipMode: str  # VIP | Proxy
    ports: list[PortStatus]


class LoadBalancerStatus(TypedDict, total=False):
    ingress: list[LoadBalancerIngress]


class ServiceStatus(TypedDict, total=False):
    loadBalancer: LoadBalancerStatus
    conditions: list[Condition]


class Service(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: ServiceSpec
    status: ServiceStatus


# ---------------------------------------------------------------------------------------------
# core/v1 Pod


class ObjectFieldSelector(TypedDict, total=False):
    apiVersion: str
    fieldPath: str


class ResourceFieldSelector(TypedDict, total=False):
    containerName: str
    resource: str
    divisor: Quantity


class ConfigMapKeySelector(TypedDict, total=False):
    name: str
    key: str
    optional: bool


class SecretKeySelector(TypedDict, total=False):
    name: str
    key: str
    optional: bool


class EnvVarSource(TypedDict, total=False):
    fieldRef: ObjectFieldSelector
    resourceFieldRef: ResourceFieldSelector
    configMapKeyRef: ConfigMapKeySelector
    secretKeyRef: SecretKeySelector
    fileKeyRef: dict[str, Any]


class EnvVar(TypedDict, total=False):
    name: str
    value: str
    valueFrom: EnvVarSource


class EnvFromSource(TypedDict, total=False):
    prefix: str
    configMapRef: dict[str, Any]
    secretRef: dict[str, Any]


class ContainerPort(TypedDict, total=False):
    name: str
    hostPort: int
    containerPort: int
    protocol: str
    hostIP: str


class ExecAction(TypedDict, total=False):
    command: list[str]


class HTTPHeader(TypedDict, total=False):
    name: str
    value: str


class HTTPGetAction(TypedDict, total=False):
    path: str
    port: IntOrString
    host: str
    scheme: str  # HTTP | HTTPS
    httpHeaders: list[HTTPHeader]


class TCPSocketAction(TypedDict, total=False):
    port: IntOrString
    host: str


class GRPCAction(TypedDict, total=False):
    port: int
    service: str


class Probe(TypedDict, total=False):
    exec: ExecAction
    httpGet: HTTPGetAction
    tcpSocket: TCPSocketAction
    grpc: GRPCAction
    initialDelaySeconds: int
    timeoutSeconds: int
    periodSeconds: int
    successThreshold: int
    failureThreshold: int
    terminationGracePeriodSeconds: int


class SleepAction(TypedDict, total=False):
    seconds: int


class LifecycleHandler(TypedDict, total=False):
    exec: ExecAction
    httpGet: HTTPGetAction
    tcpSocket: TCPSocketAction
    sleep: SleepAction


class Lifecycle(TypedDict, total=False):
    postStart: LifecycleHandler
    preStop: LifecycleHandler
    stopSignal: str


class ResourceRequirements(TypedDict, total=False):
    limits: dict[str, Quantity]
    requests: dict[str, Quantity]
    claims: list[dict[str, Any]]


class Container(TypedDict, total=False):
    """Every field of the current API is declared (pruning drops undeclared keys); the parts
    kubesvc does not interpret are open dicts."""

    name: str
    image: str
    command: list[str]
    args: list[str]
    workingDir: str
    ports: list[ContainerPort]
    envFrom: list[EnvFromSource]
    env: list[EnvVar]
    resources: ResourceRequirements
    resizePolicy: list[dict[str, Any]]
    restartPolicyRules: list[dict[str, Any]]
    volumeMounts: list[dict[str, Any]]
    volumeDevices: list[dict[str, Any]]
    livenessProbe: Probe
    readinessProbe: Probe
    startupProbe: Probe
    lifecycle: Lifecycle
    terminationMessagePath: str
    terminationMessagePolicy: str  # File | FallbackToLogsOnError
    imagePullPolicy: str  # Always | Never | IfNotPresent
    restartPolicy: str  # init containers only: Always
    securityContext: dict[str, Any]
    stdin: bool
    stdinOnce: bool
    tty: bool


class EphemeralContainer(Container, total=False):
    targetContainerName: str


class PodReadinessGate(TypedDict, total=False):
    conditionType: str


class PodSecurityContext(TypedDict, total=False):
    seLinuxOptions: dict[str, Any]
    windowsOptions: dict[str, Any]
    runAsUser: int
    runAsGroup: int
    runAsNonRoot: bool
    supplementalGroups: list[int]
    supplementalGroupsPolicy: str
    fsGroup: int
    sysctls: list[dict[str, Any]]
    fsGroupChangePolicy: str
    seccompProfile: dict[str, Any]
    appArmorProfile: dict[str, Any]
    seLinuxChangePolicy: str


class Toleration(TypedDict, total=False):
    key: str
    operator: str
    value: str
    effect: str
    tolerationSeconds: int


class PodSpec(TypedDict, total=False):
    volumes: list[dict[str, Any]]
    initContainers: list[Container]
    containers: list[Container]
    ephemeralContainers: list[EphemeralContainer]
    restartPolicy: str  # Always | OnFailure | Never
    terminationGracePeriodSeconds: int
    activeDeadlineSeconds: int
    dnsPolicy: str  # ClusterFirst | ClusterFirstWithHostNet | Default | None
    nodeSelector: dict[str, str]
    serviceAccountName: str
    serviceAccount: str
    automountServiceAccountToken: bool
    nodeName: str
    hostNetwork: bool
    hostPID: bool
    hostIPC: bool
    shareProcessNamespace: bool
    securityContext: PodSecurityContext
    imagePullSecrets: list[LocalObjectReference]
    hostname: str
    subdomain: str
    affinity: dict[str, Any]
    schedulerName: str
    tolerations: list[Toleration]
    hostAliases: list[dict[str, Any]]
    priorityClassName: str
    priority: int
    dnsConfig: dict[str, Any]
    readinessGates: list[PodReadinessGate]
    runtimeClassName: str
    enableServiceLinks: bool
    preemptionPolicy: str
    overhead: dict[str, Quantity]
    topologySpreadConstraints: list[dict[str, Any]]
    setHostnameAsFQDN: bool
    os: dict[str, Any]
    hostUsers: bool
    schedulingGates: list[dict[str, Any]]
    resourceClaims: list[dict[str, Any]]
    resources: ResourceRequirements
    hostnameOverride: str


class PodCondition(TypedDict, total=False):
    observedGeneration: int
    type: str
    status: str
    lastProbeTime: Time | None
    lastTransitionTime: Time | None
    reason: str
    message: str


class PodIP(TypedDict, total=False):
    ip: str


class HostIP(TypedDict, total=False):
    ip: str


class ContainerStateWaiting(TypedDict, total=False):
    reason: str
    message: str


class ContainerStateRunning(TypedDict, total=False):
    startedAt: Time


class ContainerStateTerminated(TypedDict, total=False):
    exitCode: int
    signal: int
    reason: str
    message: str
    startedAt: Time
    finishedAt: Time
    containerID: str


class ContainerState(TypedDict, total=False):
    waiting: ContainerStateWaiting
    running: ContainerStateRunning
    terminated: ContainerStateTerminated


class ContainerStatus(TypedDict, total=False):
    name: str
    state: ContainerState
    lastState: ContainerState
    ready: bool
    restartCount: int
    image: str
    imageID: str
    containerID: str
    started: bool
    allocatedResources: dict[str, Quantity]
    resources: ResourceRequirements
    volumeMounts: list[dict[str, Any]]
    user: dict[str, Any]
    allocatedResourcesStatus: list[dict[str, Any]]
    stopSignal: str


class PodStatus(TypedDict, total=False):
    observedGeneration: int
    phase: str  # Pending | Running | Succeeded | Failed | Unknown
    conditions: list[PodCondition]
    message: str
    reason: str
    nominatedNodeName: str
    hostIP: str
    hostIPs: list[HostIP]
    podIP: str
    podIPs: list[PodIP]
    startTime: Time
    containerStatuses: list[ContainerStatus]
    initContainerStatuses: list[ContainerStatus]
    ephemeralContainerStatuses: list[ContainerStatus]
    qosClass: str
    resize: str
    resourceClaimStatuses: list[dict[str, Any]]
    extendedResourceClaimStatus: dict[str, Any]


class Pod(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: PodSpec
    status: PodStatus


# ---------------------------------------------------------------------------------------------
# core/v1 Node


class Taint(TypedDict, total=False):
    key: str
    value: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute
    timeAdded: Time


class NodeSpec(TypedDict, total=False):
    podCIDR: str
    podCIDRs: list[str]
    providerID: str
    unschedulable: bool
    taints: list[Taint]
    configSource: dict[str, Any]
    externalID: str


class NodeAddress(TypedDict, total=False):
    type: str  # Hostname | InternalIP | ExternalIP | InternalDNS | ExternalDNS
    address: str


class NodeCondition(TypedDict, total=False):
    type: str
    status: str
    lastHeartbeatTime: Time
    lastTransitionTime: Time
    reason: str
    message: str


class DaemonEndpoint(TypedDict, total=False):
    Port: int  # the one capitalised key in the API


class NodeDaemonEndpoints(TypedDict, total=False):
    kubeletEndpoint: DaemonEndpoint


class NodeSystemInfo(TypedDict, total=False):
    machineID: str
    systemUUID: str
    bootID: str
    kernelVersion: str
    osImage: str
    containerRuntimeVersion: str
    kubeletVersion: str
    kubeProxyVersion: str
    operatingSystem: str
    architecture: str
    swap: dict[str, Any]


class NodeStatus(TypedDict, total=False):
    capacity: dict[str, Quantity]
    allocatable: dict[str, Quantity]
    phase: str
    conditions: list[NodeCondition]
    addresses: list[NodeAddress]
    daemonEndpoints: NodeDaemonEndpoints
    nodeInfo: NodeSystemInfo
    images: list[dict[str, Any]]
    volumesInUse: list[str]
    volumesAttached: list[dict[str, Any]]
    config: dict[str, Any]
    runtimeHandlers: list[dict[str, Any]]
    features: dict[str, Any]
    declaredFeatures: list[str]


class Node(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: NodeSpec
    status: NodeStatus


# ---------------------------------------------------------------------------------------------
# core/v1 Namespace


class NamespaceSpec(TypedDict, total=False):
    finalizers: list[str]


class NamespaceCondition(TypedDict, total=False):
    type: str
    status: str
    lastTransitionTime: Time
    reason: str
    message: str


class NamespaceStatus(TypedDict, total=False):
    phase: str  # Active | Terminating
    conditions: list[NamespaceCondition]


class Namespace(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: NamespaceSpec
    status: NamespaceStatus


# ---------------------------------------------------------------------------------------------
# core/v1 Endpoints


class EndpointAddress(TypedDict, total=False):
    ip: str
    hostname: str
    nodeName: str
    targetRef: ObjectReference


class EndpointPort(TypedDict, total=False):
    name: str
    port: int
    protocol: str
    appProtocol: str


class EndpointSubset(TypedDict, total=False):
    addresses: list[EndpointAddress]
    notReadyAddresses: list[EndpointAddress]
    ports: list[EndpointPort]


class Endpoints(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    subsets: list[EndpointSubset]


# ---------------------------------------------------------------------------------------------
# discovery.k8s.io/v1 EndpointSlice


class EndpointConditions(TypedDict, total=False):
    ready: bool
    serving: bool
    terminating: bool


class ForZone(TypedDict, total=False):
    name: str


class ForNode(TypedDict, total=False):
    name: str


class EndpointHints(TypedDict, total=False):
    forZones: list[ForZone]
    forNodes: list[ForNode]


class Endpoint(TypedDict, total=False):
    addresses: list[str]
    conditions: EndpointConditions
    hostname: str
    targetRef: ObjectReference
    deprecatedTopology: dict[str, str]
    nodeName: str
    zone: str
    hints: EndpointHints


class DiscoveryEndpointPort(TypedDict, total=False):
    """discovery/v1 EndpointPort (named apart from core/v1 EndpointPort)."""

    name: str
    protocol: str
    port: int
    appProtocol: str


class EndpointSlice(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    addressType: str  # IPv4 | IPv6 | FQDN
    endpoints: list[Endpoint]
    ports: list[DiscoveryEndpointPort]


# ---------------------------------------------------------------------------------------------
# core/v1 Event and events.k8s.io/v1 Event


class EventSource(TypedDict, total=False):
    component: str
    host: str


class EventSeries(TypedDict, total=False):
    count: int
    lastObservedTime: MicroTime


class Event(TypedDict, total=False):
    """core/v1 Event: what `kubectl get events` and `kubectl describe` read."""

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    involvedObject: ObjectReference
    reason: str
    message: str
    source: EventSource
    firstTimestamp: Time | None
    lastTimestamp: Time | None
    count: int
    type: str  # Normal | Warning
    eventTime: MicroTime | None
    series: EventSeries
    action: str
    related: ObjectReference
    reportingComponent: str
    reportingInstance: str


class EventsV1Event(TypedDict, total=False):
    """events.k8s.io/v1 Event: the same object seen through the newer group's field names."""

    apiVersion: str
    kind: str
    metadata: ObjectMeta
    eventTime: MicroTime | None
    series: EventSeries
    reportingController: str
    reportingInstance: str
    action: str
    reason: str
    regarding: ObjectReference
    related: ObjectReference
    note: str
    type: str
    deprecatedSource: EventSource
    deprecatedFirstTimestamp: Time | None
    deprecatedLastTimestamp: Time | None
    deprecatedCount: int


# ---------------------------------------------------------------------------------------------
# coordination.k8s.io/v1 Lease


class LeaseSpec(TypedDict, total=False):
    holderIdentity: str
    leaseDurationSeconds: int
    acquireTime: MicroTime
    renewTime: MicroTime
    leaseTransitions: int
    strategy: str  # OldestEmulationVersion
    preferredHolder: str


class Lease(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: ObjectMeta
    spec: LeaseSpec


# ---------------------------------------------------------------------------------------------
# Lists


class ObjectList(TypedDict, total=False):
    """Any `<Kind>List`: the items keep their own shape."""

    apiVersion: str
    kind: str
    metadata: ListMeta
    items: list[dict[str, Any]]
