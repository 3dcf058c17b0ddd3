"""Running a coroutine function from a test without tripping over an event loop that is already running."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio


def run_async(function: Any, *args: Any) -> Any:
    """Run a coroutine function to its end in a thread of its own: a browser test earlier in the same worker
    keeps an event loop running in the main thread (Playwright's sync API), where ``anyio.run`` would refuse."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, function, *args).result()
