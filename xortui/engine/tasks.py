"""Truth-table tasks: every input row of a boolean function with its target class."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Callable


@dataclass(frozen=True)
class Task:
    name: str
    description: str
    inputs: tuple[tuple[int, ...], ...]  # one row per truth-table line, in counting order
    targets: tuple[int, ...]  # the class (0 or 1) of each row

    @property
    def n_inputs(self) -> int:
        return len(self.inputs[0])

    @property
    def n_rows(self) -> int:
        return len(self.inputs)


def _truth_table(name: str, description: str, n_bits: int, fn: Callable[[tuple[int, ...]], int]) -> Task:
    rows = tuple(product((0, 1), repeat=n_bits))
    return Task(name, description, rows, tuple(int(fn(row)) for row in rows))


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        _truth_table("xor", "1 when exactly one input is 1 (the lecture's task)", 2, lambda r: r[0] ^ r[1]),
        _truth_table("and", "1 when both inputs are 1 (one linear layer is enough)", 2, lambda r: r[0] & r[1]),
        _truth_table("or", "1 when either input is 1 (one linear layer is enough)", 2, lambda r: r[0] | r[1]),
        _truth_table("nand", "not AND (one linear layer is enough)", 2, lambda r: 1 - (r[0] & r[1])),
        _truth_table("nor", "not OR (one linear layer is enough)", 2, lambda r: 1 - (r[0] | r[1])),
        _truth_table("xnor", "1 when the inputs are equal: XOR's complement, not linearly separable", 2,
                     lambda r: 1 - (r[0] ^ r[1])),
        *(
            _truth_table(f"parity-{n}", f"1 when an odd number of the {n} inputs are 1 ({2 ** n} rows)", n,
                         lambda r: sum(r) % 2)
            for n in range(2, 7)
        ),
    )
}


def get_task(name: str) -> Task:
    return TASKS[name]
