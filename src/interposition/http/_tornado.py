"""The tornado adapter: ``AsyncHTTPClient``, at its implementation seam.

tornado's documented extension point for an HTTP client is
``fetch_impl(request, callback)`` on the implementation classes:
``AsyncHTTPClient.fetch`` hands every request to it and waits for
``callback(HTTPResponse)``. The adapter wraps ``fetch_impl`` of
``SimpleAsyncHTTPClient`` (and of ``CurlAsyncHTTPClient`` when pycurl is
installed) at the class level.

Every hop of a redirect chain is one exchange: a live request is sent with
``follow_redirects=False`` and ``decompress_response=False`` (asking for gzip
itself when the caller wanted decompression), so the cassette holds what
crossed the wire, still gzip-encoded; the adapter then does what the client
would have done with it. It follows redirects as the simple client does (a
new ``fetch``, which comes back through ``fetch_impl``), and otherwise builds
a real ``tornado.httpclient.HTTPResponse``: headers renamed and body decoded
as the implementation in use would (the simple client moves gzip's
``Content-Encoding`` to ``X-Consumed-Content-Encoding``; curl keeps the
headers and decodes gzip and deflate), ``header_callback`` called once per
header line and ``streaming_callback`` once per recorded chunk. Errors,
a replay miss included, reach ``fetch`` as the response's ``error``, so
``await client.fetch(...)`` raises them itself, and HTTP status errors follow
``raise_error`` as on the wire.

The request recorded carries the headers the simple client sends (``Host``,
``Connection``, ``User-Agent``, ``Content-Length``...): the adapter adds them
to the request in place before asking the cassette, as the simple client
does before it writes.
See ``docs/adr/0201-http-adapter-seams.md``.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import importlib
import importlib.util
import time
import zlib
from collections.abc import Callable
from io import BytesIO
from typing import Any, Final
from urllib.parse import urljoin, urlsplit, urlunsplit

import tornado
from tornado import httputil
from tornado.httpclient import (
    AsyncHTTPClient,
    HTTPRequest,
    HTTPResponse,
    _RequestProxy,
)
from tornado.simple_httpclient import SimpleAsyncHTTPClient
from tornado.util import GzipDecompressor

from interposition.http._mapping import HttpRequest, HttpResponse, build_url
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import (
    CassetteSession,
    current_session,
    passthrough,
)

__all__ = ["PATCH"]

_Callback = Callable[[HTTPResponse], None]
_FetchImpl = Callable[[AsyncHTTPClient, HTTPRequest, _Callback], None]

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
#: What tornado reads (and decompresses) at most at once.
_CHUNK_SIZE: Final = 65536
#: Replays in flight: the event loop keeps only weak references to tasks.
_TASKS: set[asyncio.Task[None]] = set()


def _is_chunked(headers: tuple[tuple[str, str], ...]) -> bool:
    return any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in headers
    )


def _add_sent_headers(request: Any) -> None:
    """Add the headers the simple client adds before it writes the request."""
    headers: httputil.HTTPHeaders = request.headers
    parts = urlsplit(request.url)
    netloc = parts.netloc.rpartition("@")[2]
    if "Connection" not in headers:
        headers["Connection"] = "close"
    if "Host" not in headers:
        headers["Host"] = netloc
    username, password = None, None
    if parts.username is not None:
        username, password = parts.username, parts.password
    elif request.auth_username is not None:
        username, password = request.auth_username, request.auth_password or ""
    if username is not None and request.auth_mode in (None, "basic"):
        token = httputil.encode_username_password(username, password or "")
        headers["Authorization"] = "Basic " + base64.b64encode(token).decode("ascii")
    if request.user_agent:
        headers["User-Agent"] = request.user_agent
    elif headers.get("User-Agent") is None:
        headers["User-Agent"] = f"Tornado/{tornado.version}"
    if request.body is not None:
        headers["Content-Length"] = str(len(request.body))
    if request.method == "POST" and "Content-Type" not in headers:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if request.decompress_response:
        headers["Accept-Encoding"] = "gzip"


def _url(url: str) -> str:
    """The URL as recorded: no credentials, no fragment, default port dropped."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return build_url(parts.scheme or "http", parts.hostname or "", port, target)


