"""vcrpy's faces of a request and a response, for the hooks users wrote for vcrpy.

``before_record_request`` hooks written for vcrpy take a request object with
vcrpy's interface (``uri``, ``method``, ``body``, ``headers`` as a
case-insensitive mutable mapping, ``host``, ``port``, ``path``, ``query``,
``scheme``...) and return it (changed) or None. ``before_record_response``
hooks take and return vcrpy's response dict (``status: {code, message}``,
``headers: {name: [values]}``, ``body: {"string": bytes}``). ``VcrRequest``
and the two ``wrap_*`` functions turn such hooks into the ``RequestHook`` /
``ResponseHook`` that ``CassetteOptions`` takes, so they are called where
``CassetteSession`` calls its own: on every request before matching and
recording (as vcrpy applies them on playback too), and on every response
before it is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from interposition.errors import ConfigurationError
from interposition.http import HttpRequest, HttpResponse, RequestHook, ResponseHook

__all__ = [
    "VcrHeaders",
    "VcrRequest",
    "response_dict",
    "response_from_dict",
    "wrap_request_hooks",
    "wrap_response_hooks",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}


class VcrHeaders(MutableMapping[str, str]):
    """Case-insensitive headers keeping the case a name was first set with.

    As in vcrpy, setting a list or tuple keeps its first value; repeated
    headers of the request are kept as they were unless the name is set or
    deleted.
    """

    def __init__(self, pairs: Sequence[tuple[str, str]] = ()) -> None:
        self._store: dict[str, tuple[str, list[str]]] = {}
        for name, value in pairs:
            entry = self._store.get(name.lower())
            if entry is None:
                self._store[name.lower()] = (name, [value])
            else:
                entry[1].append(value)

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()][1][0]

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, (list, tuple)):
            value = value[0]
        old = self._store.get(name.lower())
        self._store[name.lower()] = (old[0] if old else name, [str(value)])

    def __delitem__(self, name: str) -> None:
        del self._store[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Every (name, value) pair, a repeated header once per value."""
        return tuple(
            (name, value) for name, values in self._store.values() for value in values
        )


class VcrRequest:
    """An HttpRequest with vcrpy's ``Request`` interface.

    ``body`` is bytes, or None when the request has none (as vcrpy gives it
    for a requests GET); setting a ``str`` stores its UTF-8 bytes.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.method: str = request.method
        self.uri: str = request.url
        self.headers = VcrHeaders(request.headers)
        self.body = request.body or None
        self._original = request

    @property
    def headers(self) -> VcrHeaders:
        """The headers (a case-insensitive mutable mapping)."""
        return self._headers

    @headers.setter
    def headers(self, value: Any) -> None:
        if isinstance(value, VcrHeaders):
            self._headers = value
            return
        items = value.items() if hasattr(value, "items") else value
        headers = VcrHeaders()
        for name, item in items:
            headers[name] = item
        self._headers = headers

    @property
    def body(self) -> bytes | None:
        """The body as bytes, or None."""
        return self._body

    @body.setter
    def body(self, value: bytes | str | None) -> None:
        self._body = value.encode("utf-8") if isinstance(value, str) else value

    @property
    def url(self) -> str:
        """The URI (vcrpy's alias)."""
        return self.uri

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return urlsplit(self.uri).scheme

    @property
    def protocol(self) -> str:
        """The scheme (vcrpy's alias)."""
        return self.scheme

    @property
    def host(self) -> str | None:
        """The host name, lower case."""
        return urlsplit(self.uri).hostname

    @property
    def port(self) -> int | None:
        """The port, or the scheme's default one."""
        parts = urlsplit(self.uri)
        return parts.port or _DEFAULT_PORTS.get(parts.scheme)

    @property
    def path(self) -> str:
        """The path."""
        return urlsplit(self.uri).path

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query as sorted (name, value) pairs."""
        return sorted(parse_qsl(urlsplit(self.uri).query))

    def __repr__(self) -> str:
        return f"<Request ({self.method}) {self.uri}>"

    def to_http(self) -> HttpRequest:
        """The HttpRequest this object now describes."""
        return HttpRequest(
            method=str(self.method).upper(),
            url=str(self.uri),
            headers=self._headers.pairs(),
            body=self._body or b"",
        )


def response_dict(response: HttpResponse) -> dict[str, Any]:
    """Vcrpy's dict of a response."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name, []).append(value)
    return {
        "status": {"code": response.status, "message": response.reason},
        "headers": headers,
        "body": {"string": response.body},
    }


def _header_pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        if isinstance(values, (list, tuple)):
            pairs.extend((str(name), str(value)) for value in values)
        else:
            pairs.append((str(name), str(values)))
    return tuple(pairs)


def response_from_dict(data: Any, original: HttpResponse) -> HttpResponse:
    """The HttpResponse a (possibly changed) vcrpy response dict describes.

    Raises:
        ConfigurationError: When the hook returned something else than a
            response dict.
    """
    try:
        status = data["status"]
        body = data["body"]["string"]
        headers = _header_pairs(data["headers"])
        code = int(status["code"])
        message = str(status.get("message", ""))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        msg = (
            "before_record_response must return the response dict it was given "
            "(status, headers, body) or None, not "
            f"{type(data).__name__} ({exc!r})"
        )
        raise ConfigurationError(msg) from None
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body is None:
        body = b""
    changes: dict[str, object] = {}
    if code != original.status:
        changes["status"] = code
    if message != original.reason:
        changes["reason"] = message
    if headers != original.headers:
        changes["headers"] = headers
    if body != original.body:
        changes["body"] = bytes(body)
    return original.replace(**changes) if changes else original


def _listed(hooks: Any, name: str) -> list[Callable[[Any], Any]]:
    if hooks is None:
        return []
    functions = list(hooks) if isinstance(hooks, (list, tuple)) else [hooks]
    for function in functions:
        if not callable(function):
            msg = f"{name} must be a callable (or a list of them), not {function!r}"
            raise ConfigurationError(msg)
    return functions


def wrap_request_hooks(hooks: Any) -> RequestHook | None:
    """One RequestHook calling vcrpy-style ``before_record_request`` hooks in turn.

    Raises:
        ConfigurationError: When a hook is not callable.
    """
    functions = _listed(hooks, "before_record_request")
    if not functions:
        return None

    def before_record_request(request: HttpRequest) -> HttpRequest | None:
        vcr_request: Any = VcrRequest(request)
        for function in functions:
            vcr_request = function(vcr_request)
            if vcr_request is None:
                return None
        if not isinstance(vcr_request, VcrRequest):
            msg = (
                "before_record_request must return the request it was given or "
                f"None, not {type(vcr_request).__name__}"
            )
            raise ConfigurationError(msg)
        changed = vcr_request.to_http()
        return request if changed == request else changed

    return before_record_request


def wrap_response_hooks(hooks: Any) -> ResponseHook | None:
    """One ResponseHook calling vcrpy-style ``before_record_response`` hooks in turn.

    Raises:
        ConfigurationError: When a hook is not callable.
    """
    functions = _listed(hooks, "before_record_response")
    if not functions:
        return None

    def before_record_response(response: HttpResponse) -> HttpResponse | None:
        data: Any = response_dict(response)
        for function in functions:
            data = function(data)
            if data is None:
                return None
        return response_from_dict(data, response)

    return before_record_response
