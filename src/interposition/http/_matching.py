"""HTTP matching: ``match_on`` fields turned into one engine key function.

The engine indexes recordings by the key a function computes from each
request, so a lookup is one key computation and one dict access. The HTTP
default key is (method, normalized URL). vcrpy's matcher names have vcrpy's
meanings (``uri`` the URL as written, ``path`` undecoded, ``query`` sorted
decoded pairs, ``raw_body`` exact, ``body`` parsed by content type), each
turned into a key rather than a pairwise comparison (ADR 0007); ``url``
stays our normalized URL. The differ names, in HTTP terms, how the closest
recording differs from a request that missed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeAlias
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

from interposition.errors import ConfigurationError
from interposition.http._mapping import HttpRequest, default_port, request_from_engine
from interposition.matching import KeyFunction, PredicateMatcher
from interposition.models import InteractionRequest

if TYPE_CHECKING:
    from interposition.http._redaction import Redactor

__all__ = [
    "DEFAULT_MATCH_ON",
    "MATCH_FIELDS",
    "HttpKeyFunction",
    "HttpPredicate",
    "MatchOn",
    "build_differ",
    "build_matcher",
    "normalize_url",
    "predicate",
]

#: Fields ``match_on`` accepts; ``header:<name>`` matches one named header.
MATCH_FIELDS: Final = (
    "method",
    "url",
    "scheme",
    "host",
    "port",
    "path",
    "query",
    "headers",
    "uri",
    "raw_body",
    "body",
    "json_body",
)

#: The default: method and normalized URL (scheme, host, port, path, query).
DEFAULT_MATCH_ON: Final = ("method", "url")

#: A user key function over HTTP requests.
HttpKeyFunction: TypeAlias = Callable[[HttpRequest], Hashable]

#: A user predicate over (incoming, recorded) HTTP requests.
HttpPredicate: TypeAlias = Callable[[HttpRequest, HttpRequest], bool]

#: What ``use_cassette(match_on=...)`` accepts.
MatchOn: TypeAlias = Sequence[str] | HttpKeyFunction | PredicateMatcher

_URL_FIELDS: Final = frozenset({"url", "scheme", "host", "port"})

_UrlParts = tuple[str, str, int | None, str, tuple[tuple[str, str], ...]]


def _query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    if not query:
        return ()
    if "%" not in query and "+" not in query and ";" not in query:
        pairs = []
        for item in query.split("&"):
            if item:
                name, _, value = item.partition("=")
                pairs.append((name, value))
        pairs.sort()
        return tuple(pairs)
    return tuple(sorted(parse_qsl(query, keep_blank_values=True)))


# scheme://netloc[/path][?query][#fragment], for a netloc without userinfo,
# brackets (IPv6) or backslashes; anything else takes the urlsplit path.
_SIMPLE_URL: Final = re.compile(
    r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#@\[\\\t\r\n]*)(/[^?#\t\r\n]*)?"
    r"(?:\?([^#\t\r\n]*))?(?:#[^\t\r\n]*)?\Z",
)


def _url_parts(url: str) -> _UrlParts:
    """Split a URL into its matching form; one regex match for common URLs."""
    match = _SIMPLE_URL.match(url)
    if match is None:
        return _url_parts_slow(url)
    scheme, netloc, path, query = match.groups()
    scheme = scheme.lower()
    host, colon, port_text = netloc.lower().partition(":")
    port: int | None
    if colon:
        if not port_text.isdigit():
            return _url_parts_slow(url)
        port = int(port_text)
    else:
        port = default_port(scheme)
    if path and "%" in path:
        path = unquote(path)
    return (scheme, host, port, path or "/", _query_pairs(query) if query else ())


def _url_parts_slow(url: str) -> _UrlParts:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = default_port(scheme)
    query = parts.query
    return (
        scheme,
        (parts.hostname or "").lower(),
        port,
        unquote(parts.path) or "/",
        _query_pairs(query),
    )


def normalize_url(url: str) -> Hashable:
    """The matching form of a URL.

    Scheme and host are compared case-insensitively, a default port equals
    no port, percent-encoding in the path is decoded, query parameters are
    compared as a sorted list of decoded pairs, and the fragment is ignored.
    """
    return _url_parts(url)


def _json_form(body: bytes) -> Hashable:
    if not body:
        return b""
    try:
        return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return body


def _header_first(request: InteractionRequest, name: str) -> str:
    for key, value in request.headers:
        if key.lower() == name:
            return value
    return ""


def _dechunk(body: bytes) -> bytes:
    """A body in the chunked transfer coding, decoded (as vcrpy's ``body``)."""
    out: list[bytes] = []
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        if line_end == -1:
            raise ValueError("malformed chunked data")
        size = int(body[position:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(out)
        start = line_end + 2
        out.append(body[start : start + size])
        if body[start + size : start + size + 2] != b"\r\n":
            raise ValueError("malformed chunked data")
        position = start + size + 2


def _body_form(request: InteractionRequest, _: _UrlParts | None) -> Hashable:
    """The vcrpy ``body``: parsed by content type, else the bytes.

    A chunked body is de-chunked; a form body (by its Content-Type) compares
    as its parsed fields, names in any order; a JSON body compares parsed,
    whatever its Content-Type says (vcrpy's aiohttp cassettes keep no
    request headers); a body that does not parse compares as its bytes.
    """
    return _content_form(request, request.body)


def _content_form(request: InteractionRequest, body: bytes) -> Hashable:
    raw = body
    try:
        if "chunked" in _header_first(request, "transfer-encoding").lower():
            body = _dechunk(body)
        content_type = _header_first(request, "content-type").lower()
        if "application/x-www-form-urlencoded" in content_type:
            fields = parse_qs(body.decode("ascii"))
            return ("form", tuple(sorted((k, tuple(v)) for k, v in fields.items())))
        if "application/json" in content_type or body.lstrip()[:1] in (b"{", b"["):
            parsed = json.loads(body)
            return ("json", json.dumps(parsed, sort_keys=True, separators=(",", ":")))
    except (ValueError, UnicodeDecodeError):
        return ("raw", raw)
    return ("raw", body)


def _uri_form(request: InteractionRequest, _: _UrlParts | None) -> str:
    """The vcrpy ``uri``: the URL as written; a bare host gains its "/"."""
    url = request.target
    parts = urlsplit(url)
    if parts.path:
        return url
    authority = f"{parts.scheme}://{parts.netloc}"
    if not url.startswith(authority):
        return url
    return authority + "/" + url[len(authority) :]


def _vcrpy_path(request: InteractionRequest, _: _UrlParts | None) -> str:
    """The vcrpy ``path``: as written (not percent-decoded); empty is "/"."""
    return urlsplit(request.target).path or "/"


def _vcrpy_query(request: InteractionRequest, _: _UrlParts | None) -> object:
    """The vcrpy ``query``: sorted decoded pairs (blank values dropped)."""
    query = urlsplit(request.target).query
    return tuple(sorted(parse_qsl(query))) if query else ()


def _headers_form(headers: Iterable[tuple[str, str]]) -> Hashable:
    return tuple(sorted(((k.lower(), v) for k, v in headers), key=lambda kv: kv[0]))


def _header_form(name: str) -> Callable[[InteractionRequest, _UrlParts | None], object]:
    lowered = name.lower()

    def extract(request: InteractionRequest, _: _UrlParts | None) -> object:
        return tuple(v for k, v in request.headers if k.lower() == lowered)

    return extract


_Extractor = Callable[[InteractionRequest, _UrlParts | None], object]

_EXTRACTORS: Final[dict[str, _Extractor]] = {
    "method": lambda r, _: r.action.upper(),
    "url": lambda _, u: u,
    "scheme": lambda _, u: u[0] if u else None,
    "host": lambda _, u: u[1] if u else None,
    "port": lambda _, u: u[2] if u else None,
    "path": _vcrpy_path,
    "query": _vcrpy_query,
    "headers": lambda r, _: _headers_form(r.headers),
    "uri": _uri_form,
    "raw_body": lambda r, _: r.body,
    "body": _body_form,
    "json_body": lambda r, _: _json_form(r.body),
}


def _check_fields(fields: Sequence[str]) -> None:
    if isinstance(fields, str):
        msg = (
            f"match_on must be a sequence of field names, not the string "
            f"{fields!r}: write match_on=[{fields!r}]"
        )
        raise ConfigurationError(msg)
    if not fields:
        msg = "match_on needs at least one field, e.g. ['method', 'url']"
        raise ConfigurationError(msg)
    for name in fields:
        if not isinstance(name, str) or (
            name not in _EXTRACTORS and not name.startswith("header:")
        ):
            msg = (
                f"unknown match_on field {name!r}: use any of "
                f"{', '.join(MATCH_FIELDS)}, or 'header:<name>'"
            )
            raise ConfigurationError(msg)


def _default_key(request: InteractionRequest) -> Hashable:
    return (request.action.upper(), _url_parts(request.target))


def _fields_key(fields: Sequence[str]) -> KeyFunction:
    _check_fields(fields)
    if tuple(fields) == DEFAULT_MATCH_ON:
        return _default_key
    extractors = tuple(
        _header_form(name[len("header:") :])
        if name.startswith("header:")
        else _EXTRACTORS[name]
        for name in fields
    )
    needs_url = any(name in _URL_FIELDS for name in fields)

    def key(request: InteractionRequest) -> Hashable:
        parts = _url_parts(request.target) if needs_url else None
        return tuple([extract(request, parts) for extract in extractors])

    return key


@dataclass(frozen=True, slots=True)
class _HttpKey:
    function: HttpKeyFunction

    def __call__(self, request: InteractionRequest) -> Hashable:
        return self.function(request_from_engine(request))


def predicate(function: HttpPredicate) -> PredicateMatcher:
    """Wrap ``function(incoming, recorded) -> bool`` as a (slow) matcher.

    Every lookup compares the request with each recording in turn, so it
    costs O(N). Prefer ``match_on`` fields or a key function.
    """

    def engine_predicate(
        incoming: InteractionRequest, recorded: InteractionRequest
    ) -> bool:
        return function(request_from_engine(incoming), request_from_engine(recorded))

    return PredicateMatcher(engine_predicate)


def build_matcher(
    match_on: MatchOn | None,
) -> tuple[KeyFunction | PredicateMatcher, tuple[str, ...]]:
    """Turn ``match_on`` into an engine matcher and the fields to explain misses.

    Raises:
        ConfigurationError: For an unknown field or an unusable value.
    """
    if match_on is None:
        return _default_key, DEFAULT_MATCH_ON
    if isinstance(match_on, PredicateMatcher):
        return match_on, ("method", "url", "headers", "raw_body")
    if callable(match_on):
        return _HttpKey(match_on), ("method", "url", "headers", "raw_body")
    if isinstance(match_on, str) or not isinstance(match_on, Sequence):
        if isinstance(match_on, str):
            _check_fields(match_on)  # raises, with a hint
        msg = (
            "match_on must be a list of field names, a key function "
            f"(HttpRequest -> hashable) or interposition.http.predicate(...), "
            f"not {type(match_on).__name__}"
        )
        raise ConfigurationError(msg)
    fields = tuple(match_on)
    return _fields_key(fields), fields


def _show(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _query_text(pairs: tuple[tuple[str, str], ...]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs) or "(none)"


_PART_NAMES: Final = ("scheme", "host", "port", "path", "query")


def build_differ(
    fields: Sequence[str],
) -> Callable[[InteractionRequest, InteractionRequest], list[str]]:
    """A differ naming, in HTTP terms, how a recorded request differs.

    Only the fields matching compares are reported; ``url`` is broken down
    into scheme, host, port, path and query.
    """
    compared: list[str] = []
    for name in fields:
        if name == "url":
            compared.extend(part for part in _PART_NAMES if part not in compared)
        elif name not in compared:
            compared.append(name)
    from_url = "url" in fields

    def differ(  # noqa: PLR0912 - one branch per kind of field
        incoming: InteractionRequest, recorded: InteractionRequest
    ) -> list[str]:
        out: list[str] = []
        mine = _url_parts(incoming.target)
        theirs = _url_parts(recorded.target)
        for name in compared:
            if name in ("path", "query") and not from_url:
                a, b = (
                    _EXTRACTORS[name](incoming, None),
                    _EXTRACTORS[name](recorded, None),
                )
                if a != b:
                    out.append(f"{name} ({_show(a)} vs recorded {_show(b)})")
            elif name == "uri":
                a, b = _uri_form(incoming, None), _uri_form(recorded, None)
                if a != b:
                    out.append(f"uri ({_show(a)} vs recorded {_show(b)})")
            elif name in _PART_NAMES:
                i = _PART_NAMES.index(name)
                if mine[i] != theirs[i]:
                    if name == "query":
                        out.append(
                            f"query ({_query_text(mine[4])} vs recorded "
                            f"{_query_text(theirs[4])})"
                        )
                    else:
                        out.append(
                            f"{name} ({_show(mine[i])} vs recorded {_show(theirs[i])})"
                        )
            elif name == "method":
                if incoming.action.upper() != recorded.action.upper():
                    out.append(
                        f"method ({incoming.action} vs recorded {recorded.action})"
                    )
            elif name == "headers":
                out.extend(_header_differences(incoming, recorded))
            elif name.startswith("header:"):
                extract = _header_form(name[len("header:") :])
                a, b = extract(incoming, None), extract(recorded, None)
                if a != b:
                    out.append(
                        f"header {name[len('header:') :]} ({_show(a)} vs recorded "
                        f"{_show(b)})"
                    )
            else:
                extractor = _EXTRACTORS[name]
                if extractor(incoming, None) != extractor(recorded, None):
                    out.append(
                        f"{name} ({len(incoming.body)} bytes {_show(incoming.body, 40)}"
                        f" vs recorded {len(recorded.body)} bytes "
                        f"{_show(recorded.body, 40)})"
                    )
        return out

    return differ


def _header_differences(
    incoming: InteractionRequest, recorded: InteractionRequest
) -> list[str]:
    mine: dict[str, list[str]] = {}
    theirs: dict[str, list[str]] = {}
    for k, v in incoming.headers:
        mine.setdefault(k.lower(), []).append(v)
    for k, v in recorded.headers:
        theirs.setdefault(k.lower(), []).append(v)
    out = []
    for name in sorted(mine.keys() | theirs.keys()):
        a, b = mine.get(name), theirs.get(name)
        if a != b:
            out.append(f"header {name} ({_show(a)} vs recorded {_show(b)})")
    return out


def body_preference(redactor: Redactor) -> Callable[[InteractionRequest], Hashable]:
    """The second key of sequential playback: the request body, as compared.

    Among recordings that share a match key, the one whose body equals the
    incoming body is played first, compared as ``match_on=["body"]``
    compares (JSON parsed, forms as their fields, anything else as bytes).
    The body is redacted first, as recordings are, so credentials in it do
    not make equal bodies differ.
    """

    def preference(request: InteractionRequest) -> Hashable:
        body = request.body
        if not body:
            return b""
        content_type = _header_first(request, "content-type") or None
        return _content_form(request, redactor.redact_body(body, content_type))

    return preference
