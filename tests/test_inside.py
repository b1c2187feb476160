"""Inside the network, shown: the dashboard's per-layer view and the CLI's summary and JSON record."""

import json

from click.testing import CliRunner

from xortui.app.inside import grad_bar, layer_lines
from xortui.cli import cli
from xortui.engine.training import Snapshot


def snapshot(**changes):
    base = dict(
        step=100, steps=1000, loss=0.4, outputs=(0.1, 0.9), predictions=(0, 1), targets=(0, 1), elapsed=1.0,
        steps_per_second=100.0, device="cpu", widths=(10, 4), dead=(3, 0), grad_norms=(1.2e-4, 3e-3, 0.5),
        verdict="not converged (1/2 rows right)",
    )
    return Snapshot(**{**base, **changes})


def test_layer_lines_mark_dead_units_without_colour():
    lines = [line.plain for line in layer_lines(snapshot())]
    assert lines[0].startswith("L1  dead 3/10") and "✗" in lines[0] and "|grad| 1.2e-04" in lines[0]
    assert lines[1].startswith("L2  dead 0/4") and "✗" not in lines[1]
    assert lines[2].startswith("out") and "|grad| 5.0e-01" in lines[2]
    styles = {str(span.style) for span in layer_lines(snapshot())[0].spans}
    assert "bold red" in styles


def test_grad_bar_is_log_scaled():
    assert grad_bar(1.0) == "████████"
    assert grad_bar(1e-4) == "████····"
    assert grad_bar(1e-9) == grad_bar(0.0) == "········"
    assert grad_bar(float("nan")) == "????????"


def test_cli_prints_the_verdict_dead_units_and_gradients():
    result = CliRunner().invoke(
        cli, ["run", "--layers", "2,4,1", "--activation", "relu", "--seed", "398", "--steps", "1001",
              "--log-every", "500", "--no-store"],
    )
    assert result.exit_code == 0, result.output
    line = result.output.splitlines()[-1]
    assert line.startswith("# verdict: not converged (3/4 rows right); dead L1 2/4; |grad| L1 ")
    assert " out " in line
    record = json.loads(CliRunner().invoke(
        cli, ["run", "--preset", "xor-nn", "--steps", "301", "--json", "--no-store"]).output)
    final = record["final"]
    assert final["verdict"] == "not converged (2/4 rows right)"
    assert final["hidden_widths"] == [2] and final["dead_units"] == [0]
    assert len(final["grad_norms"]) == 2 and all(g > 0 for g in final["grad_norms"])


async def dying_relu_finished(pilot):
    import time

    while not pilot.app.engine_ready:
        await pilot.pause(0.05)
    await pilot.press("ctrl+r")
    deadline = time.monotonic() + 60
    while pilot.app.state != "finished":
        assert time.monotonic() < deadline
        await pilot.pause(0.05)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.2)


def test_dying_relu_run_shows_its_dead_units(snap_compare, steady_clock):
    from xortui.app.app import XorTuiApp

    assert snap_compare(XorTuiApp(preset="dying-relu"), terminal_size=(80, 24), run_before=dying_relu_finished)


def test_deep_networks_fold_their_middle_layers():
    from xortui.app.inside import squeeze

    snap = snapshot(widths=(10,) * 6, dead=(0, 1, 2, 0, 0, 3), grad_norms=(1e-7,) * 7)
    lines = layer_lines(snap)
    five = [line.plain for line in squeeze(lines, snap, 5)]
    assert [line[:3] for line in five] == ["L1 ", "L2 ", "L3-", "L6 ", "out"]
    assert five[2] == "L3-L5: 3 layers, dead 2/30 ✗"
    three = [line.plain for line in squeeze(lines, snap, 3)]
    assert three[1] == "L2-L6: 5 layers, dead 6/50 ✗" and three[2].startswith("out")
    assert squeeze(lines[:3], snap, 5) == lines[:3]
