"""Size-class pooling of freed device allocations (GPU buffers, textures).

Rule: a freed allocation goes back to the pool under its (kind, size class) and the next
allocation of that class takes one of those held again: the one that first came to the
pool earliest, whatever the order they came back in, so a program that allocates and
frees the same way step after step gets the same objects at the same places each step
(and the bind groups the device caches by buffer are found again). An allocation is
really released only by `trim()` (the device calls it on memory pressure; users may too)
or when the pool holds more than its limit, oldest first. Everything the pool does is
counted in `stats`. js_bridge/pool.js is its JavaScript twin.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

DEFAULT_LIMIT = 512 << 20  # bytes held for reuse before the oldest are released


def size_class(n: int) -> int:
    """`n` rounded up to one of four steps per octave (16, 20, 24, 28, 32, 40, ...), so an
    allocation wastes at most a quarter of its size and similar sizes share a class."""
    if n <= 16:
        return 16
    step = 1 << max(0, n.bit_length() - 3)
    return -(-n // step) * step


@dataclass
class PoolStats:
    hits: int = 0  # allocations served from the pool
    misses: int = 0  # allocations that created a new object
    released: int = 0  # objects really released (trim, limit)
    held: int = 0  # objects held now
    held_bytes: int = 0


class Pool:
    """Freed objects by key (anything hashable that includes the size class)."""

    def __init__(self, release: Callable[[object], None], limit: int = DEFAULT_LIMIT) -> None:
        self._release = release
        self.limit = limit
        self._free: OrderedDict[int, tuple[Hashable, object, int]] = OrderedDict()
        self._by_key: dict[Hashable, list[tuple[int, int]]] = {}  # heaps of (rank, serial)
        # id() of each object given and not released -> the serial of its first arrival (an
        # object dropped while taken may leave its rank to a later one of its id: any
        # fixed order serves)
        self._ranks: dict[int, int] = {}
        self._serial = 0
        self.stats = PoolStats()

    def take(self, key: Hashable):
        """A pooled object of `key`, or None (counted as a miss: the caller creates one)."""
        held = self._by_key.get(key)
        if not held:
            self.stats.misses += 1
            return None
        _, obj, nbytes = self._free.pop(heapq.heappop(held)[1])
        self.stats.hits += 1
        self.stats.held -= 1
        self.stats.held_bytes -= nbytes
        return obj

    def give(self, key: Hashable, obj, nbytes: int) -> None:
        """Hold `obj` (of `nbytes`) for reuse; release the oldest past the limit."""
        self._serial += 1
        self._free[self._serial] = (key, obj, nbytes)
        rank = self._ranks.setdefault(id(obj), self._serial)
        heapq.heappush(self._by_key.setdefault(key, []), (rank, self._serial))
        self.stats.held += 1
        self.stats.held_bytes += nbytes
        if self.stats.held_bytes > self.limit:
            self.trim(self.stats.held_bytes - self.limit)

    def trim(self, nbytes: int | None = None) -> int:
        """Release held objects, oldest first, until `nbytes` are freed (None: all).
        Returns the bytes released."""
        freed = 0
        while self._free and (nbytes is None or freed < nbytes):
            serial, (key, obj, size) = self._free.popitem(last=False)
            held = self._by_key[key]
            held.remove((self._ranks.pop(id(obj)), serial))
            heapq.heapify(held)
            self.stats.held -= 1
            self.stats.held_bytes -= size
            self.stats.released += 1
            freed += size
            self._release(obj)
        return freed
