"""A loss curve whose memory stays bounded however long the run."""

from __future__ import annotations

import math


class Curve:
    """(step, loss) points. On reaching `capacity` points it keeps every other one and from then on accepts one
    point in two (then four, ...), so a 10-million-step run holds at most `capacity` points spread over all of
    it. The newest point is always the last one, accepted or not (it stands in until the next one comes), so
    the curve always reaches the current step."""

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = max(4, capacity)
        self.steps: list[int] = []
        self.losses: list[float] = []
        self._stride = 1
        self._seen = 0  # points offered so far; the stride accepts the ones at multiples of itself
        self._provisional = False  # the last point is only the newest, not one the stride accepted

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, step: int, loss: float) -> None:
        if self._provisional:
            self.steps.pop()
            self.losses.pop()
            self._provisional = False
        accepted = self._seen % self._stride == 0
        self._seen += 1
        self.steps.append(step)
        self.losses.append(loss)
        if not accepted:
            self._provisional = True
        elif len(self.steps) >= self.capacity:
            self.steps = self.steps[::2]
            self.losses = self.losses[::2]
            self._stride *= 2  # the points kept are those at multiples of the new stride
            if self.steps[-1] != step:  # halving dropped the newest point: keep it as the stand-in
                self.steps.append(step)
                self.losses.append(loss)
                self._provisional = True

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
