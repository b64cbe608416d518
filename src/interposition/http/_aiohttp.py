"""The ``aiohttp`` adapter, at the connector: connections over an in-memory wire.

While a cassette is active, ``TCPConnector.connect`` (inherited from
``BaseConnector``, whose public, documented ``connect(req, traces, timeout)``
it is) hands a request that the cassette handles a connection whose
transport is in memory. Everything above it is aiohttp's own: the client
serializes the request into the transport; the transport parses those bytes
(``interposition.http._wire.parse_request``), asks the cassette session, and
feeds the answer back as HTTP/1.1 bytes into aiohttp's own response protocol,
so aiohttp parses, decompresses, streams, follows redirects and stores
cookies as it does off a socket. A chunked response is fed one recorded
chunk at a time, each once the reader has taken the previous one, so
``iter_chunks``, ``readchunk`` and ``iter_any`` see the recorded pieces. A
miss is raised from the protocol's ``read``, and so from the aiohttp call,
as the session's ``HttpInteractionNotFoundError``.

A live request (recording) takes a real connection from the connector's
original ``connect`` (its TLS, resolver and proxy settings, its pool),
sends the very bytes aiohttp wrote, and reads the answer with aiohttp's
parser, undecoded, chunk by chunk with its timing
(``interposition.http._aiohttp_stream``).

Cassette connections are never pooled (releasing one closes it), and a
pooled connection is never used for a cassette request, so nothing crosses
the cassette's boundary either way. Hosts the cassette ignores, websocket
upgrades, and connections that a local server in this process claims (a
running aiointercept mock: ``add_local_server``) go to the original
``connect`` untouched. See ``docs/adr/0203-http-aiohttp-adapter.md``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp.client_proto import ResponseHandler
from aiohttp.connector import Connection

from interposition.http._aiohttp_stream import (
    header_pairs,
    read_raw_body,
    version_text,
)
from interposition.http._mapping import HttpRequest, HttpResponse
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import CassetteSession, current_session, passthrough
from interposition.http._wire import parse_request, serialize_body, serialize_head

if TYPE_CHECKING:
    from aiohttp import ClientRequest, ClientTimeout
    from aiohttp.tracing import Trace

__all__ = ["PATCH", "LocalServer", "add_local_server", "remove_local_server"]

_Connect = Callable[
    [aiohttp.BaseConnector, "ClientRequest", "list[Trace]", "ClientTimeout"],
    Awaitable[Connection],
]

#: ``claims(host, port)``: whether a server in this process answers
#: connections to ``host:port`` itself (so the cassette leaves them alone).
LocalServer = Callable[[str, int], bool]

_local_servers: tuple[LocalServer, ...] = ()
_local_lock = threading.Lock()

_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_NO_BODY_STATUS = frozenset({204, 304})
# Polls of a reader that has not taken the last piece yet: the first ones
# only yield to the event loop, later ones sleep this long.
_FAST_POLLS = 32
_SLOW_POLL = 0.002


def add_local_server(claims: LocalServer) -> None:
    """Leave the connections ``claims(host, port)`` accepts to a local server.

    aiointercept registers its running mocks here: a request to a mock's
    ``server_url``, or to a host an intercepting mock answers, reaches the
    mock under a cassette too, neither recorded nor replayed.
    """
    global _local_servers  # noqa: PLW0603 - process-wide by design
    with _local_lock:
        if claims not in _local_servers:
            _local_servers = (*_local_servers, claims)


def remove_local_server(claims: LocalServer) -> None:
    """Undo ``add_local_server``."""
    global _local_servers  # noqa: PLW0603 - process-wide by design
    with _local_lock:
        _local_servers = tuple(c for c in _local_servers if c is not claims)


def _claimed(host: str, port: int) -> bool:
    return any(claims(host, port) for claims in _local_servers)


class _CassetteConnection(Connection):
    """A connection over a cassette transport: released means closed."""

    def release(self) -> None:
        self.close()


def _header_map(head: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        key = name.strip().lower()
        fields[key] = (
            f"{fields[key]}, {value.strip()}" if key in fields else value.strip()
        )
    return fields


class _CassetteTransport(asyncio.Transport):
    """The in-memory wire of one cassette connection.

    It collects the request aiohttp writes; once the request is complete it
    answers it (in a task) from the cassette session, or live, by feeding
    the response's bytes to the connection's protocol.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol: ResponseHandler,
        session: CassetteSession,
        live: Callable[[bytes, str], Awaitable[HttpResponse]],
        request_url: Callable[[bytes], HttpRequest],
    ) -> None:
        super().__init__()
        self._loop = loop
        self._protocol = protocol
        self._session = session
        self._live = live
        self._request_url = request_url
        self._sent = bytearray()
        self._body_start = -1
        self._length = 0
        self._chunked = False
        self._scan = 0
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._paused = False

    # -- the transport interface aiohttp uses ----------------------------------

    def write(self, data: Any) -> None:
        if self._closing or self._task is not None:
            return
        self._sent += data
        if self._body_start < 0 and not self._read_head():
            return
        if self._complete():
            self._task = self._loop.create_task(self._answer(bytes(self._sent)))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
        self._loop.call_soon(self._protocol.connection_lost, None)

    def abort(self) -> None:
        self.close()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def get_write_buffer_size(self) -> int:
        return 0

    def set_write_buffer_limits(
        self, high: int | None = None, low: int | None = None
    ) -> None:
        """Accepted and ignored: nothing is buffered."""

    def can_write_eof(self) -> bool:
        return False

    def pause_reading(self) -> None:
        self._paused = True

    def resume_reading(self) -> None:
        self._paused = False

    def is_reading(self) -> bool:
        return not self._paused and not self._closing

    # -- the request ----------------------------------------------------------

    def _read_head(self) -> bool:
        end = self._sent.find(b"\r\n\r\n")
        if end < 0:
            return False
        self._body_start = self._scan = end + 4
        fields = _header_map(bytes(self._sent[:end]))
        self._chunked = "chunked" in fields.get("transfer-encoding", "").lower()
        try:
            self._length = int(fields.get("content-length", "0") or "0")
        except ValueError:
            self._length = 0
        if "100-continue" in fields.get("expect", "").lower() and (
            self._chunked or self._length
        ):
            # aiohttp sends the body once it is told to go on.
            self._loop.call_soon(self._feed, _CONTINUE)
        return True

    def _complete(self) -> bool:
        sent = self._sent
        if not self._chunked:
            return len(sent) - self._body_start >= self._length
        position = self._scan
        while True:
            line_end = sent.find(b"\r\n", position)
            if line_end < 0:
                return False
            try:
                size = int(bytes(sent[position:line_end]).split(b";")[0].strip(), 16)
            except ValueError:
                return True  # malformed: let the parser say so
            if size == 0:
                return sent.find(b"\r\n\r\n", line_end) >= 0
            position = line_end + 2 + size + 2
            if len(sent) < position:
                return False
            self._scan = position

    # -- the answer -----------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        if not self._closing:
            self._protocol.data_received(data)

    async def _answer(self, raw: bytes) -> None:
        session = current_session()
        if session is None and self._session.is_open:
            session = self._session
        try:
            request = self._request_url(raw)

            async def live(_: HttpRequest) -> HttpResponse:
                return await self._live(raw, request.method)

            if session is None:  # the cassette was left in the meantime
                with passthrough():
                    response = await live(request)
            else:
                response = await session.handle_async(request, live)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the client's call raises it
            if not self._closing:
                self._protocol.set_exception(exc)
            return
        await self._deliver(response, request.method)

    async def _deliver(self, response: HttpResponse, method: str) -> None:
        status = response.status
        bodiless = method == "HEAD" or status in _NO_BODY_STATUS or status < 200
        pieces = [] if bodiless else serialize_body(response)
        self._feed(serialize_head(response) + (pieces[0] if pieces else b""))
        for piece in pieces[1:]:
            if not await self._taken():
                return
            self._feed(piece)
        if not bodiless and not self._framed(response):
            self.close()  # the body ends with the connection, as it was sent

    @staticmethod
    def _framed(response: HttpResponse) -> bool:
        return response.header("Content-Length") is not None or any(
            "chunked" in value.lower()
            for value in response.header_values("Transfer-Encoding")
        )

    async def _taken(self) -> bool:
        """Wait until the reader took what it was fed, or waits for more.

        False when the connection closed meanwhile.
        """
        reader = getattr(self._protocol, "_payload", None)
        polls = 0
        while not self._closing:
            if (
                reader is None
                or not getattr(reader, "_size", 0)
                or getattr(reader, "_waiter", None) is not None
                or reader.exception() is not None
            ):
                return True
            polls += 1
            await asyncio.sleep(0 if polls < _FAST_POLLS else _SLOW_POLL)
        return False


