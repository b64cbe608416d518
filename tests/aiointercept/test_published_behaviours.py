"""The published aiointercept's behaviours (0.1.2 and 1.0.0), each tested live."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import threading
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any
from unittest import mock

import aiohttp
import pytest
import requests
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from aiointercept import AiointerceptRequest, CallbackResult, aiointercept

# --- the server on its own thread ------------------------------------------


@pytest.mark.asyncio
async def test_a_synchronous_client_calls_server_url_from_an_async_test() -> None:
    # The test's loop blocks inside requests.get: the mock still answers.
    async with aiointercept() as m:
        m.get(f"{m.server_url}/users", payload=[{"id": 1}], repeat=True)
        m.post(
            f"{m.server_url}/echo",
            callback=lambda url, **kw: CallbackResult(
                payload={"thread": threading.current_thread().name}
            ),
        )
        assert requests.get(f"{m.server_url}/users", timeout=5).json() == [{"id": 1}]
        answer = requests.post(f"{m.server_url}/echo", timeout=5).json()
    # sync callbacks run on the server thread
    assert answer == {"thread": "aiointercept-server"}
    assert m.call_count == 2


@pytest.mark.asyncio
async def test_async_callbacks_run_on_the_tests_loop(
    session: aiohttp.ClientSession,
) -> None:
    loop = asyncio.get_running_loop()
    seen: list[asyncio.AbstractEventLoop] = []
    gate = asyncio.Event()  # bound to the test's loop

    async def callback(url: URL, **kwargs: Any) -> CallbackResult:
        seen.append(asyncio.get_running_loop())
        await gate.wait()
        return CallbackResult(body="after the gate")

    async with aiointercept() as m:
        m.get(f"{m.server_url}/gated", callback=callback)
        pending = asyncio.ensure_future(session.get(f"{m.server_url}/gated"))
        await asyncio.sleep(0.05)
        assert not pending.done()
        gate.set()
        assert await (await pending).text() == "after the gate"
    assert seen == [loop]


@pytest.mark.asyncio
async def test_an_async_body_is_pulled_on_the_tests_loop(
    session: aiohttp.ClientSession,
) -> None:
    queue: asyncio.Queue[bytes | None] = asyncio.Queue()

    async def stream() -> AsyncIterator[bytes]:
        while (item := await queue.get()) is not None:
            yield item

    async with aiointercept() as m:
        m.get(f"{m.server_url}/s", body=stream())
        for item in (b"a", b"b", None):
            queue.put_nowait(item)
        resp = await session.get(f"{m.server_url}/s")
        assert resp.headers["Transfer-Encoding"] == "chunked"
        assert await resp.read() == b"ab"


def test_enter_and_exit_from_several_loops_share_one_server_thread() -> None:
    async def once() -> str:
        async with aiointercept() as m:
            m.get(f"{m.server_url}/x", body="x")
            async with aiohttp.ClientSession() as s:
                return await (await s.get(f"{m.server_url}/x")).text()

    before = {t.name for t in threading.enumerate()}
    assert [asyncio.run(once()) for _ in range(3)] == ["x", "x", "x"]
    after = [t.name for t in threading.enumerate()]
    assert after.count("aiointercept-server") == 1 or ("aiointercept-server" in before)


# --- the request log -------------------------------------------------------


@pytest.mark.asyncio
async def test_ordered_requests_call_counts_and_last_request(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        a = m.get(f"{m.server_url}/a", repeat=True)
        b = m.post(f"{m.server_url}/b")
        await session.get(f"{m.server_url}/a")
        await session.post(f"{m.server_url}/b", json={"n": 1})
        await session.get(f"{m.server_url}/a")
    # readable after stop()
    keys = [key for key, _ in m.ordered_requests]
    assert keys == [
        ("GET", URL(f"{m.server_url}/a")),
        ("POST", URL(f"{m.server_url}/b")),
        ("GET", URL(f"{m.server_url}/a")),
    ]
    assert (m.call_count, a.call_count, b.call_count) == (3, 2, 1)
    assert m.last_request is m.ordered_requests[-1][1]
    assert m.ordered_requests[1][1].kwargs["json"] == {"n": 1}
    async with m:  # start() clears the log of the previous run
        assert m.ordered_requests == []
        assert m.requests == {}
        assert m.last_request is None


@pytest.mark.asyncio
async def test_callbacks_receive_a_real_web_request(
    session: aiohttp.ClientSession,
) -> None:
    got: list[Any] = []

    async def callback(url: URL, request: web.Request, **kwargs: Any) -> None:
        got.append(request)
        got.append(request.rel_url.query["q"])

    async with aiointercept() as m:
        m.get(f"{m.server_url}/r?q=1", callback=callback, body="ok")
        await session.get(f"{m.server_url}/r", params={"q": "1"})
    request = got[0]
    assert isinstance(request, web.Request)
    assert isinstance(request, AiointerceptRequest)
    assert request is m.last_request
    assert (request.method, request.url, got[1]) == (
        "GET",
        URL(f"{m.server_url}/r?q=1"),
        "1",
    )


# --- registration (0.1.2) --------------------------------------------------


@pytest.mark.asyncio
async def test_shortcuts_call_add_with_the_method_by_keyword() -> None:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    class Recording(aiointercept):
        def add(self, *args: Any, **kwargs: Any) -> Any:
            calls.append((args, kwargs))
            return super().add(*args, **kwargs)

    async with Recording() as m:
        for verb in ("get", "post", "put", "patch", "delete", "head", "options"):
            getattr(m, verb)(f"{m.server_url}/v", status=204)
    assert [kwargs["method"] for _, kwargs in calls] == [
        "GET",
        "POST",
        "PUT",
        "PATCH",
        "DELETE",
        "HEAD",
        "OPTIONS",
    ]
    assert all(args == (f"{m.server_url}/v",) for args, _ in calls)


@pytest.mark.asyncio
async def test_payload_and_json_win_over_body(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/p", body={"ignored": 1}, payload={"p": 1})
        m.get(f"{m.server_url}/j", body=b"ignored", json=[1])
        assert await (await session.get(f"{m.server_url}/p")).json() == {"p": 1}
        assert await (await session.get(f"{m.server_url}/j")).json() == [1]


@pytest.mark.asyncio
async def test_repeat_below_one_and_urls_without_a_host_are_refused() -> None:
    async with aiointercept() as m:
        with pytest.raises(ValueError, match="repeat must be at least 1"):
            m.get(f"{m.server_url}/x", repeat=-1)
        with pytest.raises(ValueError, match="Cannot extract host from '/relative'"):
            m.get("/relative")
        with pytest.raises(ValueError, match="Cannot extract host"):
            m.get("file:///etc/hosts")


@pytest.mark.asyncio
async def test_an_exception_instance_logs_that_it_closes_the_connection(
    caplog: pytest.LogCaptureFixture, session: aiohttp.ClientSession
) -> None:
    caplog.set_level(logging.WARNING, logger="aiointercept.core")
    async with aiointercept() as m:
        m.get(f"{m.server_url}/e", exception=TimeoutError("boom"))
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/e")
        m.get(f"{m.server_url}/quiet", exception=True)
    (record,) = [r for r in caplog.records if "exception=" in r.getMessage()]
    assert record.name == "aiointercept.core"
    assert "TimeoutError('boom')" in record.getMessage()
    assert "close" in record.getMessage()


def test_a_passthrough_entry_that_is_no_url_is_kept_as_a_raw_host() -> None:
    m = aiointercept(mock_external_urls=True, passthrough=["http://[bad", "odd host"])
    assert m.bypasses("http://[bad", 80)
    assert m.bypasses("odd host", 443)
    assert not m.bypasses("example.com", 80)


def test_unknown_constructor_keywords_warn_and_are_ignored() -> None:
    with pytest.warns(DeprecationWarning, match=r"'filter_header'.*filter_headers"):
        m = aiointercept(filter_header=["x"])  # type: ignore[call-arg]
    assert m.cassette is None


@pytest.mark.asyncio
async def test_unknown_assertion_keywords_warn_and_are_ignored(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/a")
        await session.get(f"{m.server_url}/a")
        with pytest.warns(DeprecationWarning, match="'allow_redirects'"):
            m.assert_called_with(f"{m.server_url}/a", allow_redirects=True)
        with pytest.warns(DeprecationWarning, match="assert_called_once_with.*'ssl'"):
            m.assert_called_once_with(f"{m.server_url}/a", ssl=False)


# --- assertions (1.0.0) ----------------------------------------------------


@pytest.mark.asyncio
async def test_assertion_summaries_with_diff_notes_and_any(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/orders"
        m.post(url, repeat=True)
        await session.post(url, json={"item": "book", "qty": 2}, headers={"X-Id": "7"})
        m.assert_called_with(url, "POST", json={"item": "book", "qty": mock.ANY})
        m.assert_called_with(url, "POST", headers={"X-Id": mock.ANY})
        m.assert_called_with(url, "POST", json=mock.ANY, data=mock.ANY)
        with pytest.raises(AssertionError) as caught:
            m.assert_called_with(url, "POST", json={"item": "pen", "qty": 2})
        assert str(caught.value) == (
            "JSON body mismatch: expected {'item': 'pen', 'qty': 2}, "
            "got {'item': 'book', 'qty': 2}"
        )
        (diff,) = caught.value.__notes__
        assert "- {'item': 'pen', 'qty': 2}" in diff
        assert "+ {'item': 'book', 'qty': 2}" in diff
        await session.post(url, data=b"plain")
        with pytest.raises(AssertionError, match=r"^Expected JSON body, got non-JSON"):
            m.assert_called_with(url, "POST", json={"a": 1})
        await session.post(url, data={"user": "alice", "n": "3"})
        m.assert_called_with(url, "POST", data={"user": "alice", "n": mock.ANY})
        with pytest.raises(AssertionError, match=r"^No calls to GET") as missing:
            m.assert_called_with(f"{m.server_url}/order")
        notes = "\n".join(missing.value.__notes__)
        assert f"Did you mean one of:\n  - POST {url}" in notes
        assert "Requests made (3):" in notes


# --- misses (1.0.0 diagnostics, and the reason reaching the test) ----------


@pytest.mark.asyncio
async def test_a_miss_logs_on_aiointercept_core_and_notes_the_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="aiointercept")
    m = aiointercept()

    async def scenario() -> None:
        async with m, aiohttp.ClientSession() as s:
            m.get(f"{m.server_url}/users/1")
            await s.get(f"{m.server_url}/user/1")

    with pytest.raises(aiohttp.ClientConnectionError) as caught:
        await scenario()
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert f"no registered response for GET {m.server_url}/user/1" in notes
    assert f"closest registered: GET {m.server_url}/users/1" in notes
    assert any(r.name == "aiointercept.core" for r in caplog.records)


@pytest.mark.asyncio
async def test_a_miss_lists_the_patterns_when_only_patterns_are_registered(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(re.compile(r".*/items/\d+$"))
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/items/x")
    assert "registered patterns: GET re.compile" in m.misses[0].message


# --- hosts and bodies ------------------------------------------------------


@pytest.mark.asyncio
async def test_request_bodies_over_one_mebibyte_are_accepted(
    session: aiohttp.ClientSession,
) -> None:
    body = b"x" * (3 << 20)
    async with aiointercept() as m:
        m.post(f"{m.server_url}/upload", status=201)
        resp = await session.post(f"{m.server_url}/upload", data=io.BytesIO(body))
        assert resp.status == 201
    assert m.last_request is not None
    assert m.last_request.captured_body == body


class _Resolver(AbstractResolver):
    """A custom resolver that knows no host: it must never be asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: Any = 0
    ) -> list[ResolveResult]:
        self.asked.append(host)
        raise OSError(f"unknown host {host}")

    async def close(self) -> None:
        return None


@pytest.mark.asyncio
async def test_a_custom_resolver_is_intercepted_too() -> None:
    resolver = _Resolver()
    async with aiointercept(mock_external_urls=True) as m:
        m.get("https://api.example.com./v1/x", body="mocked")
        connector = aiohttp.TCPConnector(resolver=resolver)
        async with aiohttp.ClientSession(connector=connector) as s:
            assert (
                await (await s.get("https://api.example.com/v1/x")).text() == "mocked"
            )
    assert resolver.asked == []


def test_sync_callbacks_do_not_need_the_tests_loop() -> None:
    # A blocked caller loop (time.sleep inside the test) does not stop the mock.
    async def scenario() -> int:
        async with aiointercept() as m:
            m.get(f"{m.server_url}/t", body="ok", repeat=True)
            started = time.monotonic()
            status = requests.get(f"{m.server_url}/t", timeout=5).status_code
            assert time.monotonic() - started < 5
            return status

    with warnings.catch_warnings():
        assert asyncio.run(scenario()) == 200
