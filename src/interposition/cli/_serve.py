"""``interposition serve``: a cassette behind a real HTTP/1.1 server.

A small asyncio HTTP/1.1 server (keep-alive, ``Content-Length`` and chunked
request bodies, ``Expect: 100-continue``) hands each request to a
``CassetteSession``, so a request is matched exactly as ``use_cassette``
matches it (the same ``match_on``, ordered playback). The response is
written with its recorded status, reason and headers (framing headers
replaced by the server's own); a response recorded in several chunks is sent
chunked, one HTTP chunk per recorded chunk.

Which recorded origin a request is for (ADR 0400): an absolute-form request
target (``GET http://api.example.com/x``, as sent to a proxy) names it; else
a ``Host`` header naming a recorded origin's host (``curl -H 'Host:
api.example.com'``); else the default origin: the upstream's with
``--upstream``, otherwise the cassette's first. A miss answers
``404 Not Found`` with ``X-Interposition-Miss: 1`` and a plain-text body
naming the request, the closest recording and what differed.

With an upstream, misses are forwarded to it (``http.client``, in a worker
thread) and recorded: a recording reverse proxy. Unreachable: ``502``;
timed out: ``504``.

Bounded by ``Limits``: the request head's size and header count (``431``),
the body's size (``413``), the idle time between requests and between reads
(the connection is closed). Cassettes in the ``interposition-http-adapter``
convention (target a path, status in a ``status_code`` chunk metadata) are
served too. Nothing here imports click or rich.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from interposition.cli._common import CliError
from interposition.errors import InterpositionError
from interposition.http._mapping import (
    PROTOCOL,
    REASON_KEY,
    STATUS_KEY,
    HttpRequest,
    HttpResponse,
)
from interposition.http._options import CassetteOptions
from interposition.http._session import CassetteSession, HttpInteractionNotFoundError
from interposition.models import Cassette, Interaction, ResponseChunk
from interposition.services import CassetteStore
from interposition.stores import store_for_path

__all__ = [
    "ADAPTER_ORIGIN",
    "Limits",
    "Origins",
    "ReplayServer",
    "ServedStore",
    "from_adapter_convention",
    "serve",
]

#: The origin a path-only recording (interposition-http-adapter's) is served as.
ADAPTER_ORIGIN: Final = "http://localhost"
ADAPTER_STATUS_KEY: Final = "status_code"

#: Headers about one connection, never replayed or forwarded as recorded.
HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "content-length",
    }
)
_RECORD_HINT: Final = (
    " (serve: pass --upstream URL --record-mode new_episodes to record)"
)
_NO_BODY_STATUS: Final = frozenset({204, 304})


@dataclass(frozen=True, slots=True)
class Limits:
    """What one request may cost the server.

    Attributes:
        max_body: Largest request body, in bytes (``413`` beyond).
        max_header_bytes: Largest request head (request line and headers).
        max_headers: Most header lines (``431`` beyond either).
        idle_timeout: Seconds a connection may wait for its next request, or
            a request for its next bytes, before it is closed.
        upstream_timeout: Seconds to wait for the upstream (``504`` beyond).
    """

    max_body: int = 10 * 1024 * 1024
    max_header_bytes: int = 64 * 1024
    max_headers: int = 100
    idle_timeout: float = 30.0
    upstream_timeout: float = 30.0


def from_adapter_convention(interaction: Interaction, origin: str) -> Interaction:
    """An interposition-http-adapter recording in our HTTP convention.

    That convention keeps the target as a path and the status in a
    ``status_code`` metadata of the first chunk (200 when absent); ours keeps
    the full URL and ``:status`` / ``:reason``. Other interactions are
    returned unchanged.
    """
    request = interaction.request
    if request.protocol != PROTOCOL or not request.target.startswith("/"):
        return interaction
    chunks = interaction.response_chunks or (ResponseChunk(data=b"", sequence=0),)
    head = chunks[0].metadata
    if not any(key == STATUS_KEY for key, _ in head):
        status = next((v for k, v in head if k == ADAPTER_STATUS_KEY), "200")
        rest = tuple((k, v) for k, v in head if k != ADAPTER_STATUS_KEY)
        first = chunks[0].model_copy(
            update={"metadata": ((STATUS_KEY, status), (REASON_KEY, ""), *rest)}
        )
        chunks = (first, *chunks[1:])
    return Interaction.build(
        request.model_copy(update={"target": origin + request.target}),
        chunks,
        interaction.metadata,
    )


class ServedStore:
    """The cassette's store, with adapter-convention recordings translated.

    What it loads is what ``serve`` matches against; what the session records
    is written through to the file's own store.
    """

    def __init__(self, store: CassetteStore) -> None:
        self._store = store
        loaded = store.load()
        self.cassette: Cassette = Cassette.model_construct(
            interactions=tuple(
                from_adapter_convention(i, ADAPTER_ORIGIN) for i in loaded.interactions
            )
        )

    def load(self) -> Cassette:
        """The (translated) cassette."""
        return self.cassette

    def save(self, cassette: Cassette) -> None:
        """Write the whole cassette through."""
        self._store.save(cassette)

    def append(self, interaction: Interaction) -> None:
        """Write one more interaction through."""
        append = getattr(self._store, "append", None)
        if append is None:
            self._store.save(
                Cassette.model_construct(
                    interactions=(*self._store.load().interactions, interaction)
                )
            )
        else:
            append(interaction)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class Origins:
    """Which recorded origin a request is for (see the module docstring)."""

    def __init__(self, origins: list[str], default: str) -> None:
        self.origins: tuple[str, ...] = tuple(dict.fromkeys(origins))
        self.default: str = default
        self._by_host: dict[str, str] = {}
        for origin in reversed(self.origins):
            parts = urlsplit(origin)
            self._by_host[parts.netloc] = origin
            if parts.port is None and parts.hostname:
                self._by_host.setdefault(parts.hostname, origin)

    @classmethod
    def of(cls, cassette: Cassette, upstream: str | None) -> Origins:
        """The origins of a cassette's HTTP recordings, in first-seen order."""
        found = [
            _origin(i.request.target)
            for i in cassette.interactions
            if i.request.protocol == PROTOCOL and "://" in i.request.target
        ]
        if upstream is not None:
            return cls([_origin(upstream), *found], _origin(upstream))
        return cls(found, found[0] if found else ADAPTER_ORIGIN)

    def pick(self, host: str | None) -> str:
        """The origin for a request with this ``Host`` header."""
        if host is not None:
            origin = self._by_host.get(host.lower())
            if origin is not None:
                return origin
        return self.default