async def _live(
    original: _Connect,
    connector: aiohttp.BaseConnector,
    req: ClientRequest,
    traces: list[Trace],
    timeout: ClientTimeout,
    *,
    raw: bytes,
    method: str,
) -> HttpResponse:
    """Send the bytes aiohttp wrote on a real connection; read the answer raw."""
    conn = await original(connector, req, traces, timeout)
    read = False
    try:
        protocol = conn.protocol
        transport = conn.transport
        assert protocol is not None  # noqa: S101 - a fresh connection has one
        assert transport is not None  # noqa: S101
        protocol.set_response_params(
            skip_payload=method == "HEAD",
            read_until_eof=True,
            auto_decompress=False,
            read_timeout=timeout.sock_read,
        )
        transport.write(raw)
        message, payload = await protocol.read()
        while 100 <= message.code < 200 and message.code != 101:
            message, payload = await protocol.read()
        body, pieces, delays = await read_raw_body(
            payload,
            chunked=bool(message.chunked) and method != "HEAD",
            clock=asyncio.get_running_loop().time,
        )
        read = True
    finally:
        if read:
            conn.release()
        else:
            conn.close()
    return HttpResponse(
        message.code,
        message.reason or "",
        header_pairs(message.raw_headers),
        body,
        version_text(message.version),
        pieces,
        delays,
    )