async def _produced_body(request: Any) -> bytes | None:
    """The request body, running a ``body_producer`` into memory if needed."""
    producer = request.body_producer
    if producer is None:
        body: bytes | None = request.body
        return body
    parts: list[bytes] = []
    loop = asyncio.get_running_loop()

    def write(data: bytes) -> asyncio.Future[None]:
        parts.append(bytes(data))
        done: asyncio.Future[None] = loop.create_future()
        done.set_result(None)
        return done

    result = producer(write)
    if result is not None:
        await result
    return b"".join(parts)


def _wire_request(request: Any, body: bytes | None, capture: _Capture) -> Any:
    """A copy of the request that crosses the wire as one raw exchange."""
    inner = copy.copy(request.request)
    inner.headers = httputil.HTTPHeaders(request.headers)
    inner.follow_redirects = False
    inner.decompress_response = False
    inner.header_callback = capture.header_line
    inner.streaming_callback = capture.piece
    if request.body_producer is not None:
        inner.body_producer = None
        inner.body = body
    return _RequestProxy(inner, request.defaults)


class _Capture:
    """Collects the status line, the body pieces and their timing of a live hop."""

    def __init__(self) -> None:
        self.status_line = ""
        self.headers: list[tuple[str, str]] = []
        self.pieces: list[bytes] = []
        self.delays: list[float] = []
        self._last = time.monotonic()

    def header_line(self, line: str) -> None:
        """One line of the response head, in the order received."""
        text = line.rstrip("\r\n")
        if text.startswith("HTTP/"):
            # A new head (after 100 Continue, say): the last one is the final.
            self.status_line = text
            self.headers = []
        elif not text:
            self._last = time.monotonic()
        elif text[:1] in (" ", "\t") and self.headers:  # obsolete line folding
            name, value = self.headers[-1]
            self.headers[-1] = (name, f"{value} {text.strip()}")
        else:
            name, _, value = text.partition(":")
            self.headers.append((name.strip(), value.strip()))

    def piece(self, data: bytes) -> None:
        now = time.monotonic()
        self.delays.append(now - self._last)
        self._last = now
        self.pieces.append(bytes(data))


def _recorded(wire: HTTPResponse, capture: _Capture) -> HttpResponse:
    version, _, rest = capture.status_line.partition(" ")
    reason = rest.partition(" ")[2]
    headers = tuple(capture.headers) or tuple(
        (str(name), str(value)) for name, value in wire.headers.get_all()
    )
    body = b"".join(capture.pieces)
    chunked = _is_chunked(headers) and len(capture.pieces) > 1
    return HttpResponse(
        status=wire.code,
        reason=reason or wire.reason or "",
        headers=headers,
        body=body,
        http_version=version if version.startswith("HTTP/") else "HTTP/1.1",
        chunks=tuple(capture.pieces) if chunked else (),
        chunk_delays=tuple(capture.delays) if chunked else (),
    )


def _decompressed(pieces: tuple[bytes, ...]) -> list[bytes]:
    """Gunzip the body piece by piece, in the slices tornado delivers."""
    decompressor = GzipDecompressor()
    out: list[bytes] = []
    try:
        for piece in pieces:
            data = piece
            while data:
                decoded = decompressor.decompress(data, _CHUNK_SIZE)
                if decoded:
                    out.append(decoded)
                tail = decompressor.unconsumed_tail
                if not decoded and len(tail) >= len(data):
                    msg = "encountered unconsumed gzip data without making progress"
                    raise httputil.HTTPInputError(msg)
                data = tail
        tail = decompressor.flush()
    except zlib.error as error:
        msg = f"invalid gzip data: {error}"
        raise httputil.HTTPInputError(msg) from error
    if tail:
        out.append(tail)
    return out


