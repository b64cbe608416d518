"""``use_cassette``: a context manager and decorator, sync and async."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast

from interposition.http._matching import MatchOn
from interposition.http._patching import Patch, acquire_adapters, release_adapters
from interposition.http._redaction import FilterSpec
from interposition.http._session import (
    CassetteSession,
    RecordMode,
    RequestHook,
    ResponseHook,
)
from interposition.services import CassetteStore

__all__ = ["CassetteContext", "use_cassette"]

P = ParamSpec("P")
R = TypeVar("R")


class CassetteContext:
    """What ``use_cassette`` returns: enter it, or decorate a function with it.

    Each entry opens a fresh CassetteSession (so a decorated function loads
    the cassette on every call) and activates the adapters; exit deactivates
    them, in ``finally``. Entering yields the session.
    """

    def __init__(
        self,
        path: Path | str,
        options: dict[str, Any],
        adapters: Iterable[str] | None,
    ) -> None:
        self._path = path
        self._options = options
        self._adapters = None if adapters is None else tuple(adapters)
        self._entered: list[tuple[CassetteSession, object, list[Patch]]] = []
        # Fail early on a bad argument, at the call site.
        CassetteSession.check_options(**options)

    def __repr__(self) -> str:
        return f"use_cassette({str(self._path)!r})"

    def _open(self) -> CassetteSession:
        session = CassetteSession(self._path, **self._options)
        patches = acquire_adapters(self._adapters)
        try:
            token = session._activate()
        except BaseException:
            release_adapters(patches)
            raise
        self._entered.append((session, token, patches))
        return session

    def _close(self) -> None:
        session, token, patches = self._entered.pop()
        try:
            session._deactivate(token)
        finally:
            release_adapters(patches)

    def __enter__(self) -> CassetteSession:
        return self._open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    async def __aenter__(self) -> CassetteSession:
        return self._open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._close()

    def _fresh(self) -> CassetteContext:
        return CassetteContext(self._path, self._options, self._adapters)

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:
        """Decorate a function (or coroutine function) to run inside the cassette."""
        if inspect.iscoroutinefunction(function):
            coroutine_function = cast(Callable[P, Awaitable[Any]], function)

            @functools.wraps(function)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                async with self._fresh():
                    return await coroutine_function(*args, **kwargs)

            return cast(Callable[P, R], async_wrapper)

        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._fresh():
                return function(*args, **kwargs)

        return wrapper


def use_cassette(
    path: Path | str,
    *,
    record_mode: RecordMode = "once",
    match_on: MatchOn | None = None,
    allow_playback_repeats: bool = False,
    redact: bool = True,
    filter_headers: Iterable[FilterSpec] = (),
    filter_query_parameters: Iterable[FilterSpec] = (),
    filter_post_data_parameters: Iterable[FilterSpec] = (),
    before_record_request: RequestHook | None = None,
    before_record_response: ResponseHook | None = None,
    ignore_hosts: Iterable[str] = (),
    ignore_localhost: bool = False,
    decode_compressed_response: bool = False,
    adapters: Iterable[str] | None = None,
    cassette_store: CassetteStore | None = None,
) -> CassetteContext:
    """Record and replay the HTTP traffic of a block, a function or a coroutine.

    Use it as ``with use_cassette("c.json") as cassette:``, ``async with``, or
    as a decorator. Every installed in-process adapter is active inside.

    Args:
        path: The cassette; its extension chooses the format (``.json``,
            ``.yaml``/``.yml``, ``.jsonl``, none for a directory).
        record_mode: ``none`` (replay only), ``once`` (default: record when
            the cassette does not exist yet, else replay only),
            ``new_episodes`` (replay what is recorded, record the rest) or
            ``all`` (re-record everything; the file is replaced on the first
            recording).
        match_on: Field names among ``method``, ``url``, ``scheme``, ``host``,
            ``port``, ``path``, ``query``, ``headers``, ``body``,
            ``json_body`` and ``header:<name>`` (default: method and
            normalized URL); or a key function ``HttpRequest -> hashable``;
            or ``interposition.http.predicate(fn)``, a slow fallback.
        allow_playback_repeats: Once every recording of a request was played
            (in order), replay the last one again instead of failing.
        redact: Redact credentials (Authorization, Cookie, Set-Cookie, API
            keys, token-like query and JSON fields) before writing.
        filter_headers: More headers to redact: names, or (name, replacement)
            pairs; a replacement of None removes the header.
        filter_query_parameters: More query parameters to redact, likewise.
        filter_post_data_parameters: More JSON / form body fields, likewise.
        before_record_request: ``HttpRequest -> HttpRequest | None``, applied
            before recording and before matching; None lets the request go
            to the network, neither replayed nor recorded.
        before_record_response: ``HttpResponse -> HttpResponse | None``,
            applied before recording; None does not record the exchange.
        ignore_hosts: Host names whose requests go to the network untouched.
        ignore_localhost: Let localhost / 127.0.0.1 / ::1 through untouched.
        decode_compressed_response: Store gzip / deflate (and brotli when the
            brotli package is installed) bodies decoded, without
            Content-Encoding.
        adapters: Restrict to these adapters (default: every installed one).
        cassette_store: Use this store instead of choosing one by extension.

    Returns:
        A CassetteContext; entering it yields the CassetteSession.

    Raises:
        ConfigurationError: For an invalid argument (at this call).
    """
    options: dict[str, Any] = {
        "record_mode": record_mode,
        "match_on": match_on,
        "allow_playback_repeats": allow_playback_repeats,
        "redact": redact,
        "filter_headers": tuple(filter_headers)
        if not isinstance(filter_headers, str)
        else filter_headers,
        "filter_query_parameters": tuple(filter_query_parameters)
        if not isinstance(filter_query_parameters, str)
        else filter_query_parameters,
        "filter_post_data_parameters": tuple(filter_post_data_parameters)
        if not isinstance(filter_post_data_parameters, str)
        else filter_post_data_parameters,
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
        "ignore_hosts": tuple(ignore_hosts)
        if not isinstance(ignore_hosts, str)
        else ignore_hosts,
        "ignore_localhost": ignore_localhost,
        "decode_compressed_response": decode_compressed_response,
        "cassette_store": cassette_store,
    }
    return CassetteContext(path, options, adapters)
