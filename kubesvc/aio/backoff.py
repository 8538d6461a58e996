"""Exponential backoff with jitter and a cap (client-go's `wait.Backoff` idea).

`Backoff.next()` returns the next delay and grows the following one; `reset()` starts over
(call it after a success).  Randomness is a parameter (`rng`: a callable returning [0, 1)).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial: float = 0.8
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 1.0  # a delay d becomes d + d*jitter*rng()
    rng: Callable[[], float] = field(default=random.random)
    _current: float = field(default=0.0, init=False)

    def next(self) -> float:
        base = self.initial if self._current == 0.0 else min(self._current * self.factor, self.maximum)
        self._current = base
        delay = base + base * self.jitter * self.rng() if self.jitter else base
        return min(delay, self.maximum)

    def reset(self) -> None:
        self._current = 0.0
