"""mock_external_urls=True: real hostnames, http and https, reach the mock."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
import ssl
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from yarl import URL

from aiointercept import CallbackResult, aiointercept
from aiointercept._interception import patched_names

from .conftest import UPSTREAM_NAME, MapResolver, Upstream


def _patch_state() -> dict[str, Any]:
    return {name: aiohttp.TCPConnector.__dict__.get(name) for name in patched_names()}


def _secure(url: URL, *, request: web.BaseRequest, **kwargs: Any) -> CallbackResult:
    return CallbackResult(payload={"secure": request.secure, "host": request.host})


@pytest.mark.asyncio
async def test_http_and_https_hostnames_are_intercepted(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("http://api.example.com/x", callback=_secure)
        m.get("https://api.example.com/x", callback=_secure)
        m.get("https://other.example.org:8443/y", callback=_secure)
        plain = await (await session.get("http://api.example.com/x")).json()
        tls = await (await session.get("https://api.example.com/x")).json()
        port = await (await session.get("https://other.example.org:8443/y")).json()
    assert plain == {"secure": False, "host": "api.example.com"}
    assert tls == {"secure": True, "host": "api.example.com"}
    assert port == {"secure": True, "host": "other.example.org:8443"}
    assert set(m.requests) == {
        ("GET", URL("http://api.example.com/x")),
        ("GET", URL("https://api.example.com/x")),
        ("GET", URL("https://other.example.org:8443/y")),
    }


@pytest.mark.asyncio
async def test_https_handshake_is_real_and_verified() -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("https://secure.example.com/", chunks=[b"a", b"b"], chunk_delay=0.1)
        async with (
            aiohttp.ClientSession() as session,
            session.get("https://secure.example.com/") as resp,
        ):
            assert resp.connection is not None
            transport = resp.connection.transport
            assert transport is not None
            peer: dict[str, Any] = transport.get_extra_info("peercert")
            names = [value for kind, value in peer["subjectAltName"]]
            assert names == ["secure.example.com"]
            cipher = transport.get_extra_info("cipher")
            assert cipher is not None


@pytest.mark.asyncio
async def test_https_with_user_contexts_and_ssl_false() -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("https://a.example.com/", repeat=True, body="ok")
        own = ssl.create_default_context()
        connector = aiohttp.TCPConnector(ssl=own)
        async with aiohttp.ClientSession(connector=connector) as session:
            assert await (await session.get("https://a.example.com/")).text() == "ok"
            resp = await session.get("https://a.example.com/", ssl=False)
            assert await resp.text() == "ok"
            resp = await session.get("https://a.example.com/", ssl=own)
            assert await resp.text() == "ok"


@pytest.mark.asyncio
async def test_bare_ip_addresses_are_intercepted(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("http://203.0.113.7/ip", body="v4")
        m.get("https://198.51.100.9/ip", body="v4 tls")
        m.get("http://[2001:db8::1]:8080/ip", body="v6")
        assert await (await session.get("http://203.0.113.7/ip")).text() == "v4"
        resp = await session.get("https://198.51.100.9/ip")
        assert await resp.text() == "v4 tls"
        resp = await session.get("http://[2001:db8::1]:8080/ip")
        assert await resp.text() == "v6"


@pytest.mark.asyncio
async def test_loopback_addresses_are_left_alone_unless_a_route_names_them(
    session: aiohttp.ClientSession, upstream: Upstream
) -> None:
    async with aiointercept(mock_external_urls=True) as m:
        resp = await session.get(f"http://127.0.0.1:{upstream.port}/direct")
        assert resp.headers["X-Upstream"] == "yes"
        resp = await session.get(f"http://127.0.0.1:{upstream.port}/direct")
        assert resp.headers["X-Upstream"] == "yes"
        # A host name is intercepted, localhost included ("every aiohttp
        # request is redirected"): unregistered, it is a miss.
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"http://localhost:{upstream.port}/direct")
        assert m.misses[-1].request.url.host == "localhost"
        m.get(f"http://localhost:{upstream.port}/claimed", body="mocked")
        resp = await session.get(f"http://localhost:{upstream.port}/claimed")
        assert await resp.text() == "mocked"
        # the mock's own server_url works in this mode too
        m.get(f"{m.server_url}/own", body="own")
        assert await (await session.get(f"{m.server_url}/own")).text() == "own"
    assert [seen[1] for seen in upstream.seen] == ["/direct", "/direct"]


@pytest.mark.asyncio
async def test_localhost_passes_through_when_listed(
    session: aiohttp.ClientSession, upstream: Upstream
) -> None:
    async with aiointercept(mock_external_urls=True, passthrough=["localhost"]):
        resp = await session.get(f"http://localhost:{upstream.port}/listed")
        assert resp.headers["X-Upstream"] == "yes"


@pytest.mark.asyncio
async def test_unmatched_external_request_fails(session: aiohttp.ClientSession) -> None:
    async with aiointercept(mock_external_urls=True) as m:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get("https://unregistered.example.com/")
    assert m.misses[0].request.url == URL("https://unregistered.example.com/")


@pytest.mark.asyncio
async def test_patches_are_restored_on_exit_and_on_error() -> None:
    before = _patch_state()
    async with aiointercept(mock_external_urls=True):
        assert _patch_state() != before
    assert _patch_state() == before
    with pytest.raises(ZeroDivisionError):
        async with aiointercept(mock_external_urls=True):
            _ = 1 / 0
    assert _patch_state() == before


@pytest.mark.asyncio
async def test_default_mode_touches_nothing() -> None:
    before = _patch_state()
    async with aiointercept():
        assert _patch_state() == before


@pytest.mark.asyncio
async def test_nested_instances(session: aiohttp.ClientSession) -> None:
    before = _patch_state()
    async with aiointercept(mock_external_urls=True) as outer:
        outer.get("http://api.example.com/outer", repeat=True, body="outer")
        outer.get("http://api.example.com/shared", repeat=True, body="outer")
        async with aiointercept(mock_external_urls=True) as inner:
            inner.get("http://api.example.com/shared", repeat=True, body="inner")
            inner.get("http://api.example.com/inner", repeat=True, body="inner")
            for path, who in (
                ("shared", "inner"),
                ("inner", "inner"),
                ("outer", "outer"),
            ):
                resp = await session.get(f"http://api.example.com/{path}")
                assert await resp.text() == who
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get("http://api.example.com/none")
        patched = _patch_state()
        assert patched != before
        resp = await session.get("http://api.example.com/shared")
        assert await resp.text() == "outer"
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get("http://api.example.com/inner")
    assert _patch_state() == before
    assert len(inner.misses) == 1
    assert [str(k[1]) for k in inner.requests] == [
        "http://api.example.com/shared",
        "http://api.example.com/inner",
        "http://api.example.com/none",
    ]
    assert outer.call_count == 3


@pytest.mark.asyncio
async def test_dns_cache_and_pooled_connections_do_not_leak(
    upstream: Upstream, resolver: MapResolver
) -> None:
    connector = aiohttp.TCPConnector(resolver=resolver, ttl_dns_cache=300)
    url = f"http://{UPSTREAM_NAME}:{upstream.port}/p"
    async with aiohttp.ClientSession(connector=connector) as session:
        # resolved, cached, and a keep-alive connection pooled: to the upstream
        assert (await session.get(url)).headers["X-Upstream"] == "yes"
        async with aiointercept(mock_external_urls=True) as m:
            m.get(url, body="mocked")
            assert await (await session.get(url)).text() == "mocked"
        assert (await session.get(url)).headers["X-Upstream"] == "yes"
    assert len(upstream.seen) == 2
    assert resolver.calls == [UPSTREAM_NAME]


@pytest.mark.asyncio
async def test_concurrent_requests(session: aiohttp.ClientSession) -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("https://api.example.com/c", repeat=True, payload={"ok": True})
        results = await asyncio.gather(
            *(session.get("https://api.example.com/c") for _ in range(50))
        )
        assert all(r.status == 200 for r in results)
        assert m.call_count == 50


@pytest.mark.asyncio
async def test_passthrough_hosts_reach_the_real_server(
    upstream: Upstream, resolver: MapResolver
) -> None:
    async with aiointercept(
        mock_external_urls=True, passthrough=[f"{UPSTREAM_NAME}:{upstream.port}"]
    ) as m:
        connector = aiohttp.TCPConnector(resolver=resolver)
        async with aiohttp.ClientSession(connector=connector) as session:
            resp = await session.get(f"http://{UPSTREAM_NAME}:{upstream.port}/real")
            assert resp.headers["X-Upstream"] == "yes"
            # another port of the same host is not a passthrough entry
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(f"http://{UPSTREAM_NAME}:{upstream.tls_port}/")
    assert m.call_count == 1
    assert [seen[1] for seen in upstream.seen] == ["/real"]


@pytest.mark.asyncio
async def test_passthrough_unmatched_http_and_https(
    upstream: Upstream, resolver: MapResolver, upstream_client_ssl: ssl.SSLContext
) -> None:
    async with (
        aiointercept(
            mock_external_urls=True,
            passthrough_unmatched=True,
            upstream_ssl=upstream_client_ssl,
            upstream_resolver=resolver,
        ) as m,
        aiohttp.ClientSession() as session,
    ):
        m.get(f"https://{UPSTREAM_NAME}:{upstream.tls_port}/mocked", body="mock")
        base = f"https://{UPSTREAM_NAME}:{upstream.tls_port}"
        assert await (await session.get(f"{base}/mocked")).text() == "mock"
        resp = await session.post(
            f"{base}/created?x=1", json={"a": 1}, headers={"X-Client": "c"}
        )
        assert resp.status == 201
        assert resp.headers["X-Upstream"] == "yes"
        assert await resp.json() == {
            "upstream": True,
            "path": "/created",
            "secure": True,
        }
        plain = await session.get(f"http://{UPSTREAM_NAME}:{upstream.port}/plain")
        assert (await plain.json())["secure"] is False
    method, target, headers, body = upstream.seen[0]
    assert (method, target, body) == ("POST", "/created?x=1", b'{"a": 1}')
    assert headers["X-Client"] == "c"
    assert headers["Host"] == f"{UPSTREAM_NAME}:{upstream.tls_port}"
    # forwarded requests are recorded like any other
    m.assert_any_call(f"{base}/created?x=1", method="POST")


@pytest.mark.asyncio
async def test_passthrough_unmatched_upstream_down(
    caplog: pytest.LogCaptureFixture, resolver: MapResolver
) -> None:
    # the test resolver knows no such host (no real DNS query is made)
    async with (
        aiointercept(
            mock_external_urls=True,
            passthrough_unmatched=True,
            upstream_resolver=resolver,
        ),
        aiohttp.ClientSession() as session,
    ):
        with (
            caplog.at_level(logging.WARNING, logger="aiointercept"),
            pytest.raises(aiohttp.ClientConnectionError),
        ):
            await session.post("http://nowhere.invalid/")
    assert "passthrough to POST http://nowhere.invalid/ failed" in caplog.text


@pytest.mark.asyncio
async def test_enter_exit_never_walks_the_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: Any) -> Any:
        raise AssertionError("aiointercept must not walk the heap")

    monkeypatch.setattr(gc, "get_objects", forbidden)
    monkeypatch.setattr(gc, "get_referrers", forbidden)
    for external in (False, True):
        async with aiointercept(mock_external_urls=external):
            pass


def test_the_connector_methods_we_wrap_have_the_expected_shape() -> None:
    # A renamed or reshaped private method in a future aiohttp fails here,
    # with a clear message, before any interception test fails obscurely.
    expected = {
        "_resolve_host": ["self", "host", "port", "traces"],
        "_get_ssl_context": ["self", "req"],
        "_get": ["self", "key", "traces"],
    }
    for name, parameters in expected.items():
        method = getattr(aiohttp.TCPConnector, name)
        assert list(inspect.signature(method).parameters) == parameters, name


@pytest.mark.asyncio
async def test_nested_miss_names_the_closest_route_of_any_active_mock(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept(mock_external_urls=True) as outer:
        outer.post("http://api.example.com/orders")
        async with aiointercept(mock_external_urls=True) as inner:
            inner.get("http://api.example.com/health")
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get("http://api.example.com/orders")
    closest = inner.misses[0].closest
    assert closest is not None
    assert closest.route.describe() == "POST http://api.example.com/orders"
