"""add(), the verb shortcuts, matching, repeat and queues, misses."""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
import pytest
from yarl import URL

from aiointercept import aiointercept


@pytest.mark.asyncio
async def test_str_url_and_pattern_urls(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/str", body="s")
        m.get(URL(f"{m.server_url}/yarl"), body="y")
        m.get(re.compile(rf"^{re.escape(m.server_url)}/re/\d+$"), body="r")
        for path, expected in (("/str", b"s"), ("/yarl", b"y"), ("/re/7", b"r")):
            resp = await session.get(f"{m.server_url}{path}")
            assert await resp.read() == expected


@pytest.mark.asyncio
async def test_method_is_case_insensitive(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.add(f"{m.server_url}/x", method="post", status=204)
        assert (await session.post(f"{m.server_url}/x")).status == 204


@pytest.mark.asyncio
async def test_body_json_payload_headers_content_type_reason(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        base = m.server_url
        m.get(f"{base}/text", body="héllo", content_type="text/plain")
        m.get(f"{base}/bytes", body=b"\x00\x01", headers={"X-A": "1"})
        m.get(f"{base}/json", body=b"ignored", json={"a": 1})
        m.get(f"{base}/payload", payload=[1, 2])
        m.get(f"{base}/header-ct", headers={"Content-Type": "text/csv"})
        m.get(
            f"{base}/override",
            headers={"Content-Type": "text/csv"},
            content_type="text/html",
        )
        m.get(f"{base}/reason", status=418, reason="Short and stout")

        resp = await session.get(f"{base}/text")
        assert await resp.read() == "héllo".encode()
        assert resp.headers["Content-Type"] == "text/plain"
        resp = await session.get(f"{base}/bytes")
        assert await resp.read() == b"\x00\x01"
        assert resp.headers["X-A"] == "1"
        assert resp.content_type == "application/json"
        assert await (await session.get(f"{base}/json")).json() == {"a": 1}
        assert await (await session.get(f"{base}/payload")).json() == [1, 2]
        resp = await session.get(f"{base}/header-ct")
        assert resp.headers["Content-Type"] == "text/csv"
        resp = await session.get(f"{base}/override")
        assert resp.headers["Content-Type"] == "text/html"
        resp = await session.get(f"{base}/reason")
        assert (resp.status, resp.reason) == (418, "Short and stout")


@pytest.mark.asyncio
async def test_head_has_headers_and_no_body(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.head(f"{m.server_url}/h", body=b"12345", headers={"X-H": "1"})
        resp = await session.head(f"{m.server_url}/h")
        assert resp.headers["X-H"] == "1"
        assert resp.headers["Content-Length"] == "5"
        assert await resp.read() == b""


@pytest.mark.asyncio
async def test_query_is_normalized_for_matching(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/q?b=2&a=1#ignored", body="q")
        resp = await session.get(f"{m.server_url}/q", params={"a": "1", "b": "2"})
        assert await resp.read() == b"q"
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/q?a=1")


@pytest.mark.asyncio
async def test_more_responses_after_repeat_true_are_refused(
    session: aiohttp.ClientSession,
) -> None:
    # As the published aiointercept 0.1.2: such a response could never answer.
    async with aiointercept() as m:
        url = f"{m.server_url}/r"
        m.get(url, repeat=True, body="first")
        with pytest.raises(ValueError, match="already has a repeat=True response"):
            m.get(url, body="never")
        m.post(url, body="another method is another route")
        pattern = re.compile(r".*/items/\d+$")
        m.get(pattern, repeat=True, body="p")
        with pytest.raises(ValueError, match="repeat=True"):
            m.get(re.compile(r".*/items/\d+$"), body="never")
        for _ in range(3):
            assert await (await session.get(url)).read() == b"first"


@pytest.mark.asyncio
async def test_queue_follows_registration_order_across_patterns(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/mixed"
        m.get(re.compile(r".*/mixed$"), body="pattern-1")
        m.get(url, body="exact-2")
        m.get(re.compile(r".*/mixed$"), body="pattern-3")
        bodies = [await (await session.get(url)).read() for _ in range(3)]
        assert bodies == [b"pattern-1", b"exact-2", b"pattern-3"]


@pytest.mark.asyncio
async def test_add_returns_a_counting_handle(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        handle = m.get(f"{m.server_url}/c", repeat=2)
        assert handle.call_count == 0
        await session.get(f"{m.server_url}/c")
        await session.get(f"{m.server_url}/c")
        assert handle.call_count == 2
        assert handle.remaining == 0


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.asyncio
async def test_exception_closes_connection_once_then_queue_continues(
    session: aiohttp.ClientSession, method: str
) -> None:
    # aiohttp resends an idempotent request once when the connection drops;
    # that resend must not consume the next queued response.
    async with aiointercept() as m:
        url = f"{m.server_url}/boom"
        m.add(url, method, exception=True)
        m.add(url, method, body="after")
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.request(method, url)
        resp = await session.request(method, url)
        assert await resp.read() == b"after"
        assert len(m.requests[(method, URL(url))]) == 2


@pytest.mark.asyncio
async def test_exception_accepts_an_exception_instance(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/e", exception=ValueError("boom"))
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/e")


@pytest.mark.asyncio
async def test_miss_names_the_closest_registration(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/far/away")
        m.post(f"{m.server_url}/users/1", status=201)
        with (
            caplog.at_level(logging.WARNING, logger="aiointercept"),
            pytest.raises(aiohttp.ClientConnectionError),
        ):
            await session.get(f"{m.server_url}/users/1")
    assert len(m.misses) == 1
    miss = m.misses[0]
    assert miss.closest is not None
    assert miss.closest.route.method == "POST"
    assert "method: registered POST, requested GET" in miss.message
    assert miss.message in caplog.text
    # recorded once, although aiohttp sent it twice
    assert len(m.requests[("GET", URL(f"{m.server_url}/users/1"))]) == 1


@pytest.mark.asyncio
async def test_miss_on_exhausted_route_says_used_up(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/once")
        await session.get(f"{m.server_url}/once")
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/once")
    assert "was used up (a finite repeat: it served 1 time(s))" in m.misses[0].message


@pytest.mark.asyncio
async def test_miss_with_nothing_registered(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/nothing?x=1")
    assert m.misses[0].closest is None
    assert "nothing is registered" in m.misses[0].message


@pytest.mark.asyncio
async def test_miss_reports_query_difference(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/search?q=cats")
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/search?q=dogs")
    assert "query: registered 'q=cats', requested 'q=dogs'" in m.misses[0].message


def test_invalid_arguments() -> None:
    m = aiointercept()
    with pytest.raises(ValueError, match="repeat"):
        m.get("http://h/x", repeat=-1)
    with pytest.raises(TypeError, match="url"):
        m.get(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="absolute"):
        m.get("/relative")
    with pytest.raises(ValueError, match="truncate_at"):
        m.get("http://h/x", truncate_at=-1)
    with pytest.raises(ValueError, match="mock_external_urls"):
        aiointercept(passthrough=["h"])
    with pytest.raises(ValueError, match="mock_external_urls"):
        aiointercept(passthrough_unmatched=True)
    with pytest.raises(TypeError, match="list"):
        aiointercept(mock_external_urls=True, passthrough="h")


@pytest.mark.asyncio
async def test_lifecycle_errors_and_attributes() -> None:
    m = aiointercept()
    with pytest.raises(RuntimeError, match="not been started"):
        _ = m.server_url
    async with m:
        m.get(f"{m.server_url}/r")
        assert (
            repr(m) == f"<aiointercept server_url on port {m.server_port}: 1 route(s)>"
        )
        assert m.server_host == "127.0.0.1"
        assert m.server_url == f"http://127.0.0.1:{m.server_port}"
        with pytest.raises(RuntimeError, match="already running"):
            await m.start()
    assert not m.started
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://127.0.0.1:{m._port}/")


@pytest.mark.asyncio
async def test_routes_registered_before_entering_are_kept() -> None:
    m = aiointercept(mock_external_urls=True)
    m.get("http://api.example.com/early", body="early")
    async with m, aiohttp.ClientSession() as session:
        resp = await session.get("http://api.example.com/early")
        assert await resp.read() == b"early"


@pytest.mark.asyncio
async def test_default_port_and_trailing_dot_are_normalized(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("https://api.example.com:443/p", repeat=True, body="ok")
        for url in ("https://api.example.com/p", "https://api.example.com./p"):
            assert await (await session.get(url)).read() == b"ok"
    assert list(m.requests) == [("GET", URL("https://api.example.com/p"))]


@pytest.mark.asyncio
async def test_a_caller_loop_without_add_reader_still_gets_tls_sniffing(
    monkeypatch: pytest.MonkeyPatch, session: aiohttp.ClientSession
) -> None:
    # The proactor loop of Windows has no add_reader; the mock does not need
    # the caller's loop to have one: it serves on its own selector loop.
    def unsupported(*args: object) -> None:
        raise NotImplementedError

    monkeypatch.setattr(asyncio.get_running_loop(), "add_reader", unsupported)
    async with aiointercept() as m:
        assert m._listener is not None
        assert m._listener.sniffs_tls
        m.get(f"{m.server_url}/p", body="plain")
        assert await (await session.get(f"{m.server_url}/p")).text() == "plain"
    with pytest.raises(aiohttp.ClientConnectionError):
        await session.get(f"{m.server_url}/p")
