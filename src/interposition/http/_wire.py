"""HTTP/1.1 on the wire, for adapters whose client talks to a socket.

``parse_request`` reads the bytes a client wrote into an HttpRequest;
``serialize_response`` writes an HttpResponse back as HTTP/1.1 bytes (with
its recorded chunk boundaries when it was chunked), for the client's own
parser; ``serialize_head`` and ``serialize_body`` give its two parts, the
body one item per recorded piece, for a client fed piece by piece.
``CassetteSocket`` stands in for the socket of an
``http.client.HTTPConnection`` (or a subclass, such as httplib2's): the
client writes its request into it, and reads the answer from the cassette
session, or from a real connection opened with the client's original
``connect``. ``cassette_connect`` builds the replacement ``connect``.

Used by the http.client, httplib2 and aiohttp adapters; it imports the
standard library only.
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable
from typing import Any

from interposition.http._mapping import HttpRequest, HttpResponse, build_url
from interposition.http._session import CassetteSession, current_session, passthrough

__all__ = [
    "CassetteSocket",
    "Connect",
    "cassette_connect",
    "parse_request",
    "serialize_body",
    "serialize_head",
    "serialize_response",
]

#: An ``HTTPConnection.connect``-shaped callable.
Connect = Callable[[http.client.HTTPConnection], None]


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    position = 0
    while position < len(body):
        line_end = body.find(b"\r\n", position)
        if line_end == -1:
            break
        size = int(body[position:line_end].split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            break
        start = line_end + 2
        out += body[start : start + size]
        position = start + size + 2
    return bytes(out)


def parse_request(raw: bytes, scheme: str, host: str, port: int | None) -> HttpRequest:
    """Parse the bytes http.client wrote into an HttpRequest."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, _, rest = lines[0].decode("latin-1").partition(" ")
    target = rest.rpartition(" ")[0] or rest
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[:1] in (b" ", b"\t") and headers:  # obsolete line folding
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.decode("latin-1").strip())
            continue
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    if any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in headers
    ):
        body = _dechunk(body)
    return HttpRequest(
        method.upper(), build_url(scheme, host, port, target), tuple(headers), body
    )


def _is_chunked(response: HttpResponse) -> bool:
    return any(
        name.lower() == "transfer-encoding" and "chunked" in value.lower()
        for name, value in response.headers
    )


def serialize_head(response: HttpResponse) -> bytes:
    """Write a response's status line and headers (ending in the blank line).

    A ``Content-Length`` is made to agree with the body when there is one.
    """
    version = response.http_version
    if not version.startswith("HTTP/1."):
        version = "HTTP/1.1"
    chunked = _is_chunked(response)
    body = response.body
    head = [f"{version} {response.status} {response.reason}".rstrip()]
    for name, value in response.headers:
        if name.lower() == "content-length" and not chunked and body:
            value = str(len(body))  # noqa: PLW2901 - keep the framing consistent
        head.append(f"{name}: {value}")
    return "\r\n".join(head).encode("latin-1", "replace") + b"\r\n\r\n"


def serialize_body(response: HttpResponse) -> list[bytes]:
    """Write a response's body as it goes on the wire, one item per recorded piece.

    A chunked response gets one HTTP chunk per recorded piece (the last item
    ends with the terminating chunk), so a client reading the items one by
    one sees the recorded chunk boundaries.
    """
    if not _is_chunked(response):
        return [piece for piece in response.chunks or (response.body,) if piece]
    out = [
        b"%x\r\n%s\r\n" % (len(piece), piece)
        for piece in response.chunks or (response.body,)
        if piece
    ]
    if out:
        out[-1] += b"0\r\n\r\n"
    else:
        out.append(b"0\r\n\r\n")
    return out


def serialize_response(response: HttpResponse) -> bytes:
    """Write a response as HTTP/1.x bytes, for http.client to parse."""
    return serialize_head(response) + b"".join(serialize_body(response))


def _message_headers(message: http.client.HTTPMessage) -> tuple[tuple[str, str], ...]:
    return tuple((str(name), str(value)) for name, value in message.items())


class CassetteSocket:
    """Stands in for the socket of an intercepted ``HTTPConnection``."""

    def __init__(
        self,
        connection: http.client.HTTPConnection,
        session: CassetteSession,
        real_connect: Connect,
    ) -> None:
        self._connection = connection
        self._session = session
        self._real_connect = real_connect
        self._sent = bytearray()

    # The parts of the socket interface http.client uses.
    def sendall(self, data: Any) -> None:
        self._sent += data

    def send(self, data: Any) -> int:
        self._sent += data
        return len(data)

    def settimeout(self, timeout: float | None) -> None:
        """Accepted and ignored: nothing here blocks."""

    def setsockopt(self, *args: Any) -> None:
        """Accepted and ignored."""

    def fileno(self) -> int:
        return -1

    def shutdown(self, how: int) -> None:
        """Accepted and ignored."""

    def close(self) -> None:
        self._sent.clear()

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BytesIO:
        """Answer the request written so far; http.client reads the response."""
        raw = bytes(self._sent)
        self._sent.clear()
        connection = self._connection
        scheme = (
            "https" if isinstance(connection, http.client.HTTPSConnection) else "http"
        )
        host = getattr(connection, "_tunnel_host", None) or connection.host
        port = getattr(connection, "_tunnel_port", None) or connection.port
        request = parse_request(raw, scheme, host, port)
        session = current_session()
        if session is None and self._session.is_open:
            session = self._session

        def live(_: HttpRequest) -> HttpResponse:
            return self._live(raw, request.method)

        if session is None:
            with passthrough():
                response = live(request)
        else:
            response = session.handle(request, live)
        return io.BytesIO(serialize_response(response))

    def _live(self, raw: bytes, method: str) -> HttpResponse:
        connection = self._connection
        saved = connection.sock
        try:
            self._real_connect(connection)
            real = connection.sock
        finally:
            connection.sock = saved
        try:
            real.sendall(raw)
            wire = http.client.HTTPResponse(real, method=method)
            wire.begin()
            try:
                body = wire.read()
            finally:
                wire.close()
            return HttpResponse(
                status=wire.status,
                reason=wire.reason,
                headers=_message_headers(wire.msg),
                body=body,
                http_version="HTTP/1.0" if wire.version == 10 else "HTTP/1.1",
            )
        finally:
            real.close()


def cassette_connect(original: Connect, live_connect: Connect | None = None) -> Connect:
    """Build the ``connect`` that replaces ``original`` while a cassette is on.

    Args:
        original: The connection class's own ``connect``.
        live_connect: What opens the real connection of a live request
            (default: ``original``), for a client that reports connection
            errors in its own terms.
    """

    def connect(self: http.client.HTTPConnection) -> None:
        session = current_session()
        if session is not None:
            scheme = (
                "https" if isinstance(self, http.client.HTTPSConnection) else "http"
            )
            host = getattr(self, "_tunnel_host", None) or self.host
            if session.handles(build_url(scheme, host, None, "/")):
                self.sock = CassetteSocket(self, session, live_connect or original)
                return
            with passthrough():
                original(self)
            return
        original(self)

    connect.__wrapped__ = original  # type: ignore[attr-defined]
    return connect
