"""Allocation errors.  Messages are upstream's, word for word, as lowercase fragments that read
well when wrapped (`failed to allocate IP 10.0.0.1: provided IP is already allocated`)."""

from __future__ import annotations


class AllocationError(Exception):
    """Base of the allocator errors; `str(err)` is upstream's message."""


class RangeFullError(AllocationError):
    def __init__(self) -> None:
        super().__init__("range is full")


class IPAlreadyAllocatedError(AllocationError):
    def __init__(self, ip: str = "") -> None:
        super().__init__("provided IP is already allocated")
        self.ip = ip


class IPNotInRangeError(AllocationError):
    def __init__(self, ip: str, valid_range: str) -> None:
        super().__init__(
            f"the provided IP ({ip}) is not in the valid range. The range of valid IPs is {valid_range}"
        )
        self.ip = ip
        self.valid_range = valid_range


class PortAlreadyAllocatedError(AllocationError):
    def __init__(self, port: int = 0) -> None:
        super().__init__("provided port is already allocated")
        self.port = port


class PortNotInRangeError(AllocationError):
    def __init__(self, port: int, valid_ports: str) -> None:
        super().__init__(
            f"provided port is not in the valid range. The range of valid ports is {valid_ports}"
        )
        self.port = port
        self.valid_ports = valid_ports


class MismatchedRangeError(AllocationError):
    def __init__(self, what: str = "network") -> None:
        if what == "port":
            super().__init__("the provided port range does not match the current port range")
        else:
            super().__init__("the provided network does not match the current range")
