"""PReLU's learned slope, the softmax + cross-entropy head, and the momentum and Adam optimizers: every new
derivative against autograd (on grids that include 0), and whole trajectories against torch.optim's."""

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from xortui.engine import kernel
from xortui.engine.config import ConfigError, ExperimentConfig, parse_hidden_from_layers
from xortui.engine.population import Population
from xortui.engine.sweep import plan_sweep, run_sweep, ConfigResult
from xortui.engine.tasks import get_task
from xortui.engine.training import train

GRID = torch.cat([torch.linspace(-6, 6, 121), torch.tensor([0.0, -0.0, 1e-7, -1e-7, 30.0, -30.0])])
CPU = torch.device("cpu")


# ------------------------------------------------------------------------------------------- derivatives


@pytest.mark.parametrize("k", [1, 3])
def test_prelu_derivatives_wrt_input_and_slope_match_autograd(k):
    z = GRID.reshape(1, -1, 1).expand(k, -1, 3).clone() * torch.tensor([1.0, 0.5, -2.0])  # (k, rows, 3 units)
    slopes = torch.tensor([0.25, -0.1, 1.5])[:k].reshape(k, 1, 1)
    upstream = torch.linspace(-2, 2, z.numel()).reshape(z.shape)
    for j in range(k):
        zj = z[j].clone().requires_grad_(True)
        aj = slopes[j].reshape(1).clone().requires_grad_(True)  # nn.PReLU()'s one shared slope
        out = F.prelu(zj, aj)
        gz, ga = torch.autograd.grad(out, (zj, aj), upstream[j])
        with torch.no_grad():
            got = kernel.prelu(z, slopes)
            got_gz, got_ga = kernel.prelu_backward(upstream, z, slopes)
        torch.testing.assert_close(got[j], out.detach(), rtol=0, atol=0)
        torch.testing.assert_close(got_gz[j], gz, rtol=0, atol=0)
        torch.testing.assert_close(got_ga[j].reshape(1), ga, rtol=1e-5, atol=1e-5)
    # at exactly 0 the input's derivative is the slope (torch's convention: x > 0 ? g : a * g)
    at_zero = (z[0] == 0).nonzero()[0]
    assert got_gz[0][tuple(at_zero)] == slopes[0, 0, 0] * upstream[0][tuple(at_zero)]


