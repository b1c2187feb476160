"""The run store: round trips, migrations, durability, two writers, and every kind of bad store file."""

from __future__ import annotations

import hashlib
import math
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from xortui import store as store_module
from xortui.store import (
    SCHEMA_VERSION,
    RunRecorder,
    StoreError,
    UnknownRunError,
    open_store,
    open_store_for_reading,
    reproduce_command,
    try_open_store,
)

ROOT = Path(__file__).resolve().parent.parent

CONFIG = {
    "task": "xor", "layers": [2, 2, 1], "activation": "sigmoid", "head": "sigmoid", "optimizer": "sgd",
    "lr": 1.0, "steps": 10001, "seed": 777, "device": "auto", "log_every": 100,
}
FINAL = {
    "loss": 0.0123, "outputs": [0.01, 0.98, 0.97, 0.02], "predictions": [0, 1, 1, 0], "targets": [0, 1, 1, 0],
    "accuracy": 1.0, "verdict": "learned XOR",
}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def one_line(error: BaseException) -> str:
    message = str(error)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def add_run(store, config=CONFIG, points=((0, 0.7), (100, 0.5), (200, 0.25)), state="finished", final=FINAL,
            **kwargs) -> int:
    run_id = store.begin_run(config, device="cpu", command="xortui run", **kwargs)
    store.append_points(run_id, points)
    store.finish_run(run_id, state, final)
    return run_id


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "runs.db") as opened:
        yield opened


# ---------------------------------------------------------------------------------------------- round trip


def test_a_run_round_trips_with_everything_it_keeps(store):
    before = time.time()
    run_id = store.begin_run(CONFIG, device="cuda:0 (NVIDIA H200)", versions={"torch": "9.9"}, command="xortui run")
    assert store.get_run(run_id).state == "running"
    store.append_points(run_id, [(0, 0.6931471805599453), (100, 0.5)])
    store.append_points(run_id, [(200, float("nan")), (300, float("inf"))])
    facts = {"dead_units": [[0, 1]], "grad_norm": [0.5, 1e-9]}
    store.finish_run(run_id, "diverged", {**FINAL, "loss": float("nan")}, facts=facts)

    run = store.get_run(run_id)
    assert run.config == CONFIG
    assert run.device == "cuda:0 (NVIDIA H200)"
    assert run.versions["torch"] == "9.9" and run.versions["xortui"] == store_module.__version__
    assert run.command == "xortui run"
    assert before <= run.started_at <= run.ended_at <= time.time()
    assert run.state == "diverged"
    assert run.final["outputs"] == FINAL["outputs"] and run.final["predictions"] == [0, 1, 1, 0]
    assert run.accuracy == 1.0 and run.verdict == "learned XOR"
    assert math.isnan(run.final["loss"])
    assert run.facts == facts
    assert (run.n_points, run.last_step) == (4, 300)
    curve = store.curve(run_id)
    assert curve[:2] == [(0, 0.6931471805599453), (100, 0.5)]  # bit for bit
    assert math.isnan(curve[2][1]) and curve[3] == (300, math.inf)


def test_default_versions_name_torch_without_importing_it(tmp_path):
    code = "import sys, xortui.store as s; v = s.default_versions(); " \
           "print(v['torch'], 'torch' in sys.modules, 'textual' in sys.modules, 'click' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    torch_version, *imported = out.split()
    assert torch_version != "None"
    assert imported == ["False", "False", "False"]


