"""Waiting on an event with a timeout, without ``asyncio.wait_for``.

Python 3.11's ``wait_for`` returns normally when the awaited thing completes in the same loop
turn as a cancellation of the waiting task: the cancellation is lost, and a task told to stop
goes on (a Ctrl-C during a WebSocket connect left ``letrade stream`` running). ``asyncio.timeout``
has no such race; use it, through this helper or directly.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; True when it was set."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    return True
