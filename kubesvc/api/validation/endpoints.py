"""Validation of v1 Endpoints (pkg/apis/core/validation: ValidateEndpoints*).

Also home of `validate_endpoint_ip`, the address restriction of the CVE-2021-25737 fix that
Endpoints and EndpointSlices share: no unspecified, loopback, link-local or link-local
multicast addresses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubesvc.api.fields import ErrorList, FieldPath, invalid, path, required
from kubesvc.api.validation.meta import (
    name_is_dns1123_subdomain,
    validate_node_name,
    validate_object_meta,
    validate_object_meta_update,
)
from kubesvc.api.validation.names import (
    IPAddress,
    is_valid_port_num,
    parse_ip_sloppy,
    validate_dns1123_label,
    validate_ip,
    validate_qualified_name,
)
from kubesvc.api.validation.ports import validate_port_protocol
from kubesvc.api.validation.zerovalues import as_map, as_seq, as_str

Obj = Mapping[str, Any]


validate_endpoints_name = name_is_dns1123_subdomain


def _is_link_local_unicast(ip: IPAddress) -> bool:
    if ip.version == 4:
        return ip.packed[:2] == b"\xa9\xfe"
    return ip.packed[0] == 0xFE and ip.packed[1] & 0xC0 == 0x80


def _is_link_local_multicast(ip: IPAddress) -> bool:
    if ip.version == 4:
        return ip.packed[:3] == b"\xe0\x00\x00"
    return ip.packed[0] == 0xFF and ip.packed[1] & 0x0F == 0x02


def validate_endpoint_ip(address: str, fld: FieldPath | str) -> ErrorList:
    """Upstream's ValidateEndpointIP (formerly ValidateNonSpecialIP)."""
    ip = parse_ip_sloppy(address)
    if ip is None:
        return [invalid(fld, address, "must be a valid IP address")]
    errs: ErrorList = []
    if ip.is_unspecified:
        errs.append(invalid(fld, address, f"may not be unspecified ({address})"))
    if ip.is_loopback:
        errs.append(invalid(fld, address, "may not be in the loopback range (127.0.0.0/8, ::1/128)"))
    if _is_link_local_unicast(ip):
        errs.append(invalid(fld, address, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"))
    if _is_link_local_multicast(ip):
        errs.append(
            invalid(fld, address, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
        )
    return errs


def _validate_address(address: Obj, fld: FieldPath) -> ErrorList:
    ip = as_str(address.get("ip"))
    errs = validate_ip(ip, fld.child("ip"))
    hostname = as_str(address.get("hostname"))
    if hostname:
        errs.extend(validate_dns1123_label(hostname, fld.child("hostname")))
    node_name = address.get("nodeName")
    if isinstance(node_name, str):
        errs.extend(
            invalid(fld.child("nodeName"), node_name, m) for m in validate_node_name(node_name, False)
        )
    errs.extend(validate_endpoint_ip(ip, fld.child("ip")))
    return errs


def _validate_port(port: Obj, require_name: bool, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    name = as_str(port.get("name"))
    if require_name and not name:
        errs.append(required(fld.child("name"), ""))
    elif name:
        errs.extend(validate_dns1123_label(name, fld.child("name")))
    number = port.get("port")
    number = number if isinstance(number, int) else 0
    errs.extend(invalid(fld.child("port"), number, m) for m in is_valid_port_num(number))
    protocol = as_str(port.get("protocol"))
    errs.extend(validate_port_protocol(protocol, fld.child("protocol")))
    app_protocol = port.get("appProtocol")
    if isinstance(app_protocol, str):
        errs.extend(validate_qualified_name(app_protocol, fld.child("appProtocol")))
    return errs


def validate_endpoint_subsets(subsets: Sequence[Any], fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    for i, subset in enumerate(subsets):
        subset = as_map(subset)
        p = fld.index(i)
        addresses = as_seq(subset.get("addresses"))
        not_ready = as_seq(subset.get("notReadyAddresses"))
        # a headless Service's Endpoints may have no ports, but never no addresses
        if not addresses and not not_ready:
            errs.append(required(p, "must specify `addresses` or `notReadyAddresses`"))
        for j, address in enumerate(addresses):
            errs.extend(_validate_address(as_map(address), p.child("addresses").index(j)))
        for j, address in enumerate(not_ready):
            errs.extend(_validate_address(as_map(address), p.child("notReadyAddresses").index(j)))
        ports = as_seq(subset.get("ports"))
        for j, port in enumerate(ports):
            errs.extend(_validate_port(as_map(port), len(ports) > 1, p.child("ports").index(j)))
    return errs


def validate_endpoints(endpoints: Obj) -> ErrorList:
    errs = validate_object_meta(endpoints.get("metadata"), namespaced=True, name_fn=validate_endpoints_name)
    errs.extend(validate_endpoint_subsets(as_seq(endpoints.get("subsets")), path("subsets")))
    return errs


def validate_endpoints_update(new: Obj, old: Obj) -> ErrorList:
    """Node names may change on update (an IP reused by another node); everything is revalidated."""
    errs = validate_object_meta_update(new.get("metadata"), old.get("metadata"))
    errs.extend(validate_endpoints(new))
    return errs
