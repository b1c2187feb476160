"""What the pilot tests share."""

import time


async def wait_until(pilot, condition, timeout=60.0):
    """Let the app run until `condition()` holds; fail after `timeout` seconds (a bound, not a speed check)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)
