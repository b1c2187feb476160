"""`xortui runs list|show|export|rm`, through click's test runner."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import shlex

import pytest
from click.testing import CliRunner

from xortui import cli_runs, store as store_module
from xortui.cli_runs import runs
from xortui.store import open_store

CONFIG = {
    "task": "xor", "layers": [2, 2, 1], "activation": "sigmoid", "head": "sigmoid", "optimizer": "sgd",
    "lr": 1.0, "steps": 10001, "seed": 777, "device": "auto", "log_every": 100,
}


def final(accuracy: float, loss: float) -> dict:
    return {"loss": loss, "outputs": [0.1, 0.9, 0.9, 0.1], "predictions": [0, 1, 1, 0], "targets": [0, 1, 1, 0],
            "accuracy": accuracy, "verdict": "learned" if accuracy == 1 else "stuck"}


@pytest.fixture
def path(tmp_path):
    """A store with three runs: sigmoid, relu (with a NaN at its end), and a width-4 tanh one."""
    db = tmp_path / "runs.db"
    with open_store(db) as opened:
        curves = {
            "sigmoid": [(s, 0.6931471805599453 / (1 + s / 100)) for s in range(0, 1001, 100)],
            "relu": [(0, 0.7), (100, 0.1 + 0.2), (200, float("nan"))],
            "tanh": [(s, 1 / 3 ** (s / 50)) for s in range(0, 501, 50)],
        }
        for activation, curve in curves.items():
            config = dict(CONFIG, activation=activation, layers=[2, 4, 1] if activation == "tanh" else [2, 2, 1])
            run_id = opened.begin_run(config, device="cpu", command="xortui run")
            opened.append_points(run_id, curve)
            state = "diverged" if activation == "relu" else "finished"
            opened.finish_run(run_id, state, final(0.5 if activation == "relu" else 1.0, curve[-1][1]))
    return db


def invoke(*args: str, env: dict | None = None):
    return CliRunner().invoke(runs, list(args), env=env, catch_exceptions=False)


def assert_one_line_error(result, code: int, *fragments: str) -> None:
    assert result.exit_code == code
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def stored_curves(db) -> dict[int, list[tuple[int, float]]]:
    with open_store(db) as opened:
        return {run.id: opened.curve(run.id) for run in opened.list_runs()}


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# ---------------------------------------------------------------------------------------------- list


def test_list_shows_runs_newest_first(path):
    result = invoke("list", "--store", str(path))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["ID", "STARTED", "STATE"]
    assert [line.split()[0] for line in lines[1:]] == ["3", "2", "1"]
    assert "tanh" in lines[1] and "2,4,1" in lines[1] and "100%" in lines[1]


def test_list_filters_sorts_and_prints_json(path):
    assert [ln.split()[0] for ln in invoke("list", "--store", str(path), "-f", "relu").stdout.splitlines()[1:]] \
        == ["2"]
    ascending = invoke("list", "--store", str(path), "--sort", "id", "--asc").stdout.splitlines()[1:]
    assert [line.split()[0] for line in ascending] == ["1", "2", "3"]
    records = json.loads(invoke("list", "--store", str(path), "--json", "--sort", "accuracy").stdout)
    assert [r["id"] for r in records][-1] == 2
    assert records[0]["config"]["activation"] in ("sigmoid", "tanh")
    assert "No runs match." in invoke("list", "--store", str(path), "-f", "softplus").stdout


def test_list_reads_the_store_from_the_environment(path):
    result = invoke("list", env={"XORTUI_STORE": str(path)})
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 4


def test_list_of_a_store_that_does_not_exist_creates_nothing(tmp_path):
    missing = tmp_path / "sub" / "runs.db"
    result = invoke("list", "--store", str(missing))
    assert result.exit_code == 0 and "No runs recorded yet" in result.stdout
    assert not missing.parent.exists()


# ---------------------------------------------------------------------------------------------- show


def test_show_gives_the_outcome_and_the_reproduce_command(path, monkeypatch):
    # as the main CLI's `run` command is today: no --head or --optimizer yet
    monkeypatch.setattr(cli_runs, "run_command_options", lambda: {
        "preset", "layers", "depth", "width", "activation", "lr", "steps", "seed", "device", "log_every", "json",
        "task"})
    result = invoke("show", "1", "--store", str(path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Run 1  finished")
    assert "verdict      learned" in out and "accuracy     100%" in out and "predictions  0 1 1 0" in out
    assert "11 points: step 0 loss 0.693147 -> step 1000" in out
    assert out.rstrip().splitlines()[-1].strip() == (
        "xortui run --layers 2,2,1 --activation sigmoid --lr 1.0 --steps 10001 --seed 777 --device auto "
        "--log-every 100 --task xor")


def test_show_json_has_the_curve_with_nan_as_null(path):
    result = invoke("show", "#2", "--store", str(path), "--json")
    record = json.loads(result.stdout)
    assert record["id"] == 2 and record["state"] == "diverged"
    assert record["curve"] == {"step": [0, 100, 200], "loss": [0.7, 0.1 + 0.2, None]}
    assert record["final"]["loss"] is None
    assert record["reproduce"].startswith("xortui run --layers 2,2,1 --activation relu")


@pytest.mark.parametrize("run_id", ["99", "abc", "0", "1.5"])
def test_an_unknown_run_id_is_one_line_and_exit_2(path, run_id):
    for command in (["show", run_id], ["rm", run_id], ["export", run_id]):
        result = invoke(*command, "--store", str(path))
        assert_one_line_error(result, 2, "no run with id")
    assert len(stored_curves(path)) == 3


def test_an_unknown_run_id_in_a_store_not_yet_created_is_exit_2(tmp_path):
    assert_one_line_error(invoke("show", "1", "--store", str(tmp_path / "none.db")), 2, "no run with id 1")


# ---------------------------------------------------------------------------------------------- export


def test_csv_export_is_long_format_and_reads_back_to_the_same_numbers(path, tmp_path):
    out = tmp_path / "curves.csv"
    result = invoke("export", "--store", str(path), "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Exported 3 run(s), 25 point(s)" in result.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["run_id", "step", "loss"]
    curves = stored_curves(path)
    back: dict[int, list[tuple[int, float]]] = {}
    for row in rows:
        back.setdefault(int(row["run_id"]), []).append((int(row["step"]), float(row["loss"])))
    assert sorted(back) == sorted(curves)
    for run_id, curve in curves.items():
        assert len(back[run_id]) == len(curve)
        assert all(s1 == s2 and same(l1, l2) for (s1, l1), (s2, l2) in zip(back[run_id], curve))


def test_export_of_chosen_runs_to_stdout(path):
    result = invoke("export", "3", "1", "--store", str(path))  # csv to standard output by default
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["run_id", "step", "loss"]
    assert {row[0] for row in rows[1:]} == {"3", "1"}
    assert rows[1][0] == "3"  # in the order asked for


def test_json_export_has_runs_with_their_curves_and_is_strict_json(path, tmp_path):
    out = tmp_path / "runs.json"
    result = invoke("export", "--store", str(path), "--format", "json", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    document = json.loads(text)
    assert document["format"] == "xortui-runs"
    curves = stored_curves(path)
    assert [r["id"] for r in document["runs"]] == sorted(curves)
    for run in document["runs"]:
        expected = curves[run["id"]]
        assert run["curve"]["step"] == [s for s, _ in expected]
        assert all((a is None and math.isnan(b)) or a == b for a, b in zip(run["curve"]["loss"], [l for _, l in expected]))
        assert run["config"]["lr"] == 1.0 and run["versions"]["xortui"] == store_module.__version__
        assert run["reproduce"].startswith("xortui run --layers")
        assert run["started"] and run["final"]["predictions"] == [0, 1, 1, 0]


def test_export_to_a_folder_that_does_not_exist_is_one_line(path, tmp_path):
    result = invoke("export", "--store", str(path), "--out", str(tmp_path / "no" / "such" / "x.csv"))
    assert_one_line_error(result, 1, "cannot write")


# ---------------------------------------------------------------------------------------------- rm


def test_rm_deletes_runs_and_their_curves(path):
    result = invoke("rm", "2", "--store", str(path))
    assert result.exit_code == 0 and result.stdout.strip() == "Deleted run 2."
    assert sorted(stored_curves(path)) == [1, 3]


def test_rm_with_one_unknown_id_deletes_nothing(path):
    assert_one_line_error(invoke("rm", "1", "42", "--store", str(path)), 2, "no run with id 42")
    assert sorted(stored_curves(path)) == [1, 2, 3]


# ---------------------------------------------------------------------------------------------- bad stores


def test_a_file_that_is_not_a_store_is_one_line_and_untouched(tmp_path):
    bad = tmp_path / "runs.db"
    bad.write_text("these are not the runs you are looking for\n" * 100)
    before = hashlib.sha256(bad.read_bytes()).hexdigest()
    for command in (["list"], ["show", "1"], ["export"], ["rm", "1"]):
        assert_one_line_error(invoke(*command, "--store", str(bad)), 1, str(bad), "not an SQLite database")
    assert hashlib.sha256(bad.read_bytes()).hexdigest() == before


def test_a_read_only_store_lists_but_cannot_delete(path, monkeypatch):
    real_access = os.access
    # as a user without write permission sees it (the tests may run as root, which writes through permissions)
    monkeypatch.setattr(store_module.os, "access",
                        lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    assert invoke("list", "--store", str(path)).exit_code == 0
    assert_one_line_error(invoke("rm", "1", "--store", str(path)), 1, "read-only")
    monkeypatch.undo()
    assert sorted(stored_curves(path)) == [1, 2, 3]


# ---------------------------------------------------------------------------------------------- reproduce


def test_the_reproduce_command_gives_the_same_curve(tmp_path):
    """Record a headless run as `xortui run` makes it, then run the command `runs show` gives: same losses."""
    cli = pytest.importorskip("xortui.cli").cli
    first = CliRunner().invoke(cli, ["run", "--json", "--steps", "301", "--log-every", "50", "--lr", "0.7",
                                     "--layers", "2,3,1", "--activation", "tanh", "--seed", "5", "--device", "cpu"])
    assert first.exit_code == 0, first.output
    record = json.loads(first.stdout)
    db = tmp_path / "runs.db"
    with open_store(db) as opened:
        run_id = opened.begin_run(record["config"], device=record["device"])
        opened.append_points(run_id, [(int(s), loss) for s, loss in record["losses"].items()])
        opened.finish_run(run_id, record["state"], record["final"])
    command = json.loads(invoke("show", str(run_id), "--store", str(db), "--json").stdout)["reproduce"]
    words = shlex.split(command)
    assert words[:2] == ["xortui", "run"] and "--head" in words  # every config key is an option of `run`
    again = CliRunner().invoke(cli, [*words[1:], "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["losses"] == record["losses"]
    assert stored_curves(db)[run_id] == [(int(s), loss) for s, loss in record["losses"].items()]


def test_list_refuses_an_unknown_sort_column(tmp_path):
    from xortui.cli import cli

    result = CliRunner().invoke(cli, ["runs", "list", "--sort", "bogus", "--store", str(tmp_path / "runs.db")])
    assert result.exit_code == 2
    assert result.output.startswith("Error: Invalid value for '--sort': 'bogus' is not one of: id, started")


def test_a_store_in_a_folder_that_does_not_exist_is_refused_not_created(tmp_path):
    from xortui.store import StoreError, open_store

    with pytest.raises(StoreError, match="its folder .* does not exist"):
        open_store(tmp_path / "typo" / "runs.db")
    assert not (tmp_path / "typo").exists()
