"""The benchmark's table has every row (no timing is asserted: speed is the benchmark's own job)."""

import io

from xortui import bench


def test_quick_benchmark_prints_every_row():
    tiny = bench.Options(steps=101, repeats=1, sweep_seeds=4, sweep_steps=101, lecture_loops=1)
    out = io.StringIO()
    rows = bench.run(tiny, out=out)
    text = out.getvalue()
    for name in bench.LECTURE_PRESETS:
        assert f"single run {name}" in text
    assert "sweep: 4 seeds of xor-nn" in text and "4 x the best of 1 timed" in text
    assert "time to first frame" in text and "dashboard live vs headless" in text
    assert "torch " in text and "logical cores" in text
    single = [r for r in rows if r.measurement.startswith("single run")]
    assert all(r.ratio is not None and r.ratio > 0 for r in single)
    assert all("max rel. loss diff" in r.note for r in single)
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(rows)  # header, rule, one line per row


def test_quick_flag_parses(monkeypatch):
    seen = []
    monkeypatch.setattr(bench, "run", lambda opts: seen.append(opts))
    assert bench.main(["--quick"]) == 0
    assert seen == [bench.QUICK]