class _BadRequestError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _upstream_call(
    upstream_timeout: float,
) -> Callable[[HttpRequest], HttpResponse]:
    def call(request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        connection_class = (
            http.client.HTTPSConnection
            if parts.scheme == "https"
            else http.client.HTTPConnection
        )
        connection = connection_class(
            parts.hostname or "", parts.port, timeout=upstream_timeout
        )
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.putrequest(
                request.method, path, skip_host=True, skip_accept_encoding=True
            )
            connection.putheader("Host", parts.netloc)
            for name, value in request.headers:
                if name.lower() not in HOP_BY_HOP and name.lower() != "host":
                    connection.putheader(name, value)
            if request.body or request.method in ("POST", "PUT", "PATCH"):
                connection.putheader("Content-Length", str(len(request.body)))
            connection.endheaders(request.body or None)
            response = connection.getresponse()
            pieces = []
            while piece := response.read1(65536):
                pieces.append(piece)
            version = "HTTP/1.0" if response.version == 10 else "HTTP/1.1"
            return HttpResponse(
                response.status,
                response.reason,
                tuple(response.getheaders()),
                b"".join(pieces),
                version,
                tuple(pieces) if len(pieces) > 1 else (),
            )
        finally:
            connection.close()

    return call


def _status_line(status: int, reason: str) -> bytes:
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return f"HTTP/1.1 {status} {reason}\r\n".encode("latin-1", "replace")


def _plain(status: int, text: str, *, close: bool) -> bytes:
    body = (text.rstrip("\n") + "\n").encode()
    head = _status_line(status, "")
    head += b"Content-Type: text/plain; charset=utf-8\r\n"
    if status == 404:
        head += b"X-Interposition-Miss: 1\r\n"
    head += b"Content-Length: %d\r\n" % len(body)
    if close:
        head += b"Connection: close\r\n"
    return head + b"\r\n" + body


class ReplayServer:
    """An HTTP/1.1 server answering from a CassetteSession.

    Args:
        session: The open session (``record_mode`` and ``match_on`` as given).
        origins: How requests map onto recorded origins.
        upstream: Where misses go (then recorded), or None.
        limits: The bounds on every request.
        log: Where one-line notes go (misses, upstream errors).
    """

    def __init__(
        self,
        session: CassetteSession,
        origins: Origins,
        *,
        upstream: str | None = None,
        limits: Limits | None = None,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.origins = origins
        self.upstream = upstream
        self.limits = limits or Limits()
        self._log = log or (lambda line: None)
        self._live = _upstream_call(self.limits.upstream_timeout)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.requests = 0

    async def start(self, host: str, port: int) -> tuple[str, int]:
        """Listen; return the bound (host, port).

        Raises:
            CliError: The address cannot be bound (in use, not local...).
        """
        try:
            self._server = await asyncio.start_server(
                self._connection, host, port, limit=self.limits.max_header_bytes
            )
        except OSError as error:
            msg = f"cannot listen on {host}:{port}: {error.strerror or error}"
            raise CliError(msg) from None
        address = self._server.sockets[0].getsockname()
        return str(address[0]), int(address[1])

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    # -- one connection -------------------------------------------------------

    async def _connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._writers.add(writer)
        try:
            while await self._one_request(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _read_head(self, reader: asyncio.StreamReader) -> bytes | None:
        try:
            async with asyncio.timeout(self.limits.idle_timeout):
                head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if error.partial.strip():
                raise _BadRequestError(400, "the request head ended early") from None
            return None
        except asyncio.LimitOverrunError:
            raise _BadRequestError(
                431,
                f"the request head is larger than {self.limits.max_header_bytes} bytes",
            ) from None
        return head.lstrip(b"\r\n")

    async def _read_body(
        self, reader: asyncio.StreamReader, headers: list[tuple[str, str]]
    ) -> bytes:
        lengths = {v.strip() for k, v in headers if k.lower() == "content-length"}
        encodings = ",".join(
            v for k, v in headers if k.lower() == "transfer-encoding"
        ).lower()
        limit = self.limits.max_body
        async with asyncio.timeout(self.limits.idle_timeout):
            if "chunked" in encodings:
                if lengths:
                    raise _BadRequestError(
                        400, "both Content-Length and chunked encoding"
                    )
                return await self._read_chunked(reader, limit)
            if not lengths:
                return b""
            if len(lengths) > 1 or not next(iter(lengths)).isdigit():
                raise _BadRequestError(400, "an invalid Content-Length")
            length = int(next(iter(lengths)))
            if length > limit:
                raise _BadRequestError(413, f"the body is larger than {limit} bytes")
            return await reader.readexactly(length)

    async def _read_chunked(self, reader: asyncio.StreamReader, limit: int) -> bytes:
        pieces: list[bytes] = []
        total = 0
        while True:
            line = await reader.readuntil(b"\r\n")
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _BadRequestError(400, "an invalid chunk size") from None
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers are read and dropped
                return b"".join(pieces)
            total += size
            if total > limit:
                raise _BadRequestError(413, f"the body is larger than {limit} bytes")
            pieces.append((await reader.readexactly(size + 2))[:-2])

    def _parse_head(self, head: bytes) -> tuple[str, str, str, list[tuple[str, str]]]:
        lines = head[:-4].split(b"\r\n")
        try:
            method, target, version = lines[0].decode("latin-1").split(" ")
        except ValueError:
            raise _BadRequestError(400, "a malformed request line") from None
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise _BadRequestError(505, f"{version!r} is not HTTP/1.1 or HTTP/1.0")
        if len(lines) - 1 > self.limits.max_headers:
            raise _BadRequestError(
                431, f"more than {self.limits.max_headers} header lines"
            )
        headers = []
        for raw in lines[1:]:
            name, colon, value = raw.decode("latin-1").partition(":")
            if not colon or not name or name != name.strip():
                raise _BadRequestError(400, f"a malformed header line {raw[:40]!r}")
            headers.append((name, value.strip()))
        return method.upper(), target, version, headers

    async def _one_request(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; return whether the connection stays open."""
        try:
            head = await self._read_head(reader)
            if head is None:
                return False
            method, target, version, headers = self._parse_head(head)
            lowered = {name.lower(): value for name, value in headers}
            if lowered.get("expect", "").lower() == "100-continue":
                writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = await self._read_body(reader, headers)
        except _BadRequestError as error:
            writer.write(_plain(error.status, str(error), close=True))
            await writer.drain()
            return False
        connection = lowered.get("connection", "").lower()
        keep_alive = (
            "close" not in connection
            if version == "HTTP/1.1"
            else "keep-alive" in connection
        )
        self.requests += 1
        writer.write(
            await self._answer(
                method, target, version, headers, body, keep_alive=keep_alive
            )
        )
        await writer.drain()
        return keep_alive

    def _request(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> HttpRequest:
        if target.startswith(("http://", "https://")):
            url = target
        elif target.startswith("/"):
            host = next((v for k, v in headers if k.lower() == "host"), None)
            url = self.origins.pick(host) + target
        else:
            raise _BadRequestError(400, f"the request target {target!r} is not a path")
        netloc = urlsplit(url).netloc
        sent = [
            (k, v)
            for k, v in headers
            if k.lower() not in HOP_BY_HOP and k.lower() not in ("host", "expect")
        ]
        return HttpRequest(method, url, (("Host", netloc), *sent), body)

    async def _answer(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        keep_alive: bool,
    ) -> bytes:
        try:
            request = self._request(method, target, headers, body)
            response = await self.session.handle_async(request, self._forward)
        except _BadRequestError as error:
            return _plain(error.status, str(error), close=not keep_alive)
        except HttpInteractionNotFoundError as error:
            self._log(f"miss: {method} {target}")
            hint = "" if self.upstream else _RECORD_HINT
            return _plain(404, f"{error}{hint}", close=not keep_alive)
        except TimeoutError:
            text = f"upstream {self.upstream} did not answer in time"
            self._log(text)
            return _plain(504, text, close=not keep_alive)
        except OSError as error:
            text = f"upstream {self.upstream} unreachable: {error}"
            self._log(text)
            return _plain(502, text, close=not keep_alive)
        except InterpositionError as error:
            self._log(f"error: {error}")
            return _plain(500, str(error), close=not keep_alive)
        return self._encode(response, method, version, keep_alive)

    async def _forward(self, request: HttpRequest) -> HttpResponse:
        if self.upstream is None:  # pragma: no cover - the session records only then
            msg = "no upstream to record from"
            raise CliError(msg)
        return await asyncio.to_thread(self._live, request)

    @staticmethod
    def _encode(
        response: HttpResponse, method: str, version: str, keep_alive: bool
    ) -> bytes:
        head = [_status_line(response.status, response.reason)]
        for name, value in response.headers:
            if name.lower() not in HOP_BY_HOP:
                head.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
        if not keep_alive:
            head.append(b"Connection: close\r\n")
        elif version == "HTTP/1.0":
            head.append(b"Connection: keep-alive\r\n")
        status = response.status
        if status < 200 or status in _NO_BODY_STATUS:
            return b"".join(head) + b"\r\n"
        chunks = response.chunks
        if len(chunks) > 1 and version == "HTTP/1.1" and method != "HEAD":
            head.append(b"Transfer-Encoding: chunked\r\n\r\n")
            for chunk in chunks:
                if chunk:
                    head.append(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            head.append(b"0\r\n\r\n")
            return b"".join(head)
        head.append(b"Content-Length: %d\r\n\r\n" % len(response.body))
        if method != "HEAD":
            head.append(response.body)
        return b"".join(head)


def check_upstream(upstream: str, timeout: float = 5.0) -> None:
    """Fail early when the upstream cannot be reached.

    Raises:
        CliError: It is not an http(s) URL, or nothing answers there.
    """
    parts = urlsplit(upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = f"--upstream must be an http:// or https:// URL, not {upstream!r}"
        raise CliError(msg)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as error:
        msg = f"upstream {upstream} unreachable: {error.strerror or error}"
        raise CliError(msg) from None


def serve(
    path: Path,
    options: CassetteOptions,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    upstream: str | None = None,
    limits: Limits | None = None,
    out: Callable[[str], None] = print,
    log: Callable[[str], None] | None = None,
) -> int:
    """Serve the cassette until SIGINT or SIGTERM; return the exit status.

    Prints ``Serving PATH on http://HOST:PORT`` once it accepts connections.

    Raises:
        CliError: No cassette (and nothing to record it from), the address
            cannot be bound, or the upstream cannot be reached.
    """
    if upstream is not None:
        check_upstream(upstream)
    elif not path.exists():
        msg = f"no cassette at {path}: check the path (or record one with --upstream)"
        raise CliError(msg)
    store = ServedStore(
        options.cassette_store
        or store_for_path(
            path, create_if_missing=True, cassette_format=options.cassette_format
        )
    )
    session = CassetteSession(path, options.replace(cassette_store=store))
    origins = Origins.of(store.cassette, upstream)
    note = log or (lambda line: print(line, file=sys.stderr, flush=True))
    server = ReplayServer(session, origins, upstream=upstream, limits=limits, log=note)
    recorded_before = len(session.interactions)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        bound_host, bound_port = await server.start(host, port)
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        out(f"Serving {path} on http://{shown}:{bound_port}")
        try:
            await stop.wait()
        finally:
            await server.stop()

    asyncio.run(main())
    recorded = len(session.interactions) - recorded_before
    if session.recording_allowed:
        note(f"Stopped: {recorded} new interactions recorded into {path}")
    else:
        note(f"Stopped after {server.requests} requests")
    return 0
