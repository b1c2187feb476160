"""`xortui sweep`: the grid, the documented columns, and refusal of a sweep that would not fit."""

import csv
import json

from click.testing import CliRunner

from xortui.cli import cli
from xortui.engine.sweep import COLUMNS


def test_sweep_table_and_csv_have_the_documented_columns(tmp_path):
    out = tmp_path / "sweep.csv"
    result = CliRunner().invoke(cli, ["sweep", "--seeds", "8", "--layers", "2,2,1", "--layers", "2,4,1",
                                      "--activation", "sigmoid,relu", "--steps", "301", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open() as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == list(COLUMNS)
    assert [(r["layers"], r["activation"]) for r in table] == [
        ("2,2,1", "sigmoid"), ("2,2,1", "relu"), ("2,4,1", "sigmoid"), ("2,4,1", "relu")]
    assert all(r["seeds"] == "8" for r in table)
    assert "solved" in result.stdout.splitlines()[0]


def test_sweep_json_is_sorted_by_request():
    result = CliRunner().invoke(cli, ["sweep", "--seeds", "16", "--lr", "0.1,1", "--steps", "1001", "--json",
                                      "--sort", "solved_fraction"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert [row["lr"] for row in table] == [1.0, 0.1]  # lr 1 solves more of xor-nn's seeds in 1,000 steps
    assert table[0]["solved_fraction"] >= table[1]["solved_fraction"]


def test_a_sweep_that_does_not_fit_is_refused_in_one_line():
    result = CliRunner().invoke(cli, ["sweep", "--layers", "2,1000,1000,1", "--seeds", "1000000"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: sweep refused: 1,000,000 seeds of 2,1000,1000,1 need")
    assert result.output.count("\n") == 1


def test_bad_grid_values_name_their_option():
    result = CliRunner().invoke(cli, ["sweep", "--lr", "0.1,zero"])
    assert result.exit_code == 2
    assert result.output == "Error: Invalid value for '--lr': 'zero' is not a number\n"


def test_a_sweep_over_the_time_limit_or_writing_nowhere_is_refused_before_it_runs(tmp_path):
    result = CliRunner().invoke(cli, ["sweep", "--seeds", "1000", "--layers", "2,64,1", "--steps", "1000000000"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: sweep refused: would take about ")
    assert "over the 1.0 h limit" in result.output
    result = CliRunner().invoke(cli, ["sweep", "--seeds", "4", "--steps", "100", "--out", str(tmp_path / "no" / "a.csv")])
    assert result.exit_code == 2
    assert result.output == f"Error: Invalid value for '--out': folder {tmp_path / 'no'} does not exist\n"
    result = CliRunner().invoke(cli, ["sweep", "--activation", "sigmoid,,relu"])
    assert result.output == "Error: Invalid value for '--activation': 'sigmoid,,relu' has an empty item\n"
