"""The code examples of the two aiointercept documents, run as tests.

Each test keeps the example's code; where an example leaves the client call
out (``...``) or calls the real network, the test adds the client call, or a
local server standing in for the real one.
"""

from __future__ import annotations

import asyncio
import re
import ssl

import aiohttp
import pytest
import pytest_asyncio
from yarl import URL

from aiointercept import CallbackResult, aiointercept

from .conftest import MapResolver, Upstream


@pytest.mark.asyncio
async def test_readme_first_example() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/users", payload=[{"id": 1}])
        async with aiohttp.ClientSession() as session:
            resp = await session.get(f"{m.server_url}/users")
            assert await resp.json() == [{"id": 1}]


@pytest.mark.asyncio
async def test_get_user() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/user/1", payload={"id": 1, "name": "Alice"})
        async with aiohttp.ClientSession() as session:
            resp = await session.get(f"{m.server_url}/user/1")
            assert resp.status == 200
            assert await resp.json() == {"id": 1, "name": "Alice"}


@aiointercept()
@pytest.mark.asyncio
async def test_create_post(m: aiointercept) -> None:
    m.post(f"{m.server_url}/posts", status=201, payload={"id": 42})
    async with aiohttp.ClientSession() as session:
        resp = await session.post(f"{m.server_url}/posts")
        assert resp.status == 201
        assert await resp.json() == {"id": 42}


@aiointercept(param="mock")
@pytest.mark.asyncio
async def test_named(mock: aiointercept) -> None:
    mock.get(f"{mock.server_url}/feed", payload=[])
    async with aiohttp.ClientSession() as session:
        resp = await session.get(f"{mock.server_url}/feed")
        assert await resp.json() == []


@pytest_asyncio.fixture
async def mock_http():  # type: ignore[no-untyped-def]
    async with aiointercept() as m:
        yield m


@pytest.mark.asyncio
async def test_something(mock_http: aiointercept) -> None:
    mock_http.get(f"{mock_http.server_url}/items", payload=[{"id": 1}])
    async with aiohttp.ClientSession() as session:
        resp = await session.get(f"{mock_http.server_url}/items")
        assert await resp.json() == [{"id": 1}]


@pytest.mark.asyncio
async def test_default_mode_example() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/api/users", payload=[{"id": 1}])
        async with aiohttp.ClientSession() as session:
            resp = await session.get(f"{m.server_url}/api/users")
            assert resp.status == 200


@pytest.mark.asyncio
async def test_base_url_example() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/api/users", payload=[{"id": 1}])
        async with aiohttp.ClientSession(base_url=m.server_url) as session:
            resp = await session.get("/api/users")
            assert await resp.json() == [{"id": 1}]


class billing_service:  # noqa: N801 - the name the document's example uses
    """Code under test that calls the real Stripe URL internally."""

    @staticmethod
    async def list_charges() -> list[object]:
        async with aiohttp.ClientSession() as session:
            resp = await session.get("https://api.stripe.com/v1/charges")
            data: list[object] = (await resp.json())["data"]
            return data


@pytest.mark.asyncio
async def test_mock_external_urls_example() -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.get("https://api.stripe.com/v1/charges", payload={"data": []})
        # Code under test calls the real Stripe URL internally
        result = await billing_service.list_charges()
        assert result == []


@pytest.mark.asyncio
async def test_add_with_every_documented_default() -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/defaults"
        m.add(
            url,  # str | yarl.URL | re.Pattern
            method="GET",  # HTTP method (case-insensitive)
            status=200,
            body=b"",  # raw response body (str is UTF-8 encoded)
            json=None,  # serialized to JSON, overrides body
            payload=None,  # alias for json
            headers=None,  # extra response headers
            content_type=None,  # overrides Content-Type
            repeat=False,  # True = infinite; int N = exactly N times
            callback=None,  # callable or coroutine -> CallbackResult
            reason=None,  # HTTP reason phrase
            exception=None,  # truthy -> close connection (ClientConnectionError)
        )
        async with aiohttp.ClientSession() as session:
            resp = await session.get(url)
            assert resp.status == 200
            assert resp.reason == "OK"
            assert await resp.read() == b""
            assert resp.content_type == "application/json"
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(url)


