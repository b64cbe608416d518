"""The mock servers' own thread and event loop (ADR 0107).

Every aiointercept server of the process is served by one daemon thread
running one selector event loop, started on first use and kept for the
process's life (started again in a forked child). A test's loop may block
(a synchronous ``requests`` or ``httpx`` call to ``m.server_url`` from an
``async def`` test) without stopping the mock; async callbacks are sent back
to the loop that started the mock (:func:`call_on`).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["call_on", "in_server_loop", "run_in_server_loop", "server_loop"]

_T = TypeVar("_T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid = 0


def _run(loop: asyncio.AbstractEventLoop, ready: threading.Event) -> None:
    asyncio.set_event_loop(loop)
    loop.call_soon(ready.set)
    loop.run_forever()


def server_loop() -> asyncio.AbstractEventLoop:
    """The loop of the server thread, started on first use."""
    global _loop, _pid
    loop = _loop
    if loop is not None and _pid == os.getpid():
        return loop
    with _lock:
        if _loop is None or _pid != os.getpid():
            # A selector loop everywhere: the listener peeks at connections
            # with add_reader, which Windows' proactor loop lacks.
            loop = asyncio.SelectorEventLoop()
            ready = threading.Event()
            thread = threading.Thread(
                target=_run, args=(loop, ready), name="aiointercept-server", daemon=True
            )
            thread.start()
            ready.wait()
            _loop, _pid = loop, os.getpid()
        return _loop


def in_server_loop() -> bool:
    """Whether the caller runs on the server thread's loop."""
    try:
        return asyncio.get_running_loop() is _loop
    except RuntimeError:
        return False


async def run_in_server_loop(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` on the server loop and wait for it from the caller's loop."""
    loop = server_loop()
    if asyncio.get_running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))


async def call_on(
    loop: asyncio.AbstractEventLoop | None, coro: Coroutine[Any, Any, _T]
) -> _T:
    """Await ``coro`` on ``loop`` (the test's), from the server loop.

    When ``loop`` is gone (closed, or no longer running: a session-scoped
    mock outliving the test that started it), ``coro`` runs here instead.
    """
    if loop is None or loop.is_closed() or not loop.is_running():
        return await coro
    if loop is asyncio.get_running_loop():
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
