"""Sweeps: member k is the single run with seed k; grid expansion; the memory refusal; result rows."""

import csv
import io
import json
import math

import pytest
import torch

from xortui.engine import sweep
from xortui.engine.population import Population
from xortui.engine.presets import PRESETS
from xortui.engine.training import train

BASE = PRESETS["xor-nn"].config.replace(device="cpu")
SEEDS = [0, 1, 2, 3]


def test_member_k_is_the_single_run_with_seed_k():
    """Same initial weights exactly; the same arithmetic up to rounding. A single run (K = 1) multiplies with
    `mm`, as nn.Linear does, to match the lecture to the bit; a population of K > 1 uses `bmm`, whose small-matrix
    kernel sums products in its own way, so the two differ in the last bits and gradient descent carries that
    along. On the lecture's 2-2-1 network over 1001 steps it stays far below 1e-5 relative. (Chaotic training,
    e.g. a deep tanh network at lr 1, amplifies it until the paths part: there a sweep is statistically, not
    bitwise, the same as the single runs.)"""
    config = BASE.replace(steps=1001)
    population = Population(config, SEEDS, torch.device("cpu"))
    single = Population(config, [SEEDS[2]], torch.device("cpu"))
    for w, sw in zip(population.weights + population.biases, single.weights + single.biases):
        assert torch.equal(w[2], sw[0])  # member 2 starts exactly where seed 2's single run starts
    losses, outputs = [], []
    while True:
        ev = population.evaluate()
        losses.append(ev.loss)
        outputs.append(ev.outputs)
        if population.step == config.steps:
            break
        population.train(min(config.log_every, config.steps - population.step))
    for k, seed in enumerate(SEEDS):
        snaps = [s for s in train(config.replace(seed=seed)) if s.logged or s.step == config.steps]
        assert [s.step for s in snaps] == list(range(0, 1001, 100)) + [1001]
        for i, snap in enumerate(snaps):
            assert float(losses[i][k]) == pytest.approx(snap.loss, rel=1e-5), f"seed {seed} step {snap.step}"
            torch.testing.assert_close(outputs[i][k], torch.tensor(snap.outputs), rtol=1e-5, atol=1e-6)


def test_sweep_results_agree_with_single_runs():
    plan = sweep.plan_sweep(BASE.replace(steps=1501), {}, seeds=SEEDS)
    (result,) = [e for e in sweep.run_sweep(plan) if isinstance(e, sweep.ConfigResult)]
    for k, seed in enumerate(SEEDS):
        snaps = list(train(BASE.replace(steps=1501, seed=seed)))
        final = snaps[-1]
        assert result.final_loss[k] == pytest.approx(final.loss, rel=1e-5)
        solved = all(final.correct) and final.loss < sweep.SOLVED_LOSS
        assert result.solved[k] == solved
        if solved:  # the first log point at which the single run was solved
            first = next(s.step for s in snaps if all(s.correct) and s.loss < sweep.SOLVED_LOSS)
            assert result.solve_step[k] == first
        else:
            assert result.solve_step[k] is None


def test_grid_is_every_combination_in_a_fixed_order():
    plan = sweep.plan_sweep(
        BASE, {"hidden": [(2,), [4], (2,)], "activation": ["relu", "tanh"], "lr": [0.5, 1.0]}, seeds=3
    )
    assert plan.seeds == (0, 1, 2)
    assert len(plan.configs) == 2 * 2 * 2  # the repeated (2,) counts once
    assert [(c.hidden, c.activation, c.lr) for c in plan.configs[:3]] == [
        ((2,), "relu", 0.5), ((2,), "relu", 1.0), ((2,), "tanh", 0.5)
    ]


@pytest.mark.parametrize(
    "grid, seeds, field",
    [({"steps": [1, 2]}, 2, "grid"), ({"lr": [-1.0]}, 2, "lr"), ({}, 0, "seeds"), ({}, [1, 1], "seeds")],
)
def test_bad_grids_are_refused_naming_the_field(grid, seeds, field):
    with pytest.raises(sweep.ConfigError) as error:
        sweep.plan_sweep(BASE, grid, seeds)
    assert error.value.field == field