@pytest.mark.asyncio
async def test_http_method_shortcuts() -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/verbs"
        kwargs = {"status": 202, "headers": {"X-Verb": "yes"}}
        m.get(url, **kwargs)
        m.post(url, **kwargs)
        m.put(url, **kwargs)
        m.patch(url, **kwargs)
        m.delete(url, **kwargs)
        m.head(url, **kwargs)
        m.options(url, **kwargs)
        async with aiohttp.ClientSession() as session:
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
                resp = await session.request(method, url)
                assert resp.status == 202, method
                assert resp.headers["X-Verb"] == "yes"
        assert sorted(method for method, _ in m.requests) == sorted(
            ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        )


@pytest.mark.asyncio
async def test_regex_pattern_example() -> None:
    async with (
        aiointercept(mock_external_urls=True) as m,
        aiohttp.ClientSession() as session,
    ):
        for path in ("/users/1", "/users/42"):
            pattern = re.compile(r"^https://api\.example\.com/users/\d+$")
            m.get(pattern, payload={"id": 1, "name": "Alice"})
            # Matches https://api.example.com/users/1, /users/42, etc.
            resp = await session.get(f"https://api.example.com{path}")
            assert await resp.json() == {"id": 1, "name": "Alice"}
        m.get(pattern, payload={"id": 1, "name": "Alice"})
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get("https://api.example.com/users/abc")


@pytest.mark.asyncio
async def test_repeat_and_queuing_examples() -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/forever"
        # Respond to every request (indefinite):
        m.get(url, repeat=True, payload={"ok": True})
        async with aiohttp.ClientSession() as session:
            for _ in range(5):
                assert await (await session.get(url)).json() == {"ok": True}

            url = f"{m.server_url}/thrice"
            # Respond exactly 3 times, then raise ClientConnectionError:
            m.get(url, repeat=3, status=200)
            for _ in range(3):
                assert (await session.get(url)).status == 200
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(url)

            url = f"{m.server_url}/orders"
            # Queue different responses by calling add() multiple times:
            m.post(url, status=201, payload={"created": True})
            m.post(url, status=409, payload={"error": "conflict"})
            # First POST -> 201, second POST -> 409, third POST ->
            # ClientConnectionError
            first = await session.post(url)
            assert (first.status, await first.json()) == (201, {"created": True})
            second = await session.post(url)
            assert (second.status, await second.json()) == (409, {"error": "conflict"})
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.post(url)


def echo_callback(url, *, headers, query, json, **kwargs):  # type: ignore[no-untyped-def]
    return CallbackResult(status=200, payload={"echo": json})


@pytest.mark.asyncio
async def test_echo() -> None:
    async with aiointercept() as m:
        m.post(f"{m.server_url}/echo", callback=echo_callback)
        async with aiohttp.ClientSession() as session:
            resp = await session.post(f"{m.server_url}/echo", json={"hello": "world"})
            assert await resp.json() == {"echo": {"hello": "world"}}


async def async_callback(url, **kwargs):  # type: ignore[no-untyped-def]
    # The document sleeps 10 s to show a slow server; 50 ms shows the same.
    await asyncio.sleep(0.05)
    return CallbackResult(body=b"async response")


@pytest.mark.asyncio
async def test_slow() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/slow", callback=async_callback)
        async with aiohttp.ClientSession() as session:
            resp = await session.get(f"{m.server_url}/slow")
            assert await resp.read() == b"async response"


def test_callback_result_documented_defaults() -> None:
    result = CallbackResult()
    assert result.status == 200
    assert result.body == ""
    assert result.payload is None
    assert result.headers is None
    assert result.content_type == "application/json"
    assert result.reason is None


@pytest.mark.asyncio
async def test_passthrough_hosts_example(
    upstream: Upstream, resolver: MapResolver, upstream_client_ssl: ssl.SSLContext
) -> None:
    resolver.names.add("real-api.example.com")
    # Specific hosts bypass the mock:
    async with aiointercept(
        mock_external_urls=True,
        passthrough=["https://real-api.example.com"],
    ) as m:
        m.get("https://mocked.example.com/data", payload={"mocked": True})
        # Requests to real-api.example.com go to the real server.
        connector = aiohttp.TCPConnector(resolver=resolver, ssl=upstream_client_ssl)
        async with aiohttp.ClientSession(connector=connector) as session:
            mocked = await session.get("https://mocked.example.com/data")
            assert await mocked.json() == {"mocked": True}
            real = await session.get(
                f"https://real-api.example.com:{upstream.tls_port}/x"
            )
            assert real.headers["X-Upstream"] == "yes"
    assert len(upstream.seen) == 1
    assert list(m.requests) == [("GET", URL("https://mocked.example.com/data"))]


