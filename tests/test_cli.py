"""The headless CLI: lecture-style output, JSON, presets, and one-line errors with exit code 2."""

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

from xortui import __version__
from xortui.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def test_run_prints_lecture_lines_and_the_notebook_summary(reference):
    result = invoke("run", "--preset", "xor-nn")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "0 0.7434073090553284"
    printed = dict(line.split() for line in lines if line[:1].isdigit())
    assert len(printed) == 101
    for step, loss in reference["experiments"]["xor-nn"]["losses"].items():
        assert float(printed[step]) == pytest.approx(loss, rel=reference["tolerance_rel"])
    assert "Hypothesis:  [[0.0010636441] [0.99889404] [0.99889404] [0.0016586139]]" in lines
    assert "Correct:     [[0.] [1.] [1.] [0.]]" in lines
    assert "Accuracy:    1.0" in lines


def test_run_options_override_the_preset():
    result = invoke("run", "--preset", "xor-wide-deep", "--depth", "1", "--width", "3", "--steps", "201",
                    "--log-every", "50", "--lr", "0.5", "--seed", "1", "--device", "cpu", "--activation", "tanh")
    assert result.exit_code == 0, result.output
    steps = [line.split()[0] for line in result.output.splitlines() if line[:1].isdigit()]
    assert steps == ["0", "50", "100", "150", "200"]
    assert "# 2,3,1 tanh, lr 0.5, seed 1, on cpu: finished after 201 of 201 steps" in result.output


def test_json_record(reference):
    result = invoke("run", "--preset", "xor-single-layer", "--json", "--steps", "301")
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["config"]["layers"] == [2, 1]
    assert record["state"] == "finished"
    assert record["steps_done"] == 301
    assert record["losses"]["0"] == pytest.approx(reference["experiments"]["xor-single-layer"]["losses"]["0"], rel=1e-6)
    assert record["final"]["targets"] == [0, 1, 1, 0]
    assert len(record["final"]["hypothesis"]) == 4


def test_presets_lists_the_lecture_experiments():
    result = invoke("presets")
    assert result.exit_code == 0
    assert re.search(r"\nxor-wide-deep +2,10,10,10,1 +sigmoid +1 +10001 +777 ", result.output)
    assert json.loads(invoke("presets", "--json").output)["xor-nn"]["layers"] == [2, 2, 1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--lr", "abc"], "Error: Invalid value for '--lr': 'abc' is not a number"),
        (["--steps", "0"], "Error: Invalid value for '--steps': must be from 1 to 1,000,000,000 (got 0)"),
        (["--width", "10000000"], "Error: Invalid value for '--width': must be from 1 to 4,096 (got 10,000,000)"),
        (["--layers", "3,2,1"], "Error: Invalid value for '--layers': must start with 2: the xor task has 2 inputs"),
        (["--layers", "2,2,1", "--depth", "3"], "Error: Invalid value for '--layers': give either --layers or"),
        (["--activation", "nope"], "Error: Invalid value for '--activation': 'nope' is not one of: sigmoid"),
        (["--preset", "nope"], "Error: Invalid value for '--preset'"),
        (["--bogus"], "Error: No such option '--bogus'."),
    ],
)
def test_bad_options_one_line_exit_2(args, message):
    result = invoke("run", *args)
    assert result.exit_code == 2
    assert result.output.startswith(message), result.output
    assert result.output.count("\n") == 1
    assert "Traceback" not in result.output


def test_cuda_without_cuda_is_refused():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = invoke("run", "--device", "cuda")
    assert result.exit_code == 2
    assert result.output.startswith("Error: Invalid value for '--device': CUDA is not available")


def test_version_and_module_entry_point():
    assert invoke("--version").output.strip() == f"xortui, version {__version__}"
    done = subprocess.run([sys.executable, "-m", "xortui", "run", "--steps", "1", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["steps_done"] == 1
    assert done.stderr == ""
