"""The seam where unmatched requests are resolved (ADR 0105, 0106).

The cassette fallback plugs in here (tests in ``test_cassette*.py``); this
fake one exercises the seam itself.
"""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from aiointercept import AiointerceptRequest, aiointercept
from aiointercept._fallback import Decline


class FakeCassette:
    """Answers the requests it 'recorded', declines the others."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.closed = False

    async def __call__(self, request: AiointerceptRequest) -> web.StreamResponse | None:
        self.asked.append(request.url.path)
        if request.url.path == "/recorded":
            return web.Response(status=203, body=b"from the cassette")
        return None

    async def close(self) -> None:
        self.closed = True


@pytest.mark.asyncio
async def test_fallbacks_answer_unmatched_requests_only(
    session: aiohttp.ClientSession,
) -> None:
    cassette = FakeCassette()
    m = aiointercept()
    m._fallbacks.append(cassette)
    async with m:
        m.get(f"{m.server_url}/registered", body="route")
        resp = await session.get(f"{m.server_url}/registered")
        assert await resp.text() == "route"
        resp = await session.get(f"{m.server_url}/recorded")
        assert (resp.status, await resp.read()) == (203, b"from the cassette")
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{m.server_url}/unknown")
    # registered routes win; the fallback is asked once per unmatched call
    assert cassette.asked == ["/recorded", "/unknown"]
    assert cassette.closed
    assert [miss.request.url.path for miss in m.misses] == ["/unknown"]
    assert m.call_count == 3


class Declining:
    """Declines every request, and says why."""

    def __init__(self, reason: str, error: Exception | None) -> None:
        self.reason = reason
        self.error = error

    async def __call__(self, request: AiointerceptRequest) -> Decline:
        return Decline(self.reason, self.error)

    async def close(self) -> None:
        return None


@pytest.mark.asyncio
async def test_a_declining_fallback_explains_the_miss(
    session: aiohttp.ClientSession,
) -> None:
    error = LookupError("nothing recorded")
    m = aiointercept()
    m._fallbacks.append(Declining("the first could not", None))
    m._fallbacks.append(Declining("the second had no recording", error))
    async with m:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(f"{m.server_url}/x")
    (miss,) = m.misses
    assert miss.message.endswith(
        "nothing is registered; the first could not; the second had no recording"
    )
    assert miss.error is error
    assert miss.closest_recording is None