def test_memory_estimate_refuses_an_oversized_sweep():
    plan = sweep.plan_sweep(BASE.replace(hidden=(2000, 2000)), {}, seeds=50_000)
    with pytest.raises(sweep.SweepTooBig) as error:
        sweep.estimate(plan)  # refused on the estimate alone: nothing is allocated or trained
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("sweep: 50,000 seeds of 2,2000,2000,1 need about")
    assert "budget (25% of RAM)" in message and "use fewer seeds or smaller layers" in message


def test_estimate_within_budget_and_time_limit():
    plan = sweep.plan_sweep(BASE.replace(steps=200), {"hidden": [(2,), (3,)]}, seeds=4)
    est = sweep.estimate(plan, probe_steps=5)
    assert 0 < est.memory_bytes <= est.budget_bytes
    assert est.seconds is not None and len(est.config_seconds) == 2
    with pytest.raises(sweep.SweepTooBig, match="limit"):
        sweep.estimate(plan, probe_steps=5, max_seconds=1e-9)
    with pytest.raises(sweep.SweepTooBig, match="budget"):
        sweep.estimate(plan, budget_bytes=10)


def test_progress_rows_and_export():
    plan = sweep.plan_sweep(
        BASE.replace(steps=301, hidden=(3,)), {"activation": ["sigmoid", "relu"]}, seeds=8
    )
    events = list(sweep.run_sweep(plan, progress_seconds=0))
    progress = [e for e in events if isinstance(e, sweep.Progress)]
    results = [e for e in events if isinstance(e, sweep.ConfigResult)]
    assert [r.index for r in results] == [0, 1]
    assert progress[-1].done == progress[-1].total == 602 and progress[-1].eta == 0
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    table = sweep.rows(results)
    assert [list(row) for row in table] == [list(sweep.COLUMNS)] * 2
    assert table[0]["dead_unit_rate"] is None  # sigmoid units cannot die
    assert 0 <= table[1]["dead_unit_rate"] <= 1
    assert table[0]["seeds"] == 8 and table[0]["layers"] == "2,3,1"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(sweep.COLUMNS))
    writer.writeheader()
    writer.writerows(table)
    assert buffer.getvalue().splitlines()[0].split(",") == list(sweep.COLUMNS)
    assert json.loads(json.dumps(table)) == table


def test_a_network_that_cannot_learn_xor_never_solves():
    plan = sweep.plan_sweep(BASE.replace(hidden=(), steps=201), {}, seeds=4)
    (result,) = [e for e in sweep.run_sweep(plan) if isinstance(e, sweep.ConfigResult)]
    row = result.as_row()
    assert row["solved_fraction"] == 0 and row["solve_step_median"] is None and row["solve_step_iqr"] is None
    assert all(math.isfinite(v) for v in (row["loss_p10"], row["loss_p50"], row["loss_p90"]))
    assert row["loss_p10"] <= row["loss_p50"] <= row["loss_p90"]


def test_memory_estimate_counts_the_optimizers_buffers_as_allocated():
    config = BASE.replace(hidden=(50, 50))
    sgd, momentum, adam = (sweep.memory_bytes(config.replace(optimizer=o), 100) for o in ("sgd", "momentum", "adam"))
    one_copy = 4 * 100 * config.n_parameters  # float32, one copy of every member's parameters
    assert momentum - sgd == one_copy and adam - sgd == 2 * one_copy
    for name, buffers in (("sgd", 0), ("momentum", 1), ("adam", 2)):  # what the population really allocates
        population = Population(config.replace(optimizer=name), [1, 2], torch.device("cpu"))
        assert sum(t.numel() for t in population.state) == buffers * 2 * config.n_parameters


def test_time_estimate_of_many_seeds_builds_only_a_probe_of_them(monkeypatch):
    built = []
    real = sweep.Population

    def spy(config, seeds, device):
        built.append(len(seeds))
        return real(config, seeds, device)

    monkeypatch.setattr(sweep, "PROBE_SEEDS", 16)
    monkeypatch.setattr(sweep, "Population", spy)
    plan = sweep.plan_sweep(BASE.replace(steps=200), {}, seeds=1_000_000)
    with pytest.raises(sweep.SweepTooBig, match="limit"):  # refused from the probe, without building a million
        sweep.estimate(plan, probe_steps=5, max_seconds=1.0)
    assert built == [16]
