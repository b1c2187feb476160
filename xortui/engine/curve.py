"""A loss curve whose memory stays bounded however long the run."""

from __future__ import annotations

import math


class Curve:
    """(step, loss) points. Past `capacity` points it keeps every other one and from then on accepts one point
    in two (then four, ...), so a 10-million-step run holds at most `capacity` points spread over all of it."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = max(4, capacity)
        self.steps: list[int] = []
        self.losses: list[float] = []
        self._stride = 1
        self._seen = 0

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, step: int, loss: float) -> None:
        if self._seen % self._stride == 0:
            self.steps.append(step)
            self.losses.append(loss)
            if len(self.steps) > self.capacity:
                self.steps = self.steps[::2]
                self.losses = self.losses[::2]
                self._stride *= 2
                self._seen = 0
        self._seen += 1

    def clear(self) -> None:
        self.__init__(self.capacity)

    def thinned(self, n: int) -> tuple[list[int], list[float]]:
        """At most about n points, evenly spread, always with the last one."""
        if len(self.steps) <= n:
            return list(self.steps), list(self.losses)
        stride = math.ceil(len(self.steps) / n)
        steps, losses = self.steps[::stride], self.losses[::stride]
        if steps[-1] != self.steps[-1]:
            steps.append(self.steps[-1])
            losses.append(self.losses[-1])
        return steps, losses
