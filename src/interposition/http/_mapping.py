"""The HTTP convention: how an HTTP exchange maps onto an engine Interaction.

Request:
    ``protocol="http"``, ``action`` = the method (upper case), ``target`` = the
    full URL, ``headers`` = the request headers as (name, value) pairs in the
    order sent (a name may repeat), ``body`` = the request body.

Response:
    One or more ResponseChunk. The concatenated ``data`` of the chunks is the
    body as it came off the wire (after transfer decoding, before content
    decoding). The first chunk's ``metadata`` holds the response head:
    ``(":status", "200")``, ``(":reason", "OK")``, ``(":version",
    "HTTP/1.1")``, then every response header as a (name, value) pair, in
    order, a name repeated once per value. Names that start with ``:`` cannot
    be HTTP header names, so the two never collide. When a client measured
    when each piece of a streamed body arrived, every chunk's ``metadata``
    also holds ``(":delay", "0.052000")``: seconds since the previous chunk
    (for the first, since the response head).

See ``docs/http.md`` and ``docs/adr/0200-http-response-head-in-first-chunk.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urlsplit

from interposition.errors import InterpositionError
from interposition.models import (
    Interaction,
    InteractionRequest,
    ResponseChunk,
    _trusted,
)

__all__ = [
    "PROTOCOL",
    "VERSION_NUMBERS",
    "VERSION_TEXTS",
    "Headers",
    "HttpMappingError",
    "HttpRequest",
    "HttpResponse",
    "body_bytes",
    "build_url",
    "from_interaction",
    "header_pairs",
    "request_from_engine",
    "request_to_engine",
    "response_from_chunks",
    "response_to_chunks",
    "to_interaction",
]

#: The engine protocol name of every HTTP interaction.
PROTOCOL: Final = "http"

#: Headers: (name, value) pairs, in order; a name may repeat.
Headers = tuple[tuple[str, str], ...]

STATUS_KEY: Final = ":status"
REASON_KEY: Final = ":reason"
VERSION_KEY: Final = ":version"
DELAY_KEY: Final = ":delay"
_MAX_DELAY: Final = 86400.0  # a day: rejects inf, nan and nonsense

_DEFAULT_PORTS: Final = {"http": 80, "https": 443, "ws": 80, "wss": 443}


class HttpMappingError(InterpositionError):
    """Raised when a recorded interaction is not a valid HTTP interaction."""


def _header_value(headers: Headers, name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers:
        if key.lower() == lowered:
            return value
    return None


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """An HTTP request, independent of any client library.

    Attributes:
        method: The method, upper case (``GET``, ``POST``...).
        url: The full URL: ``scheme://host[:port]/path[?query]``.
        headers: (name, value) pairs in the order sent; a name may repeat.
        body: The body, as sent (after transfer decoding).
    """

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        return _header_value(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header (case-insensitive), in order."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def replace(self, **changes: object) -> HttpRequest:
        """Return a copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """An HTTP response, independent of any client library.

    Attributes:
        status: The status code.
        reason: The reason phrase (may be empty).
        headers: (name, value) pairs in the order received; a name may repeat.
        body: The body as received (after transfer decoding, before content
            decoding: a gzip-encoded body stays gzip).
        http_version: ``HTTP/1.1``, ``HTTP/1.0``, ``HTTP/2``...
        chunks: When the body was received in pieces worth keeping, those
            pieces (their concatenation equals ``body``); empty otherwise.
        chunk_delays: When ``chunks`` is set and their arrival was timed, the
            seconds between the previous piece (for the first, the response
            head) and each piece, one per piece; empty otherwise.
    """

    status: int
    reason: str = ""
    headers: Headers = ()
    body: bytes = b""
    http_version: str = "HTTP/1.1"
    chunks: tuple[bytes, ...] = field(default=(), compare=False, repr=False)
    chunk_delays: tuple[float, ...] = field(default=(), compare=False, repr=False)

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        return _header_value(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        """Every value of a header (case-insensitive), in order."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def replace(self, **changes: object) -> HttpResponse:
        """Return a copy with some fields changed.

        A new ``body`` resets ``chunks`` and ``chunk_delays`` unless they are
        given too.
        """
        if "body" in changes and "chunks" not in changes:
            changes["chunks"] = ()
            changes.setdefault("chunk_delays", ())
        return replace(self, **changes)  # type: ignore[arg-type]


def build_url(scheme: str, host: str, port: int | None, target: str) -> str:
    """Build the full URL of a request from its connection and request target.

    Args:
        scheme: ``http`` or ``https``.
        host: The host name or address (an IPv6 address with or without
            brackets).
        port: The port; omitted from the URL when it is the scheme's default.
        target: The request target: ``/path?query``, or an absolute URL (as
            sent to a proxy), which is returned unchanged.
    """
    if target.startswith(("http://", "https://")):
        return target
    scheme = scheme.lower()
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    if not target.startswith("/"):
        target = "/" + target
    return f"{scheme}://{host}{target}"


def _text(value: object) -> str:
    # Clients may pass header names and values as bytes (botocore does, for
    # every AWS request): they are text on the wire, latin-1 by HTTP's rules.
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return value if type(value) is str else str(value)


def body_bytes(body: Any) -> bytes:  # noqa: PLR0911 - one case per body type
    """A request body as clients hand it over (bytes, text, a file, parts)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytearray, memoryview)):
        return bytes(body)
    read = getattr(body, "read", None)
    if read is not None:
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        return b"".join(
            part.encode("utf-8") if isinstance(part, str) else bytes(part)
            for part in body
        )
    return bytes(body)