@pytest.mark.asyncio
async def test_passthrough_unmatched_example(
    upstream: Upstream, resolver: MapResolver
) -> None:
    # All unmatched requests go to the real server:
    async with aiointercept(
        mock_external_urls=True,
        passthrough_unmatched=True,
        upstream_resolver=resolver,
    ) as m:
        m.get("https://mocked.example.com/data", payload={"mocked": True})
        # Any other URL is proxied to the real network.
        async with aiohttp.ClientSession() as session:
            mocked = await session.get("https://mocked.example.com/data")
            assert await mocked.json() == {"mocked": True}
            other = await session.get(f"http://upstream.test:{upstream.port}/other")
            assert await other.json() == {
                "upstream": True,
                "path": "/other",
                "secure": False,
            }
    assert [seen[1] for seen in upstream.seen] == ["/other"]


@pytest.mark.asyncio
async def test_assertion_helper_examples() -> None:
    async with aiointercept(mock_external_urls=True) as m:
        url = "https://api.example.com/orders"
        m.post(url, repeat=True)
        m.get(url)
        async with aiohttp.ClientSession() as session:
            await session.get(url, headers={"Authorization": "Bearer token123"})
            m.assert_called()  # at least one request was made
            m.assert_called_once()  # exactly one request across all URLs
            m.assert_any_call(url, method="GET", params=None)
            m.assert_called_with(
                url,
                method="GET",
                params=None,
                data=None,
                json=None,
                headers=None,
                strict_headers=False,
            )
            m.assert_called_once_with(url)
            # Check specific headers (subset by default):
            m.assert_called_with(url, headers={"Authorization": "Bearer token123"})

            await session.post(url, json={"item": "book", "qty": 2})
            # Check the JSON body of the last POST to /orders:
            m.assert_called_with(
                "https://api.example.com/orders",
                method="POST",
                json={"item": "book", "qty": 2},
            )
            await session.post(url, data={"username": "alice", "password": "s3cr3t"})
            # Check form-encoded body:
            m.assert_called_with(
                url, method="POST", data={"username": "alice", "password": "s3cr3t"}
            )
            await session.post(url, headers={"X-Custom": "value"})
    request = m.requests[("POST", URL(url))][-1]
    exact = dict(request.headers)
    # Require the full header map to match exactly:
    m.assert_called_with(url, method="POST", headers=exact, strict_headers=True)
    assert exact["X-Custom"] == "value"
    with pytest.raises(AssertionError):
        m.assert_called_with(
            url, method="POST", headers={"X-Custom": "value"}, strict_headers=True
        )


@pytest.mark.asyncio
async def test_inspecting_requests_example() -> None:
    async with aiointercept(mock_external_urls=True) as m:
        m.post("https://api.example.com/orders?b=2&a=1")
        async with aiohttp.ClientSession() as session:
            await session.post(
                "https://api.example.com/orders?b=2&a=1#frag",
                json={"item": "book"},
                headers={"X-Trace": "1"},
            )
    key = ("POST", URL("https://api.example.com/orders?a=1&b=2"))
    req = m.requests[key][-1]  # most recent request
    assert req.captured_body == b'{"item": "book"}'  # raw bytes body
    assert req.kwargs["json"] == {"item": "book"}  # parsed JSON body (or None)
    assert req.kwargs["query"] == {"a": ["1"], "b": ["2"]}
    assert req.kwargs["headers"]["X-Trace"] == "1"  # raw request headers


def test_constructor_documented_defaults() -> None:
    m = aiointercept()
    assert m.mock_external_urls is False
    assert m.passthrough == []
    assert m.passthrough_unmatched is False
    assert m.param is None


@pytest.mark.asyncio
async def test_clear_resets_handlers_and_request_log() -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/a", repeat=True)
        async with aiohttp.ClientSession() as session:
            await session.get(f"{m.server_url}/a")
            assert m.requests
            m.clear()
            assert m.requests == {}
            with pytest.raises(aiohttp.ClientConnectionError):
                await session.get(f"{m.server_url}/a")


@pytest.mark.asyncio
async def test_a_synchronous_client_in_an_async_test() -> None:
    import requests

    async with aiointercept() as m:
        m.get(f"{m.server_url}/users", payload=[{"id": 1}], repeat=True)
        assert requests.get(f"{m.server_url}/users").json() == [{"id": 1}]
