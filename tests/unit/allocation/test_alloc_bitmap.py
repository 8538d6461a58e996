"""The banded bitmap under both allocators."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubesvc.allocation.bitmap import AllocationBitmap


@pytest.mark.parametrize(
    ("size", "static"),
    [(0, 0), (1, 0), (63, 0), (64, 16), (65, 16), (200, 16), (1000, 128), (4096, 256)],
    ids=lambda v: str(v),
)
def test_fills_exactly_size_items_then_reports_full(size: int, static: int) -> None:
    bm = AllocationBitmap(size, static)
    rng = random.Random(1)
    got = [bm.allocate_next(rng) for _ in range(size)]
    assert sorted(got) == list(range(size))  # type: ignore[type-var]
    assert bm.allocate_next(rng) is None
    assert bm.free == 0 and bm.used == size


def test_dynamic_band_is_used_before_static_band() -> None:
    bm = AllocationBitmap(100, 16)
    rng = random.Random(7)
    first = [bm.allocate_next(rng) for _ in range(84)]
    assert all(o is not None and o >= 16 for o in first)
    assert bm.dynamic_free == 0 and bm.static_free == 16
    rest = [bm.allocate_next(rng) for _ in range(16)]
    assert sorted(rest) == list(range(16))  # type: ignore[type-var]


def test_allocate_specific_and_release() -> None:
    bm = AllocationBitmap(10, 0)
    assert bm.allocate(3) is True
    assert bm.allocate(3) is False
    assert bm.has(3)
    assert bm.release(3) is True
    assert bm.release(3) is False
    assert not bm.has(3)
    assert bm.release(99) is False  # out of range: no-op
    with pytest.raises(IndexError):
        bm.allocate(10)


def test_snapshot_restore_round_trip() -> None:
    bm = AllocationBitmap(300, 16)
    for off in (0, 5, 15, 16, 63, 64, 299):
        bm.allocate(off)
    data = bm.snapshot()
    other = AllocationBitmap(300, 16)
    other.restore(data)
    assert list(other) == [0, 5, 15, 16, 63, 64, 299]
    assert other.used == 7
    # restored state keeps working: the full word bookkeeping is rebuilt
    rng = random.Random(3)
    taken = {other.allocate_next(rng) for _ in range(293)}
    assert None not in taken and len(taken) == 293
    assert other.allocate_next(rng) is None


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=1, max_value=300),
    ops=st.lists(st.tuples(st.sampled_from(["next", "alloc", "release"]), st.integers(0, 299)), max_size=400),
    seed=st.integers(0, 2**32),
)
def test_never_the_same_item_twice(size: int, ops: list[tuple[str, int]], seed: int) -> None:
    static = min(16, size // 2)
    bm = AllocationBitmap(size, static)
    rng = random.Random(seed)
    held: set[int] = set()
    for op, n in ops:
        off = n % size
        if op == "next":
            got = bm.allocate_next(rng)
            if got is None:
                assert len(held) == size
            else:
                assert got not in held
                # dynamic never takes from the static band while the upper band has room
                if got < static:
                    assert all(o in held for o in range(static, size))
                held.add(got)
        elif op == "alloc":
            assert bm.allocate(off) == (off not in held)
            held.add(off)
        else:
            assert bm.release(off) == (off in held)
            held.discard(off)
        assert bm.used == len(held)
    assert set(bm) == held


@settings(max_examples=30, deadline=None)
@given(size=st.integers(1, 200), seed=st.integers(0, 2**32))
def test_release_makes_an_item_allocatable_again(size: int, seed: int) -> None:
    bm = AllocationBitmap(size, min(16, size))
    rng = random.Random(seed)
    for _ in range(size):
        assert bm.allocate_next(rng) is not None
    victim = rng.randrange(size)
    bm.release(victim)
    assert bm.allocate_next(rng) == victim
