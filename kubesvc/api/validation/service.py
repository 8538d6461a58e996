"""Service validation: create, update and status update, rule for rule as kube-apiserver checks.

The rules, field paths, error types and messages are those of pkg/apis/core/validation
(`ValidateService`, `validateServicePort`, `ValidateServiceClusterIPsRelatedFields`,
`validateServiceExternalTrafficPolicy`, `validateServiceInternalTrafficFieldsValue`,
`validateServiceTrafficDistribution`, `validateLoadBalancerClassField`,
`validateUpgradeDowngradeClusterIPs`/`IPFamilies`, `ValidateLoadBalancerStatus`), Kubernetes
1.34 with its default feature gates (LoadBalancerIPMode on, AllowServiceLBStatusOnNonLB off,
PreferSameTrafficDistribution on, StrictIPCIDRValidation off).

Validation runs on a *defaulted* object (see `kubesvc.api.defaults`), and after the registry has
synchronised `clusterIP`/`clusterIPs` (`defaults.normalize_cluster_ips`); an absent field reads as
Go's zero value.  Upstream quirks are kept on purpose because clients see them: the
`spec.LoadBalancerSourceRanges` path with a capital L, the `allocateLoadBalancerNodePorts` path
without `spec.`, the Go-syntax value of a duplicate port, and the loadBalancerClass check that
runs twice on update.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubesvc.api.defaults import externally_accessible
from kubesvc.api.fields import (
    ErrorList,
    FieldPath,
    duplicate,
    forbidden,
    internal,
    invalid,
    not_supported,
    path,
    required,
)
from kubesvc.api.validation.endpoints import validate_endpoint_ip
from kubesvc.api.validation.meta import (
    name_is_dns1035_label,
    validate_labels,
    validate_object_meta,
    validate_object_meta_update,
)
from kubesvc.api.validation.names import (
    FIELD_IMMUTABLE_ERROR_MSG,
    is_dns1123_subdomain,
    is_valid_port_name,
    is_valid_port_num,
    parse_cidr_detailed,
    parse_ip_detailed,
    validate_cidr,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_ip,
    validate_qualified_name,
)
from kubesvc.api.validation.ports import validate_port_protocol
from kubesvc.api.validation.zerovalues import as_int, as_map, as_str

Obj = Mapping[str, Any]

CLUSTER_IP_NONE: Final = "None"
MAX_CLIENT_IP_SERVICE_AFFINITY_SECONDS: Final = 86400
ANNOTATION_LOAD_BALANCER_SOURCE_RANGES: Final = "service.beta.kubernetes.io/load-balancer-source-ranges"
ANNOTATION_TOPOLOGY_MODE: Final = "service.kubernetes.io/topology-mode"
DEPRECATED_ANNOTATION_TOPOLOGY_AWARE_HINTS: Final = "service.kubernetes.io/topology-aware-hints"

# The sets upstream reports, in the order it reports them (`sets.List` sorts).
SUPPORTED_SESSION_AFFINITY: Final = ("ClientIP", "None")
SUPPORTED_SERVICE_TYPES: Final = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SUPPORTED_EXTERNAL_TRAFFIC_POLICIES: Final = ("Cluster", "Local")
SUPPORTED_INTERNAL_TRAFFIC_POLICIES: Final = ("Cluster", "Local")
SUPPORTED_IP_FAMILIES: Final = ("IPv4", "IPv6")
SUPPORTED_IP_FAMILY_POLICIES: Final = ("PreferDualStack", "RequireDualStack", "SingleStack")
SUPPORTED_LOAD_BALANCER_IP_MODES: Final = ("Proxy", "VIP")
# Not sorted upstream: PreferClose first, then the KEP-3015 values (PreferSameTrafficDistribution).
SUPPORTED_TRAFFIC_DISTRIBUTIONS: Final = ("PreferClose", "PreferSameZone", "PreferSameNode")

_SPEC: Final = path("spec")
_METADATA: Final = path("metadata")


class GoValue:
    """A bad value that Go prints in its own syntax (`%#v`), e.g. a struct or a typed slice."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"GoValue({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, GoValue) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _go_quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _go_typed_strings(type_name: str, values: Sequence[Any] | None) -> GoValue:
    """`[]core.IPFamily{"IPv4"}`, `[]string(nil)` ... as `%#v` prints a string slice."""
    if values is None:
        return GoValue(f"[]{type_name}(nil)")
    return GoValue(f"[]{type_name}{{" + ", ".join(_go_quote(str(v)) for v in values) + "}")


def _service_port_key(protocol: str, port: int) -> GoValue:
    """The `core.ServicePort{Protocol, Port}` key of upstream's duplicate-port check, `%#v`-printed."""
    return GoValue(
        f'core.ServicePort{{Name:"", Protocol:{_go_quote(protocol)}, AppProtocol:(*string)(nil), '
        f'Port:{port}, TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:""}}, NodePort:0}}'
    )


# ---------------------------------------------------------------------------------------------
# reading the dict as Go reads the struct


def _spec(svc: Obj) -> Obj:
    return as_map(svc.get("spec"))


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _ports(spec: Obj) -> list[Obj]:
    return [as_map(p) for p in _list(spec.get("ports"))]


def is_headless_service(svc: Obj | None) -> bool:
    """clusterIPs is exactly ["None"]."""
    if svc is None:
        return False
    ips = _list(_spec(svc).get("clusterIPs"))
    return len(ips) == 1 and ips[0] == CLUSTER_IP_NONE


def requests_only_local_traffic(svc: Obj) -> bool:
    spec = _spec(svc)
    if spec.get("type") not in ("LoadBalancer", "NodePort"):
        return False
    return spec.get("externalTrafficPolicy") == "Local"


def needs_health_check(svc: Obj) -> bool:
    """A LoadBalancer with externalTrafficPolicy Local gets a healthCheckNodePort."""
    return _spec(svc).get("type") == "LoadBalancer" and requests_only_local_traffic(svc)


def _is_ipv6(value: str) -> bool:
    parsed = parse_ip_detailed(value)
    return parsed is not None and parsed.ip.version == 6


# ---------------------------------------------------------------------------------------------
# create


def validate_service(svc: Obj) -> ErrorList:
    """ValidateService: the whole object as it would be stored."""
    meta = _meta(svc)
    errs = validate_object_meta(meta, namespaced=True, name_fn=name_is_dns1035_label, fld=_METADATA)

    annotations = as_map(meta.get("annotations"))
    if (
        ANNOTATION_TOPOLOGY_MODE in annotations
        and DEPRECATED_ANNOTATION_TOPOLOGY_AWARE_HINTS in annotations
        and annotations[ANNOTATION_TOPOLOGY_MODE] != annotations[DEPRECATED_ANNOTATION_TOPOLOGY_AWARE_HINTS]
    ):
        errs.append(
            invalid(
                _METADATA.child("annotations").key(ANNOTATION_TOPOLOGY_MODE),
                annotations[ANNOTATION_TOPOLOGY_MODE],
                f"must match annotations[{DEPRECATED_ANNOTATION_TOPOLOGY_AWARE_HINTS}] when both are specified",
            )
        )

    spec = _spec(svc)
    svc_type = as_str(spec.get("type"))
    ports = _ports(spec)
    headless = is_headless_service(svc)
    cluster_ips = _list(spec.get("clusterIPs"))

    if not ports and not headless and svc_type != "ExternalName":
        errs.append(required(_SPEC.child("ports")))

    if svc_type in ("LoadBalancer", "NodePort"):
        if headless:
            errs.append(
                invalid(
                    _SPEC.child("clusterIPs").index(0),
                    cluster_ips[0],
                    f"may not be set to 'None' for {svc_type} services",
                )
            )
    elif svc_type == "ExternalName":
        # clusterIP has been copied into clusterIPs by the registry, so this covers both
        if cluster_ips:
            errs.append(forbidden(_SPEC.child("clusterIPs"), "may not be set for ExternalName services"))
        if _list(spec.get("ipFamilies")):
            errs.append(forbidden(_SPEC.child("ipFamilies"), "may not be set for ExternalName services"))
        if spec.get("ipFamilyPolicy") is not None:
            errs.append(forbidden(_SPEC.child("ipFamilyPolicy"), "may not be set for ExternalName services"))
        # the name (a CNAME target) may end in a dot to mark it fully qualified
        cname = as_str(spec.get("externalName")).removesuffix(".")
        if cname:
            errs.extend(validate_dns1123_subdomain(cname, _SPEC.child("externalName")))
        else:
            errs.append(required(_SPEC.child("externalName")))

    names: set[str] = set()
    for i, port in enumerate(ports):
        errs.extend(_validate_service_port(port, len(ports) > 1, names, _SPEC.child("ports").index(i)))

    selector = spec.get("selector")
    if selector is not None:
        errs.extend(validate_labels(as_map(selector), _SPEC.child("selector")))

    affinity = as_str(spec.get("sessionAffinity"))
    if not affinity:
        errs.append(required(_SPEC.child("sessionAffinity")))
    elif affinity not in SUPPORTED_SESSION_AFFINITY:
        errs.append(not_supported(_SPEC.child("sessionAffinity"), affinity, SUPPORTED_SESSION_AFFINITY))
    if affinity == "ClientIP":
        errs.extend(
            _validate_client_ip_affinity_config(
                spec.get("sessionAffinityConfig"), _SPEC.child("sessionAffinityConfig")
            )
        )
    elif affinity == "None" and spec.get("sessionAffinityConfig") is not None:
        errs.append(
            forbidden(_SPEC.child("sessionAffinityConfig"), "must not be set when session affinity is None")
        )

    errs.extend(validate_service_cluster_ips_related_fields(svc))

    for i, ip in enumerate(_list(spec.get("externalIPs"))):
        fld = _SPEC.child("externalIPs").index(i)
        ip_errs = validate_ip(as_str(ip), fld)
        errs.extend(ip_errs if ip_errs else validate_non_special_ip(as_str(ip), fld))

    if not svc_type:
        errs.append(required(_SPEC.child("type")))
    elif svc_type not in SUPPORTED_SERVICE_TYPES:
        errs.append(not_supported(_SPEC.child("type"), svc_type, SUPPORTED_SERVICE_TYPES))

    if svc_type == "ClusterIP":
        for i, port in enumerate(ports):
            if as_int(port.get("nodePort")) != 0:
                errs.append(
                    forbidden(
                        _SPEC.child("ports").index(i).child("nodePort"),
                        "may not be used when `type` is 'ClusterIP'",
                    )
                )

    # a node port may repeat only across protocols
    node_ports: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        node_port = as_int(port.get("nodePort"))
        if node_port == 0:
            continue
        key = (as_str(port.get("protocol")), node_port)
        if key in node_ports:
            errs.append(duplicate(_SPEC.child("ports").index(i).child("nodePort"), node_port))
        node_ports.add(key)

    # so may a service port
    service_ports: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        key = (as_str(port.get("protocol")), as_int(port.get("port")))
        if key in service_ports:
            errs.append(duplicate(_SPEC.child("ports").index(i), _service_port_key(*key)))
        service_ports.add(key)

    errs.extend(_validate_source_ranges(svc, spec, annotations))

    allocate = spec.get("allocateLoadBalancerNodePorts")
    if allocate is not None and svc_type != "LoadBalancer":
        errs.append(
            forbidden(
                _SPEC.child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"
            )
        )
    if svc_type == "LoadBalancer" and allocate is None:
        # upstream reports this one without the `spec.` prefix
        errs.append(required(path("allocateLoadBalancerNodePorts")))

    errs.extend(_validate_load_balancer_class(None, svc))
    errs.extend(_validate_external_traffic_policy(svc))
    errs.extend(_validate_internal_traffic_policy(svc))
    errs.extend(_validate_traffic_distribution(svc))
    return errs


validate_service_create = validate_service


def _validate_service_port(port: Obj, require_name: bool, names: set[str], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    name = as_str(port.get("name"))
    if require_name and not name:
        errs.append(required(fld.child("name")))
    elif name:
        errs.extend(validate_dns1123_label(name, fld.child("name")))
        if name in names:
            errs.append(duplicate(fld.child("name"), name))
        else:
            names.add(name)

    number = as_int(port.get("port"))
    errs.extend(invalid(fld.child("port"), number, msg) for msg in is_valid_port_num(number))

    protocol = as_str(port.get("protocol"))
    errs.extend(validate_port_protocol(protocol, fld.child("protocol")))

    errs.extend(validate_port_num_or_name(port.get("targetPort"), fld.child("targetPort")))

    app_protocol = port.get("appProtocol")
    if app_protocol is not None:
        errs.extend(validate_qualified_name(as_str(app_protocol), fld.child("appProtocol")))
    # A targetPort that differs from port on a headless Service is tolerated in v1, as upstream.
    return errs


def validate_port_num_or_name(value: Any, fld: FieldPath) -> ErrorList:
    """ValidatePortNumOrName: an int-or-string is a port number or an IANA_SVC_NAME."""
    if isinstance(value, str):
        return [invalid(fld, value, msg) for msg in is_valid_port_name(value)]
    number = as_int(value)  # absent or null is the int zero value
    return [invalid(fld, number, msg) for msg in is_valid_port_num(number)]


def _validate_client_ip_affinity_config(config: Any, fld: FieldPath) -> ErrorList:
    detail = "when session affinity type is ClientIP"
    if not isinstance(config, Mapping):
        return [required(fld, detail)]
    client_ip = config.get("clientIP")
    if not isinstance(client_ip, Mapping):
        return [required(fld.child("clientIP"), detail)]
    timeout = client_ip.get("timeoutSeconds")
    timeout_fld = fld.child("clientIP", "timeoutSeconds")
    if timeout is None:
        return [required(timeout_fld, detail)]
    if not isinstance(timeout, int) or timeout <= 0 or timeout > MAX_CLIENT_IP_SERVICE_AFFINITY_SECONDS:
        return [
            invalid(
                timeout_fld,
                timeout,
                f"must be greater than 0 and less than {MAX_CLIENT_IP_SERVICE_AFFINITY_SECONDS}",
            )
        ]
    return []


def _validate_source_ranges(svc: Obj, spec: Obj, annotations: Mapping[str, Any]) -> ErrorList:
    errs: ErrorList = []
    ranges = _list(spec.get("loadBalancerSourceRanges"))
    is_lb = spec.get("type") == "LoadBalancer"
    if ranges:
        fld = _SPEC.child("LoadBalancerSourceRanges")  # sic: upstream's capital L
        if not is_lb:
            errs.append(forbidden(fld, "may only be used when `type` is 'LoadBalancer'"))
        for i, value in enumerate(ranges):
            # historical: values carried over from the annotation may be space-padded
            errs.extend(validate_cidr(as_str(value).strip(), fld.index(i)))
    elif ANNOTATION_LOAD_BALANCER_SOURCE_RANGES in annotations:
        fld = _METADATA.child("annotations").key(ANNOTATION_LOAD_BALANCER_SOURCE_RANGES)
        if not is_lb:
            errs.append(forbidden(fld, "may only be used when `type` is 'LoadBalancer'"))
        value = as_str(annotations[ANNOTATION_LOAD_BALANCER_SOURCE_RANGES]).strip()
        if value:
            for cidr in value.split(","):
                errs.extend(validate_cidr(cidr.strip(), fld))
    return errs


def validate_service_cluster_ips_related_fields(svc: Obj) -> ErrorList:
    """ValidateServiceClusterIPsRelatedFields: clusterIP(s), ipFamilies and ipFamilyPolicy agree.

    Exported because the registry's IP allocation calls it too.
    """
    spec = _spec(svc)
    if spec.get("type") == "ExternalName":
        return []  # checked (all must be unset) by validate_service
    errs: ErrorList = []
    ips_fld = _SPEC.child("clusterIPs")
    families_fld = _SPEC.child("ipFamilies")
    cluster_ip = as_str(spec.get("clusterIP"))
    raw_ips = spec.get("clusterIPs")
    cluster_ips = [as_str(ip) for ip in _list(raw_ips)]
    families = [as_str(f) for f in _list(spec.get("ipFamilies"))]

    # the registry keeps the two in step; a mismatch left now is the user's
    if cluster_ip:
        if not cluster_ips:
            errs.append(required(ips_fld))
        elif cluster_ips[0] != cluster_ip:
            errs.append(invalid(ips_fld, cluster_ips, "first value must match `clusterIP`"))
    elif cluster_ips:
        errs.append(invalid(ips_fld, cluster_ips, "must be empty when `clusterIP` is not specified"))

    seen: set[str] = set()
    for i, family in enumerate(families):
        if family not in SUPPORTED_IP_FAMILIES:
            errs.append(not_supported(families_fld.index(i), family, SUPPORTED_IP_FAMILIES))
        if family in seen:
            errs.append(duplicate(families_fld.index(i), family))
        seen.add(family)

    policy = spec.get("ipFamilyPolicy")
    if policy is not None and policy not in SUPPORTED_IP_FAMILY_POLICIES:
        errs.append(not_supported(_SPEC.child("ipFamilyPolicy"), policy, SUPPORTED_IP_FAMILY_POLICIES))

    has_invalid_ips = False
    for i, ip in enumerate(cluster_ips):
        if i == 0 and ip == CLUSTER_IP_NONE:
            if len(cluster_ips) > 1:
                has_invalid_ips = True
                errs.append(invalid(ips_fld, cluster_ips, "'None' must be the first and only value"))
            continue
        ip_errs = validate_ip(ip, ips_fld.index(i))
        has_invalid_ips = has_invalid_ips or bool(ip_errs)
        errs.extend(ip_errs)

    if len(cluster_ips) > 2:
        errs.append(invalid(ips_fld, cluster_ips, "may only hold up to 2 values"))

    # bad or misplaced values would make the family checks below report nonsense
    if has_invalid_ips:
        return errs

    if len(cluster_ips) > 1:
        parsed = [parse_ip_detailed(ip) for ip in cluster_ips]
        if any(p is None for p in parsed):  # cannot happen: every IP was validated above
            errs.append(internal(ips_fld, "failed to check for dual stack"))
        versions = {p.ip.version for p in parsed if p is not None}
        if versions != {4, 6}:
            errs.append(invalid(ips_fld, cluster_ips, "may specify no more than one IP for each IP family"))

    if not is_headless_service(svc) and cluster_ips and families:
        for i, ip in enumerate(cluster_ips[: len(families)]):
            if families[i] == "IPv4" and _is_ipv6(ip):
                errs.append(
                    invalid(ips_fld.index(i), ip, f"expected an IPv4 value as indicated by `ipFamilies[{i}]`")
                )
            if families[i] == "IPv6" and not _is_ipv6(ip):
                errs.append(
                    invalid(ips_fld.index(i), ip, f"expected an IPv6 value as indicated by `ipFamilies[{i}]`")
                )
    return errs


# ValidateNonSpecialIP (now ValidateEndpointIP upstream): externalIPs use the endpoint-address rules
# (no unspecified, loopback, link-local or link-local multicast address), "for historical reasons".
validate_non_special_ip = validate_endpoint_ip


def _validate_external_traffic_policy(svc: Obj) -> ErrorList:
    spec = _spec(svc)
    errs: ErrorList = []
    policy = as_str(spec.get("externalTrafficPolicy"))
    policy_fld = _SPEC.child("externalTrafficPolicy")
    if not externally_accessible(svc):
        if policy:
            errs.append(invalid(policy_fld, policy, "may only be set for externally-accessible services"))
    elif not policy:
        errs.append(required(policy_fld))
    elif policy not in SUPPORTED_EXTERNAL_TRAFFIC_POLICIES:
        errs.append(not_supported(policy_fld, policy, SUPPORTED_EXTERNAL_TRAFFIC_POLICIES))

    hc_port = as_int(spec.get("healthCheckNodePort"))
    hc_fld = _SPEC.child("healthCheckNodePort")
    if not needs_health_check(svc):
        if hc_port != 0:
            errs.append(
                invalid(
                    hc_fld,
                    hc_port,
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
                )
            )
    elif hc_port == 0:
        errs.append(required(hc_fld))
    else:
        errs.extend(invalid(hc_fld, hc_port, msg) for msg in is_valid_port_num(hc_port))
    return errs


def _validate_internal_traffic_policy(svc: Obj) -> ErrorList:
    spec = _spec(svc)
    policy = spec.get("internalTrafficPolicy")
    fld = _SPEC.child("internalTrafficPolicy")
    if policy is None:
        # not required for ExternalName: older clusters stored ExternalName services without it
        if spec.get("type") in ("NodePort", "LoadBalancer", "ClusterIP"):
            return [required(fld)]
        return []
    if policy not in SUPPORTED_INTERNAL_TRAFFIC_POLICIES:
        return [not_supported(fld, policy, SUPPORTED_INTERNAL_TRAFFIC_POLICIES)]
    return []


def _validate_traffic_distribution(svc: Obj) -> ErrorList:
    value = _spec(svc).get("trafficDistribution")
    if value is None or value in SUPPORTED_TRAFFIC_DISTRIBUTIONS:
        return []
    return [not_supported(_SPEC.child("trafficDistribution"), value, SUPPORTED_TRAFFIC_DISTRIBUTIONS)]


def _validate_load_balancer_class(old: Obj | None, new: Obj) -> ErrorList:
    errs: ErrorList = []
    fld = _SPEC.child("loadBalancerClass")
    new_spec = _spec(new)
    new_class = new_spec.get("loadBalancerClass")
    is_lb = new_spec.get("type") == "LoadBalancer"
    if old is not None:
        old_spec = _spec(old)
        if (
            is_lb
            and old_spec.get("type") == "LoadBalancer"
            and old_spec.get("loadBalancerClass") != new_class
        ):
            errs.append(invalid(fld, new_class, "may not change once set"))
    if is_lb:
        if new_class is not None:
            errs.extend(validate_qualified_name(as_str(new_class), fld))
    elif new_class is not None:
        errs.append(forbidden(fld, "may only be used when `type` is 'LoadBalancer'"))
    return errs


# ---------------------------------------------------------------------------------------------
# update


def validate_service_update(new: Obj, old: Obj) -> ErrorList:
    """ValidateServiceUpdate: what may change, then the new object as a whole.

    A Service may add or drop its secondary clusterIP / ipFamily (dual-stack upgrade and
    downgrade) but not change the primary ones, unless it moves to, from or stays on
    ExternalName, or stays headless.
    """
    errs = validate_object_meta_update(_meta(new), _meta(old), _METADATA)
    errs.extend(_validate_upgrade_downgrade_cluster_ips(old, new))
    errs.extend(_validate_upgrade_downgrade_ip_families(old, new))
    errs.extend(_validate_load_balancer_class(old, new))
    both_need_health_check = needs_health_check(old) and needs_health_check(new)
    old_hc, new_hc = (
        as_int(_spec(old).get("healthCheckNodePort")),
        as_int(_spec(new).get("healthCheckNodePort")),
    )
    if both_need_health_check and new_hc != old_hc:
        errs.append(forbidden(_SPEC.child("healthCheckNodePort"), FIELD_IMMUTABLE_ERROR_MSG))
    errs.extend(validate_service(new))
    return errs


def _meta(obj: Obj) -> Obj:
    return as_map(obj.get("metadata"))


def _validate_upgrade_downgrade_cluster_ips(old: Obj, new: Obj) -> ErrorList:
    old_spec, new_spec = _spec(old), _spec(new)
    if "ExternalName" in (old_spec.get("type"), new_spec.get("type")):
        return []
    if is_headless_service(old) and is_headless_service(new):
        return []
    errs: ErrorList = []
    ips_fld = _SPEC.child("clusterIPs")
    raw_new = new_spec.get("clusterIPs")
    old_ips = [as_str(ip) for ip in _list(old_spec.get("clusterIPs"))]
    new_ips = [as_str(ip) for ip in _list(raw_new)]
    shown = _go_typed_strings("string", None if raw_new is None else new_ips)
    if len(old_ips) == len(new_ips):
        for i, ip in enumerate(old_ips):
            if ip != new_ips[i]:
                errs.append(invalid(ips_fld.index(i), new_ips, "may not change once set"))
    elif len(old_ips) > len(new_ips):
        # a downgrade: the secondary IP is released
        if not new_ips:
            errs.append(invalid(ips_fld.index(0), shown, "primary clusterIP can not be unset"))
        if old_ips and new_ips and new_ips[0] != old_ips[0]:
            errs.append(invalid(ips_fld.index(0), new_ips, "may not change once set"))
        if len(new_ips) == 1 and new_spec.get("ipFamilyPolicy") != "SingleStack":
            errs.append(
                invalid(
                    _SPEC.child("ipFamilyPolicy"),
                    new_spec.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary clusterIP",
                )
            )
    elif old_ips and new_ips[0] != old_ips[0]:
        # an upgrade (the policy is checked by allocation) must keep the primary IP
        errs.append(invalid(ips_fld.index(0), new_ips, "may not change once set"))
    return errs


def _validate_upgrade_downgrade_ip_families(old: Obj, new: Obj) -> ErrorList:
    old_spec, new_spec = _spec(old), _spec(new)
    if "ExternalName" in (old_spec.get("type"), new_spec.get("type")):
        return []
    # a headless service may change families, and so may a move to or from headless
    if is_headless_service(old) or is_headless_service(new):
        return []
    errs: ErrorList = []
    fld0 = _SPEC.child("ipFamilies").index(0)
    raw_families = new_spec.get("ipFamilies")
    old_families = [as_str(f) for f in _list(old_spec.get("ipFamilies"))]
    new_families = [as_str(f) for f in _list(raw_families)]
    families_shown = _go_typed_strings("core.IPFamily", None if raw_families is None else new_families)
    raw_ips = new_spec.get("clusterIPs")
    # upstream reports clusterIPs (not ipFamilies) as the value of some of these errors
    ips_shown = _go_typed_strings(
        "string", None if raw_ips is None else [as_str(ip) for ip in _list(raw_ips)]
    )
    if len(old_families) == len(new_families):
        for i, family in enumerate(old_families):
            if family != new_families[i]:
                errs.append(invalid(fld0, families_shown, "may not change once set"))
    elif len(old_families) > len(new_families):
        if not _list(raw_ips):
            errs.append(invalid(fld0, families_shown, "primary ipFamily can not be unset"))
        if new_families and new_families[0] != old_families[0]:
            errs.append(invalid(fld0, ips_shown, "may not change once set"))
        if len(new_families) == 1 and new_spec.get("ipFamilyPolicy") != "SingleStack":
            errs.append(
                invalid(
                    _SPEC.child("ipFamilyPolicy"),
                    new_spec.get("ipFamilyPolicy"),
                    "must be set to 'SingleStack' when releasing the secondary ipFamily",
                )
            )
    elif old_families and new_families and new_families[0] != old_families[0]:
        errs.append(invalid(fld0, ips_shown, "may not change once set"))
    return errs


# ---------------------------------------------------------------------------------------------
# status


def validate_service_status_update(new: Obj, old: Obj) -> ErrorList:
    """ValidateServiceStatusUpdate: metadata and status.loadBalancer (the spec is the old one)."""
    errs = validate_object_meta_update(_meta(new), _meta(old), _METADATA)
    lb = as_map(as_map(new.get("status")).get("loadBalancer"))
    errs.extend(validate_load_balancer_status(lb, path("status", "loadBalancer"), _spec(new)))
    return errs


def validate_load_balancer_status(status: Obj, fld: FieldPath, spec: Obj) -> ErrorList:
    """ValidateLoadBalancerStatus: ingress points, only on a LoadBalancer Service."""
    errs: ErrorList = []
    ingress_fld = fld.child("ingress")
    ingress = _list(status.get("ingress"))
    if spec.get("type") != "LoadBalancer" and ingress:
        return [forbidden(ingress_fld, "may only be used when `spec.type` is 'LoadBalancer'")]
    for i, raw in enumerate(ingress):
        ing = as_map(raw)
        idx = ingress_fld.index(i)
        ip = as_str(ing.get("ip"))
        if ip:
            errs.extend(validate_ip(ip, idx.child("ip")))
        mode = ing.get("ipMode")
        if mode is None:
            if ip:
                errs.append(required(idx.child("ipMode"), "must be specified when `ip` is set"))
        elif not ip:
            errs.append(forbidden(idx.child("ipMode"), "may not be specified when `ip` is not set"))
        elif mode not in SUPPORTED_LOAD_BALANCER_IP_MODES:
            errs.append(not_supported(idx.child("ipMode"), mode, SUPPORTED_LOAD_BALANCER_IP_MODES))
        hostname = as_str(ing.get("hostname"))
        if hostname:
            errs.extend(invalid(idx.child("hostname"), hostname, m) for m in is_dns1123_subdomain(hostname))
            if parse_ip_detailed(hostname) is not None:
                errs.append(invalid(idx.child("hostname"), hostname, "must be a DNS name, not an IP address"))
    return errs


# ---------------------------------------------------------------------------------------------
# warnings (returned to the client as `Warning:` headers; they never fail a request)


def service_warnings(new: Obj, old: Obj | None = None) -> list[str]:
    """pkg/api/service `GetWarningsForService`, for create and update alike (`old` is unused)."""
    meta = _meta(new)
    annotations = as_map(meta.get("annotations"))
    spec = _spec(new)
    svc_type = spec.get("type")
    cluster_ip = as_str(spec.get("clusterIP"))
    external_ips = [as_str(ip) for ip in _list(spec.get("externalIPs"))]
    lb_ip = as_str(spec.get("loadBalancerIP"))
    # this helper's notion of headless is the singular field on a ClusterIP service
    headless = svc_type == "ClusterIP" and cluster_ip == CLUSTER_IP_NONE
    warnings: list[str] = []

    if DEPRECATED_ANNOTATION_TOPOLOGY_AWARE_HINTS in annotations:
        warnings.append(
            f"annotation {DEPRECATED_ANNOTATION_TOPOLOGY_AWARE_HINTS} is deprecated, "
            f"please use {ANNOTATION_TOPOLOGY_MODE} instead"
        )
    if cluster_ip and cluster_ip != CLUSTER_IP_NONE:
        for i, ip in enumerate(_list(spec.get("clusterIPs"))):
            warnings.extend(ip_warnings(_SPEC.child("clusterIPs").index(i), as_str(ip)))
    if headless:
        if lb_ip:
            warnings.append("spec.loadBalancerIP is ignored for headless services")
        if external_ips:
            warnings.append("spec.externalIPs is ignored for headless services")
        if spec.get("sessionAffinity") != "None":
            warnings.append("spec.SessionAffinity is ignored for headless services")
    for i, ip in enumerate(external_ips):
        warnings.extend(ip_warnings(_SPEC.child("externalIPs").index(i), ip))
    if external_ips and not headless and svc_type != "ExternalName":
        warnings.append("spec.externalIPs is deprecated and may no longer be implemented in some clusters")
    if lb_ip:
        warnings.extend(ip_warnings(_SPEC.child("loadBalancerIP"), lb_ip))
    for i, cidr in enumerate(_list(spec.get("loadBalancerSourceRanges"))):
        warnings.extend(cidr_warnings(_SPEC.child("loadBalancerSourceRanges").index(i), as_str(cidr)))
    if svc_type == "ExternalName" and external_ips:
        warnings.append('spec.externalIPs is ignored when spec.type is "ExternalName"')
    if svc_type != "ExternalName" and as_str(spec.get("externalName")):
        warnings.append('spec.externalName is ignored when spec.type is not "ExternalName"')
    if spec.get("trafficDistribution") == "PreferClose":
        warnings.append('spec.trafficDistribution: "PreferClose" is deprecated; use "PreferSameZone"')
    return warnings


def ip_warnings(fld: FieldPath, value: str) -> list[str]:
    """apimachinery `GetWarningsForIP`: accepted but non-standard IP spellings."""
    parsed = parse_ip_detailed(value)
    if parsed is None:
        return []
    if parsed.leading_zeros or parsed.ipv4_mapped:
        return [
            f"{fld}: non-standard IP address {_go_quote(value)} will be considered invalid in a future "
            f"Kubernetes release: use {_go_quote(str(parsed.ip))}"
        ]
    if parsed.ip.version == 6 and str(parsed.ip) != value:
        return [
            f"{fld}: IPv6 address {_go_quote(value)} should be in RFC 5952 canonical format "
            f"({_go_quote(str(parsed.ip))})"
        ]
    return []


def cidr_warnings(fld: FieldPath, value: str) -> list[str]:
    """apimachinery `GetWarningsForCIDR`: ambiguous or non-standard CIDR spellings."""
    parsed = parse_cidr_detailed(value)
    if parsed is None:
        return []
    warnings: list[str] = []
    network = str(parsed.network)
    if parsed.ip != parsed.network.network_address:
        single = f"{parsed.ip}/{parsed.network.max_prefixlen}"
        warnings.append(
            f"{fld}: CIDR value {_go_quote(value)} is ambiguous in this context "
            f"(should be {_go_quote(network)} or {_go_quote(single)}?)"
        )
    if parsed.leading_zeros or parsed.ipv4_mapped:
        warnings.append(
            f"{fld}: non-standard CIDR value {_go_quote(value)} will be considered invalid in a future "
            f"Kubernetes release: use {_go_quote(network)}"
        )
    if not warnings and parsed.ip.version == 6:
        canonical = f"{parsed.ip}/{parsed.network.prefixlen}"
        if canonical != value:
            warnings.append(
                f"{fld}: IPv6 CIDR value {_go_quote(value)} should be in RFC 5952 canonical format "
                f"({_go_quote(canonical)})"
            )
    return warnings