def _patched_connect(original: _Connect) -> _Connect:
    async def connect(
        self: aiohttp.BaseConnector,
        req: ClientRequest,
        traces: list[Trace],
        timeout: ClientTimeout,
    ) -> Connection:
        session = current_session()
        if session is None or not isinstance(self, aiohttp.TCPConnector):
            return await original(self, req, traces, timeout)
        url = req.url
        host = url.raw_host or ""
        port = req.port or 0
        if not session.handles(str(url)) or (_local_servers and _claimed(host, port)):
            # Ignored, or answered by a running aiointercept mock: seen.
            with passthrough():
                return await original(self, req, traces, timeout)
        if "Upgrade" in req.headers:
            # A websocket is not recorded: the unseen-traffic guard says so.
            return await original(self, req, traces, timeout)
        scheme = "https" if req.is_ssl() else "http"
        loop = asyncio.get_running_loop()
        protocol = ResponseHandler(loop)

        async def live(raw: bytes, method: str) -> HttpResponse:
            return await _live(
                original, self, req, traces, timeout, raw=raw, method=method
            )

        def request(raw: bytes) -> HttpRequest:
            return parse_request(raw, scheme, host, url.port)

        transport = _CassetteTransport(loop, protocol, session, live, request)
        protocol.connection_made(transport)
        return _CassetteConnection(self, req.connection_key, protocol, loop)

    connect.__wrapped__ = original  # type: ignore[attr-defined]
    return connect


def _targets() -> list[PatchTarget]:
    return [(aiohttp.BaseConnector, "connect", _patched_connect)]


#: The aiohttp patch (see interposition.http._patching).
PATCH = Patch("aiohttp", _targets)
