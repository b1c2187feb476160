"""The dashboard's head and optimizer pickers, driven by keys: the softmax head's truth table shows both class
probabilities, and each optimizer shows its own settings."""

import asyncio

from textual.widgets import Input, Select

from xortui.app.app import XorTuiApp
from xortui.app.widgets import TruthTable
from test_app import table_rows, wait_until


def test_pick_softmax_head_and_adam_by_keys_and_train():
    async def scenario():
        app = XorTuiApp(preset="xor-nn")
        async with app.run_test(size=(100, 34)) as pilot:
            await app.engine_loaded.wait()
            app.query_one("#head", Select).focus()
            await pilot.press("enter", "down", "enter")
            await pilot.pause()
            assert app.query_one("#head", Select).value == "softmax"
            assert app.query_one("#layers", Input).value == "2,2,2"  # the output layer follows the head
            table = app.query_one(TruthTable)
            assert [str(c.label) for c in table.columns.values()] == ["x1", "x2", "target", "p0", "p1", "pred", ""]

            def shown(name):
                return app.query_one(f"#{name}").parent.display

            assert not any(shown(n) for n in ("momentum", "beta1", "beta2", "eps"))  # sgd has no settings
            app.query_one("#optimizer", Select).focus()
            await pilot.press("enter", "down", "enter")
            await pilot.pause()
            assert app.query_one("#optimizer", Select).value == "momentum"
            assert shown("momentum") and not shown("beta1")
            await pilot.press("enter", "down", "enter")
            await pilot.pause()
            assert app.query_one("#optimizer", Select).value == "adam"
            assert all(shown(n) for n in ("beta1", "beta2", "eps")) and not shown("momentum")
            assert app.query_one("#beta2", Input).value == "0.999"
            for name, text in (("lr", "0.1"), ("steps", "3001")):
                app.query_one(f"#{name}", Input).focus()
                await pilot.press("ctrl+u", *text)
            await pilot.pause()
            config = app.query_one("#panel").read_config()
            assert (config.head, config.optimizer, config.lr, config.beta1, config.eps) == ("softmax", "adam", 0.1,
                                                                                          0.9, 1e-8)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: app.state == "finished")
            await app.workers.wait_for_complete()
            await pilot.pause()
            rows = table_rows(app)
            p0 = [float(row[3]) for row in rows]
            p1 = [float(row[4]) for row in rows]
            assert [int(b > a) for a, b in zip(p0, p1)] == [0, 1, 1, 0]
            assert all(abs(a + b - 1) < 1e-5 for a, b in zip(p0, p1))
            assert [row[5] for row in rows] == ["0", "1", "1", "0"]
            assert table.border_subtitle == "accuracy 4/4 = 100% · solved"

    asyncio.run(scenario())