@pytest.mark.parametrize("k", [1, 3])
def test_softmax_cross_entropy_head_matches_autograd(k):
    """A one-layer net on identity inputs: its logits are the weights, so grad_w is the head's d loss / d logits.
    The logits cover 0, ties (0, 0), both signs and large margins."""
    rows = 16
    logits = torch.stack([GRID[torch.arange(rows) * 8], GRID[torch.arange(rows) * 7 + 3]], 1)  # (rows, 2)
    logits[0] = 0.0
    logits[1] = torch.tensor([30.0, -30.0])
    logits = torch.stack([logits * (j + 1) for j in range(k)])  # (k, rows, 2)
    classes = torch.arange(rows) % 2
    y = F.one_hot(classes, 2).float().expand(k, -1, -1).contiguous()
    x = torch.eye(rows).expand(k, -1, -1).contiguous()
    weights = [logits.transpose(1, 2).contiguous()]  # (k, 2, rows)
    biases = [torch.zeros(k, 2)]
    zs, hs = kernel.forward(weights, biases, x, kernel.IDENTITY, 0.0, kernel.HEAD_SOFTMAX)
    grad_w, grad_b, _ = kernel.gradients(weights, zs, hs, y, kernel.IDENTITY, 0.0, kernel.HEAD_SOFTMAX)
    losses = kernel.member_losses(hs[-1], y, kernel.HEAD_SOFTMAX)
    for j in range(k):
        z = logits[j].clone().requires_grad_(True)
        loss = F.cross_entropy(z, classes)  # mean over rows
        (expected,) = torch.autograd.grad(loss, z)
        torch.testing.assert_close(losses[j], loss.detach(), rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(grad_w[0][j].t(), expected, rtol=1e-6, atol=1e-8)
        torch.testing.assert_close(grad_b[0][j], expected.sum(0), rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(hs[-1][j].exp(), F.softmax(logits[j], 1), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("k", [1, 3])
def test_network_gradients_with_prelu_and_softmax_match_autograd(k):
    gen = torch.Generator().manual_seed(3)
    layers = (2, 5, 3, 2)
    weights = [torch.randn(k, o, i, generator=gen) for i, o in zip(layers[:-1], layers[1:])]
    biases = [torch.randn(k, o, generator=gen) for o in layers[1:]]
    slopes = [torch.rand(k, 1, 1, generator=gen) for _ in layers[1:-1]]
    x = torch.tensor([[0.0, 0], [0, 1], [1, 0], [1, 1]]).expand(k, -1, -1).contiguous()
    classes = torch.tensor([0, 1, 1, 0])
    y = F.one_hot(classes, 2).float().expand(k, -1, -1).contiguous()
    params = [t.clone().requires_grad_(True) for t in weights + biases + slopes]
    ws, bs, ss = params[:3], params[3:6], params[6:]
    loss = 0
    for j in range(k):
        h = x[j]
        for i in range(3):
            h = h @ ws[i][j].t() + bs[i][j]
            if i < 2:
                h = F.prelu(h, ss[i][j].reshape(1))
        loss = loss + F.cross_entropy(h, classes)
    expected = torch.autograd.grad(loss, params)
    zs, hs = kernel.forward(weights, biases, x, kernel.PRELU, 0.0, kernel.HEAD_SOFTMAX, slopes)
    grad_w, grad_b, grad_s = kernel.gradients(weights, zs, hs, y, kernel.PRELU, 0.0, kernel.HEAD_SOFTMAX, slopes)
    for got, want in zip(grad_w + grad_b + grad_s, expected):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-6)


# ------------------------------------------------------------------------------------------- trajectories

ACT = {"tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "prelu": nn.PReLU}
STEPS = 50


def torch_reference(config: ExperimentConfig, seed: int, foreach: bool):
    """The same network trained the ordinary way: nn modules, autograd, torch.optim. Returns (losses per step,
    parameters in the engine's order: weights, biases, PReLU slopes)."""
    torch.manual_seed(seed)
    layers = config.layers
    linears = [nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:])]
    acts = [ACT[config.activation]() for _ in config.hidden]
    modules = [m for pair in zip(linears, acts) for m in pair] + [linears[-1]]
    model = nn.Sequential(*modules)
    if config.optimizer == "momentum":
        opt = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum, foreach=foreach)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(config.beta1, config.beta2),
                               eps=config.eps, foreach=foreach)
    task = get_task(config.task)
    X = torch.tensor(task.inputs, dtype=torch.float32)
    Y = torch.tensor(task.targets, dtype=torch.float32).unsqueeze(1)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        out = model(X)
        if config.head == "softmax":
            loss = F.cross_entropy(out, Y[:, 0].long())
        else:
            loss = F.binary_cross_entropy(torch.sigmoid(out), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    params = [l.weight for l in linears] + [l.bias for l in linears] + [a.weight for a in acts if config.activation == "prelu"]
    return losses, [p.detach() for p in params]


CASES = {
    "momentum": dict(optimizer="momentum", momentum=0.9, lr=0.1, hidden=(4,), activation="tanh"),
    "adam": dict(optimizer="adam", lr=0.05, hidden=(4,), activation="tanh"),
    "adam-betas": dict(optimizer="adam", lr=0.02, beta1=0.8, beta2=0.99, eps=1e-6, hidden=(3, 3),
                       activation="sigmoid"),
    "adam-prelu-softmax": dict(optimizer="adam", lr=0.05, hidden=(4,), activation="prelu", head="softmax"),
    "momentum-prelu-softmax": dict(optimizer="momentum", momentum=0.5, lr=0.5, hidden=(4,), activation="prelu",
                                   head="softmax"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seeds", [[7], [7, 8, 9]])
def test_trajectories_equal_torch_optim(case, seeds):
    config = ExperimentConfig(steps=STEPS, device="cpu", **CASES[case]).validate()
    population = Population(config, seeds, CPU)
    steps, losses, _ = population.train(STEPS, log_every=1)
    assert list(steps) == list(range(STEPS))
    for j, seed in enumerate(seeds):
        for foreach in (False, True):
            want_losses, want_params = torch_reference(config, seed, foreach)
            assert losses[:, j].tolist() == pytest.approx(want_losses, rel=1e-5, abs=1e-7)
            for got, want in zip(population.parameters(), want_params):
                torch.testing.assert_close(got[j].reshape(want.shape), want, rtol=1e-5, atol=1e-6)


def test_divergence_replay_restores_optimizer_state():
    """A checkpoint holds the optimizer's buffers: replaying from it retraces the same steps."""
    from xortui.engine import divergence

    config = ExperimentConfig(optimizer="adam", lr=0.05, hidden=(4,), activation="prelu", device="cpu")
    population = Population(config, [1], CPU)
    population.train(10)
    saved = divergence.save(population)
    population.train(20)
    once = [t.clone() for t in population.tensors()]
    divergence.restore(population, saved)
    population.train(20)
    for a, b in zip(population.tensors(), once):
        assert torch.equal(a, b)


# ------------------------------------------------------------------------------------------- runs


def test_softmax_head_solves_xor():
    """The lecture's 2-2-1 sigmoid network, seed 777, lr 1, with the softmax head instead: solved."""
    from xortui.engine.presets import PRESETS

    config = ExperimentConfig(hidden=(2,), head="softmax", steps=10001, seed=777, device="cpu", log_every=1000)
    assert PRESETS["xor-softmax"].config.replace(device="cpu", log_every=1000) == config
    assert config.layers == (2, 2, 2)
    last = list(train(config))[-1]
    assert last.verdict == "solved" and last.loss < 0.001
    assert last.predictions == (0, 1, 1, 0)
    assert len(last.probabilities) == 4
    for (p0, p1), target in zip(last.probabilities, last.targets):
        assert p0 + p1 == pytest.approx(1, abs=1e-6)
        assert (p1 if target else p0) > 0.99


def test_momentum_and_prelu_presets():
    from xortui.engine.presets import PRESETS

    snaps = list(train(PRESETS["xor-momentum"].config.replace(device="cpu")))
    assert next(s.step for s in snaps if s.logged and s.verdict == "solved") <= 300  # SGD: ~2,000 on ln 2
    assert snaps[-1].verdict == "solved"
    prelu = list(train(PRESETS["dying-relu-prelu"].config.replace(device="cpu")))[-1]
    assert prelu.verdict == "solved" and prelu.dead == (0,)  # the ReLU twin: 2 of 4 dead, 3/4 rows


def test_layers_end_with_the_heads_outputs():
    assert parse_hidden_from_layers("2,4,2", "xor", "softmax") == (4,)
    with pytest.raises(ConfigError, match="must end with 2: the softmax head has 2 outputs"):
        parse_hidden_from_layers("2,4,1", "xor", "softmax")
    with pytest.raises(ConfigError, match="must end with 1"):
        parse_hidden_from_layers("2,4,2", "xor")


def test_settings_are_checked():
    for name, bad in (("momentum", 1.0), ("beta1", -0.1), ("beta2", 1.0), ("eps", 0.0)):
        with pytest.raises(ConfigError, match=name):
            ExperimentConfig(**{name: bad}).validate()
    # a stored run records only its optimizer's settings
    assert "momentum" not in ExperimentConfig().as_dict()
    assert ExperimentConfig(optimizer="momentum", momentum=0.5).as_dict()["momentum"] == 0.5
    assert {"beta1", "beta2", "eps"} <= set(ExperimentConfig(optimizer="adam").as_dict())


def test_sweep_over_two_optimizers():
    base = ExperimentConfig(hidden=(4,), activation="tanh", lr=0.1, steps=300, log_every=100, device="cpu")
    plan = plan_sweep(base, {"optimizer": ["momentum", "adam"]}, seeds=4)
    results = [e for e in run_sweep(plan) if isinstance(e, ConfigResult)]
    assert [r.config.optimizer for r in results] == ["momentum", "adam"]
    for result in results:
        single = Population(result.config, list(result.seeds), CPU)
        single.train(300)
        torch.testing.assert_close(torch.tensor(result.final_loss), single.evaluate().loss, rtol=1e-6, atol=0)
        assert result.as_row()["optimizer"] == result.config.optimizer
    assert results[1].solved_fraction >= 0.75  # Adam at lr 0.1: seeds 0, 2, 3 solved by step 100


# ------------------------------------------------------------------------------------------- the CLI


def test_cli_softmax_adam_prints_both_class_probabilities():
    """The lecture's 2-2-1 with the softmax head and Adam (lr 0.1, seed 777): solved in 3,001 steps."""
    import json

    from click.testing import CliRunner

    from xortui.cli import cli

    args = ["run", "--preset", "xor-nn", "--head", "softmax", "--optimizer", "adam", "--lr", "0.1", "--steps", "3001",
            "--log-every", "1000", "--device", "cpu"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    p0 = next(line for line in lines if line.startswith("P(class 0):"))
    p1 = next(line for line in lines if line.startswith("P(class 1):"))
    assert len(re.findall(r"\[([0-9.e-]+)\]", p0)) == 4 and len(re.findall(r"\[([0-9.e-]+)\]", p1)) == 4
    assert "Correct:     [[0.] [1.] [1.] [0.]]" in lines
    assert "# 2,2,2 sigmoid, softmax head, adam (beta1 0.9, beta2 0.999, eps 1e-08), lr 0.1, seed 777" in result.output
    assert "# verdict: solved" in result.output

    record = json.loads(CliRunner().invoke(cli, [*args, "--json"]).output)
    assert record["config"]["head"] == "softmax" and record["config"]["layers"] == [2, 2, 2]
    assert record["config"]["beta2"] == 0.999
    probabilities = record["final"]["probabilities"]
    assert len(probabilities) == 4 and all(len(row) == 2 for row in probabilities)
    assert [int(p1 > p0) for p0, p1 in probabilities] == record["final"]["predicted"] == [0, 1, 1, 0]
    assert record["final"]["hypothesis"] == [p1 for _, p1 in probabilities]
    assert record["final"]["verdict"] == "solved"


def test_cli_optimizer_settings_are_options():
    from click.testing import CliRunner

    from xortui.cli import cli

    result = CliRunner().invoke(cli, ["run", "--optimizer", "momentum", "--momentum", "0.5", "--lr", "0.5",
                                      "--steps", "11", "--log-every", "10", "--device", "cpu", "--no-store"])
    assert result.exit_code == 0, result.output
    assert "momentum (momentum 0.5), lr 0.5" in result.output
    refused = CliRunner().invoke(cli, ["run", "--beta1", "0.5", "--steps", "11"])
    assert refused.exit_code == 2
    assert "'--beta1': applies to --optimizer adam (this run's is sgd)" in refused.output


@pytest.mark.parametrize("extra", [
    ["--head", "softmax", "--layers", "2,3,2", "--optimizer", "adam", "--beta1", "0.8", "--eps", "1e-6"],
    ["--activation", "prelu", "--optimizer", "momentum", "--momentum", "0.5"],
])
def test_reproduce_command_reruns_new_heads_and_optimizers_identically(extra):
    """Every key a run records (the optimizer's settings among them) is a `run` option: the stored run's command
    trains the same curve, and the runs screen reads its config back."""
    import json
    import shlex

    from click.testing import CliRunner

    from xortui.app.runs import config_from_dict
    from xortui.cli import cli
    from xortui.store import reproduce_command

    args = ["run", "--json", "--steps", "201", "--log-every", "50", "--lr", "0.1", "--device", "cpu", "--no-store", *extra]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout)
    words = shlex.split(reproduce_command(record["config"]))
    again = CliRunner().invoke(cli, [*words[1:], "--json", "--no-store"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["losses"] == record["losses"]
    assert config_from_dict(record["config"]).as_dict() == record["config"]
