"""Validation of v1 Pods: the parts kubesvc runs (pkg/apis/core/validation: ValidatePod*).

Covered: metadata; containers and initContainers (names, image, ports, env, probes, pull and
termination-message policies); restartPolicy, dnsPolicy and dnsConfig, hostname, subdomain,
nodeName, serviceAccountName, schedulerName, activeDeadlineSeconds, hostNetwork ports,
tolerations;
update rules (the "pod updates may not change fields other than ..." Forbidden error,
containers may not be added or removed, activeDeadlineSeconds, tolerations additions only);
status updates (conditions, nodeName, podIPs, hostIPs, terminated-container transitions).
Volumes, security contexts, affinity and resources are not checked.
Warnings (never errors): `pod_warnings` (upstream `GetWarningsForPod`) and
`pod_warnings_on_create` (the pod strategy's `WarningsOnCreate`).
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubesvc.api import quantity
from kubesvc.api.fields import (
    ErrorList,
    FieldPath,
    _go_quote,
    duplicate,
    forbidden,
    invalid,
    not_supported,
    path,
    required,
)
from kubesvc.api.validation.meta import (
    name_is_dns1123_subdomain,
    validate_node_name,
    validate_object_meta,
    validate_object_meta_update,
)
from kubesvc.api.validation.names import (
    inclusive_range_error,
    is_dns1123_label,
    is_http_header_name,
    is_relaxed_env_var_name,
    is_valid_label_value,
    is_valid_port_name,
    is_valid_port_num,
    parse_ip_sloppy,
    validate_dns1123_label,
    validate_dns1123_subdomain,
    validate_ip,
    validate_nonnegative,
    validate_qualified_name,
)
from kubesvc.api.validation.node import validate_taint_effect
from kubesvc.api.validation.ports import validate_port_protocol
from kubesvc.api.validation.zerovalues import as_int, as_map, as_seq, as_str

Obj = Mapping[str, Any]

RESTART_POLICIES: Final = ("Always", "OnFailure", "Never")
DNS_POLICIES: Final = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
PULL_POLICIES: Final = ("Always", "IfNotPresent", "Never")
HTTP_SCHEMES: Final = ("HTTP", "HTTPS")
MAX_DNS_NAMESERVERS: Final = 3
MAX_DNS_SEARCH_PATHS: Final = 32
MAX_DNS_SEARCH_LIST_CHARS: Final = 2048
MAX_INT32: Final = 2**31 - 1
SYSTEM_POD_CONDITIONS: Final = frozenset({"PodScheduled", "Ready", "Initialized"})
DOWNWARD_ENV_FIELD_PATHS: Final = (
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
)
UPDATABLE_POD_SPEC_FIELDS: Final = (
    "`spec.containers[*].image`",
    "`spec.initContainers[*].image`",
    "`spec.activeDeadlineSeconds`",
    "`spec.tolerations` (only additions to existing tolerations)",
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
)

validate_pod_name = name_is_dns1123_subdomain


# ---------------------------------------------------------------------------------------------
# containers


def validate_port_num_or_name(port: Any, fld: FieldPath) -> ErrorList:
    """An int-or-string port: a number in 1..65535 or an IANA service name."""
    if isinstance(port, bool) or not isinstance(port, int | str):
        return [invalid(fld, port, "must be an int or a string")]
    if isinstance(port, int):
        return [invalid(fld, port, m) for m in is_valid_port_num(port)]
    return [invalid(fld, port, m) for m in is_valid_port_name(port)]


def _validate_handler(handler: Obj, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    count = 0
    for kind in ("exec", "httpGet", "tcpSocket", "grpc"):
        action = handler.get(kind)
        if action is None:
            continue
        if count > 0:
            errs.append(forbidden(fld.child(kind), "may not specify more than 1 handler type"))
            continue
        count += 1
        action = as_map(action)
        p = fld.child(kind)
        if kind == "exec":
            if not as_seq(action.get("command")):
                errs.append(required(p.child("command"), ""))
        elif kind == "httpGet":
            if not as_str(action.get("path")):
                errs.append(required(p.child("path"), ""))
            errs.extend(validate_port_num_or_name(action.get("port"), p.child("port")))
            scheme = as_str(action.get("scheme"))
            if scheme not in HTTP_SCHEMES:
                errs.append(not_supported(p.child("scheme"), scheme, HTTP_SCHEMES))
            for header in as_seq(action.get("httpHeaders")):
                name = as_str(as_map(header).get("name"))
                errs.extend(invalid(p.child("httpHeaders"), name, m) for m in is_http_header_name(name))
        elif kind == "tcpSocket":
            errs.extend(validate_port_num_or_name(action.get("port"), p.child("port")))
        else:
            number = as_int(action.get("port"))
            errs.extend(invalid(p.child("port"), number, m) for m in is_valid_port_num(number))
    if count == 0:
        errs.append(required(fld, "must specify a handler type"))
    return errs


def _validate_probe(probe: Any, fld: FieldPath) -> ErrorList:
    if not isinstance(probe, Mapping):
        return []
    errs = _validate_handler(probe, fld)
    for key in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errs.extend(validate_nonnegative(as_int(probe.get(key)), fld.child(key)))
    grace = probe.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace <= 0:
        errs.append(invalid(fld.child("terminationGracePeriodSeconds"), grace, "must be greater than 0"))
    return errs


def _validate_container_ports(ports: Sequence[Any], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = as_map(port)
        p = fld.index(i)
        name = as_str(port.get("name"))
        if name:
            msgs = is_valid_port_name(name)
            if msgs:
                errs.extend(invalid(p.child("name"), name, m) for m in msgs)
            elif name in names:
                errs.append(duplicate(p.child("name"), name))
            else:
                names.add(name)
        container_port = as_int(port.get("containerPort"))
        if container_port == 0:
            errs.append(required(p.child("containerPort"), ""))
        else:
            errs.extend(
                invalid(p.child("containerPort"), container_port, m)
                for m in is_valid_port_num(container_port)
            )
        host_port = as_int(port.get("hostPort"))
        if host_port != 0:
            errs.extend(invalid(p.child("hostPort"), host_port, m) for m in is_valid_port_num(host_port))
        protocol = as_str(port.get("protocol"))
        errs.extend(validate_port_protocol(protocol, p.child("protocol")))
    return errs


def _validate_field_ref(ref: Obj, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    api_version = as_str(ref.get("apiVersion"))
    field_path = as_str(ref.get("fieldPath"))
    if not api_version:
        errs.append(required(fld.child("apiVersion"), ""))
        return errs
    if not field_path:
        errs.append(required(fld.child("fieldPath"), ""))
        return errs
    for prefix in ("metadata.labels", "metadata.annotations"):
        if field_path.startswith(prefix + "['") and field_path.endswith("']"):
            key = field_path[len(prefix) + 2 : -2]
            return [invalid(fld.child("fieldPath"), key, m) for m in _qualified_msgs(key)]
    if field_path not in DOWNWARD_ENV_FIELD_PATHS:
        errs.append(not_supported(fld.child("fieldPath"), field_path, sorted(DOWNWARD_ENV_FIELD_PATHS)))
    return errs


def _qualified_msgs(key: str) -> list[str]:
    return [e.detail for e in validate_qualified_name(key, "")]


def _validate_env(env: Sequence[Any], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    for i, var in enumerate(env):
        var = as_map(var)
        p = fld.index(i)
        name = as_str(var.get("name"))
        if not name:
            errs.append(required(p.child("name"), ""))
        # the relaxed rule (RelaxedEnvironmentVariableValidation) is on by default since 1.32
        errs.extend(invalid(p.child("name"), name, m) for m in is_relaxed_env_var_name(name))
        value_from = var.get("valueFrom")
        if not isinstance(value_from, Mapping):
            continue
        vp = p.child("valueFrom")
        sources = [
            k
            for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef")
            if value_from.get(k)
        ]
        if not sources:
            errs.append(
                invalid(
                    vp,
                    "",
                    "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
                )
            )
            continue
        if as_str(var.get("value")):
            errs.append(invalid(vp, "", "may not be specified when `value` is not empty"))
        if len(sources) > 1:
            errs.append(invalid(vp, "", "may not have more than one field specified at a time"))
            continue
        source = as_map(value_from.get(sources[0]))
        if sources[0] == "fieldRef":
            errs.extend(_validate_field_ref(source, vp.child("fieldRef")))
        elif sources[0] in ("configMapKeyRef", "secretKeyRef"):
            sp = vp.child(sources[0])
            if not as_str(source.get("key")):
                errs.append(required(sp.child("key"), ""))
    return errs


def _validate_containers(
    containers: Sequence[Any], fld: FieldPath, names: set[str], *, host_network: bool, init: bool
) -> ErrorList:
    errs: ErrorList = []
    for i, ctr in enumerate(containers):
        ctr = as_map(ctr)
        p = fld.index(i)
        name = as_str(ctr.get("name"))
        if not name:
            errs.append(required(p.child("name"), ""))
        else:
            errs.extend(validate_dns1123_label(name, p.child("name")))
        if name and name in names:
            errs.append(duplicate(p.child("name"), name))
        elif name:
            names.add(name)
        image = as_str(ctr.get("image"))
        if not image:
            errs.append(required(p.child("image"), ""))
        elif image.strip() != image:
            errs.append(invalid(p.child("image"), image, "must not have leading or trailing whitespace"))
        for probe_name in ("livenessProbe", "readinessProbe", "startupProbe"):
            probe = ctr.get(probe_name)
            if probe is None:
                continue
            if init and ctr.get("restartPolicy") != "Always":
                errs.append(
                    forbidden(
                        p.child(probe_name), "may not be set for init containers without restartPolicy=Always"
                    )
                )
                continue
            errs.extend(_validate_probe(probe, p.child(probe_name)))
            probe = as_map(probe)
            if probe_name in ("livenessProbe", "startupProbe") and as_int(probe.get("successThreshold")) != 1:
                errs.append(
                    invalid(
                        p.child(probe_name, "successThreshold"),
                        as_int(probe.get("successThreshold")),
                        "must be 1",
                    )
                )
            if probe_name == "readinessProbe" and probe.get("terminationGracePeriodSeconds") is not None:
                errs.append(
                    invalid(
                        p.child("readinessProbe", "terminationGracePeriodSeconds"),
                        probe.get("terminationGracePeriodSeconds"),
                        "must not be set for readinessProbes",
                    )
                )
        ports = as_seq(ctr.get("ports"))
        errs.extend(_validate_container_ports(ports, p.child("ports")))
        if host_network:
            for j, port in enumerate(ports):
                port = as_map(port)
                # defaulting copies containerPort into an unset hostPort under host networking
                if as_int(port.get("hostPort")) != as_int(port.get("containerPort")):
                    errs.append(
                        invalid(
                            p.child("ports").index(j).child("containerPort"),
                            as_int(port.get("containerPort")),
                            "must match `hostPort` when `hostNetwork` is true",
                        )
                    )
        errs.extend(_validate_env(as_seq(ctr.get("env")), p.child("env")))
        pull = as_str(ctr.get("imagePullPolicy"))
        if not pull:
            errs.append(required(p.child("imagePullPolicy"), ""))
        elif pull not in PULL_POLICIES:
            errs.append(not_supported(p.child("imagePullPolicy"), pull, PULL_POLICIES))
        tmp = as_str(ctr.get("terminationMessagePolicy"))
        if not tmp:
            errs.append(
                required(p.child("terminationMessagePolicy"), "must be 'File' or 'FallbackToLogsOnError'")
            )
        elif tmp not in ("File", "FallbackToLogsOnError"):
            errs.append(
                invalid(p.child("terminationMessagePolicy"), tmp, "must be 'File' or 'FallbackToLogsOnError'")
            )
    return errs


# ---------------------------------------------------------------------------------------------
# pod spec


def _validate_dns(spec: Obj, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    policy = as_str(spec.get("dnsPolicy"))
    if not policy:
        errs.append(required(fld.child("dnsPolicy"), ""))
    elif policy not in DNS_POLICIES:
        errs.append(not_supported(fld.child("dnsPolicy"), policy, DNS_POLICIES))
    config = spec.get("dnsConfig")
    if policy == "None" and not isinstance(config, Mapping):
        errs.append(required(fld.child("dnsConfig"), "must provide `dnsConfig` when `dnsPolicy` is None"))
    if not isinstance(config, Mapping):
        return errs
    cp = fld.child("dnsConfig")
    nameservers = [as_str(n) for n in as_seq(config.get("nameservers"))]
    if policy == "None" and not nameservers:
        errs.append(
            required(
                cp.child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None"
            )
        )
    if len(nameservers) > MAX_DNS_NAMESERVERS:
        errs.append(
            invalid(
                cp.child("nameservers"),
                nameservers,
                f"must not have more than {MAX_DNS_NAMESERVERS} nameservers",
            )
        )
    for i, ns in enumerate(nameservers):
        errs.extend(validate_ip(ns, cp.child("nameservers").index(i)))
    searches = [as_str(s) for s in as_seq(config.get("searches"))]
    if len(searches) > MAX_DNS_SEARCH_PATHS:
        errs.append(
            invalid(
                cp.child("searches"), searches, f"must not have more than {MAX_DNS_SEARCH_PATHS} search paths"
            )
        )
    if len(" ".join(searches)) > MAX_DNS_SEARCH_LIST_CHARS:
        errs.append(
            invalid(
                cp.child("searches"),
                searches,
                f"must not have more than {MAX_DNS_SEARCH_LIST_CHARS} characters (including spaces) in the search list",
            )
        )
    for i, search in enumerate(searches):
        if search == ".":
            continue
        errs.extend(validate_dns1123_subdomain(search.removesuffix("."), cp.child("searches").index(i)))
    for i, option in enumerate(as_seq(config.get("options"))):
        if not as_str(as_map(option).get("name")):
            errs.append(required(cp.child("options").index(i), "Option.Name must not be empty"))
    return errs


def validate_tolerations(tolerations: Sequence[Any], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    for i, toleration in enumerate(tolerations):
        toleration = as_map(toleration)
        p = fld.index(i)
        key, operator = as_str(toleration.get("key")), as_str(toleration.get("operator"))
        value, effect = as_str(toleration.get("value")), as_str(toleration.get("effect"))
        if key:
            errs.extend(validate_qualified_name(key, p.child("key")))
        if not key and operator != "Exists":
            errs.append(
                invalid(
                    p.child("operator"),
                    operator,
                    'operator must be Exists when `key` is empty, which means "match all values and all keys"',
                )
            )
        if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    p.child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"
                )
            )
        if operator in ("Equal", ""):
            msgs = is_valid_label_value(value)
            if msgs:
                errs.append(invalid(p.child("operator"), value, ";".join(msgs)))
        elif operator == "Exists":
            if value:
                errs.append(
                    invalid(
                        p.child("operator"),
                        dict(toleration),
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            errs.append(not_supported(p.child("operator"), operator, ("Equal", "Exists")))
        if effect:
            errs.extend(validate_taint_effect(effect, p.child("effect"), allow_empty=True))
    return errs


def validate_pod_spec(spec: Obj, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    host_network = spec.get("hostNetwork") is True
    names: set[str] = set()
    containers = as_seq(spec.get("containers"))
    if not containers:
        errs.append(required(fld.child("containers"), ""))
    errs.extend(
        _validate_containers(
            as_seq(spec.get("initContainers")),
            fld.child("initContainers"),
            names,
            host_network=host_network,
            init=True,
        )
    )
    errs.extend(
        _validate_containers(
            containers, fld.child("containers"), names, host_network=host_network, init=False
        )
    )
    policy = as_str(spec.get("restartPolicy"))
    if not policy:
        errs.append(required(fld.child("restartPolicy"), ""))
    elif policy not in RESTART_POLICIES:
        errs.append(not_supported(fld.child("restartPolicy"), policy, RESTART_POLICIES))
    errs.extend(_validate_dns(spec, fld))
    node_name = as_str(spec.get("nodeName"))
    if node_name:
        errs.extend(
            invalid(fld.child("nodeName"), node_name, m) for m in validate_node_name(node_name, False)
        )
    sa = as_str(spec.get("serviceAccountName"))
    if sa:
        errs.extend(
            invalid(fld.child("serviceAccountName"), sa, m) for m in name_is_dns1123_subdomain(sa, False)
        )
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 1 <= deadline <= MAX_INT32:
        errs.append(
            invalid(fld.child("activeDeadlineSeconds"), deadline, inclusive_range_error(1, MAX_INT32))
        )
    for key in ("hostname", "subdomain"):
        value = as_str(spec.get(key))
        if value:
            errs.extend(validate_dns1123_label(value, fld.child(key)))
    errs.extend(validate_tolerations(as_seq(spec.get("tolerations")), fld.child("tolerations")))
    scheduler = as_str(spec.get("schedulerName"))
    if scheduler:
        errs.extend(validate_dns1123_subdomain(scheduler, fld.child("schedulerName")))
    return errs


def validate_pod(pod: Obj) -> ErrorList:
    errs = validate_object_meta(pod.get("metadata"), namespaced=True, name_fn=validate_pod_name)
    errs.extend(validate_pod_spec(as_map(pod.get("spec")), path("spec")))
    if as_seq(as_map(pod.get("spec")).get("ephemeralContainers")):
        errs.append(forbidden(path("spec", "ephemeralContainers"), "cannot be set on create"))
    return errs


# ---------------------------------------------------------------------------------------------
# updates


def _container_updates(new: Sequence[Any], old: Sequence[Any], fld: FieldPath) -> tuple[ErrorList, bool]:
    if len(new) != len(old):
        return [forbidden(fld, "pod updates may not add or remove containers")], True
    errs: ErrorList = []
    for i, ctr in enumerate(new):
        image = as_str(as_map(ctr).get("image"))
        if not image:
            errs.append(required(fld.index(i).child("image"), ""))
        if image.strip() != image:
            errs.append(
                invalid(fld.index(i).child("image"), image, "must not have leading or trailing whitespace")
            )
    return errs, False


def _spec_diff(old: Obj, new: Obj) -> str:
    a = json.dumps(old, indent=2, sort_keys=True, default=str).splitlines()
    b = json.dumps(new, indent=2, sort_keys=True, default=str).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "old spec", "new spec", lineterm="", n=1))


def validate_pod_update(new: Obj, old: Obj) -> ErrorList:
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(_metadata_and_spec(new))
    new_spec, old_spec = as_map(new.get("spec")), as_map(old.get("spec"))
    sp = path("spec")
    for key in ("containers", "initContainers"):
        more, stop = _container_updates(as_seq(new_spec.get(key)), as_seq(old_spec.get(key)), sp.child(key))
        errs.extend(more)
        if stop:
            return errs
    new_deadline, old_deadline = new_spec.get("activeDeadlineSeconds"), old_spec.get("activeDeadlineSeconds")
    if isinstance(new_deadline, int):
        if not 0 <= new_deadline <= MAX_INT32:
            errs.append(
                invalid(sp.child("activeDeadlineSeconds"), new_deadline, inclusive_range_error(0, MAX_INT32))
            )
            return errs
        if isinstance(old_deadline, int) and old_deadline < new_deadline:
            errs.append(
                invalid(
                    sp.child("activeDeadlineSeconds"),
                    new_deadline,
                    "must be less than or equal to previous value",
                )
            )
            return errs
    elif isinstance(old_deadline, int):
        errs.append(
            invalid(
                sp.child("activeDeadlineSeconds"),
                None,
                "must not update from a positive integer to nil value",
            )
        )
    errs.extend(
        _only_added_tolerations(as_seq(new_spec.get("tolerations")), as_seq(old_spec.get("tolerations")))
    )
    if new_spec == old_spec:
        return errs
    munged = _munge(new_spec, old_spec)
    if munged != dict(old_spec):
        errs.append(
            forbidden(
                sp,
                "pod updates may not change fields other than "
                + ",".join(UPDATABLE_POD_SPEC_FIELDS)
                + "\n"
                + _spec_diff(old_spec, munged),
            )
        )
    return errs


def _only_added_tolerations(new: Sequence[Any], old: Sequence[Any]) -> ErrorList:
    """Existing tolerations stay (only tolerationSeconds may change); new ones may be added."""

    def sans_seconds(t: Any) -> dict[str, Any]:
        return {k: v for k, v in as_map(t).items() if k != "tolerationSeconds"}

    remaining = [sans_seconds(t) for t in new]
    for t in old:
        if sans_seconds(t) not in remaining:
            return [
                forbidden(
                    path("spec", "tolerations"),
                    "existing toleration can not be modified except its tolerationSeconds",
                )
            ]
    # upstream checks the new list's syntax here once more
    return validate_tolerations(new, path("spec", "tolerations"))


def _metadata_and_spec(pod: Obj) -> ErrorList:
    errs = validate_object_meta(pod.get("metadata"), namespaced=True, name_fn=validate_pod_name)
    errs.extend(validate_pod_spec(as_map(pod.get("spec")), path("spec")))
    return errs


def _munge(new_spec: Obj, old_spec: Obj) -> dict[str, Any]:
    """The new spec with the fields an update may change taken from the old one's view."""
    munged: dict[str, Any] = json.loads(json.dumps(new_spec, default=str))
    old_copy: dict[str, Any] = json.loads(json.dumps(old_spec, default=str))
    for key in ("containers", "initContainers"):
        old_ctrs = old_copy.get(key)
        new_ctrs = munged.get(key)
        if isinstance(old_ctrs, list) and isinstance(new_ctrs, list):
            for new_ctr, old_ctr in zip(new_ctrs, old_ctrs):
                if isinstance(new_ctr, dict) and isinstance(old_ctr, dict):
                    if "image" in old_ctr:
                        new_ctr["image"] = old_ctr["image"]
                    else:
                        new_ctr.pop("image", None)
    for key in ("activeDeadlineSeconds", "tolerations", "schedulingGates"):
        if key in old_copy:
            munged[key] = old_copy[key]
        else:
            munged.pop(key, None)
    old_grace, new_grace = (
        old_copy.get("terminationGracePeriodSeconds"),
        munged.get("terminationGracePeriodSeconds"),
    )
    if isinstance(old_grace, int) and old_grace < 0 and new_grace == 1:
        munged["terminationGracePeriodSeconds"] = old_grace
    return munged


