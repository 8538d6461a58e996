"""String validators: names, label keys and values, port names, IP addresses and CIDRs.

The facts (regexes, limits, examples and the wording of every message) are those of
apimachinery's `pkg/util/validation` and `pkg/api/validate/content`, and of the IP helpers
built on `k8s.io/utils/net` (`ParseIPSloppy`, `ParseCIDRSloppy`).  Each `is_*` function
returns a list of messages, empty when the value is valid; callers wrap each message in a
field error (`fields.invalid(path, value, msg)`), as Kubernetes does.

Lengths are counted in bytes of UTF-8, as Go's `len` counts them.

IP parsing follows Kubernetes' "sloppy" parser, which predates Go 1.17: IPv4 octets may carry
leading zeros (read as decimal, never octal), IPv4-mapped IPv6 addresses count as IPv4, and
zones (`fe80::1%eth0`) are rejected.  `strict=True` adds the checks of the
StrictIPCIDRValidation feature (no leading zeros, no IPv4-mapped IPv6, no bits past the
prefix length), with their messages.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from kubesvc.api.fields import ErrorList, FieldPath, invalid, required

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# ---------------------------------------------------------------------------------------------
# message helpers


def max_len_error(length: int) -> str:
    return f"must be no more than {length} characters"


def regex_error(msg: str, fmt: str, *examples: str) -> str:
    """`msg (e.g. 'a' or 'b', regex used for validation is 'fmt')`, spaced exactly as upstream."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    out = msg + " (e.g. "
    for i, example in enumerate(examples):
        if i > 0:
            out += " or "
        out += f"'{example}', "
    return out + f"regex used for validation is '{fmt}')"


def empty_error() -> str:
    return "must be non-empty"


def inclusive_range_error(lo: int, hi: int) -> str:
    return f"must be between {lo} and {hi}, inclusive"


IS_NEGATIVE_ERROR_MSG: Final = "must be greater than or equal to 0"
FIELD_IMMUTABLE_ERROR_MSG: Final = "field is immutable"


def _blen(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def _full(regex: re.Pattern[str], value: str) -> bool:
    return regex.fullmatch(value) is not None


# ---------------------------------------------------------------------------------------------
# DNS names

DNS1123_LABEL_FMT: Final = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
DNS1123_LABEL_ERR_MSG: Final = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character"
)
DNS1123_LABEL_MAX_LENGTH: Final = 63
DNS1123_SUBDOMAIN_FMT: Final = DNS1123_LABEL_FMT + "(\\." + DNS1123_LABEL_FMT + ")*"
DNS1123_SUBDOMAIN_ERR_MSG: Final = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)
DNS1123_SUBDOMAIN_MAX_LENGTH: Final = 253
DNS1035_LABEL_FMT: Final = "[a-z]([-a-z0-9]*[a-z0-9])?"
DNS1035_LABEL_ERR_MSG: Final = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
    "start with an alphabetic character, and end with an alphanumeric character"
)
DNS1035_LABEL_MAX_LENGTH: Final = 63

_dns1123_label_re = re.compile(DNS1123_LABEL_FMT)
_dns1123_subdomain_re = re.compile(DNS1123_SUBDOMAIN_FMT)
_dns1035_label_re = re.compile(DNS1035_LABEL_FMT)