def test_store_is_in_wal_mode_with_the_current_schema(store):
    raw = sqlite3.connect(store.path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    raw.close()


def test_default_path_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("XORTUI_STORE", str(tmp_path / "env.db"))
    with open_store() as opened:
        assert opened.path == tmp_path / "env.db"
    monkeypatch.delenv("XORTUI_STORE")
    assert store_module.default_store_path().parts[-2:] == ("xortui", "runs.db")


def test_list_newest_first_filter_and_sort(store):
    a = add_run(store, dict(CONFIG, activation="relu", lr=0.5), final={**FINAL, "accuracy": 0.75})
    b = add_run(store, dict(CONFIG, lr=2.0), final={**FINAL, "accuracy": 1.0})
    c = store.begin_run(dict(CONFIG, layers=[2, 4, 1]), device="cpu")  # still running: no accuracy
    assert [r.id for r in store.list_runs()] == [c, b, a]
    assert [r.id for r in store.list_runs("relu")] == [a]
    assert [r.id for r in store.list_runs("lr=2.0 finished")] == [b]
    assert [r.id for r in store.list_runs("2,4,1")] == [c]
    assert store.list_runs("nothing-like-this") == []
    p = add_run(store, dict(CONFIG, activation="prelu"))
    leaky = add_run(store, dict(CONFIG, activation="leaky_relu"))
    assert [r.id for r in store.list_runs("relu")] == [a]  # a word begins a word: not prelu, not leaky_relu
    assert [r.id for r in store.list_runs("rel")] == [a]  # narrowing as it is typed
    assert [r.id for r in store.list_runs("prelu")] == [p] and [r.id for r in store.list_runs("leaky")] == [leaky]
    store.delete_run(p), store.delete_run(leaky)
    assert [r.id for r in store.list_runs(order_by="lr", descending=False)] == [a, c, b]
    # runs without a value sort last whichever way
    assert [r.id for r in store.list_runs(order_by="accuracy")] == [b, a, c]
    assert [r.id for r in store.list_runs(order_by="accuracy", descending=False)] == [a, b, c]
    assert [r.id for r in store.list_runs(limit=2)] == [c, b]
    assert store.get_run(c).final_loss == store.get_run(c).last_loss is None


def test_delete_removes_the_curve_and_ids_are_not_reused(store):
    first = add_run(store)
    store.delete_run(first)
    with pytest.raises(UnknownRunError, match="no run with id"):
        store.get_run(first)
    with pytest.raises(UnknownRunError):
        store.curve(first)
    with pytest.raises(UnknownRunError):
        store.delete_run(first)
    assert store._db.execute("SELECT COUNT(*) FROM points").fetchone()[0] == 0
    assert add_run(store) > first


def test_finish_refuses_an_unknown_state(store):
    run_id = store.begin_run(CONFIG, device="cpu")
    with pytest.raises(ValueError, match="finished"):
        store.finish_run(run_id, "done", {})
    with pytest.raises(UnknownRunError):
        store.finish_run(run_id + 1, "finished", {})


def test_a_sweep_groups_its_runs_with_a_summary_table(store):
    solo = add_run(store)
    sweep_id = store.begin_sweep({"vary": "width", "values": [2, 4], "base": CONFIG}, command="xortui sweep")
    members = [add_run(store, dict(CONFIG, layers=[2, w, 1]), sweep_id=sweep_id) for w in (2, 4)]
    summary = [{"width": 2, "solved": 0.8}, {"width": 4, "solved": 1.0}]
    store.finish_sweep(sweep_id, "finished", summary)
    sweep = store.get_sweep(sweep_id)
    assert sweep.run_ids == tuple(members) and sweep.summary == summary and sweep.state == "finished"
    assert [s.id for s in store.list_sweeps()] == [sweep_id]
    assert sorted(r.id for r in store.list_runs(sweep_id=sweep_id)) == members
    store.delete_sweep(sweep_id)
    assert [r.id for r in store.list_runs()] == [solo]


# ---------------------------------------------------------------------------------------------- reproduce


def test_reproduce_command_is_built_from_the_config_keys():
    expected = ("xortui run --layers 2,2,1 --activation sigmoid --lr 1.0 --steps 10001 --seed 777 --device auto "
                "--log-every 100 --task xor")
    accepted = {"preset", "layers", "depth", "width", "activation", "lr", "steps", "seed", "device", "log_every",
                "json", "task"}
    assert reproduce_command(CONFIG, accepted) == expected
    # with no list of options, every key is kept, new ones included
    full = reproduce_command({**CONFIG, "lr": 0.1 + 0.2, "momentum": 0.9})
    assert "--head sigmoid --optimizer sgd" in full and "--momentum 0.9" in full


def test_reproduce_command_reads_back_to_the_same_config():
    config = {**CONFIG, "lr": 0.1 + 0.2, "layers": [2, 10, 10, 1], "activation": "leaky_relu"}
    words = shlex.split(reproduce_command(config))
    assert words[:2] == ["xortui", "run"]
    parsed = dict(zip(words[2::2], words[3::2]))
    back = {flag[2:].replace("-", "_"): text for flag, text in parsed.items()}
    assert [int(x) for x in back["layers"].split(",")] == config["layers"]
    assert float(back["lr"]) == config["lr"]  # exact: the same lr gives the same losses
    assert int(back["seed"]) == 777 and int(back["log_every"]) == 100 and back["activation"] == "leaky_relu"


# ---------------------------------------------------------------------------------------------- migration


def make_v1_store(path: Path) -> None:
    """A store as version 1 of the schema left it: no facts, no sweeps."""
    raw = sqlite3.connect(path)
    for statement in store_module._split_sql(store_module._MIGRATIONS[1]):
        raw.execute(statement)
    raw.execute("UPDATE schema_version SET version = 1")
    raw.execute(
        "INSERT INTO runs (config, versions, device, command, started_at, ended_at, state, final)"
        " VALUES (?, ?, 'cpu', 'xortui run', 1000.0, 1010.0, 'finished', ?)",
        (store_module._dumps(CONFIG), '{"xortui": "0.0.1", "torch": "2.2.0"}', store_module._dumps(FINAL)),
    )
    raw.executemany("INSERT INTO points VALUES (1, ?, ?)", [(0, 0.7), (100, 0.4)])
    raw.commit()
    raw.close()


def test_a_version_1_store_is_migrated_and_keeps_its_runs(tmp_path):
    path = tmp_path / "old.db"
    make_v1_store(path)
    with open_store(path) as opened:
        assert opened.schema_version == SCHEMA_VERSION == 3
        run = opened.get_run(1)
        assert run.config == CONFIG and run.final == FINAL and run.versions["torch"] == "2.2.0"
        assert run.facts is None and run.sweep_id is None
        assert opened.curve(1) == [(0, 0.7), (100, 0.4)]
        # what version 2 added works on the migrated store
        opened.set_facts(1, {"dead_units": []})
        sweep_id = opened.begin_sweep({"vary": "seed"})
        new = add_run(opened, sweep_id=sweep_id)
        assert opened.get_run(1).facts == {"dead_units": []} and opened.get_sweep(sweep_id).run_ids == (new,)
        assert new == 2


def test_an_old_store_opened_read_only_says_it_needs_upgrading(tmp_path):
    path = tmp_path / "old.db"
    make_v1_store(path)
    with pytest.raises(StoreError, match="older store"):
        open_store(path, readonly=True)


# ---------------------------------------------------------------------------------------------- bad stores


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(b"my thesis notes, not a database\n" * 300)
    before = digest(path)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert "not an SQLite database" in one_line(caught.value) and str(path) in str(caught.value)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # no -wal or -shm left behind
    store, error = try_open_store(path)
    assert store is None and isinstance(error, StoreError)


def test_another_programs_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE contacts (name TEXT)")
    raw.commit()
    raw.close()
    before = digest(path)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert "not an xortui run store" in one_line(caught.value)
    assert digest(path) == before


def test_a_store_from_a_newer_xortui_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "runs.db"
    with open_store(path) as opened:
        add_run(opened)
    raw = sqlite3.connect(path)
    raw.execute("UPDATE schema_version SET version = 99")
    raw.commit()
    raw.close()
    before = digest(path)
    for readonly in (False, True):
        with pytest.raises(StoreError) as caught:
            open_store(path, readonly=readonly)
        assert "newer xortui" in one_line(caught.value) and "99" in str(caught.value)
    assert digest(path) == before


def test_a_read_only_file_is_refused_for_recording_but_can_be_listed(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    with open_store(path) as opened:
        add_run(opened)
    before = digest(path)
    if os.geteuid() == 0:
        # root writes through permission bits; have the store see what any other user would
        real_access = os.access
        monkeypatch.setattr(store_module.os, "access",
                            lambda p, mode: False if mode == os.W_OK else real_access(p, mode))
    else:
        path.chmod(0o444)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert "read-only" in one_line(caught.value)
    reader = open_store_for_reading(path)
    assert reader.readonly and len(reader.list_runs()) == 1
    reader.close()
    assert digest(path) == before
    path.chmod(0o644)


def test_writing_through_a_read_only_connection_is_one_clear_error(tmp_path):
    path = tmp_path / "runs.db"
    open_store(path).close()
    with open_store(path, readonly=True) as reader:  # what SQLite gives on a read-only mount
        with pytest.raises(StoreError) as caught:
            reader.begin_run(CONFIG, device="cpu")
    assert "read-only" in one_line(caught.value)


def fill_the_disk(opened) -> None:
    """Cap the file at its current size: SQLite then fails writes with SQLITE_FULL, as on a full disk."""
    pages = opened._db.execute("PRAGMA page_count").fetchone()[0]
    opened._db.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_is_one_clear_error_and_keeps_what_was_written(tmp_path):
    path = tmp_path / "runs.db"
    opened = open_store(path)
    run_id = opened.begin_run(CONFIG, device="cpu")
    opened.append_points(run_id, [(0, 0.7)])
    fill_the_disk(opened)
    with pytest.raises(StoreError) as caught:
        for block in range(50):
            opened.append_points(run_id, [(1 + block * 1000 + i, 0.5) for i in range(1000)])
    assert "disk is full" in one_line(caught.value)
    opened.close()
    with open_store(path) as again:
        assert again.curve(run_id) == [(0, 0.7)] and again.get_run(run_id).state == "running"


def test_the_recorder_keeps_training_going_when_the_store_fails(tmp_path):
    path = tmp_path / "runs.db"
    opened = open_store(path)
    errors = []
    recorder = RunRecorder.start(opened, CONFIG, device="cpu", flush_seconds=0.0, on_error=errors.append)
    recorder.add(0, 0.7)
    fill_the_disk(opened)
    for step in range(1, 20_000):  # training goes on; nothing raises
        recorder.add(step, 0.5)
    recorder.finish("finished", FINAL)
    assert isinstance(recorder.error, StoreError) and "disk is full" in str(recorder.error)
    assert errors == [recorder.error] and not recorder.active
    assert opened.curve(recorder.run_id)[0] == (0, 0.7)

    off = RunRecorder.start(None, CONFIG, device="cpu")  # --no-store, or a store that failed to open
    off.add(0, 0.7)
    off.finish("finished", FINAL)
    assert not off.active and off.error is None and off.run_id is None


# ---------------------------------------------------------------------------------------------- recording


def test_the_recorder_commits_a_lone_point_within_a_second(tmp_path):
    path = tmp_path / "runs.db"
    opened = open_store(path)
    recorder = RunRecorder.start(opened, CONFIG, device="cpu", flush_seconds=0.3)
    recorder.add(0, 0.7)
    recorder.add(1, 0.6)  # too soon after the start for an inline flush: buffered
    with open_store(path) as other:  # another process's view
        deadline = time.monotonic() + 1.0
        while len(other.curve(recorder.run_id)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert other.curve(recorder.run_id) == [(0, 0.7), (1, 0.6)]
    recorder.finish("stopped", FINAL)
    assert opened.get_run(recorder.run_id).state == "stopped"


KILLED_WRITER = textwrap.dedent("""
    import sys, time
    from xortui.store import open_store, RunRecorder
    recorder = RunRecorder.start(open_store(sys.argv[1]), {"task": "xor"}, device="cpu")
    print(recorder.run_id, flush=True)
    step = 0
    while True:
        recorder.add(step, 1.0 / (step + 1))
        print(step, flush=True)
        step += 1
        time.sleep(0.004)
""")


def test_a_killed_process_loses_at_most_the_last_second(tmp_path, monkeypatch):
    path = tmp_path / "runs.db"
    child = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    try:
        run_id = int(child.stdout.readline())
        seen: list[tuple[int, float]] = []  # (step, when this process saw it): the child added it before then
        start = time.monotonic()
        while time.monotonic() - start < 2.3:
            seen.append((int(child.stdout.readline()), time.monotonic()))
        killed_at = time.monotonic()
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    with open_store(path) as opened:
        curve = opened.curve(run_id)
        assert opened.get_run(run_id).state == "running"  # just killed: too soon to tell
        monkeypatch.setattr(store_module, "STALE_SECONDS", 0.5)
        time.sleep(0.6)
        assert opened.get_run(run_id).state == "interrupted"  # no sign of life since: shown as interrupted
        assert [r.state for r in opened.list_runs("interrupted")] == ["interrupted"]
    steps = [s for s, _ in curve]
    assert steps == list(range(len(steps)))  # a whole prefix: nothing lost in the middle
    assert all(loss == 1.0 / (s + 1) for s, loss in curve)
    older_than_a_second = [s for s, when in seen if when < killed_at - 1.0]
    assert older_than_a_second and max(older_than_a_second) in steps


CONCURRENT_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from xortui.store import open_store
    path, go, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    while not go.exists():
        time.sleep(0.001)
    store = open_store(path)  # both open a new store at once: it must be created once
    run_id = store.begin_run({"task": "xor", "name": name}, device="cpu")
    for step in range(300):
        store.append_points(run_id, [(step, step / 1000)])  # one commit per point: as much contention as can be
    store.finish_run(run_id, "finished", {"name": name})
    print(run_id)
""")


def test_two_processes_writing_at_once_both_succeed(tmp_path):
    path, go = tmp_path / "runs.db", tmp_path / "go"
    children = [
        subprocess.Popen([sys.executable, "-c", CONCURRENT_WRITER, str(path), str(go), name], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("dashboard", "sweep")
    ]
    time.sleep(0.3)  # let both start and wait at the line
    go.touch()
    results = [child.communicate(timeout=60) for child in children]
    assert [c.returncode for c in children] == [0, 0], [err for _, err in results]
    with open_store(path) as opened:
        runs = opened.list_runs()
        assert sorted(r.config["name"] for r in runs) == ["dashboard", "sweep"]
        for run in runs:
            assert run.state == "finished" and run.final == {"name": run.config["name"]}
            assert opened.curve(run.id) == [(s, s / 1000) for s in range(300)]


def test_a_recording_run_stays_running_without_points_and_a_closed_one_turns_interrupted(store, monkeypatch):
    monkeypatch.setattr(store_module, "ALIVE_SECONDS", 0.1)
    monkeypatch.setattr(store_module, "STALE_SECONDS", 0.5)
    recorder = RunRecorder.start(store, CONFIG, device="cpu", flush_seconds=0.05)
    time.sleep(1.0)  # no points at all (a long log interval), twice the stale time
    assert store.get_run(recorder.run_id).state == "running"
    recorder.close()  # as a process that ends without finishing its run
    time.sleep(0.6)
    assert store.get_run(recorder.run_id).state == "interrupted"


def test_a_version_2_run_left_running_reads_as_interrupted(tmp_path):
    path = tmp_path / "v2.db"
    raw = sqlite3.connect(path)
    for version in (1, 2):
        for statement in store_module._split_sql(store_module._MIGRATIONS[version]):
            raw.execute(statement)
    raw.execute("UPDATE schema_version SET version = 2")
    raw.execute("INSERT INTO runs (config, versions, device, started_at, state) VALUES (?, '{}', 'cpu', ?, 'running')",
                (store_module._dumps(CONFIG), time.time() - 3600))
    raw.commit()
    raw.close()
    with open_store(path) as opened:
        assert opened.schema_version == 3 and opened.get_run(1).state == "interrupted"
        fresh = opened.begin_run(CONFIG, device="cpu")
        assert opened.get_run(fresh).state == "running"