def _curl_decoded(pieces: tuple[bytes, ...], encoding: str) -> list[bytes]:
    """Decode the body as libcurl does with ``ENCODING`` gzip,deflate."""
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    decoder = zlib.decompressobj(wbits)
    try:
        out = [decoder.decompress(piece) for piece in pieces]
        out.append(decoder.flush())
    except zlib.error as error:
        msg = f"invalid {encoding} data: {error}"
        raise httputil.HTTPInputError(msg) from error
    return [piece for piece in out if piece]


def _should_follow(request: Any, code: int, headers: httputil.HTTPHeaders) -> bool:
    return bool(
        request.follow_redirects
        and code in _REDIRECTS
        and (request.max_redirects or 0) > 0
        and headers.get("Location") is not None
    )


def _redirected(request: Any, code: int, location: str) -> HTTPRequest:
    """The next request of a redirect, as the simple client builds it."""
    original = getattr(request, "original_request", request)
    new: Any = copy.copy(request.request)
    new.url = urljoin(request.url, location)
    new.headers = request.headers.copy()
    before, after = urlsplit(original.url), urlsplit(new.url)
    if (before.scheme, before.netloc) != (after.scheme, after.netloc):
        # Cross-origin: credentials stay behind.
        new.auth_username = None
        new.auth_password = None
        if "@" in after.netloc:
            host = after.hostname or ""
            netloc = f"{host}:{after.port}" if after.port is not None else host
            new.url = urlunsplit(after._replace(netloc=netloc))
        for name in ("Authorization", "Cookie"):
            if name in new.headers:
                del new.headers[name]
    new.max_redirects = (request.max_redirects or 0) - 1
    if "Host" in new.headers:
        del new.headers["Host"]
    if (code == 303 and request.method != "HEAD") or (
        code in (301, 302) and request.method == "POST"
    ):
        new.method = "GET"
        new.body = None
        for name in ("Content-Length", "Content-Type", "Content-Encoding"):
            if name in new.headers:
                del new.headers[name]
        if "Transfer-Encoding" in new.headers:
            del new.headers["Transfer-Encoding"]
    new.original_request = original
    return new  # type: ignore[no-any-return]


class _Flavour:
    """How one implementation class turns a wire response into HTTPResponse."""

    def __init__(self, *, simple: bool) -> None:
        self.simple = simple

    def body_pieces(
        self, request: Any, answer: HttpResponse, headers: httputil.HTTPHeaders
    ) -> list[bytes]:
        pieces = answer.chunks or (answer.body,)
        if not request.decompress_response:
            return [piece for piece in pieces if piece]
        encoding = headers.get("Content-Encoding", "").strip().lower()
        if self.simple:
            if encoding != "gzip":
                return [piece for piece in pieces if piece]
            headers.add("X-Consumed-Content-Encoding", headers["Content-Encoding"])
            del headers["Content-Encoding"]
            return _decompressed(pieces)
        if encoding in ("gzip", "x-gzip", "deflate"):
            return _curl_decoded(pieces, "deflate" if encoding == "deflate" else "gzip")
        return [piece for piece in pieces if piece]


_SIMPLE: Final = _Flavour(simple=True)
_CURL: Final = _Flavour(simple=False)


