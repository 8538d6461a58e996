"""resource.Quantity parsing and canonical form (apimachinery's quantity_test.go facts)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubesvc.api.quantity import FORMAT_ERROR, QuantityError, canonical, parse


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("0", "0"),
        ("0.5", "500m"),
        (0.5, "500m"),
        (2, "2"),
        ("1000m", "1"),
        ("100m", "100m"),
        ("1000", "1k"),
        ("1500", "1500"),
        ("100M", "100M"),
        ("2048Mi", "2Gi"),
        ("1536Mi", "1536Mi"),
        ("1024", "1024"),
        ("1Ki", "1Ki"),
        ("0.5Ki", "512"),  # binary below 1024 is written decimally
        ("1.5Ki", "1536"),
        ("1e3", "1e3"),
        ("1.5e3", "1500"),
        ("1n", "1n"),
        ("0.1n", "1n"),  # finer than nano rounds up
        ("-0.5", "-500m"),
        ("+1", "1"),
        (".5", "500m"),
        ("1200E", "1200E"),
        (" 1Gi ", "1Gi"),
    ],
)
def test_canonical(given_: str | int | float, expected: str) -> None:
    assert canonical(given_) == expected


@pytest.mark.parametrize("bad", ["", "abc", "1Gb", "1 Gi", "--1", "1.2.3", "Ki", "1e", True])
def test_rejected(bad: str | bool) -> None:
    with pytest.raises(QuantityError):
        canonical(bad)


def test_format_error_text() -> None:
    with pytest.raises(QuantityError) as exc:
        canonical("1Gb")
    assert str(exc.value) == FORMAT_ERROR


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(["", "m", "k", "Ki", "Mi", "Gi", "M"]))
def test_canonical_keeps_the_value(n: int, suffix: str) -> None:
    """Writing a quantity canonically never changes its amount (at nano precision)."""
    before, _ = parse(f"{n}{suffix}")
    after, _ = parse(canonical(f"{n}{suffix}"))
    assert after == before
    assert canonical(canonical(f"{n}{suffix}")) == canonical(f"{n}{suffix}")
    assert isinstance(before, Fraction)
