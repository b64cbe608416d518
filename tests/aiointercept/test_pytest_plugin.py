"""The pytest plugin: a session server, a per-test cleared mock (pytester)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]


def test_the_fixtures_share_one_server_and_clear_between_tests(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import asyncio

        import aiohttp
        import pytest
        import requests

        from aiointercept import CallbackResult

        PORTS = []


        @pytest.mark.asyncio
        async def test_first(aiointercept_mock):
            m = aiointercept_mock
            PORTS.append(m.server_port)
            m.get(f"{m.server_url}/users", payload=[{"id": 1}])
            async with aiohttp.ClientSession() as s:
                resp = await s.get(f"{m.server_url}/users")
                assert await resp.json() == [{"id": 1}]


        @pytest.mark.asyncio
        async def test_second_starts_clean(aiointercept_mock):
            m = aiointercept_mock
            PORTS.append(m.server_port)
            assert m.requests == {} and len(m._routes) == 0
            loop = asyncio.get_running_loop()

            async def callback(url, **kwargs):
                assert asyncio.get_running_loop() is loop
                return CallbackResult(body="on the test's loop")

            m.get(f"{m.server_url}/cb", callback=callback)
            async with aiohttp.ClientSession() as s:
                resp = await s.get(f"{m.server_url}/cb")
                assert await resp.text() == "on the test's loop"


        def test_a_sync_test_can_use_the_session_server(aiointercept_server):
            m = aiointercept_server
            PORTS.append(m.server_port)
            m.get(f"{m.server_url}/sync", body="sync")
            assert requests.get(f"{m.server_url}/sync", timeout=5).text == "sync"
            m.clear()


        def test_one_port():
            assert len(set(PORTS)) == 1
        """
    )
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_loading_the_plugin_imports_no_aiohttp() -> None:
    script = (
        "import sys\n"
        "import interposition._aiointercept_fixtures as plugin\n"
        "assert plugin.__all__ == ['aiointercept_mock', 'aiointercept_server']\n"
        "assert 'aiohttp' not in sys.modules and 'aiointercept' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_no_fixtures_without_pytest_asyncio() -> None:
    # As if pytest-asyncio were not installed.
    script = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: (None if name == "
        "'pytest_asyncio' else real(name, *a))\n"
        "import interposition._aiointercept_fixtures as plugin\n"
        "assert plugin.__all__ == [], plugin.__all__\n"
        "assert not hasattr(plugin, 'aiointercept_mock')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
