"""NodePort ranges (`--service-node-port-range`, default 30000-32767).

Facts carried over from upstream's portallocator and KEP-3668: the range is inclusive at both
ends and printed `base-last`; the static band is ``min(max(16, size/32), 128)`` ports at the low
end (0 when size <= 16); dynamic allocation takes from the upper band first.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubesvc.allocation.bitmap import AllocationBitmap, BitmapRange, Rng
from kubesvc.allocation.errors import (
    MismatchedRangeError,
    PortAlreadyAllocatedError,
    PortNotInRangeError,
    RangeFullError,
)

_BAND_MIN, _BAND_MAX, _BAND_STEP = 16, 128, 32


def static_band_size(size: int) -> int:
    """KEP-3668: ``min(max(16, size/32), 128)``, 0 when size <= 16."""
    if size <= _BAND_MIN:
        return 0
    return min(max(_BAND_MIN, size // _BAND_STEP), _BAND_MAX)


@dataclass(frozen=True)
class PortRangeSpec:
    base: int
    size: int

    @property
    def last(self) -> int:
        return self.base + self.size - 1

    def __str__(self) -> str:
        return f"{self.base}-{self.last}" if self.size else ""

    def contains(self, port: int) -> bool:
        return self.base <= port < self.base + self.size


def parse_port_range(value: str) -> PortRangeSpec:
    """`30000-32767`, `30000+2767` or a single port `30000`, as upstream's ParsePortRange."""
    text = value.strip()
    if not text:
        return PortRangeSpec(0, 0)
    try:
        if "-" in text:
            lo_s, hi_s = text.split("-", 1)
            lo, hi = int(lo_s), int(hi_s)
        elif "+" in text:
            lo_s, off_s = text.split("+", 1)
            lo = int(lo_s)
            hi = lo + int(off_s)
        else:
            lo = hi = int(text)
    except ValueError:
        raise ValueError(f"unable to parse port range: {value}") from None
    if not (0 <= lo <= 65535 and 0 <= hi <= 65535) or hi < lo:
        raise ValueError(f"range {value} is not a valid port range")
    return PortRangeSpec(lo, hi - lo + 1)


class PortRange(BitmapRange[int]):
    def __init__(self, spec: str | PortRangeSpec) -> None:
        self.spec = parse_port_range(spec) if isinstance(spec, str) else spec
        self.base = self.spec.base
        self.size = self.spec.size
        self.bitmap = AllocationBitmap(self.size, static_band_size(self.size))

    def __str__(self) -> str:
        return str(self.spec)

    def contains(self, port: int) -> bool:
        return self.spec.contains(port)

    def offset_of(self, port: int) -> int | None:
        return port - self.base if self.contains(port) else None

    def item_at(self, offset: int) -> int:
        return self.base + offset

    def allocate(self, port: int) -> None:
        """Take `port`.  Raises PortNotInRangeError, PortAlreadyAllocatedError."""
        if not self.contains(port):
            raise PortNotInRangeError(port, str(self.spec))
        if not self.bitmap.allocate(port - self.base):
            raise PortAlreadyAllocatedError(port)

    def allocate_next(self, rng: Rng) -> int:
        off = self.bitmap.allocate_next(rng)
        if off is None:
            raise RangeFullError()
        return self.item_at(off)

    def snapshot(self) -> tuple[str, bytes]:
        return str(self.spec), self.bitmap.snapshot()

    def restore(self, spec: str, data: bytes) -> None:
        if str(parse_port_range(spec)) != str(self.spec):
            raise MismatchedRangeError("port")
        self.bitmap.restore(data)

    def __repr__(self) -> str:
        return f"PortRange({str(self.spec)!r}, used={self.used})"