#: HTTP versions as urllib3 (and urllib3-future, and http.client) number them.
VERSION_NUMBERS: Final = {
    "HTTP/1.0": 10,
    "HTTP/1.1": 11,
    "HTTP/2": 20,
    "HTTP/2.0": 20,
    "HTTP/3": 30,
    "HTTP/3.0": 30,
}
#: The version text of each number (the inverse of VERSION_NUMBERS).
VERSION_TEXTS: Final = {10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2", 30: "HTTP/3"}


def header_pairs(headers: Iterable[tuple[object, object]]) -> Headers:
    """Headers as (name, value) text pairs, bytes decoded (never a repr)."""
    return tuple((_text(name), _text(value)) for name, value in headers)


def _as_pairs(headers: Iterable[tuple[str, str]]) -> Headers:
    return header_pairs(headers)


def request_to_engine(request: HttpRequest) -> InteractionRequest:
    """Map an HttpRequest onto the engine's InteractionRequest."""
    headers = request.headers
    body = request.body
    # The engine's trusted construction (what model_construct does, several
    # times faster): every field is of the right type here.
    return _trusted(
        InteractionRequest,
        {
            "protocol": PROTOCOL,
            "action": request.method.upper(),
            "target": request.url,
            "headers": headers if type(headers) is tuple else _as_pairs(headers),
            "body": body if type(body) is bytes else bytes(body),
        },
    )


def request_from_engine(request: InteractionRequest) -> HttpRequest:
    """Map an engine InteractionRequest back onto an HttpRequest."""
    return HttpRequest(
        method=request.action,
        url=request.target,
        headers=request.headers,
        body=request.body,
    )


def response_to_chunks(response: HttpResponse) -> tuple[ResponseChunk, ...]:
    """Map an HttpResponse onto response chunks; the first carries the head."""
    head: Headers = (
        (STATUS_KEY, str(response.status)),
        (REASON_KEY, response.reason),
        (VERSION_KEY, response.http_version),
        *_as_pairs(response.headers),
    )
    pieces: Sequence[bytes] = response.chunks or (response.body,)
    delays = response.chunk_delays
    if not delays or len(delays) != len(pieces):
        return tuple(
            ResponseChunk.model_construct(
                data=bytes(piece),
                sequence=position,
                metadata=head if position == 0 else (),
            )
            for position, piece in enumerate(pieces)
        )
    return tuple(
        ResponseChunk.model_construct(
            data=bytes(piece),
            sequence=position,
            metadata=(
                *(head if position == 0 else ()),
                (DELAY_KEY, f"{max(delay, 0.0):.6f}"),
            ),
        )
        for position, (piece, delay) in enumerate(zip(pieces, delays, strict=True))
    )


def _chunk_delays(chunks: Sequence[ResponseChunk]) -> tuple[float, ...]:
    """Every chunk's ``:delay``, or () unless each chunk has a valid one."""
    delays: list[float] = []
    for chunk in chunks:
        delay = _delay(chunk.metadata)
        if delay is None:
            return ()
        delays.append(delay)
    return tuple(delays)


def _delay(metadata: Iterable[tuple[str, str]]) -> float | None:
    for key, value in metadata:
        if key == DELAY_KEY:
            try:
                delay = float(value)
            except ValueError:
                return None
            return delay if 0 <= delay < _MAX_DELAY else None
    return None


def response_from_chunks(chunks: Sequence[ResponseChunk]) -> HttpResponse:
    """Map response chunks (as recorded by any adapter) onto an HttpResponse.

    Raises:
        HttpMappingError: When there are no chunks or the first one carries no
            ``:status``.
    """
    if not chunks:
        msg = "an HTTP interaction needs at least one response chunk"
        raise HttpMappingError(msg)
    status: int | None = None
    reason = ""
    version = "HTTP/1.1"
    headers: list[tuple[str, str]] = []
    timed = False
    for key, value in chunks[0].metadata:
        if not key.startswith(":"):
            headers.append((key, value))
        elif key == STATUS_KEY:
            try:
                status = int(value)
            except ValueError:
                status = None
        elif key == REASON_KEY:
            reason = value
        elif key == VERSION_KEY:
            version = value
        elif key == DELAY_KEY:
            timed = True
    if status is None:
        msg = (
            "the recorded response has no valid ':status' in its first chunk's "
            "metadata; it was not recorded by interposition.http (see docs/http.md)"
        )
        raise HttpMappingError(msg)
    # Only a timed recording has ':delay' in its first chunk: skip the pass.
    delays = _chunk_delays(chunks) if timed else ()
    if len(chunks) == 1 and not delays:
        body = chunks[0].data
        pieces: tuple[bytes, ...] = ()
    else:
        pieces = tuple(chunk.data for chunk in chunks)
        body = b"".join(pieces)
    return HttpResponse(status, reason, tuple(headers), body, version, pieces, delays)


def to_interaction(
    request: HttpRequest,
    response: HttpResponse,
    metadata: Iterable[tuple[str, str]] = (),
) -> Interaction:
    """Map one HTTP exchange onto an engine Interaction."""
    return Interaction.build(
        request_to_engine(request), response_to_chunks(response), _as_pairs(metadata)
    )


def from_interaction(interaction: Interaction) -> tuple[HttpRequest, HttpResponse]:
    """Map an engine Interaction recorded by any HTTP adapter back onto HTTP.

    Raises:
        HttpMappingError: When the interaction is not an HTTP interaction.
    """
    if interaction.request.protocol != PROTOCOL:
        msg = (
            f"interaction protocol is {interaction.request.protocol!r}, "
            f"not {PROTOCOL!r}: it was not recorded by an HTTP adapter"
        )
        raise HttpMappingError(msg)
    return (
        request_from_engine(interaction.request),
        response_from_chunks(interaction.response_chunks),
    )


def split_url(url: str) -> tuple[str, str, int | None, str, str]:
    """Split a URL into (scheme, host, port, path, query); port None if absent."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (
        parts.scheme.lower(),
        (parts.hostname or "").lower(),
        port,
        parts.path or "/",
        parts.query,
    )


def default_port(scheme: str) -> int | None:
    """The default port of a scheme, or None."""
    return _DEFAULT_PORTS.get(scheme.lower())
