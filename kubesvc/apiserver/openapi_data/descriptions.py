"""Field documentation served in the OpenAPI schemas (`kubectl explain`), written for kubesvc.

Keys are `<TypedDict name>` (the type's own description) or `<TypedDict name>.<field>`.
REQUIRED lists the fields upstream marks required; ENUMS the closed value sets kubectl 1.33
prints as `enum:` lines.
"""

from __future__ import annotations

DESCRIPTIONS: dict[str, str] = {
    # ---- meta
    "ObjectMeta": "Standard metadata every persisted object carries: name, namespace, labels, "
    "annotations and the fields the server maintains.",
    "ObjectMeta.name": "Name of the object, unique within its namespace (or the cluster for cluster-scoped "
    "kinds). Required on create unless generateName is set. Cannot be updated.",
    "ObjectMeta.generateName": "Prefix the server uses to generate a unique name when name is empty; a "
    "random suffix is appended.",
    "ObjectMeta.namespace": "Namespace the object lives in. Empty for cluster-scoped kinds. Cannot be updated.",
    "ObjectMeta.selfLink": "Deprecated and always empty.",
    "ObjectMeta.uid": "Unique identifier the server assigns on create. Read-only.",
    "ObjectMeta.resourceVersion": "Opaque version of the object, changed on every write; used for "
    "optimistic concurrency and to resume watches. Read-only.",
    "ObjectMeta.generation": "Sequence number of the desired state, incremented when the spec changes. Read-only.",
    "ObjectMeta.creationTimestamp": "When the server created the object (RFC 3339, UTC). Read-only.",
    "ObjectMeta.deletionTimestamp": "When the object will be deleted; set by the server when deletion is "
    "requested and finalizers or a grace period delay it. Read-only.",
    "ObjectMeta.deletionGracePeriodSeconds": "Seconds allowed for graceful termination before the object "
    "is removed. Read-only.",
    "ObjectMeta.labels": "Key/value pairs used to organize and select objects (label selectors).",
    "ObjectMeta.annotations": "Arbitrary non-identifying key/value metadata for tools and users.",
    "ObjectMeta.ownerReferences": "Objects this object depends on; when all owners are gone the object "
    "is garbage collected.",
    "ObjectMeta.finalizers": "Keys that must be removed before the object is deleted from storage.",
    "ObjectMeta.managedFields": "Which field manager owns which fields, maintained by the server for "
    "server-side apply.",
    "OwnerReference": "Identifies an owning object; the owner must be in the same namespace or cluster-scoped.",
    "OwnerReference.apiVersion": "API version of the owner.",
    "OwnerReference.kind": "Kind of the owner.",
    "OwnerReference.name": "Name of the owner.",
    "OwnerReference.uid": "UID of the owner.",
    "OwnerReference.controller": "True when the owner is the managing controller.",
    "OwnerReference.blockOwnerDeletion": "When true, foreground deletion of the owner waits for this object.",
    "ManagedFieldsEntry": "The fields one manager owns, and how it last wrote them.",
    "ManagedFieldsEntry.manager": "Name of the field manager.",
    "ManagedFieldsEntry.operation": "Apply or Update: how the manager last wrote these fields.",
    "ManagedFieldsEntry.apiVersion": "API version the fields were written in.",
    "ManagedFieldsEntry.time": "When the manager last changed these fields.",
    "ManagedFieldsEntry.fieldsType": "Format of fieldsV1; always FieldsV1.",
    "ManagedFieldsEntry.fieldsV1": "The owned fields as a set of paths.",
    "ManagedFieldsEntry.subresource": "Subresource the write went through, empty for the main resource.",
    "Condition": "One aspect of the current state of an object.",
    "Condition.type": "Type of the condition, in CamelCase.",
    "Condition.status": "True, False or Unknown.",
    "Condition.observedGeneration": "The metadata.generation this condition was computed from.",
    "Condition.lastTransitionTime": "When the status last changed.",
    "Condition.reason": "Programmatic reason for the last transition, in CamelCase.",
    "Condition.message": "Human-readable details about the last transition.",
    # ---- Service
    "Service": "Service is a named abstraction of software service (for example, mysql) consisting of "
    "local port (for example 3306) that the proxy listens on, and the selector that determines which "
    "pods will answer requests sent through the proxy.",
    "Service.apiVersion": "Versioned schema of this representation of the object.",
    "Service.kind": "REST resource this object represents.",
    "Service.metadata": "Standard object metadata.",
    "Service.spec": "Desired behavior of the Service.",
    "Service.status": "Most recently observed status of the Service. Populated by the system. Read-only.",
    "ServiceSpec": "The attributes a user creates on a Service.",
    "ServiceSpec.ports": "The ports this Service exposes. Each port maps a Service port to a target port on "
    "the selected Pods.",
    "ServiceSpec.selector": "Traffic is routed to Pods whose labels match these key/value pairs. When empty "
    "or absent, the Service's endpoints are managed by something else. Ignored for ExternalName.",
    "ServiceSpec.clusterIP": "The virtual IP of the Service, usually allocated by the server. `None` makes "
    "a headless Service. Cannot be changed once set, except when changing type.",
    "ServiceSpec.clusterIPs": "The virtual IPs of the Service, at most one per IP family; the first equals "
    "clusterIP.",
    "ServiceSpec.type": "How the Service is exposed. ClusterIP allocates a cluster-internal virtual IP, "
    "NodePort additionally opens a port on every node, LoadBalancer additionally asks for an external "
    "load balancer, ExternalName aliases externalName in DNS.",
    "ServiceSpec.externalIPs": "Extra IPs on which nodes accept traffic for this Service; not managed by "
    "the system.",
    "ServiceSpec.sessionAffinity": "ClientIP keeps each client on the same endpoint; None balances freely.",
    "ServiceSpec.loadBalancerIP": "Deprecated: requested load balancer IP, if the implementation supports it.",
    "ServiceSpec.loadBalancerSourceRanges": "Client CIDRs allowed through a cloud load balancer.",
    "ServiceSpec.externalName": "DNS name the Service aliases (CNAME); requires type ExternalName.",
    "ServiceSpec.externalTrafficPolicy": "How traffic from external sources (NodePorts, load balancer IPs) "
    "is routed: Cluster to any ready endpoint, Local only to endpoints on the receiving node.",
    "ServiceSpec.healthCheckNodePort": "Node port answering health checks when externalTrafficPolicy is Local.",
    "ServiceSpec.publishNotReadyAddresses": "Publish endpoints whether or not their Pods are ready.",
    "ServiceSpec.sessionAffinityConfig": "Settings of session affinity.",
    "ServiceSpec.ipFamilies": "IP families (IPv4, IPv6) of the Service's cluster IPs, in order.",
    "ServiceSpec.ipFamilyPolicy": "Whether the Service gets one IP family or two: SingleStack, "
    "PreferDualStack or RequireDualStack.",
    "ServiceSpec.allocateLoadBalancerNodePorts": "Whether node ports are allocated for a LoadBalancer Service.",
    "ServiceSpec.loadBalancerClass": "Which load balancer implementation handles this Service.",
    "ServiceSpec.internalTrafficPolicy": "How traffic from inside the cluster is routed: Cluster or Local.",
    "ServiceSpec.trafficDistribution": "Preference for how traffic is spread over endpoints, e.g. PreferClose.",
    "ServicePort": "One port a Service exposes.",
    "ServicePort.name": "Name of the port, unique within the Service; required when there is more than one "
    "port. Matches the name in Endpoints and EndpointSlices.",
    "ServicePort.protocol": "IP protocol of the port: TCP (default), UDP or SCTP.",
    "ServicePort.appProtocol": "Application protocol of the port, as a hint to implementations.",
    "ServicePort.port": "The port the Service exposes.",
    "ServicePort.targetPort": "Number or name of the port on the selected Pods; defaults to port.",
    "ServicePort.nodePort": "Port opened on every node for NodePort and LoadBalancer Services; allocated "
    "when not given.",
    "SessionAffinityConfig": "Session affinity settings.",
    "SessionAffinityConfig.clientIP": "Settings of ClientIP session affinity.",
    "ClientIPConfig": "Settings of ClientIP session affinity.",
    "ClientIPConfig.timeoutSeconds": "Seconds a client sticks to its endpoint (default 10800).",
    "ServiceStatus": "The observed state of a Service.",
    "ServiceStatus.loadBalancer": "The load balancer, if one exists.",
    "ServiceStatus.conditions": "Current conditions of the Service.",
    "LoadBalancerStatus": "The state of a load balancer.",
    "LoadBalancerStatus.ingress": "Addresses at which the load balancer receives traffic.",
    "LoadBalancerIngress": "One ingress point of a load balancer.",
    "LoadBalancerIngress.ip": "IP address of the ingress point.",
    "LoadBalancerIngress.hostname": "DNS name of the ingress point.",
    "LoadBalancerIngress.ipMode": "VIP (traffic arrives with the IP as destination) or Proxy.",
    "LoadBalancerIngress.ports": "Status of the load balancer's ports.",
    # ---- other kinds
    "Pod": "A group of containers that run together on one node.",
    "Pod.spec": "Desired behavior of the Pod.",
    "Pod.status": "Most recently observed status of the Pod. Read-only.",
    "Node": "A worker machine of the cluster.",
    "Namespace": "A scope for names of namespaced objects.",
    "Endpoints": "The addresses and ports that implement a Service (the legacy API; see EndpointSlice).",
    "Endpoints.subsets": "Groups of addresses sharing the same ports.",
    "EndpointSlice": "A subset of the endpoints that implement a Service.",
    "EndpointSlice.addressType": "Type of the addresses in this slice: IPv4, IPv6 or FQDN.",
    "EndpointSlice.endpoints": "The endpoints in this slice (at most 1000).",
    "EndpointSlice.ports": "The network ports every endpoint in this slice exposes.",
    "Event": "A report of something that happened in the cluster.",
    "EventsV1Event": "A report of something that happened in the cluster.",
    "Lease": "A lease, used for leader election and node heartbeats.",
    "LeaseSpec": "The desired state of a lease.",
    "LeaseSpec.holderIdentity": "Identity of the current holder of the lease.",
    "LeaseSpec.leaseDurationSeconds": "How long candidates wait before forcing acquisition.",
    "LeaseSpec.acquireTime": "When the current holder acquired the lease.",
    "LeaseSpec.renewTime": "When the current holder last renewed the lease.",
    "LeaseSpec.leaseTransitions": "How many times the lease changed holders.",
}

