"""The plain-endpoint fast path of EndpointSlice validation reports exactly what the full path does.

`_plain_endpoint` skips building field paths for endpoints a controller writes; these tests run
`validate_endpoint_slice` with and without it on generated slices (valid and invalid addresses
of every type, node names, hostnames, topology, hints) and compare the rendered errors.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.api.validation import endpointslice as eps

ADDRESSES = [
    "10.0.0.1",
    "10.64.3.250",
    "255.255.255.255",
    "0.0.0.0",
    "127.0.0.1",
    "127.255.0.9",
    "169.254.1.1",
    "169.253.1.1",
    "224.0.0.251",
    "224.0.1.1",
    "010.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "1.2.3.04",
    "١.2.3.4",  # a non-ASCII digit
    "::1",
    "fd00::5",
    "fe80::1",
    "ff02::1",
    "::ffff:10.0.0.1",
    "::",
    "example.com",
    "a",
    "",
    " 10.0.0.1",
]
NAMES = ["node-1", "Node_1", "a" * 254, "", "n.example"]
HOSTNAMES = ["web-0", "web.0", "", "-x", "A"]


def _reference(slice_: dict[str, Any]) -> list[str]:
    with pytest.MonkeyPatch.context() as m:
        m.setattr(eps, "_plain_endpoint", lambda endpoint, address_type: False)
        return [str(e) for e in eps.validate_endpoint_slice(slice_)]


endpoint_st = st.fixed_dictionaries(
    {},
    optional={
        "addresses": st.one_of(
            st.lists(st.sampled_from(ADDRESSES), max_size=3),
            st.just(["10.0.0.1"] * 101),
            st.just("10.0.0.1"),
            st.just([1]),
        ),
        "nodeName": st.one_of(st.sampled_from(NAMES), st.just(5)),
        "hostname": st.sampled_from(HOSTNAMES),
        "deprecatedTopology": st.one_of(st.just({}), st.just({"a": "b"}), st.just("x")),
        "hints": st.one_of(st.just({"forZones": [{"name": "z"}]}), st.just([])),
        "conditions": st.just({"ready": True}),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    address_type=st.sampled_from(["IPv4", "IPv6", "FQDN", "Other"]),
    endpoints=st.lists(st.one_of(endpoint_st, st.just("not an endpoint")), max_size=4),
)
def test_fast_path_reports_what_the_full_path_reports(address_type: str, endpoints: list[Any]) -> None:
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "s", "namespace": "default"},
        "addressType": address_type,
        "endpoints": endpoints,
        "ports": [{"name": "", "port": 80, "protocol": "TCP"}],
    }
    assert [str(e) for e in eps.validate_endpoint_slice(slice_)] == _reference(slice_)


@pytest.mark.parametrize("address", ADDRESSES)
@pytest.mark.parametrize("address_type", ["IPv4", "IPv6"])
def test_address_ok_agrees_with_full_address_validation(address: str, address_type: str) -> None:
    full = eps._validate_address(address, address_type, eps.ROOT)
    assert eps._address_ok(address, address_type) == (not full)


def test_special_ipv4_address_still_rejected_on_its_path() -> None:
    slice_ = {
        "metadata": {"name": "s", "namespace": "default"},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"]}, {"addresses": ["127.0.0.1"]}],
        "ports": [],
    }
    assert [str(e) for e in eps.validate_endpoint_slice(slice_)] == [
        'endpoints[1].addresses[0]: Invalid value: "127.0.0.1": '
        "may not be in the loopback range (127.0.0.0/8, ::1/128)"
    ]
