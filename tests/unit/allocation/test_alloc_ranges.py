"""IP and port ranges: usable addresses, bands (KEP-3070, KEP-3668), errors word for word."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.allocation import ipallocator, portallocator
from kubesvc.allocation.errors import (
    IPAlreadyAllocatedError,
    IPNotInRangeError,
    MismatchedRangeError,
    PortAlreadyAllocatedError,
    PortNotInRangeError,
    RangeFullError,
)
from kubesvc.allocation.ipallocator import IPRange
from kubesvc.allocation.portallocator import PortRange


@pytest.mark.parametrize(
    ("cidr", "size", "static", "first", "family"),
    [
        ("10.96.0.0/12", 2**20 - 2, 256, "10.96.0.1", "IPv4"),
        ("10.0.0.0/16", 65534, 256, "10.0.0.1", "IPv4"),
        ("10.0.0.0/20", 4094, 256, "10.0.0.1", "IPv4"),
        ("10.0.0.0/24", 254, 16, "10.0.0.1", "IPv4"),
        ("10.0.0.0/25", 126, 16, "10.0.0.1", "IPv4"),
        ("10.0.0.0/27", 30, 16, "10.0.0.1", "IPv4"),
        ("10.0.0.0/28", 14, 0, "10.0.0.1", "IPv4"),
        ("10.0.0.0/30", 2, 0, "10.0.0.1", "IPv4"),
        ("10.0.0.0/32", 0, 0, "10.0.0.1", "IPv4"),
        ("fd00:10:96::/108", 65535, 256, "fd00:10:96::1", "IPv6"),
        ("2001:db8::/120", 255, 16, "2001:db8::1", "IPv6"),
        ("2001:db8::/64", 65535, 256, "2001:db8::1", "IPv6"),
        ("10.96.0.7/12", 2**20 - 2, 256, "10.96.0.1", "IPv4"),  # host bits dropped
    ],
)
def test_range_geometry(cidr: str, size: int, static: int, first: str, family: str) -> None:
    r = IPRange(cidr)
    assert (r.size, r.static_size, r.family) == (size, static, family)
    if size:
        assert r.first_ip == first


@pytest.mark.parametrize(("n", "band"), [(16, 0), (17, 16), (256, 16), (512, 32), (4096, 256), (2**20, 256)])
def test_ip_static_band_formula(n: int, band: int) -> None:
    assert ipallocator.static_band_size(n) == band


@pytest.mark.parametrize(
    ("size", "band"), [(16, 0), (17, 16), (512, 16), (1024, 32), (2768, 86), (4096, 128), (30000, 128)]
)
def test_port_static_band_formula(size: int, band: int) -> None:
    assert portallocator.static_band_size(size) == band


def test_network_and_broadcast_are_never_handed_out() -> None:
    r = IPRange("192.168.1.0/29")
    rng = random.Random(0)
    got = {r.allocate_next(rng) for _ in range(6)}
    assert got == {f"192.168.1.{i}" for i in range(1, 7)}
    with pytest.raises(RangeFullError, match=r"^range is full$"):
        r.allocate_next(rng)
    for ip in ("192.168.1.0", "192.168.1.7"):
        with pytest.raises(IPNotInRangeError):
            r.allocate(ip)


def test_ipv6_network_address_excluded_last_included() -> None:
    r = IPRange("2001:db8::/125")
    assert not r.contains("2001:db8::")
    assert r.contains("2001:db8::7")
    assert r.size == 7


def test_ip_errors_word_for_word() -> None:
    r = IPRange("10.0.0.0/24")
    r.allocate("10.0.0.10")
    with pytest.raises(IPAlreadyAllocatedError) as exc:
        r.allocate("10.0.0.10")
    assert str(exc.value) == "provided IP is already allocated"
    with pytest.raises(IPNotInRangeError) as exc2:
        r.allocate("1.1.1.1")
    assert str(exc2.value) == (
        "the provided IP (1.1.1.1) is not in the valid range. The range of valid IPs is 10.0.0.0/24"
    )
    with pytest.raises(IPNotInRangeError):
        r.allocate("fd00::1")


def test_dynamic_ip_allocation_prefers_the_upper_band() -> None:
    r = IPRange("10.0.0.0/24")  # 254 usable, static band 16: 10.0.0.1-10.0.0.16
    rng = random.Random(5)
    ips = [r.allocate_next(rng) for _ in range(254 - 16)]
    assert all(int(ip.rsplit(".", 1)[1]) > 16 for ip in ips)
    rest = {r.allocate_next(rng) for _ in range(15)}
    # the first address is reserved only with reserve_first; here it may be taken last
    assert len(rest) == 15


def test_reserved_first_address_is_never_dynamic() -> None:
    r = IPRange("10.0.0.0/29", reserve_first=True)
    rng = random.Random(11)
    got = {r.allocate_next(rng) for _ in range(5)}
    assert "10.0.0.1" not in got
    with pytest.raises(RangeFullError):
        r.allocate_next(rng)
    assert r.allocate("10.0.0.1") == "10.0.0.1"  # a static request still gets it


def test_ip_release_and_snapshot_restore() -> None:
    r = IPRange("10.0.0.0/24")
    for ip in ("10.0.0.1", "10.0.0.200"):
        r.allocate(ip)
    assert r.release("10.0.0.200") is True
    assert r.release("10.0.0.200") is False
    assert r.release("8.8.8.8") is False
    r.allocate("10.0.0.254")
    cidr, data = r.snapshot()
    other = IPRange("10.0.0.0/24")
    other.restore(cidr, data)
    assert list(other) == ["10.0.0.1", "10.0.0.254"]
    with pytest.raises(MismatchedRangeError, match="the provided network does not match the current range"):
        IPRange("10.0.1.0/24").restore(cidr, data)


def test_port_range_parse_and_errors() -> None:
    pr = PortRange("30000-32767")
    assert (pr.base, pr.size, str(pr), pr.static_size) == (30000, 2768, "30000-32767", 86)
    pr.allocate(30007)
    with pytest.raises(PortAlreadyAllocatedError) as e1:
        pr.allocate(30007)
    assert str(e1.value) == "provided port is already allocated"
    with pytest.raises(PortNotInRangeError) as e2:
        pr.allocate(80)
    assert str(e2.value) == (
        "provided port is not in the valid range. The range of valid ports is 30000-32767"
    )
    assert portallocator.parse_port_range("30000+10").size == 11
    with pytest.raises(ValueError):
        portallocator.parse_port_range("32767-30000")


def test_dynamic_ports_prefer_the_upper_band() -> None:
    pr = PortRange("30000-30099")  # 100 ports, static band 16
    rng = random.Random(2)
    first = [pr.allocate_next(rng) for _ in range(84)]
    assert min(first) >= 30016
    last = sorted(pr.allocate_next(rng) for _ in range(16))
    assert last == list(range(30000, 30016))
    with pytest.raises(RangeFullError):
        pr.allocate_next(rng)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 40), max_size=80), st.integers(0, 2**32))
def test_ports_never_twice_and_release_reallocatable(releases: list[int], seed: int) -> None:
    pr = PortRange("30000-30040")
    rng = random.Random(seed)
    held = {pr.allocate_next(rng) for _ in range(41)}
    assert len(held) == 41
    for off in releases:
        if pr.release(30000 + off):
            held.discard(30000 + off)
            again = pr.allocate_next(rng)
            assert again == 30000 + off
            held.add(again)
    assert set(pr) == held