REQUIRED: dict[str, list[str]] = {
    "ServicePort": ["port"],
    "OwnerReference": ["apiVersion", "kind", "name", "uid"],
    "Container": ["name"],
    "PodSpec": ["containers"],
    "ContainerPort": ["containerPort"],
    "EnvVar": ["name"],
    "NodeAddress": ["type", "address"],
    "NodeCondition": ["type", "status"],
    "PodCondition": ["type", "status"],
    "NamespaceCondition": ["type", "status"],
    "Condition": ["type", "status", "lastTransitionTime", "reason", "message"],
    "Taint": ["key", "effect"],
    "EndpointAddress": ["ip"],
    "EndpointPort": ["port"],
    "EndpointSlice": ["addressType", "endpoints"],
    "Endpoint": ["addresses"],
    "Event": ["metadata", "involvedObject"],
    "EventsV1Event": ["eventTime"],
    "ContainerStatus": ["name", "ready", "restartCount", "image", "imageID"],
    "PodReadinessGate": ["conditionType"],
    "ManagedFieldsEntry": [],
}

ENUMS: dict[str, list[str]] = {
    "ServiceSpec.type": ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"],
    "ServiceSpec.sessionAffinity": ["ClientIP", "None"],
    "ServiceSpec.externalTrafficPolicy": ["Cluster", "Local"],
    "ServiceSpec.internalTrafficPolicy": ["Cluster", "Local"],
    "ServiceSpec.ipFamilyPolicy": ["PreferDualStack", "RequireDualStack", "SingleStack"],
    "ServicePort.protocol": ["SCTP", "TCP", "UDP"],
    "EndpointSlice.addressType": ["FQDN", "IPv4", "IPv6"],
    "PodStatus.phase": ["Failed", "Pending", "Running", "Succeeded", "Unknown"],
    "NamespaceStatus.phase": ["Active", "Terminating"],
}
