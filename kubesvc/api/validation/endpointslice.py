"""Validation of discovery.k8s.io/v1 EndpointSlice (pkg/apis/discovery/validation).

Limits as upstream: at most 1000 endpoints, 1..100 addresses per endpoint, 20000 ports
(raised from 100 upstream), 16 deprecatedTopology labels, 8 zone hints and 8 node hints.
Addresses are checked by the slice's addressType; an unknown type is rejected once, on
`addressType`, and its addresses are then left alone, as upstream does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from kubesvc.api.fields import (
    ROOT,
    ErrorList,
    FieldPath,
    duplicate,
    internal,
    invalid,
    not_supported,
    path,
    required,
    too_many,
)
from kubesvc.api.validation.endpoints import validate_endpoint_ip
from kubesvc.api.validation.meta import (
    name_is_dns1123_subdomain,
    validate_immutable_field,
    validate_labels,
    validate_node_name,
    validate_object_meta,
)
from kubesvc.api.validation.names import (
    is_fully_qualified_domain_name,
    is_valid_ipv4_address,
    is_valid_ipv6_address,
    is_valid_label_value,
    validate_dns1123_label,
    validate_qualified_name,
)
from kubesvc.api.validation.ports import SUPPORTED_PORT_PROTOCOLS
from kubesvc.api.validation.zerovalues import as_map, as_seq, as_str

Obj = Mapping[str, Any]

SUPPORTED_ADDRESS_TYPES: Final = ("FQDN", "IPv4", "IPv6")  # sorted, as upstream lists them
MAX_TOPOLOGY_LABELS: Final = 16
MAX_ADDRESSES: Final = 100
MAX_PORTS: Final = 20000
MAX_ENDPOINTS: Final = 1000
MAX_ZONE_HINTS: Final = 8
MAX_NODE_HINTS: Final = 8
LABEL_TOPOLOGY_ZONE: Final = "topology.kubernetes.io/zone"

validate_endpoint_slice_name = name_is_dns1123_subdomain


def _validate_address(address: str, address_type: str, fld: FieldPath) -> ErrorList:
    if address_type == "IPv4":
        errs = [invalid(fld, address, m) for m in is_valid_ipv4_address(address)]
        return errs + validate_endpoint_ip(address, fld)
    if address_type == "IPv6":
        errs = [invalid(fld, address, m) for m in is_valid_ipv6_address(address)]
        return errs + validate_endpoint_ip(address, fld)
    if address_type == "FQDN":
        return is_fully_qualified_domain_name(fld, address)
    return []


# A canonical dotted quad (no leading zeros, ASCII digits): the address controllers write.
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _address_ok(address: str, address_type: str) -> bool:
    """`_validate_address` finds nothing wrong (whatever the path): a canonical IPv4 address is
    checked for the special ranges by its text, anything else takes the general path."""
    if address_type == "IPv4" and _CANONICAL_IPV4.fullmatch(address):
        a, b, c, _ = address.split(".")
        return not (
            address == "0.0.0.0"  # unspecified
            or a == "127"  # loopback
            or (a == "169" and b == "254")  # link-local
            or (a == "224" and b == "0" and c == "0")  # link-local multicast
        )
    return not _validate_address(address, address_type, ROOT)


@functools.lru_cache(maxsize=4096)
def _node_name_ok(name: str) -> bool:
    return not validate_node_name(name, False)


@functools.lru_cache(maxsize=4096)
def _hostname_ok(name: str) -> bool:
    return not validate_dns1123_label(name, ROOT)


def _plain_endpoint(endpoint: Obj, address_type: str) -> bool:
    """True when `_validate_endpoints` would find nothing wrong with this endpoint: the shape a
    controller writes (valid addresses, node name and hostname; no topology, no hints).  Checked
    without building field paths, which costs most of the time for a slice of 1000 endpoints."""
    addresses = endpoint.get("addresses")
    if type(addresses) is not list or not 0 < len(addresses) <= MAX_ADDRESSES:
        return False
    for address in addresses:
        if type(address) is not str or not _address_ok(address, address_type):
            return False
    node_name = endpoint.get("nodeName")
    if isinstance(node_name, str) and not _node_name_ok(node_name):
        return False
    topology = endpoint.get("deprecatedTopology")
    if topology and isinstance(topology, Mapping):
        return False
    hostname = endpoint.get("hostname")
    if isinstance(hostname, str) and not _hostname_ok(hostname):
        return False
    hints = endpoint.get("hints")
    return hints is None or not isinstance(hints, Mapping)


def _validate_hints(hints: Obj, fld: FieldPath) -> ErrorList:
    errs: ErrorList = []
    zones_path = fld.child("forZones")
    zones = as_seq(hints.get("forZones"))
    if len(zones) > MAX_ZONE_HINTS:
        return [too_many(zones_path, len(zones), MAX_ZONE_HINTS)]
    seen: set[str] = set()
    for i, zone in enumerate(zones):
        name = as_str(as_map(zone).get("name"))
        p = zones_path.index(i).child("name")
        if name in seen:
            errs.append(duplicate(p, name))
        else:
            seen.add(name)
        errs.extend(invalid(p, name, m) for m in is_valid_label_value(name))
    nodes_path = fld.child("forNodes")
    nodes = as_seq(hints.get("forNodes"))
    if len(nodes) > MAX_NODE_HINTS:
        errs.append(too_many(nodes_path, len(nodes), MAX_NODE_HINTS))
        return errs
    seen = set()
    for i, node in enumerate(nodes):
        name = as_str(as_map(node).get("name"))
        p = nodes_path.index(i).child("name")
        if name in seen:
            errs.append(duplicate(p, name))
        else:
            seen.add(name)
        errs.extend(invalid(p, name, m) for m in validate_node_name(name, False))
    return errs


def _validate_endpoints(endpoints: Sequence[Any], address_type: str, fld: FieldPath) -> ErrorList:
    if len(endpoints) > MAX_ENDPOINTS:
        return [too_many(fld, len(endpoints), MAX_ENDPOINTS)]
    errs: ErrorList = []
    for i, endpoint in enumerate(endpoints):
        if type(endpoint) is dict and _plain_endpoint(endpoint, address_type):
            continue
        endpoint = as_map(endpoint)
        p = fld.index(i)
        addresses_path = p.child("addresses")
        addresses = as_seq(endpoint.get("addresses"))
        if not addresses:
            errs.append(required(addresses_path, "must contain at least 1 address"))
        elif len(addresses) > MAX_ADDRESSES:
            errs.append(too_many(addresses_path, len(addresses), MAX_ADDRESSES))
        for j, address in enumerate(addresses):
            errs.extend(_validate_address(as_str(address), address_type, addresses_path.index(j)))
        node_name = endpoint.get("nodeName")
        if isinstance(node_name, str):
            errs.extend(
                invalid(p.child("nodeName"), node_name, m) for m in validate_node_name(node_name, False)
            )
        topology_path = p.child("deprecatedTopology")
        topology = as_map(endpoint.get("deprecatedTopology"))
        if len(topology) > MAX_TOPOLOGY_LABELS:
            errs.append(too_many(topology_path, len(topology), MAX_TOPOLOGY_LABELS))
        errs.extend(validate_labels(topology, topology_path))
        if LABEL_TOPOLOGY_ZONE in topology:
            # v1 moves this key to `zone`; on the wire it is simply refused
            errs.append(
                internal(topology_path.key(LABEL_TOPOLOGY_ZONE), "reserved key was not removed in conversion")
            )
        hostname = endpoint.get("hostname")
        if isinstance(hostname, str):
            errs.extend(validate_dns1123_label(hostname, p.child("hostname")))
        hints = endpoint.get("hints")
        if isinstance(hints, Mapping):
            errs.extend(_validate_hints(hints, p.child("hints")))
    return errs


def _validate_ports(ports: Sequence[Any], fld: FieldPath) -> ErrorList:
    if len(ports) > MAX_PORTS:
        return [too_many(fld, len(ports), MAX_PORTS)]
    errs: ErrorList = []
    names: set[str] = set()
    for i, port in enumerate(ports):
        port = as_map(port)
        p = fld.index(i)
        name = as_str(port.get("name"))  # defaulting turns a missing name into ""
        if name:
            errs.extend(validate_dns1123_label(name, p.child("name")))
        if name in names:
            errs.append(duplicate(p.child("name"), name))
        else:
            names.add(name)
        protocol = port.get("protocol")
        if protocol is None:
            errs.append(required(p.child("protocol"), ""))
        elif protocol not in SUPPORTED_PORT_PROTOCOLS:
            errs.append(not_supported(p.child("protocol"), protocol, SUPPORTED_PORT_PROTOCOLS))
        app_protocol = port.get("appProtocol")
        if isinstance(app_protocol, str):
            errs.extend(validate_qualified_name(app_protocol, p.child("appProtocol")))
    return errs


def _validate_address_type(address_type: str) -> ErrorList:
    if not address_type:
        return [required(path("addressType"), "")]
    if address_type not in SUPPORTED_ADDRESS_TYPES:
        return [not_supported(path("addressType"), address_type, SUPPORTED_ADDRESS_TYPES)]
    return []


def validate_endpoint_slice(slice_: Obj) -> ErrorList:
    address_type = as_str(slice_.get("addressType"))
    errs = validate_object_meta(slice_.get("metadata"), namespaced=True, name_fn=validate_endpoint_slice_name)
    errs.extend(_validate_address_type(address_type))
    errs.extend(_validate_endpoints(as_seq(slice_.get("endpoints")), address_type, path("endpoints")))
    errs.extend(_validate_ports(as_seq(slice_.get("ports")), path("ports")))
    return errs


def validate_endpoint_slice_update(new: Obj, old: Obj) -> ErrorList:
    # metadata update rules are the generic ones the dispatcher applies to every kind
    errs = validate_endpoint_slice(new)
    errs.extend(
        validate_immutable_field(
            as_str(new.get("addressType")), as_str(old.get("addressType")), path("addressType")
        )
    )
    return errs