# ---------------------------------------------------------------------------------------------
# status


def _pod_ips(status: Obj, plural: str, singular: str) -> list[str]:
    ips = [as_str(as_map(p).get("ip")) for p in as_seq(status.get(plural))]
    if not ips and as_str(status.get(singular)):
        ips = [as_str(status.get(singular))]
    return ips


def _validate_ip_list(ips: list[str], raw: Any, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    for i, ip in enumerate(ips):
        errs.extend(validate_ip(ip, fld.index(i)))
    if len(ips) > 1:
        families = {parsed.version for parsed in (parse_ip_sloppy(ip) for ip in ips) if parsed is not None}
        if families != {4, 6} or len(ips) > 2:
            errs.append(invalid(fld, raw, "may specify no more than one IP for each IP family"))
        seen: set[str] = set()
        raw_items = as_seq(raw)
        for i, ip in enumerate(ips):
            if ip in seen:
                errs.append(duplicate(fld.index(i), raw_items[i] if i < len(raw_items) else ip))
            seen.add(ip)
    return errs


def _validate_container_state_transitions(
    new: Sequence[Any], old: Sequence[Any], fld: FieldPath, restart_policy: str
) -> ErrorList:
    if restart_policy == "Always":
        return []
    errs: ErrorList = []
    old_by_name = {as_str(as_map(s).get("name")): as_map(s) for s in old}
    for i, status in enumerate(new):
        status = as_map(status)
        before = old_by_name.get(as_str(status.get("name")))
        if before is None:
            continue
        terminated = as_map(before.get("state")).get("terminated")
        if not isinstance(terminated, Mapping):
            continue
        if restart_policy == "OnFailure" and as_int(terminated.get("exitCode")) != 0:
            continue
        if not isinstance(as_map(status.get("state")).get("terminated"), Mapping):
            errs.append(
                forbidden(fld.index(i).child("state"), "may not be transitioned to non-terminated state")
            )
    return errs


def validate_pod_status_update(new: Obj, old: Obj) -> ErrorList:
    meta_path = path("metadata")
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    new_status, old_status = as_map(new.get("status")), as_map(old.get("status"))
    for i, condition in enumerate(as_seq(new_status.get("conditions"))):
        ctype = as_str(as_map(condition).get("type"))
        if ctype in SYSTEM_POD_CONDITIONS:
            continue
        # upstream reports these under metadata.conditions[i].Type
        errs.extend(validate_qualified_name(ctype, meta_path.child("conditions").index(i).child("Type")))
    sp = path("status")
    if as_str(as_map(new.get("spec")).get("nodeName")) != as_str(as_map(old.get("spec")).get("nodeName")):
        errs.append(forbidden(sp.child("nodeName"), "may not be changed directly"))
    nominated = as_str(new_status.get("nominatedNodeName"))
    if nominated and nominated != as_str(old_status.get("nominatedNodeName")):
        errs.extend(
            invalid(sp.child("nominatedNodeName"), nominated, m) for m in validate_node_name(nominated, False)
        )
    restart_policy = as_str(as_map(old.get("spec")).get("restartPolicy"))
    errs.extend(
        _validate_container_state_transitions(
            as_seq(new_status.get("containerStatuses")),
            as_seq(old_status.get("containerStatuses")),
            sp.child("containerStatuses"),
            restart_policy,
        )
    )
    errs.extend(
        _validate_container_state_transitions(
            as_seq(new_status.get("initContainerStatuses")),
            as_seq(old_status.get("initContainerStatuses")),
            sp.child("initContainerStatuses"),
            restart_policy,
        )
    )
    errs.extend(
        _validate_ip_list(
            _pod_ips(new_status, "podIPs", "podIP"), new_status.get("podIPs"), sp.child("podIPs")
        )
    )
    host_ips = as_seq(new_status.get("hostIPs"))
    if host_ips:
        first = as_str(as_map(host_ips[0]).get("ip"))
        if as_str(new_status.get("hostIP")) != first:
            errs.append(invalid(sp.child("hostIPs").index(0).child("ip"), first, "must be equal to `hostIP`"))
        errs.extend(
            _validate_ip_list(_pod_ips(new_status, "hostIPs", "hostIP"), host_ips, sp.child("hostIPs"))
        )
    return errs


# ---------------------------------------------------------------------------------------------
# warnings (pkg/api/pod/warnings.go `GetWarningsForPod` and the pod strategy's WarningsOnCreate;
# returned to the client as `Warning:` headers, they never fail a request)

# pkg/api/node `deprecatedNodeLabels`
DEPRECATED_NODE_LABELS: Final = {
    "beta.kubernetes.io/arch": 'deprecated since v1.14; use "kubernetes.io/arch" instead',
    "beta.kubernetes.io/os": 'deprecated since v1.14; use "kubernetes.io/os" instead',
    "failure-domain.beta.kubernetes.io/region": 'deprecated since v1.17; use "topology.kubernetes.io/region" instead',
    "failure-domain.beta.kubernetes.io/zone": 'deprecated since v1.17; use "topology.kubernetes.io/zone" instead',
    "beta.kubernetes.io/instance-type": 'deprecated since v1.17; use "node.kubernetes.io/instance-type" instead',
    "app.kubernetes.io/created-by": "deprecated since v1.9",
    "scheduler.alpha.kubernetes.io/preferAvoidPods": "deprecated since v1.22; use Taints and Tolerations instead",
    "node-role.kubernetes.io/master": 'use "node-role.kubernetes.io/control-plane" instead',
}
# annotation -> message, in upstream's order
DEPRECATED_POD_ANNOTATIONS: Final = (
    (
        "scheduler.alpha.kubernetes.io/critical-pod",
        'non-functional in v1.16+; use the "priorityClassName" field instead',
    ),
    ("security.alpha.kubernetes.io/sysctls", 'non-functional in v1.11+; use the "sysctls" field instead'),
    (
        "security.alpha.kubernetes.io/unsafe-sysctls",
        'non-functional in v1.11+; use the "sysctls" field instead',
    ),
)
SECCOMP_POD_ANNOTATION: Final = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX: Final = "container.seccomp.security.alpha.kubernetes.io/"
_SECCOMP_MSG: Final = 'non-functional in v1.27+; use the "seccompProfile" field instead'
# removed in-tree volume plugins: field -> message, in upstream's order
DEPRECATED_VOLUME_PLUGINS: Final = (
    ("photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+"),
    ("gitRepo", "deprecated in v1.11"),
    ("scaleIO", "deprecated in v1.16, non-functional in v1.22+"),
    ("flocker", "deprecated in v1.22, non-functional in v1.25+"),
    ("storageOS", "deprecated in v1.22, non-functional in v1.25+"),
    ("quobyte", "deprecated in v1.22, non-functional in v1.25+"),
    ("glusterfs", "deprecated in v1.25, non-functional in v1.26+"),
    ("ephemeral", ""),  # no message: its claim template's storage size is checked instead
    ("cephfs", "deprecated in v1.28, non-functional in v1.31+"),
    ("rbd", "deprecated in v1.28, non-functional in v1.31+"),
)
# the JSON key of a volume source whose Go field name (used in the warning's path) differs
_VOLUME_JSON_KEY: Final = {"storageOS": "storageos"}
_NULL_SELECTOR_MSG: Final = "a null labelSelector results in matching no pod"


def pod_warnings_on_create(pod: Obj) -> list[str]:
    """The pod strategy's `WarningsOnCreate`: a name that is not a DNS label, then
    `pod_warnings`.  (Upstream's `WarningsOnUpdate` for pods returns nothing.)"""
    warnings: list[str] = []
    name = as_str(as_map(pod.get("metadata")).get("name"))
    msgs = is_dns1123_label(name)
    if msgs:
        warnings.append(
            "metadata.name: this is used in the Pod's hostname, which can result in surprising "
            f"behavior; a DNS label is recommended: [{' '.join(msgs)}]"
        )
    warnings.extend(pod_warnings(pod, None))
    return warnings


def _visit_containers(spec: Obj) -> list[tuple[Obj, FieldPath]]:
    """`pods.VisitContainersWithPath`: init containers, containers, then ephemeral containers."""
    out: list[tuple[Obj, FieldPath]] = []
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for i, c in enumerate(as_seq(spec.get(kind))):
            out.append((as_map(c), path("spec", kind).index(i)))
    return out


def _fractional_bytes(raw: Any) -> str | None:
    """The canonical quantity when it is not a whole number of bytes (`MilliValue() % 1000`),
    else None.  A value that is no quantity is left to validation."""
    if raw is None:
        return None
    try:
        text = quantity.canonical(raw)
        amount, _ = quantity.parse(text)
    except (quantity.QuantityError, ValueError, TypeError):
        return None
    milli = amount * 1000
    rounded = math.ceil(milli) if milli >= 0 else math.floor(milli)  # rounds away from zero
    return text if rounded % 1000 != 0 else None


def _fractional_warning(fld: FieldPath, raw: Any) -> list[str]:
    text = _fractional_bytes(raw)
    if text is None:
        return []
    return [f"{fld}: fractional byte value {_go_quote(text)} is invalid, must be an integer"]


def _node_selector_term_warnings(term: Obj, fld: FieldPath) -> list[str]:
    warnings: list[str] = []
    for i, expr in enumerate(as_seq(term.get("matchExpressions"))):
        key = as_str(as_map(expr).get("key"))
        msg = DEPRECATED_NODE_LABELS.get(key)
        if msg is not None:
            warnings.append(f"{fld.child('matchExpressions').index(i).child('key')}: {key} is {msg}")
    return warnings


def _go_port(port: Obj) -> str:
    """A ContainerPort as Go's `%+v` prints upstream's internal struct."""
    return (
        f"{{Name:{as_str(port.get('name'))} HostPort:{as_int(port.get('hostPort'))} "
        f"ContainerPort:{as_int(port.get('containerPort'))} Protocol:{as_str(port.get('protocol'))} "
        f"HostIP:{as_str(port.get('hostIP'))}}}"
    )


def _path_label(p: str, source: str) -> str:
    return f"{_go_quote(p)} ({source})" if source else _go_quote(p)


def _overlaps(haystack: list[tuple[str, str]], needle: tuple[str, str]) -> list[tuple[str, str]]:
    """Upstream `checkForOverlap`: earlier paths equal to, inside or above `needle`."""
    if not needle[0]:
        return []
    found = []
    for item in haystack:
        if not item[0]:
            continue
        if (
            item == needle
            or (item[0] + "/").startswith(needle[0] + "/")
            or (needle[0] + "/").startswith(item[0] + "/")
        ):
            found.append(item)
    return found


def _collisions(paths: list[tuple[str, str]], seen: list[tuple[str, str]]) -> list[str]:
    out: list[str] = []
    for p, source in paths:
        needle = (p.rstrip("/"), source)
        out.extend(f"{_path_label(*needle)} with {_path_label(*other)}" for other in _overlaps(seen, needle))
        seen.append(needle)
    return out


def _item_paths(items: Any, source: str) -> list[tuple[str, str]]:
    return [(as_str(as_map(it).get("path")), source) for it in as_seq(items)]


def _overlapping_path_warnings(volumes: Sequence[Any]) -> list[str]:
    """Upstream `warningsForOverlappingVirtualPaths`."""
    warnings: list[str] = []
    for raw in volumes:
        vol = as_map(raw)
        name = _go_quote(as_str(vol.get("name")))
        cm = vol.get("configMap")
        if isinstance(cm, Mapping) and cm.get("items") is not None:
            desc = f"ConfigMap {_go_quote(as_str(cm.get('name')))}"
            for body in _collisions(_item_paths(cm.get("items"), ""), []):
                warnings.append(f"volume {name} ({desc}): overlapping paths: {body}")
        secret = vol.get("secret")
        if isinstance(secret, Mapping) and secret.get("items") is not None:
            desc = f"Secret {_go_quote(as_str(secret.get('secretName')))}"
            for body in _collisions(_item_paths(secret.get("items"), ""), []):
                warnings.append(f"volume {name} ({desc}): overlapping paths: {body}")
        downward = vol.get("downwardAPI")
        if isinstance(downward, Mapping) and downward.get("items") is not None:
            for body in _collisions(_item_paths(downward.get("items"), ""), []):
                warnings.append(f"volume {name} (DownwardAPI): overlapping paths: {body}")
        projected = vol.get("projected")
        if not isinstance(projected, Mapping):
            continue
        seen: list[tuple[str, str]] = []
        # upstream keeps the previous source's paths when a source has none of its own
        source_paths: list[tuple[str, str]] = []
        for src_raw in as_seq(projected.get("sources")):
            src = as_map(src_raw)
            if not any(v is not None for v in src.values()):
                warnings.append(f"volume {name} (Projected) has no sources provided")
                continue
            cm, sec, dapi = (
                as_map(src.get("configMap")),
                as_map(src.get("secret")),
                as_map(src.get("downwardAPI")),
            )
            sat, ctb = src.get("serviceAccountToken"), src.get("clusterTrustBundle")
            if cm and cm.get("items") is not None:
                source_paths = _item_paths(cm.get("items"), f"ConfigMap {_go_quote(as_str(cm.get('name')))}")
            elif sec and sec.get("items") is not None:
                source_paths = _item_paths(sec.get("items"), f"Secret {_go_quote(as_str(sec.get('name')))}")
            elif dapi and dapi.get("items") is not None:
                source_paths = _item_paths(dapi.get("items"), "DownwardAPI")
            elif isinstance(sat, Mapping):
                source_paths = [(as_str(sat.get("path")), "ServiceAccountToken")]
            elif isinstance(ctb, Mapping):
                bundle = ctb.get("name") if ctb.get("name") is not None else ctb.get("signerName")
                source_paths = [(as_str(ctb.get("path")), f"ClusterTrustBundle {_go_quote(as_str(bundle))}")]
            for body in _collisions(source_paths, seen):
                warnings.append(f"volume {name} (Projected): overlapping paths: {body}")
    return warnings


def _affinity_term_warnings(terms: Any, fld: FieldPath, weighted: bool) -> list[str]:
    warnings: list[str] = []
    for i, raw in enumerate(as_seq(terms)):
        term = as_map(raw)
        if weighted:
            if as_map(term.get("podAffinityTerm")).get("labelSelector") is None:
                warnings.append(
                    f"{fld.index(i).child('podAffinityTerm', 'labelSelector')}: {_NULL_SELECTOR_MSG}"
                )
        elif term.get("labelSelector") is None:
            warnings.append(f"{fld.index(i).child('labelSelector')}: {_NULL_SELECTOR_MSG}")
    return warnings


def pod_warnings(new: Obj, old: Obj | None = None) -> list[str]:
    """pkg/api/pod `GetWarningsForPod`: deprecated node labels, annotations and volume plugins,
    overlapping volume paths, duplicate host aliases, pull secrets, env vars, ports and port
    names, fractional byte quantities, a negative grace period, null pod label selectors.
    `old` is accepted as upstream's is; none of these warnings depends on it."""
    meta = as_map(new.get("metadata"))
    annotations = as_map(meta.get("annotations"))
    spec = as_map(new.get("spec"))
    sp = path("spec")
    warnings: list[str] = []

    # deprecated node labels in selectors, node affinity and topology spread constraints
    for key in as_map(spec.get("nodeSelector")):
        msg = DEPRECATED_NODE_LABELS.get(key)
        if msg is not None:
            warnings.append(f"{sp.child('nodeSelector').key(key)}: {msg}")
    affinity = as_map(spec.get("affinity"))
    node_affinity = affinity.get("nodeAffinity")
    if isinstance(node_affinity, Mapping):
        required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
        if isinstance(required, Mapping):
            terms_fld = sp.child(
                "affinity",
                "nodeAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
                "nodeSelectorTerms",
            )
            for i, term in enumerate(as_seq(required.get("nodeSelectorTerms"))):
                warnings.extend(_node_selector_term_warnings(as_map(term), terms_fld.index(i)))
        preferred_fld = sp.child(
            "affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"
        )
        for i, pref in enumerate(
            as_seq(node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution"))
        ):
            warnings.extend(
                _node_selector_term_warnings(
                    as_map(as_map(pref).get("preference")), preferred_fld.index(i).child("preference")
                )
            )
    for i, raw in enumerate(as_seq(spec.get("topologySpreadConstraints"))):
        tsc = as_map(raw)
        fld = sp.child("topologySpreadConstraints").index(i)
        key = as_str(tsc.get("topologyKey"))
        msg = DEPRECATED_NODE_LABELS.get(key)
        if msg is not None:
            warnings.append(f"{fld.child('topologyKey')}: {key} is {msg}")
        if tsc.get("labelSelector") is None:
            warnings.append(f"{fld.child('labelSelector')}: {_NULL_SELECTOR_MSG}")

    # deprecated annotations
    ann_fld = path("metadata", "annotations")
    for key, msg in DEPRECATED_POD_ANNOTATIONS:
        if key in annotations:
            warnings.append(f"{ann_fld.key(key)}: {msg}")

    # deprecated and removed volume plugins
    volumes = as_seq(spec.get("volumes"))
    for i, raw in enumerate(volumes):
        vol = as_map(raw)
        vol_fld = sp.child("volumes").index(i)
        for plugin, msg in DEPRECATED_VOLUME_PLUGINS:
            source = vol.get(_VOLUME_JSON_KEY.get(plugin, plugin))
            if source is None:
                continue
            if plugin == "ephemeral":
                template = as_map(source).get("volumeClaimTemplate")
                if isinstance(template, Mapping):
                    claim_fld = vol_fld.child("ephemeral", "volumeClaimTemplate", "spec", "resources")
                    resources = as_map(as_map(template.get("spec")).get("resources"))
                    for kind in ("requests", "limits"):
                        storage = as_map(resources.get(kind)).get("storage")
                        warnings.extend(_fractional_warning(claim_fld.child(kind).key("storage"), storage))
                continue
            warnings.append(f"{vol_fld.child(plugin)}: {msg}")
    warnings.extend(_overlapping_path_warnings(volumes))

    # duplicate hostAliases and imagePullSecrets, pull secrets without a name
    seen_ips: set[str] = set()
    for i, raw in enumerate(as_seq(spec.get("hostAliases"))):
        ip = as_str(as_map(raw).get("ip"))
        if ip in seen_ips:
            warnings.append(f"{sp.child('hostAliases').index(i).child('ip')}: duplicate ip {_go_quote(ip)}")
        seen_ips.add(ip)
    pull_secrets = [as_str(as_map(raw).get("name")) for raw in as_seq(spec.get("imagePullSecrets"))]
    seen_names: set[str] = set()
    for i, name in enumerate(pull_secrets):
        if name in seen_names:
            warnings.append(
                f"{sp.child('imagePullSecrets').index(i).child('name')}: duplicate name {_go_quote(name)}"
            )
        seen_names.add(name)
    for i, name in enumerate(pull_secrets):
        if not name:
            warnings.append(
                f"{sp.child('imagePullSecrets').index(i).child('name')}: invalid empty name {_go_quote(name)}"
            )

    # fractional byte quantities
    overhead = as_map(spec.get("overhead"))
    for res in ("memory", "ephemeral-storage"):
        warnings.extend(_fractional_warning(sp.child("overhead").key(res), overhead.get(res)))

    # seccomp annotations without the field
    pod_seccomp = as_map(spec.get("securityContext")).get("seccompProfile")
    if pod_seccomp is None and SECCOMP_POD_ANNOTATION in annotations:
        warnings.append(f"{ann_fld.key(SECCOMP_POD_ANNOTATION)}: {_SECCOMP_MSG}")

    containers = _visit_containers(spec)
    for c, c_fld in containers:
        if as_map(c.get("securityContext")).get("seccompProfile") is None:
            key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + as_str(c.get("name"))
            if key in annotations:
                warnings.append(f"{ann_fld.key(key)}: {_SECCOMP_MSG}")
        resources = as_map(c.get("resources"))
        limits, requests = as_map(resources.get("limits")), as_map(resources.get("requests"))
        for res in ("memory", "ephemeral-storage"):
            warnings.extend(_fractional_warning(c_fld.child("resources", "limits").key(res), limits.get(res)))
            warnings.extend(
                _fractional_warning(c_fld.child("resources", "requests").key(res), requests.get(res))
            )
        # an env var defined again hides the first (apply may drop one of them)
        env_names: set[str] = set()
        for i, raw in enumerate(as_seq(c.get("env"))):
            var = as_map(raw)
            name = as_str(var.get("name"))
            if name not in env_names:
                env_names.add(name)
                continue
            ref = f"$({name})"
            value = as_str(var.get("value"))
            if var.get("valueFrom") is not None or value == ref or ref not in value:
                warnings.append(
                    f"{c_fld.child('env').index(i)}: hides previous definition of {_go_quote(name)}, "
                    "which may be dropped when using apply"
                )

    # the same container port (and protocol) declared twice, across all containers
    by_port: dict[tuple[int, str], list[tuple[FieldPath, Obj]]] = {}
    for c, c_fld in containers:
        for i, raw in enumerate(as_seq(c.get("ports"))):
            port = as_map(raw)
            fld = c_fld.child("ports").index(i)
            host_ip, host_port = as_str(port.get("hostIP")), as_int(port.get("hostPort"))
            if host_ip and host_port == 0:
                warnings.append(f"{fld}: hostIP set without hostPort: {_go_port(port)}")
            others = by_port.setdefault((as_int(port.get("containerPort")), as_str(port.get("protocol"))), [])
            for other_fld, other in others:
                other_ip, other_port = as_str(other.get("hostIP")), as_int(other.get("hostPort"))
                if host_ip == other_ip and host_port == other_port:
                    warnings.append(f"{fld}: duplicate port definition with {other_fld}")
                elif host_port == 0 or other_port == 0:
                    warnings.append(f"{fld}: overlapping port definition with {other_fld}")
                elif host_port == other_port and (not host_ip) != (not other_ip):
                    warnings.append(f"{fld}: dangerously ambiguous port definition with {other_fld}")
            others.append((fld, port))

    # the same port name in two containers: services and probes use the first
    port_names: dict[str, FieldPath] = {}
    for c, c_fld in containers:
        for i, raw in enumerate(as_seq(c.get("ports"))):
            name = as_str(as_map(raw).get("name"))
            if not name:
                continue
            fld = c_fld.child("ports").index(i)
            first = port_names.get(name)
            if first is None:
                port_names[name] = fld
            else:
                warnings.append(
                    f"{fld}: duplicate port name {_go_quote(name)} with {first}, services and probes "
                    f"that select ports by name will use {first}"
                )

    grace = spec.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and not isinstance(grace, bool) and grace < 0:
        warnings.append(
            f"{sp.child('terminationGracePeriodSeconds')}: must be >= 0; negative values are invalid "
            "and will be treated as 1"
        )

    for kind in ("podAffinity", "podAntiAffinity"):
        aff = affinity.get(kind)
        if not isinstance(aff, Mapping):
            continue
        fld = sp.child("affinity", kind)
        warnings.extend(
            _affinity_term_warnings(
                aff.get("requiredDuringSchedulingIgnoredDuringExecution"),
                fld.child("requiredDuringSchedulingIgnoredDuringExecution"),
                weighted=False,
            )
        )
        warnings.extend(
            _affinity_term_warnings(
                aff.get("preferredDuringSchedulingIgnoredDuringExecution"),
                fld.child("preferredDuringSchedulingIgnoredDuringExecution"),
                weighted=True,
            )
        )
    return warnings
