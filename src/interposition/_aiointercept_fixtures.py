"""pytest fixtures: one aiointercept server per session, cleared per test.

Registered through the ``pytest11`` entry point, and only when pytest-asyncio
and aiohttp are installed (the per-test fixture is an async one). This module
lives outside the ``aiointercept`` package so that loading the plugin imports
neither aiohttp nor aiointercept: every pytest run of an environment with
interposition loads it. ``aiointercept.pytest_plugin`` re-exports it.

- ``aiointercept_server`` (session scope): a running ``aiointercept()``
  (``server_url`` mode). It is started without an event loop: its server runs
  on the mock servers' own thread (ADR 0107), so it suits every pytest-asyncio
  loop scope.
- ``aiointercept_mock`` (function scope): the same mock, its async callbacks
  sent to the running test's loop, and ``clear()``-ed after the test.

aiointercept (and so aiohttp) is imported when a fixture is first used.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from aiointercept import aiointercept

__all__: list[str] = []

if all(importlib.util.find_spec(name) for name in ("pytest_asyncio", "aiohttp")):
    import pytest_asyncio

    @pytest.fixture(scope="session")
    def aiointercept_server() -> Iterator[aiointercept]:
        """One running ``aiointercept()`` for the whole session."""
        from aiointercept import aiointercept  # noqa: PLC0415 - on first use

        mock = aiointercept()
        mock._start(None)
        try:
            yield mock
        finally:
            mock._close_now()

    @pytest_asyncio.fixture
    async def aiointercept_mock(
        aiointercept_server: aiointercept,
    ) -> AsyncIterator[aiointercept]:
        """The session's mock, cleared after each test."""
        import asyncio  # noqa: PLC0415

        aiointercept_server._caller_loop = asyncio.get_running_loop()
        try:
            yield aiointercept_server
        finally:
            aiointercept_server._caller_loop = None
            aiointercept_server.clear()

    __all__ += ["aiointercept_mock", "aiointercept_server"]
