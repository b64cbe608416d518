"""The assertion helpers, passing and failing."""

from __future__ import annotations

from unittest import mock

import aiohttp
import pytest

from aiointercept import aiointercept


@pytest.mark.asyncio
async def test_called_not_called_called_once(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        m.get(f"{m.server_url}/a")
        m.get(f"{m.server_url}/b")
        m.assert_not_called()
        with pytest.raises(AssertionError, match="at least one"):
            m.assert_called()
        with pytest.raises(AssertionError, match=r"Expected exactly 1 call, got 0\."):
            m.assert_called_once()
        await session.get(f"{m.server_url}/a")
        m.assert_called()
        m.assert_called_once()
        with pytest.raises(AssertionError, match=r"Expected no calls, got 1\."):
            m.assert_not_called()
        await session.get(f"{m.server_url}/b")
        with pytest.raises(AssertionError, match=r"Expected exactly 1 call, got 2\."):
            m.assert_called_once()


@pytest.mark.asyncio
async def test_any_call_with_params_and_method(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/s"
        m.get(f"{url}?q=1&page=2")
        await session.get(url, params={"page": "2", "q": "1"})
        m.assert_any_call(url, params={"q": "1", "page": "2"})
        m.assert_any_call(f"{url}?q=1", params={"page": "2"})
        with pytest.raises(AssertionError, match="No calls to POST") as info:
            m.assert_any_call(url, method="POST", params={"q": "1", "page": "2"})
        assert str(info.value).startswith("No calls to POST")
        assert "Did you mean one of:\n  - GET" in info.value.__notes__[0]


@pytest.mark.asyncio
async def test_called_with_checks_the_most_recent_call(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/o"
        m.post(url, repeat=True)
        await session.post(url, json={"n": 1})
        await session.post(url, json={"n": 2})
        m.assert_called_with(url, method="POST", json={"n": 2})
        m.assert_called_with(url, method="post", json=mock.ANY)
        with pytest.raises(AssertionError, match="JSON body"):
            m.assert_called_with(url, method="POST", json={"n": 1})
        with pytest.raises(AssertionError, match="No calls to GET"):
            m.assert_called_with(url)


@pytest.mark.asyncio
async def test_called_with_data(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/d"
        m.post(url, repeat=True)
        await session.post(url, data=b"raw")
        m.assert_called_with(url, method="POST", data=b"raw")
        m.assert_called_with(url, method="POST", data="raw")
        with pytest.raises(AssertionError, match=r"^Body mismatch: expected other"):
            m.assert_called_with(url, method="POST", data=b"other")
        await session.post(url, data={"b": "2", "a": "1"})
        m.assert_called_with(url, method="POST", data={"a": "1", "b": "2"})
        with pytest.raises(AssertionError, match=r"^Form-encoded body mismatch"):
            m.assert_called_with(url, method="POST", data={"a": "1"})
        await session.post(url, json={"a": "1"})
        with pytest.raises(
            AssertionError, match=r"application/x-www-form-urlencoded.*use json="
        ):
            m.assert_called_with(url, method="POST", data={"a": "1"})
        await session.post(url, data=b"not json")
        with pytest.raises(AssertionError, match="non-JSON"):
            m.assert_called_with(url, method="POST", json={"a": "1"})


@pytest.mark.asyncio
async def test_called_with_headers_subset_and_strict(
    session: aiohttp.ClientSession,
) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/h"
        m.get(url, repeat=True)
        await session.get(url, headers={"Authorization": "Bearer t", "X-A": "a"})
        m.assert_called_with(url, headers={"authorization": "Bearer t"})
        with pytest.raises(AssertionError, match="Header 'X-A': expected 'b', got 'a'"):
            m.assert_called_with(url, headers={"X-A": "b"})
        request = m.last_request
        assert request is not None
        everything: dict[str, object] = dict.fromkeys(request.headers, mock.ANY)
        everything["X-A"] = "a"
        m.assert_called_with(url, headers=everything, strict_headers=True)
        with pytest.raises(AssertionError, match=r"^Headers mismatch"):
            m.assert_called_with(url, headers={"X-A": "a"}, strict_headers=True)
        with pytest.raises(AssertionError, match=r"^Headers mismatch"):
            m.assert_called_with(
                url, headers={**everything, "X-Missing": "1"}, strict_headers=True
            )


@pytest.mark.asyncio
async def test_called_once_with(session: aiohttp.ClientSession) -> None:
    async with aiointercept() as m:
        url = f"{m.server_url}/once"
        m.get(url, repeat=True)
        await session.get(url)
        m.assert_called_once_with(url)
        await session.get(url)
        with pytest.raises(AssertionError, match=r"Expected exactly 1 call, got 2\."):
            m.assert_called_once_with(url)
