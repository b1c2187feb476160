"""The loss plot never raises: NaN, inf, flat, single-point, zero-on-log, huge values and no data at all."""

import asyncio

import pytest
from textual.app import App

from xortui.app.widgets import LossPlot

NAN, INF = float("nan"), float("inf")

CASES = {
    "nan": ([(0, NAN), (1, 0.5), (2, NAN), (3, 0.4)], "2 non-finite points hidden"),
    "inf": ([(0, INF), (1, 0.5), (2, -INF)], "2 non-finite points hidden"),
    "huge": ([(0, 1e308), (1, 0.5)], "1 non-finite point hidden"),
    "flat": ([(i, 0.693) for i in range(20)], ""),
    "single point": ([(5, 0.3)], ""),
    "zeros": ([(0, 0.0), (1, 0.0), (2, 0.5)], ""),
    "all nan": ([(0, NAN), (1, NAN), (2, NAN)], "3 non-finite points hidden"),
    "no data": ([], ""),
}


class PlotApp(App):
    def compose(self):
        yield LossPlot()


@pytest.mark.parametrize("log_y", [False, True], ids=["linear", "log"])
@pytest.mark.parametrize("name", list(CASES))
def test_plot_shows_what_is_finite_and_never_raises(name, log_y):
    points, note = CASES[name]

    async def scenario():
        app = PlotApp()
        async with app.run_test(size=(60, 16)) as pilot:
            plot = app.query_one(LossPlot)
            if log_y:
                plot.toggle_log_y()
            plot.add_points(tuple(points))
            await pilot.pause()
            for _ in range(3):  # render again and again: plotext's log scale used to apply itself twice
                text = str(plot.render())
                assert "unavailable" not in text
            await pilot.resize_terminal(30, 8)
            await pilot.pause()
            assert "unavailable" not in str(plot.render())
            subtitle = plot.border_subtitle or ""
            if note:
                assert note in subtitle
            if log_y and name == "zeros":
                assert "2 at or below 0 drawn at 1e-12" in subtitle
            if name in ("no data",):
                assert "no data yet" in str(plot.render())
            if name == "all nan":
                assert "3 non-finite points hidden" in str(plot.render())
            assert len(plot.curve) == sum(1 for _, y in points if abs(y) < 1e30)

    asyncio.run(scenario())


def test_plot_survives_a_plotext_failure(monkeypatch):
    async def scenario():
        app = PlotApp()
        async with app.run_test(size=(60, 16)) as pilot:
            plot = app.query_one(LossPlot)
            plot.add_points(((0, 0.5), (1, 0.4)))

            def broken(self):
                raise ValueError("math domain error")

            monkeypatch.setattr(LossPlot, "_draw", broken)
            await pilot.pause()
            assert str(plot.render()) == "loss plot unavailable: ValueError: math domain error"
            assert app.is_running

    asyncio.run(scenario())


def test_plot_redraws_less_often_when_its_renders_cost_more():
    plot = LossPlot()
    assert plot.redraw_seconds() == 0.25  # nothing rendered yet
    for render_seconds, expected in [(0.008, 0.25), (0.02, 0.4), (0.048, 0.96), (0.2, 1.0)]:
        plot._render_seconds = render_seconds
        assert plot.redraw_seconds() == pytest.approx(expected)