async def _answer(
    client: AsyncHTTPClient,
    request: Any,
    callback: _Callback,
    *,
    original: _FetchImpl,
    session: CassetteSession,
    flavour: _Flavour,
) -> None:
    started, wall = time.monotonic(), time.time()
    original_request = getattr(request, "original_request", request)
    try:
        body = await _produced_body(request)
        http_request = HttpRequest(
            str(request.method).upper(),
            _url(request.url),
            tuple((str(k), str(v)) for k, v in request.headers.get_all()),
            body or b"",
        )

        async def live(_: HttpRequest) -> HttpResponse:
            capture = _Capture()
            done: asyncio.Future[HTTPResponse] = (
                asyncio.get_running_loop().create_future()
            )

            def finished(response: HTTPResponse) -> None:
                if not done.done():
                    done.set_result(response)

            original(client, _wire_request(request, body, capture), finished)
            wire = await done
            error = wire.error
            if error is not None and getattr(error, "response", None) is not wire:
                raise error  # no response: refused, timed out, reset...
            return _recorded(wire, capture)

        answer = await session.handle_async(http_request, live)
        headers = httputil.HTTPHeaders()
        if not flavour.simple:
            # The curl client keeps the status line's reason as a header.
            headers.add("X-Http-Reason", answer.reason)
        for name, value in answer.headers:
            headers.add(name, value)
        if _should_follow(request, answer.status, headers):
            _follow(client, request, answer.status, headers["Location"], callback)
            return
        pieces = flavour.body_pieces(request, answer, headers)
        header_callback = request.header_callback
        if header_callback is not None:
            header_callback(
                f"{answer.http_version} {answer.status} {answer.reason}\r\n"
            )
            # The simple client reports the headers it parsed (and renamed);
            # curl passes on the lines it received.
            lines = headers.get_all() if flavour.simple else answer.headers
            for name, value in lines:
                header_callback(f"{name}: {value}\r\n")
            header_callback("\r\n")
        streaming_callback = request.streaming_callback
        if streaming_callback is not None:
            for piece in pieces:
                result = streaming_callback(piece)
                if result is not None:
                    await result
            buffer = BytesIO()
        else:
            buffer = BytesIO(b"".join(pieces))
        response = HTTPResponse(
            original_request,
            answer.status,
            reason=answer.reason or None,
            headers=headers,
            request_time=time.monotonic() - started,
            start_time=wall,
            buffer=buffer,
            effective_url=request.url,
        )
    except Exception as error:  # every failure goes to fetch
        response = HTTPResponse(
            original_request,
            599,
            error=error,
            request_time=time.monotonic() - started,
            start_time=wall,
        )
    callback(response)


def _follow(
    client: AsyncHTTPClient,
    request: Any,
    code: int,
    location: str,
    callback: _Callback,
) -> None:
    """Fetch the redirect's target and give its response to ``callback``."""
    new = _redirected(request, code, location)
    started, wall = time.monotonic(), time.time()
    future = client.fetch(new, raise_error=False)

    def done(future: asyncio.Future[HTTPResponse]) -> None:
        try:
            response = future.result()
        except Exception as error:  # as the simple client does
            response = HTTPResponse(
                new,
                599,
                error=error,
                request_time=time.monotonic() - started,
                start_time=wall,
            )
        callback(response)

    future.add_done_callback(done)


def _patched_fetch_impl(flavour: _Flavour) -> Callable[[_FetchImpl], _FetchImpl]:
    def factory(original: _FetchImpl) -> _FetchImpl:
        def fetch_impl(
            self: AsyncHTTPClient, request: HTTPRequest, callback: _Callback
        ) -> None:
            session = current_session()
            if session is None:
                original(self, request, callback)
                return
            if not session.handles(request.url):
                # Tasks started here inherit passthrough: not unseen traffic.
                with passthrough():
                    original(self, request, callback)
                return
            if flavour.simple:
                _add_sent_headers(request)
            elif request.decompress_response:
                request.headers["Accept-Encoding"] = "gzip,deflate"
            task = asyncio.get_running_loop().create_task(
                _answer(
                    self,
                    request,
                    callback,
                    original=original,
                    session=session,
                    flavour=flavour,
                )
            )
            _TASKS.add(task)
            task.add_done_callback(_TASKS.discard)

        fetch_impl.__wrapped__ = original  # type: ignore[attr-defined]
        return fetch_impl

    return factory


def _targets() -> list[PatchTarget]:
    targets: list[PatchTarget] = [
        (SimpleAsyncHTTPClient, "fetch_impl", _patched_fetch_impl(_SIMPLE))
    ]
    if importlib.util.find_spec("pycurl") is not None:
        curl = importlib.import_module("tornado.curl_httpclient")
        targets.append(
            (curl.CurlAsyncHTTPClient, "fetch_impl", _patched_fetch_impl(_CURL))
        )
    return targets


#: The tornado patch (see interposition.http._patching).
PATCH = Patch("tornado", _targets)
