"""Runs that blow up end "diverged at step N" with N exact, the curve kept, and no exception; a loss pinned at
BCE's clamp is flagged saturated, never shown as progress."""

import asyncio
import json
import math

import pytest
import torch
from click.testing import CliRunner
from textual.widgets import Input

from xortui.app.app import XorTuiApp
from xortui.app.widgets import LossPlot, StatusLine
from xortui.cli import cli
from xortui.engine import divergence
from xortui.engine.config import ExperimentConfig
from xortui.engine.population import Population
from xortui.engine.presets import PRESETS
from xortui.engine.training import DIVERGED, FINISHED, train

CASES = {
    "lr 100": PRESETS["xor-nn"].config.replace(lr=100.0),
    "lr 1e6": PRESETS["xor-nn"].config.replace(lr=1e6),
    "deep relu lr 1e4": PRESETS["xor-wide-deep"].config.replace(activation="relu", lr=1e4),
    "deep sigmoid lr 100": PRESETS["xor-wide-deep"].config.replace(lr=100.0),
}


def first_bad_step_by_hand(config: ExperimentConfig, limit: int = 200) -> int:
    population = Population(config, [config.seed], torch.device("cpu"))
    targets = [int(t) for t in population.y[0, :, 0].tolist()]
    while divergence.trouble(population, targets) is None:
        assert population.step < limit
        population.train(1)
    return population.step


@pytest.mark.parametrize("name", list(CASES))
def test_blow_ups_end_diverged_at_the_exact_step(name):
    config = CASES[name].replace(steps=100_000, log_every=100, device="cpu")
    snaps = list(train(config))
    last = snaps[-1]
    assert last.state == DIVERGED
    assert last.diverged_at == first_bad_step_by_hand(config)
    assert last.step == last.diverged_at
    assert last.note.startswith(f"diverged at step {last.diverged_at:,} (")
    curve = [(s.step, s.loss) for s in snaps if s.logged]
    assert curve[0][0] == 0 and curve[-1][0] == last.diverged_at  # the curve runs up to the blow-up


def test_nonfinite_weights_are_found_at_their_step_inside_a_chunk(monkeypatch):
    """A NaN that appears at step 1234, in the middle of a chunk of thousands of steps."""
    real_train = Population.train

    def train_with_a_nan(self, n, log_every=0):
        steps, losses, outputs = [], [], []
        for _ in range(n):
            logged = real_train(self, 1, log_every)
            steps += list(logged[0])
            losses.append(logged[1])
            outputs.append(logged[2])
            if self.step == 1234:
                self.weights[0].fill_(float("nan"))
        return steps, torch.cat(losses), torch.cat(outputs)

    monkeypatch.setattr(Population, "train", train_with_a_nan)
    snaps = list(train(ExperimentConfig(steps=5000, log_every=1000, device="cpu")))
    last = snaps[-1]
    assert last.state == DIVERGED and last.diverged_at == 1234 and math.isnan(last.loss)
    assert last.note == "diverged at step 1,234 (loss or weights non-finite)"
    assert [s.step for s in snaps if s.logged] == [0, 1000]  # the finite curve up to the blow-up stays


def test_healthy_runs_are_not_flagged():
    for name in ("xor-single-layer", "xor-nn"):  # a plateau at ln 2 and a solved run
        snaps = list(train(PRESETS[name].config.replace(steps=3001, device="cpu")))
        assert snaps[-1].state == FINISHED and snaps[-1].diverged_at is None
        assert not any(s.saturated for s in snaps) and snaps[-1].note == ""


def test_saturation_is_an_output_pinned_at_the_wrong_end():
    assert divergence.saturated([1.0, 0.5], [0, 1])  # log(1 - 1) clamped: a term of 100
    assert divergence.saturated([0.0, 0.5], [1, 0])
    assert divergence.saturated([1e-9, 0.5], [1, 0])
    assert not divergence.saturated([1e-9, 1.0], [0, 1])  # pinned at the right end: solved
    assert not divergence.saturated([0.5, 0.5], [0, 1])
    assert divergence.row_terms([1.0, 0.0], [0, 1]) == [100.0, 100.0]


def test_cli_says_diverged_at_step_n():
    result = CliRunner().invoke(cli, ["run", "--no-store", "--lr", "1e6", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "# diverged at step 1 (outputs pinned at 0/1, loss at BCE's clamp, gradients zero)" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(cli, ["run", "--no-store", "--lr", "100", "--json", "--device", "cpu"])
    record = json.loads(result.output)
    assert record["state"] == "diverged" and record["diverged_at"] == 1 and record["steps_done"] == 1
    assert list(record["losses"]) == ["0", "1"]


def test_dashboard_shows_diverged_and_keeps_the_curve():
    async def scenario():
        app = XorTuiApp()
        async with app.run_test(size=(100, 30)) as pilot:
            app.query_one("#lr", Input).value = "100"
            await pilot.press("ctrl+r")
            deadline = asyncio.get_running_loop().time() + 30
            while app.state != "diverged":
                assert asyncio.get_running_loop().time() < deadline
                await pilot.pause(0.05)
            await app.workers.wait_for_complete()
            await pilot.pause()
            status = str(app.query_one(StatusLine).render())
            assert "diverged" in status and "diverged at step 1 " in status
            assert app.query_one(LossPlot).curve.steps == [0, 1]
            assert app.is_running
            await pilot.press("ctrl+r")  # a new run starts fine after a diverged one
            await pilot.pause(0.2)
            assert app.state in ("running", "diverged")

    asyncio.run(scenario())


def test_a_saturated_run_that_still_moves_is_flagged_not_shown_as_progress():
    """2-2-1 leaky ReLU at lr 30: outputs pinned at 1 on the 0 rows (loss 50), weights still creeping."""
    result = CliRunner().invoke(cli, ["run", "--no-store", "--activation", "leaky_relu", "--lr", "30", "--steps",
                                      "1001", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "finished after 1,001" in result.output
    assert result.output.rstrip().endswith(
        "# saturated: an output is pinned at the wrong end (loss at BCE's clamp), not learning")
    record = json.loads(CliRunner().invoke(cli, ["run", "--no-store", "--activation", "leaky_relu", "--lr", "30",
                                                 "--steps", "1001", "--device", "cpu", "--json"]).output)
    assert record["state"] == "finished" and record["saturated"] is True and record["diverged_at"] is None
