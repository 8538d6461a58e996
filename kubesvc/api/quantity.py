"""resource.Quantity as apimachinery parses and writes it back: `"0.5"` is stored as `"500m"`,
`"2048Mi"` as `"2Gi"`, `"1000"` as `"1k"`.

Pure.  A quantity keeps the kind of suffix it was written with (binary `Ki`..`Ei`, decimal SI
`n`..`E`, or a decimal exponent `e3`) and is written in its canonical form: the largest
suffix of that kind that leaves an integer (a multiple of 3 for decimal exponents), binary
values below 1024 or not whole written decimally, anything finer than nano rounded up to it.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
NUMERIC_ERROR = "unable to parse quantity's numeric part"

_SHAPE = re.compile(r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")

_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}
_BINARY_SUFFIX = {v: k for k, v in _BINARY.items()}


class QuantityError(ValueError):
    """A string that is not a quantity (the message is apimachinery's)."""


def parse(text: str) -> tuple[Fraction, str]:
    """(exact value, format) where format is `BinarySI`, `DecimalSI` or `DecimalExponent`."""
    text = text.strip()
    m = _SHAPE.match(text)
    if not m:
        raise QuantityError(FORMAT_ERROR)
    number, suffix = m.group(1), m.group(2)
    if not _NUMBER.match(number):
        raise QuantityError(NUMERIC_ERROR)
    value = Fraction(number)
    if suffix in _BINARY:
        return value * (2 ** _BINARY[suffix]), "BinarySI"
    if suffix in _DECIMAL:
        return value * Fraction(10) ** _DECIMAL[suffix], "DecimalSI"
    if suffix[:1] in ("e", "E") and re.fullmatch(r"[-+]?[0-9]+", suffix[1:]):
        return value * Fraction(10) ** int(suffix[1:]), "DecimalExponent"
    raise QuantityError(FORMAT_ERROR)


def canonical(value: str | int | float) -> str:
    """The string apimachinery writes for a quantity given as a JSON string or number."""
    if isinstance(value, bool):
        raise QuantityError(FORMAT_ERROR)
    text = value if isinstance(value, str) else (str(value) if isinstance(value, int) else repr(value))
    amount, fmt = parse(text)
    # Precision finer than nano is rounded up (away from zero) to nano.
    scaled = amount * 10**9
    if scaled.denominator != 1:
        amount = Fraction(math.ceil(abs(scaled)) * (1 if amount > 0 else -1), 10**9)
    if amount == 0:
        return "0"
    if fmt == "BinarySI" and (-1024 < amount < 1024 or amount.denominator != 1):
        fmt = "DecimalSI"
    if fmt == "BinarySI":
        number, exponent = int(amount), 0
        while number % 1024 == 0 and exponent < 60:
            number //= 1024
            exponent += 10
        return f"{number}{_BINARY_SUFFIX.get(exponent, '')}"
    # Decimal: an integer mantissa without trailing zeros, then the exponent brought down to a
    # multiple of 3.
    exponent = 0
    while amount.denominator != 1:
        amount *= 10
        exponent -= 1
    mantissa = int(amount)
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    shift = exponent % 3
    mantissa *= 10**shift
    exponent -= shift
    if fmt == "DecimalSI" and exponent in _DECIMAL_SUFFIX:
        return f"{mantissa}{_DECIMAL_SUFFIX[exponent]}"
    return f"{mantissa}e{exponent}" if exponent else str(mantissa)


__all__ = ["FORMAT_ERROR", "QuantityError", "canonical", "parse"]
