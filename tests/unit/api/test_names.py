"""String validators: upstream's messages word for word, and agreement with the regex+length
definitions (hypothesis)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api.validation import names as n

LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
    "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
DNS1035_MSG = (
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
)
NAME_PART_MSG = (
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with "
    "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
    "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        pytest.param(n.is_dns1123_label, "my-name", [], id="label-ok"),
        pytest.param(n.is_dns1123_label, "123-abc", [], id="label-digits-ok"),
        pytest.param(n.is_dns1123_label, "My-Name", [LABEL_MSG], id="label-upper"),
        pytest.param(n.is_dns1123_label, "a.b", ["must not contain dots"], id="label-dots"),
        pytest.param(n.is_dns1123_label, "-a", [LABEL_MSG], id="label-leading-dash"),
        pytest.param(n.is_dns1123_label, "", [LABEL_MSG], id="label-empty"),
        pytest.param(n.is_dns1123_label, "a" * 64, ["must be no more than 63 characters"], id="label-64"),
        pytest.param(n.is_dns1123_subdomain, "example.com", [], id="subdomain-ok"),
        pytest.param(n.is_dns1123_subdomain, "example..com", [SUBDOMAIN_MSG], id="subdomain-empty-label"),
        pytest.param(
            n.is_dns1123_subdomain,
            "a" * 254,
            ["must be no more than 253 characters"],
            id="subdomain-254",
        ),
        pytest.param(n.is_dns1035_label, "my-svc", [], id="1035-ok"),
        pytest.param(n.is_dns1035_label, "1svc", [DNS1035_MSG], id="1035-leading-digit"),
        pytest.param(n.is_dns1035_label, "my_svc", [DNS1035_MSG], id="1035-underscore"),
        pytest.param(n.is_qualified_name, "example.com/My.Name_1", [], id="qname-ok"),
        pytest.param(
            n.is_qualified_name, "/name", ["prefix part must be non-empty"], id="qname-empty-prefix"
        ),
        pytest.param(
            n.is_qualified_name, "p/", ["name part must be non-empty", NAME_PART_MSG], id="qname-empty-name"
        ),
        pytest.param(
            n.is_qualified_name,
            "Example.com/n",
            ["prefix part " + SUBDOMAIN_MSG],
            id="qname-bad-prefix",
        ),
        pytest.param(
            n.is_qualified_name,
            "a/b/c",
            [
                "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start "
                "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
                "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS "
                "subdomain prefix and '/' (e.g. 'example.com/MyName')"
            ],
            id="qname-two-slashes",
        ),
        pytest.param(
            n.is_qualified_name, "x" * 64, ["name part must be no more than 63 characters"], id="qname-64"
        ),
        pytest.param(n.is_valid_label_value, "", [], id="value-empty-ok"),
        pytest.param(n.is_valid_label_value, "a b", [LABEL_VALUE_MSG], id="value-space"),
        pytest.param(n.is_valid_port_name, "http", [], id="port-ok"),
        pytest.param(
            n.is_valid_port_name, "8080", ["must contain at least one letter (a-z)"], id="port-digits"
        ),
        pytest.param(
            n.is_valid_port_name,
            "a--b",
            ["must not contain consecutive hyphens"],
            id="port-double-hyphen",
        ),
        pytest.param(
            n.is_valid_port_name, "-ab", ["must not begin or end with a hyphen"], id="port-leading-hyphen"
        ),
        pytest.param(
            n.is_valid_port_name,
            "Http",
            ["must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"],
            id="port-upper",
        ),
        pytest.param(
            n.is_valid_port_name, "abcdefghijklmnop", ["must be no more than 15 characters"], id="port-16"
        ),
        pytest.param(
            n.is_c_identifier,
            "9x",
            [
                "a valid C identifier must start with alphabetic character or '_', followed by a string of "
                "alphanumeric characters or '_' (e.g. 'my_name',  or 'MY_NAME',  or 'MyName', regex used "
                "for validation is '[A-Za-z_][A-Za-z0-9_]*')"
            ],
            id="c-identifier",
        ),
        pytest.param(
            n.is_relaxed_env_var_name,
            "A=B",
            [
                "a valid environment variable name must consist only of printable ASCII characters other than '='"
            ],
            id="env-equals",
        ),
        pytest.param(
            n.is_relaxed_env_var_name, "", ["environment variable name must be non-empty"], id="env-empty"
        ),
        pytest.param(n.is_http_header_name, "X-Header", [], id="header-ok"),
    ],
)
def test_string_validators(fn, value, expected):
    assert fn(value) == expected


def test_port_number_and_range_messages():
    assert n.is_valid_port_num(0) == ["must be between 1 and 65535, inclusive"]
    assert n.is_valid_port_num(65535) == []
    assert n.is_in_range(5, 1, 4) == ["must be between 1 and 4, inclusive"]


@pytest.mark.parametrize(
    ("value", "legacy", "strict", "v4", "v6"),
    [
        pytest.param("10.1.2.3", [], [], True, False, id="ipv4"),
        pytest.param("2001:db8::1", [], [], False, True, id="ipv6"),
        pytest.param("010.001.002.003", [], ["must not have leading 0s"], True, False, id="leading-zeros"),
        pytest.param(
            "::ffff:1.2.3.4",
            [],
            ["must not be an IPv4-mapped IPv6 address"],
            True,
            False,
            id="v4-mapped-counts-as-v4",
        ),
        pytest.param("fe80::1%eth0", None, None, False, False, id="zone-rejected"),
        pytest.param("1.2.3", None, None, False, False, id="three-octets"),
        pytest.param("256.0.0.1", None, None, False, False, id="octet-too-big"),
        pytest.param("", None, None, False, False, id="empty"),
    ],
)
def test_ip_parsing(value, legacy, strict, v4, v6):
    bad = ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    assert n.is_valid_ip(value) == (bad if legacy is None else legacy)
    assert n.is_valid_ip(value, strict=True) == (bad if strict is None else strict)
    assert (n.is_valid_ipv4_address(value) == []) is v4
    assert (n.is_valid_ipv6_address(value) == []) is v6


@pytest.mark.parametrize(
    ("value", "legacy_ok", "strict"),
    [
        pytest.param("10.0.0.0/8", True, [], id="ok"),
        pytest.param("10.0.0.1/8", True, ["must not have bits set beyond the prefix length"], id="host-bits"),
        pytest.param(
            "10.0.0.0/08", True, ["must not have leading 0s in IP or prefix length"], id="zero-prefix"
        ),
        pytest.param("10.0.0.0/33", False, None, id="prefix-too-long"),
        pytest.param("10.0.0.0", False, None, id="no-prefix"),
        pytest.param("fd00::/64", True, [], id="ipv6"),
    ],
)
def test_cidr_parsing(value, legacy_ok, strict):
    bad = ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    assert (n.is_valid_cidr(value) == []) is legacy_ok
    assert n.is_valid_cidr(value, strict=True) == (bad if strict is None else strict)


def test_canonical_forms():
    assert n.is_valid_ip_canonical("2001:DB8::1") == ['must be in canonical form ("2001:db8::1")']
    assert n.is_valid_cidr_canonical("2001:db8:0::/64") == ['must be in canonical form ("2001:db8::/64")']
    assert n.is_valid_interface_address("10.1.2.3/24") == []


def test_fqdn_rules():
    assert n.is_fully_qualified_domain_name("addr", "example.com.") == []
    [err] = n.is_fully_qualified_domain_name("addr", "localhost")
    assert err.detail == "should be a domain with at least two segments separated by dots"
    [err] = n.is_fully_qualified_domain_name("addr", "")
    assert str(err) == "addr: Required value"


# --------------------------------------------------------------------------- properties

_LABEL_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_1035_RE = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_QNAME_RE = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")

_dnsish = st.text(alphabet="abz09-._A/", max_size=80)


@settings(max_examples=300, deadline=None)
@given(_dnsish)
def test_dns_validators_agree_with_definitions(value):
    label_ok = len(value) <= 63 and _LABEL_RE.fullmatch(value) is not None
    assert (n.is_dns1123_label(value) == []) is label_ok
    sub_ok = len(value) <= 253 and _SUBDOMAIN_RE.fullmatch(value) is not None
    assert (n.is_dns1123_subdomain(value) == []) is sub_ok
    ok_1035 = len(value) <= 63 and _1035_RE.fullmatch(value) is not None
    assert (n.is_dns1035_label(value) == []) is ok_1035


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aZ9-_./ ", max_size=80))
def test_qualified_name_and_label_value_agree_with_definitions(value):
    parts = value.split("/")
    if len(parts) == 1:
        ok = len(value) <= 63 and _QNAME_RE.fullmatch(value) is not None
    elif len(parts) == 2:
        prefix, name = parts
        ok = (
            prefix != ""
            and len(prefix) <= 253
            and _SUBDOMAIN_RE.fullmatch(prefix) is not None
            and len(name) <= 63
            and _QNAME_RE.fullmatch(name) is not None
        )
    else:
        ok = False
    assert (n.is_qualified_name(value) == []) is ok
    value_ok = len(value) <= 63 and (value == "" or _QNAME_RE.fullmatch(value) is not None)
    assert (n.is_valid_label_value(value) == []) is value_ok


@settings(max_examples=200, deadline=None)
@given(st.ip_addresses())
def test_every_canonical_ip_is_valid_and_keeps_its_family(ip):
    text = str(ip)
    if ip.version == 6 and ip.ipv4_mapped is not None:
        assert n.is_valid_ipv4_address(text) == []  # Go's To4() sees the IPv4 inside
        return
    assert n.is_valid_ip(text, strict=True) == []
    assert n.ip_family(text) == f"IPv{ip.version}"
