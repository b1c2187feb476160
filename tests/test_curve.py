"""The loss curve stays bounded however long the run, and always spans the first step to the newest."""

import pytest

from xortui.engine.curve import Curve


@pytest.mark.parametrize("capacity", [4, 5, 101, 20_000])
def test_a_million_points_stay_within_capacity_and_span_the_run(capacity):
    curve = Curve(capacity)
    longest = 0
    for step in range(1_000_000):
        curve.add(step * 10, step * 0.5)
        if step % 997 == 0 or step < 50:
            longest = max(longest, len(curve))
            assert curve.steps[0] == 0 and curve.steps[-1] == step * 10
    assert longest <= capacity and len(curve) <= capacity
    assert curve.steps[0] == 0 and curve.steps[-1] == 9_999_990
    assert curve.losses[-1] == 999_999 * 0.5
    assert curve.steps == sorted(set(curve.steps))  # in order, no repeats
    assert len(curve) >= capacity // 4  # thinned, not emptied
    gaps = {b - a for a, b in zip(curve.steps[:-2], curve.steps[1:-1])}
    assert len(gaps) == 1  # evenly spread (the newest point may sit closer)


def test_short_curves_keep_every_point_and_thinning_keeps_the_last():
    curve = Curve(100)
    for step in range(50):
        curve.add(step, 1.0 / (step + 1))
    assert curve.steps == list(range(50))
    steps, losses = curve.thinned(10)
    assert len(steps) <= 11 and steps[0] == 0 and steps[-1] == 49 and losses[-1] == 1.0 / 50
    curve.clear()
    assert len(curve) == 0 and curve.thinned(10) == ([], [])
