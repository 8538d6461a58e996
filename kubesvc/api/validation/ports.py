"""The port protocol rule that core/v1 applies alike to Service, Endpoints and Pod ports.

EndpointSlice ports share the supported set but not the rule: their protocol is a pointer
upstream, so only an absent one is "Required" and an empty string is "Unsupported value".
"""

from __future__ import annotations

from typing import Final

from kubesvc.api.fields import ErrorList, FieldPath, not_supported, required

SUPPORTED_PORT_PROTOCOLS: Final = ("SCTP", "TCP", "UDP")  # sorted, as upstream lists them


def validate_port_protocol(protocol: str, fld: FieldPath) -> ErrorList:
    if not protocol:
        return [required(fld, "")]
    if protocol not in SUPPORTED_PORT_PROTOCOLS:
        return [not_supported(fld, protocol, SUPPORTED_PORT_PROTOCOLS)]
    return []
