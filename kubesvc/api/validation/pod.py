"""Validation of v1 Pods: the parts kubesvc runs (pkg/apis/core/validation: ValidatePod*).

Covered: metadata; containers and initContainers (names, image, ports, env, probes, pull and
termination-message policies); restartPolicy, dnsPolicy and dnsConfig, hostname, subdomain,
nodeName, serviceAccountName, schedulerName, activeDeadlineSeconds, hostNetwork ports,
tolerations;
update rules (the "pod updates may not change fields other than ..." Forbidden error,
containers may not be added or removed, activeDeadlineSeconds, tolerations additions only);
status updates (conditions, nodeName, podIPs, hostIPs, terminated-container transitions).
Volumes, security contexts, affinity and resources are not checked.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubesvc.api.fields import (
    ErrorList,
    FieldPath,
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
