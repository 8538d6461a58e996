"""A banded allocation bitmap: the pure core under the IP and port allocators.

Theory of operation
-------------------
Items are the offsets ``0 .. size-1``.  They are split into two bands (KEP-3070 / KEP-3668):
the lower, *static* band ``[0, static_size)`` is meant for values chosen by users, the upper,
*dynamic* band ``[static_size, size)`` is where `allocate_next` looks first.  Only when the
upper band is full does `allocate_next` take from the lower band.  A user may always ask for
any specific offset with `allocate`.

Each band keeps its bits in 64-bit words and, next to them, the list of words that still have a
free bit (with each word's position in that list, so a word enters and leaves it in O(1)).
`allocate_next` picks a random non-full word and a random free bit inside it, so its cost does
not depend on how full the band is -- the linear scan upstream uses gets slower as the range
fills up (at 99 % it walks ~100 bits per allocation); this does not.

Randomness is a parameter (`Rng`: anything with ``randrange(n)``), as in every pure module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, Protocol, TypeVar

_WORD = 64
_FULL = (1 << _WORD) - 1


_Item = TypeVar("_Item")


class Rng(Protocol):
    def randrange(self, stop: int, /) -> int: ...


class _Band:
    """A contiguous run of offsets ``[lo, hi)`` with O(1) random free-item picking."""

    __slots__ = ("count", "free_pos", "free_words", "hi", "lo", "masks", "words")

    def __init__(self, lo: int, hi: int) -> None:
        self.lo = lo
        self.hi = hi
        n = hi - lo
        nwords = (n + _WORD - 1) // _WORD
        self.words = [0] * nwords
        # The mask of valid bits per word: the last word may be partial.
        self.masks = [_FULL] * nwords
        if nwords and n % _WORD:
            self.masks[-1] = (1 << (n % _WORD)) - 1
        self.free_words = list(range(nwords))
        self.free_pos = list(range(nwords))
        self.count = 0

    @property
    def size(self) -> int:
        return self.hi - self.lo

    def has(self, i: int) -> bool:
        return bool(self.words[i >> 6] >> (i & 63) & 1)

    def set(self, i: int) -> bool:
        w = i >> 6
        bit = 1 << (i & 63)
        word = self.words[w]
        if word & bit:
            return False
        word |= bit
        self.words[w] = word
        self.count += 1
        if word == self.masks[w]:
            self._drop_free(w)
        return True

    def clear(self, i: int) -> bool:
        w = i >> 6
        bit = 1 << (i & 63)
        word = self.words[w]
        if not word & bit:
            return False
        if word == self.masks[w]:
            self._add_free(w)
        self.words[w] = word & ~bit
        self.count -= 1
        return True

    def pick(self, rng: Rng) -> int | None:
        """A random free index (relative to `lo`), not yet marked; None when full."""
        if not self.free_words:
            return None
        w = self.free_words[rng.randrange(len(self.free_words))]
        free = ~self.words[w] & self.masks[w]
        start = rng.randrange(_WORD)
        ahead = free >> start
        if ahead:
            bit = start + ((ahead & -ahead).bit_length() - 1)
        else:
            bit = (free & -free).bit_length() - 1
        return (w << 6) + bit

    def _drop_free(self, w: int) -> None:
        pos = self.free_pos[w]
        last = self.free_words[-1]
        self.free_words[pos] = last
        self.free_pos[last] = pos
        self.free_words.pop()
        self.free_pos[w] = -1

    def _add_free(self, w: int) -> None:
        self.free_pos[w] = len(self.free_words)
        self.free_words.append(w)

    def iter_set(self) -> Iterator[int]:
        for w, word in enumerate(self.words):
            while word:
                low = word & -word
                yield (w << 6) + low.bit_length() - 1
                word ^= low


class AllocationBitmap:
    """`size` items; offsets below `static_size` form the static band."""

    def __init__(self, size: int, static_size: int = 0) -> None:
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        if not 0 <= static_size <= size:
            static_size = 0
        self.size = size
        self.static_size = static_size
        self._static = _Band(0, static_size)
        self._dynamic = _Band(static_size, size)

    def _band(self, offset: int) -> tuple[_Band, int]:
        if offset < self.static_size:
            return self._static, offset
        return self._dynamic, offset - self.static_size

    def _check(self, offset: int) -> None:
        if not 0 <= offset < self.size:
            raise IndexError(f"offset {offset} out of range [0, {self.size})")

    def allocate(self, offset: int) -> bool:
        """Mark `offset`; False when it was already taken."""
        self._check(offset)
        band, i = self._band(offset)
        return band.set(i)

    def allocate_next(self, rng: Rng) -> int | None:
        """A free offset from the dynamic band, else from the static band; None when full."""
        i = self._dynamic.pick(rng)
        if i is not None:
            self._dynamic.set(i)
            return i + self.static_size
        i = self._static.pick(rng)
        if i is not None:
            self._static.set(i)
            return i
        return None

    def release(self, offset: int) -> bool:
        """Clear `offset`; False when it was not taken (or out of range: a no-op, as upstream)."""
        if not 0 <= offset < self.size:
            return False
        band, i = self._band(offset)
        return band.clear(i)

    def has(self, offset: int) -> bool:
        if not 0 <= offset < self.size:
            return False
        band, i = self._band(offset)
        return band.has(i)

    @property
    def used(self) -> int:
        return self._static.count + self._dynamic.count

    @property
    def free(self) -> int:
        return self.size - self.used

    @property
    def static_free(self) -> int:
        return self._static.size - self._static.count

    @property
    def dynamic_free(self) -> int:
        return self._dynamic.size - self._dynamic.count

    def __iter__(self) -> Iterator[int]:
        """Allocated offsets in ascending order."""
        yield from self._static.iter_set()
        for i in self._dynamic.iter_set():
            yield i + self.static_size

    def snapshot(self) -> bytes:
        """The allocated set as a little-endian bit string (bit i = offset i)."""
        value = 0
        for off in self:
            value |= 1 << off
        return value.to_bytes((self.size + 7) // 8, "little")

    def restore(self, data: bytes) -> None:
        """Replace the state with a `snapshot()`; bits beyond `size` are ignored."""
        self.clear()
        value = int.from_bytes(data, "little")
        while value:
            low = value & -value
            off = low.bit_length() - 1
            if off >= self.size:
                break
            self.allocate(off)
            value ^= low

    def clear(self) -> None:
        self._static = _Band(0, self.static_size)
        self._dynamic = _Band(self.static_size, self.size)


class BitmapRange(Generic[_Item]):
    """Items (IPs, ports) laid over an `AllocationBitmap` one per offset.

    A subclass says how an item maps to its offset (`offset_of`, None for an item outside the
    range) and back (`item_at`), and sets `bitmap`; looking up, releasing and listing items then
    work alike for every kind of range.
    """

    bitmap: AllocationBitmap

    def offset_of(self, item: _Item) -> int | None:
        raise NotImplementedError

    def item_at(self, offset: int) -> _Item:
        raise NotImplementedError

    @property
    def static_size(self) -> int:
        return self.bitmap.static_size

    @property
    def used(self) -> int:
        return self.bitmap.used

    @property
    def free(self) -> int:
        return self.bitmap.free

    def release(self, item: _Item) -> bool:
        """Give `item` back; releasing a free or foreign item is a no-op (False)."""
        off = self.offset_of(item)
        return off is not None and self.bitmap.release(off)

    def has(self, item: _Item) -> bool:
        off = self.offset_of(item)
        return off is not None and self.bitmap.has(off)

    def __iter__(self) -> Iterator[_Item]:
        for off in self.bitmap:
            yield self.item_at(off)
