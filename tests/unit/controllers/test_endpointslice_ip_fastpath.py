"""`is_ipv6` and `canonical_ip` answer a canonical dotted quad without parsing it; every other
text takes the parsing path.  Both paths must agree on every address."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.controllers.endpointslice import pods

ADDRESSES = [
    "10.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "010.0.0.1",
    "10.0.0.01",
    "256.0.0.1",
    "1.2.3",
    "١.2.3.4",
    "::ffff:10.0.0.1",
    "fd00::1",
    "FD00::0001",
    "::",
    "not-an-ip",
    "",
]


@pytest.mark.parametrize("ip", ADDRESSES)
def test_fast_path_agrees_with_parsing(ip: str) -> None:
    assert pods.is_ipv6(ip) == pods._is_ipv6_parsed(ip)
    assert pods.canonical_ip(ip) == pods._canonical_ip_parsed(ip)


@given(st.ip_addresses(v=4).map(str))
def test_canonical_ipv4_is_its_own_canonical_form(ip: str) -> None:
    assert pods.canonical_ip(ip) == ip == pods._canonical_ip_parsed(ip)
    assert pods.is_ipv6(ip) is False


def test_canonical_ipv4_does_not_fill_the_caches() -> None:
    before = (pods._is_ipv6_parsed.cache_info().currsize, pods._canonical_ip_parsed.cache_info().currsize)
    for i in range(1000):
        ip = f"10.77.{i // 250}.{i % 250}"
        pods.is_ipv6(ip)
        pods.canonical_ip(ip)
    after = (pods._is_ipv6_parsed.cache_info().currsize, pods._canonical_ip_parsed.cache_info().currsize)
    assert after == before