def is_dns1123_label(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1123_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_LABEL_MAX_LENGTH))
    if not _full(_dns1123_label_re, value):
        if _full(_dns1123_subdomain_re, value):
            # a valid subdomain but not a label: the length is already checked, so it has dots
            errs.append("must not contain dots")
        else:
            errs.append(regex_error(DNS1123_LABEL_ERR_MSG, DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return errs


def is_dns1123_subdomain(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _full(_dns1123_subdomain_re, value):
        errs.append(regex_error(DNS1123_SUBDOMAIN_ERR_MSG, DNS1123_SUBDOMAIN_FMT, "example.com"))
    return errs


def is_dns1035_label(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1035_LABEL_MAX_LENGTH:
        errs.append(max_len_error(DNS1035_LABEL_MAX_LENGTH))
    if not _full(_dns1035_label_re, value):
        errs.append(regex_error(DNS1035_LABEL_ERR_MSG, DNS1035_LABEL_FMT, "my-name", "abc-123"))
    return errs


WILDCARD_DNS1123_SUBDOMAIN_FMT: Final = "\\*\\." + DNS1123_SUBDOMAIN_FMT
_WILDCARD_ERR_MSG: Final = (
    "a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, "
    "which must consist of lower case alphanumeric characters, '-' or '.' and end with an "
    "alphanumeric character"
)
_wildcard_re = re.compile(WILDCARD_DNS1123_SUBDOMAIN_FMT)


def is_wildcard_dns1123_subdomain(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _full(_wildcard_re, value):
        errs.append(regex_error(_WILDCARD_ERR_MSG, WILDCARD_DNS1123_SUBDOMAIN_FMT, "*.example.com"))
    return errs


def is_fully_qualified_domain_name(fld: FieldPath | str, name: str) -> ErrorList:
    """At least two dot-separated segments; a trailing '.' is allowed (field errors, as upstream)."""
    if not name:
        return [required(fld, "")]
    if name.endswith("."):
        name = name[:-1]
    errs = is_dns1123_subdomain(name)
    if errs:
        return [invalid(fld, name, ",".join(errs))]
    labels = name.split(".")
    if len(labels) < 2:
        return [invalid(fld, name, "should be a domain with at least two segments separated by dots")]
    for label in labels:
        errs = is_dns1123_label(label)
        if errs:
            return [invalid(fld, label, ",".join(errs))]
    return []


def is_fully_qualified_name(fld: FieldPath | str, name: str) -> ErrorList:
    """At least three segments, no trailing dot (the older rule)."""
    if not name:
        return [required(fld, "")]
    errs = is_dns1123_subdomain(name)
    if errs:
        return [invalid(fld, name, ",".join(errs))]
    if len(name.split(".")) < 3:
        return [invalid(fld, name, "should be a domain with at least three segments separated by dots")]
    return []


HTTP_PATH_FMT: Final = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+"
_http_path_re = re.compile(HTTP_PATH_FMT)


def is_domain_prefixed_path(fld: FieldPath | str, dp_path: str) -> ErrorList:
    """`acme.io/foo`: a DNS subdomain, '/', then RFC 3986 path characters."""
    if not dp_path:
        return [required(fld, "")]
    segments = dp_path.split("/", 1)
    if len(segments) != 2 or not segments[0] or not segments[1]:
        return [invalid(fld, dp_path, 'must be a domain-prefixed path (such as "acme.io/foo")')]
    host, rest = segments
    errs: ErrorList = [invalid(fld, host, msg) for msg in is_dns1123_subdomain(host)]
    if not _full(_http_path_re, rest):
        errs.append(invalid(fld, rest, regex_error("Invalid path", HTTP_PATH_FMT)))
    return errs


# ---------------------------------------------------------------------------------------------
# label keys (qualified names) and values

QUALIFIED_NAME_CHAR_FMT: Final = "[A-Za-z0-9]"
QUALIFIED_NAME_EXT_CHAR_FMT: Final = "[-A-Za-z0-9_.]"
QUALIFIED_NAME_FMT: Final = (
    "(" + QUALIFIED_NAME_CHAR_FMT + QUALIFIED_NAME_EXT_CHAR_FMT + "*)?" + QUALIFIED_NAME_CHAR_FMT
)
QUALIFIED_NAME_ERR_MSG: Final = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character"
)
QUALIFIED_NAME_MAX_LENGTH: Final = 63
LABEL_VALUE_FMT: Final = "(" + QUALIFIED_NAME_FMT + ")?"
LABEL_VALUE_ERR_MSG: Final = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
LABEL_VALUE_MAX_LENGTH: Final = 63

_qualified_name_re = re.compile(QUALIFIED_NAME_FMT)
_label_value_re = re.compile(LABEL_VALUE_FMT)


def is_qualified_name(value: str) -> list[str]:
    """A label key: optional DNS-subdomain prefix and '/', then a name of at most 63 characters."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part " + empty_error())
        else:
            errs.extend("prefix part " + msg for msg in is_dns1123_subdomain(prefix))
    else:
        return [
            "a valid label key "
            + regex_error(QUALIFIED_NAME_ERR_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part " + empty_error())
    elif _blen(name) > QUALIFIED_NAME_MAX_LENGTH:
        errs.append("name part " + max_len_error(QUALIFIED_NAME_MAX_LENGTH))
    if not _full(_qualified_name_re, name):
        errs.append(
            "name part "
            + regex_error(QUALIFIED_NAME_ERR_MSG, QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        )
    return errs


is_label_key = is_qualified_name


def is_valid_label_value(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > LABEL_VALUE_MAX_LENGTH:
        errs.append(max_len_error(LABEL_VALUE_MAX_LENGTH))
    if not _full(_label_value_re, value):
        errs.append(regex_error(LABEL_VALUE_ERR_MSG, LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return errs


def is_prefixed_label_key(value: str) -> list[str]:
    errs = is_qualified_name(value)
    if errs:
        return errs
    if len(value.split("/")) != 2:
        return ["must include a prefix (e.g. 'example.com/key')"]
    return []


# ---------------------------------------------------------------------------------------------
# identifiers, ports, numbers

C_IDENTIFIER_FMT: Final = "[A-Za-z_][A-Za-z0-9_]*"
_C_IDENTIFIER_ERR_MSG: Final = (
    "a valid C identifier must start with alphabetic character or '_', followed by a string of "
    "alphanumeric characters or '_'"
)
_c_identifier_re = re.compile(C_IDENTIFIER_FMT)


def is_c_identifier(value: str) -> list[str]:
    if not _full(_c_identifier_re, value):
        return [regex_error(_C_IDENTIFIER_ERR_MSG, C_IDENTIFIER_FMT, "my_name", "MY_NAME", "MyName")]
    return []


ENV_VAR_NAME_FMT: Final = "[-._a-zA-Z][-._a-zA-Z0-9]*"
_ENV_VAR_NAME_ERR_MSG: Final = (
    "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or "
    "'.', and must not start with a digit"
)
_RELAXED_ENV_VAR_NAME_ERR_MSG: Final = (
    "a valid environment variable name must consist only of printable ASCII characters other than '='"
)
_env_var_name_re = re.compile(ENV_VAR_NAME_FMT)


def _ch_dir_prefix(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def is_env_var_name(value: str) -> list[str]:
    """The strict environment variable name rule."""
    errs: list[str] = []
    if not _full(_env_var_name_re, value):
        errs.append(
            regex_error(_ENV_VAR_NAME_ERR_MSG, ENV_VAR_NAME_FMT, "my.env-name", "MY_ENV.NAME", "MyEnvName1")
        )
    errs.extend(_ch_dir_prefix(value))
    return errs


def is_relaxed_env_var_name(value: str) -> list[str]:
    """The relaxed rule (RelaxedEnvironmentVariableValidation, on by default since 1.32)."""
    errs: list[str] = []
    if not value:
        errs.append("environment variable name " + empty_error())
    for ch in value:
        if ord(ch) > 0x7F or not ch.isprintable() or ch == "=":
            errs.append(_RELAXED_ENV_VAR_NAME_ERR_MSG)
            break
    return errs


CONFIG_MAP_KEY_FMT: Final = "[-._a-zA-Z0-9]+"
_CONFIG_MAP_KEY_ERR_MSG: Final = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
_config_map_key_re = re.compile(CONFIG_MAP_KEY_FMT)


def is_config_map_key(value: str) -> list[str]:
    errs: list[str] = []
    if _blen(value) > DNS1123_SUBDOMAIN_MAX_LENGTH:
        errs.append(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH))
    if not _full(_config_map_key_re, value):
        errs.append(
            regex_error(_CONFIG_MAP_KEY_ERR_MSG, CONFIG_MAP_KEY_FMT, "key.name", "KEY_NAME", "key-name")
        )
    errs.extend(_ch_dir_prefix(value))
    return errs


_port_name_charset_re = re.compile("[-a-z0-9]+")
_port_name_letter_re = re.compile("[a-z]")


def is_valid_port_name(port: str) -> list[str]:
    """An IANA_SVC_NAME (RFC 6335), lower case only: at most 15 characters, at least one letter."""
    errs: list[str] = []
    if _blen(port) > 15:
        errs.append(max_len_error(15))
    if not _full(_port_name_charset_re, port):
        errs.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if _port_name_letter_re.search(port) is None:
        errs.append("must contain at least one letter (a-z)")
    if "--" in port:
        errs.append("must not contain consecutive hyphens")
    if port and (port[0] == "-" or port[-1] == "-"):
        errs.append("must not begin or end with a hyphen")
    return errs


def is_valid_port_num(port: int) -> list[str]:
    if 1 <= port <= 65535:
        return []
    return [inclusive_range_error(1, 65535)]


def is_in_range(value: int, lo: int, hi: int) -> list[str]:
    if lo <= value <= hi:
        return []
    return [inclusive_range_error(lo, hi)]


def is_valid_group_id(gid: int) -> list[str]:
    return is_in_range(gid, 0, 0xFFFFFFFF)


def is_valid_user_id(uid: int) -> list[str]:
    return is_in_range(uid, 0, 0xFFFFFFFF)


PERCENT_FMT: Final = "[0-9]+%"
_percent_re = re.compile(PERCENT_FMT)


def is_valid_percent(percent: str) -> list[str]:
    if not _full(_percent_re, percent):
        return [
            regex_error(
                "a valid percent string must be a numeric string followed by an ending '%'",
                PERCENT_FMT,
                "1%",
                "93%",
            )
        ]
    return []


HTTP_HEADER_NAME_FMT: Final = "[-A-Za-z0-9]+"
_http_header_name_re = re.compile(HTTP_HEADER_NAME_FMT)


def is_http_header_name(value: str) -> list[str]:
    if not _full(_http_header_name_re, value):
        return [
            regex_error(
                "a valid HTTP header must consist of alphanumeric characters or '-'",
                HTTP_HEADER_NAME_FMT,
                "X-Header-Name",
            )
        ]
    return []


# ---------------------------------------------------------------------------------------------
# IP addresses and CIDRs


@dataclass(frozen=True)
class ParsedIP:
    """A sloppily parsed IP, with what a strict parser would object to."""

    ip: IPAddress  # IPv4-mapped IPv6 comes back as IPv4 (Go's To4())
    leading_zeros: bool
    ipv4_mapped: bool


_DIGITS = frozenset("0123456789")


def _parse_ipv4_sloppy(s: str) -> tuple[ipaddress.IPv4Address, bool] | None:
    parts = s.split(".")
    if len(parts) != 4:
        return None
    octets: list[int] = []
    zeros = False
    for part in parts:
        if not part or not set(part) <= _DIGITS:
            return None
        n = int(part)
        if n > 255:
            return None
        if len(part) > 1 and part[0] == "0":
            zeros = True
        octets.append(n)
    return ipaddress.IPv4Address(bytes(octets)), zeros


def parse_ip_detailed(value: str) -> ParsedIP | None:
    """Parse like Kubernetes' `ParseIPSloppy`; None if it is no IP at all."""
    if not value or "%" in value or not value.isascii():
        return None
    if ":" not in value:
        v4 = _parse_ipv4_sloppy(value)
        if v4 is None:
            return None
        return ParsedIP(v4[0], v4[1], False)
    zeros = False
    text = value
    if "." in value:
        head, _, tail = value.rpartition(":")
        v4 = _parse_ipv4_sloppy(tail)
        if v4 is None:
            return None
        zeros = v4[1]
        text = f"{head}:{v4[0]}"
    try:
        v6 = ipaddress.IPv6Address(text)
    except ValueError:
        return None
    mapped = v6.ipv4_mapped
    if mapped is not None:
        return ParsedIP(mapped, zeros, True)
    return ParsedIP(v6, zeros, False)


def parse_ip_sloppy(value: str) -> IPAddress | None:
    parsed = parse_ip_detailed(value)
    return parsed.ip if parsed else None


_IP_MSG: Final = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_MSG: Final = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def is_valid_ip(value: str, *, strict: bool = False) -> list[str]:
    """A legacy-field IP (`IsValidIPForLegacyField`); `strict` is the StrictIPCIDRValidation rule."""
    parsed = parse_ip_detailed(value)
    if parsed is None:
        return [_IP_MSG]
    errs: list[str] = []
    if strict:
        # a strict parser rejects leading zeros outright, so it never sees the mapping
        if parsed.leading_zeros:
            errs.append("must not have leading 0s")
        elif parsed.ipv4_mapped:
            errs.append("must not be an IPv4-mapped IPv6 address")
    return errs


def is_valid_ip_canonical(value: str) -> list[str]:
    """A new-field IP (`IsValidIP`): strict and in canonical form."""
    errs = is_valid_ip(value, strict=True)
    if errs:
        return errs
    ip = parse_ip_sloppy(value)
    assert ip is not None
    canonical = str(ip)
    if value != canonical:
        return [f'must be in canonical form ("{canonical}")']
    return []


def is_valid_ipv4_address(value: str) -> list[str]:
    ip = parse_ip_sloppy(value)
    if ip is None or ip.version != 4:
        return ["must be a valid IPv4 address"]
    return []


def is_valid_ipv6_address(value: str) -> list[str]:
    ip = parse_ip_sloppy(value)
    if ip is None or ip.version != 6:
        return ["must be a valid IPv6 address"]
    return []


@dataclass(frozen=True)
class ParsedCIDR:
    ip: IPAddress  # the address as written (may have bits past the prefix)
    network: IPNetwork  # masked
    leading_zeros: bool
    ipv4_mapped: bool


def parse_cidr_detailed(value: str) -> ParsedCIDR | None:
    """Parse like Kubernetes' `ParseCIDRSloppy`; None if it is no CIDR at all."""
    addr, sep, length = value.partition("/")
    if not sep or not length or not set(length) <= _DIGITS:
        return None
    parsed = parse_ip_detailed(addr)
    if parsed is None:
        return None
    bits = int(length)
    # the prefix length counts against the address as written: 16 bytes for IPv4-mapped IPv6
    if parsed.ipv4_mapped:
        if bits > 128:
            return None
        if bits < 96:
            # Go masks the 16-byte form; the network is no longer an IPv4 one
            v6 = ipaddress.IPv6Network(
                (int(ipaddress.IPv6Address(f"::ffff:{parsed.ip}")), bits), strict=False
            )
            return ParsedCIDR(parsed.ip, v6, parsed.leading_zeros, True)
        bits -= 96
    elif bits > parsed.ip.max_prefixlen:
        return None
    zeros = parsed.leading_zeros or (len(length) > 1 and length[0] == "0")
    network = ipaddress.ip_network((parsed.ip, bits), strict=False)
    return ParsedCIDR(parsed.ip, network, zeros, parsed.ipv4_mapped)


def parse_cidr_sloppy(value: str) -> IPNetwork | None:
    parsed = parse_cidr_detailed(value)
    return parsed.network if parsed else None


def is_valid_cidr(value: str, *, strict: bool = False) -> list[str]:
    """A legacy-field CIDR (`IsValidCIDRForLegacyField`)."""
    parsed = parse_cidr_detailed(value)
    if parsed is None:
        return [_CIDR_MSG]
    if strict:
        if parsed.leading_zeros:
            return ["must not have leading 0s in IP or prefix length"]
        if parsed.ipv4_mapped:
            return ["must not have an IPv4-mapped IPv6 address"]
        if parsed.ip != parsed.network.network_address:
            return ["must not have bits set beyond the prefix length"]
    return []


def is_valid_cidr_canonical(value: str) -> list[str]:
    """A new-field CIDR (`IsValidCIDR`): strict and canonical."""
    errs = is_valid_cidr(value, strict=True)
    if errs:
        return errs
    network = parse_cidr_sloppy(value)
    assert network is not None
    if value != str(network):
        return [f'must be in canonical form ("{network}")']
    return []


def is_valid_interface_address(value: str) -> list[str]:
    """An `ip addr`-style CIDR (`192.168.1.5/24`) in canonical form."""
    parsed = parse_cidr_detailed(value)
    if parsed is None:
        return ["must be a valid address in CIDR form, (e.g. 10.9.8.7/24 or 2001:db8::1/64)"]
    canonical = f"{parsed.ip}/{parsed.network.prefixlen}"
    if value != canonical:
        return [f'must be in canonical form ("{canonical}")']
    return []


def ip_family(value: str) -> str:
    """`IPv4`, `IPv6` or `""` for a value that is no IP (Kubernetes' IPFamilyOfString)."""
    ip = parse_ip_sloppy(value)
    if ip is None:
        return ""
    return "IPv4" if ip.version == 4 else "IPv6"


def cidr_family(value: str) -> str:
    network = parse_cidr_sloppy(value)
    if network is None:
        return ""
    return "IPv4" if network.version == 4 else "IPv6"


# ---------------------------------------------------------------------------------------------
# field-error forms of the common checks (core validation's ValidateDNS1123Label & co.)


def validate_dns1123_label(value: str, fld: FieldPath | str) -> ErrorList:
    return [invalid(fld, value, msg) for msg in is_dns1123_label(value)]


def validate_dns1123_subdomain(value: str, fld: FieldPath | str) -> ErrorList:
    return [invalid(fld, value, msg) for msg in is_dns1123_subdomain(value)]


def validate_qualified_name(value: str, fld: FieldPath | str) -> ErrorList:
    return [invalid(fld, value, msg) for msg in is_qualified_name(value)]


def validate_ip(value: str, fld: FieldPath | str, *, strict: bool = False) -> ErrorList:
    return [invalid(fld, value, msg) for msg in is_valid_ip(value, strict=strict)]


def validate_cidr(value: str, fld: FieldPath | str, *, strict: bool = False) -> ErrorList:
    return [invalid(fld, value, msg) for msg in is_valid_cidr(value, strict=strict)]


def validate_nonnegative(value: int, fld: FieldPath | str) -> ErrorList:
    if value < 0:
        return [invalid(fld, value, IS_NEGATIVE_ERROR_MSG)]
    return []
