"""``use_cassette``: a context manager and decorator, sync and async."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, Unpack, cast

from interposition.http._options import CassetteOptions, CassetteOptionsArgs
from interposition.http._patching import Patch, acquire_adapters, release_adapters
from interposition.http._session import CassetteSession
from interposition.http._unseen import GUARD, forget

__all__ = ["CassetteContext", "use_cassette"]

P = ParamSpec("P")
R = TypeVar("R")


class CassetteContext:
    """What ``use_cassette`` returns: enter it, or decorate a function with it.

    Each entry opens a fresh CassetteSession (so a decorated function loads
    the cassette on every call) and activates the adapters; exit deactivates
    them, in ``finally``. Entering yields the session.
    """

    def __init__(self, path: Path | str, options: CassetteOptions) -> None:
        self._path = path
        self.options: CassetteOptions = options
        self._entered: list[tuple[CassetteSession, object, list[Patch]]] = []

    def __repr__(self) -> str:
        return f"use_cassette({str(self._path)!r})"

    def _open(self) -> CassetteSession:
        session = CassetteSession(self._path, self.options)
        patches = acquire_adapters(self.options.adapters)
        try:
            GUARD.acquire()
            patches.append(GUARD)
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
            forget(session)

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
        return CassetteContext(self._path, self.options)

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
    options: CassetteOptions | None = None,
    /,
    **kwargs: Unpack[CassetteOptionsArgs],
) -> CassetteContext:
    """Record and replay the HTTP traffic of a block, a function or a coroutine.

    Use it as ``with use_cassette("c.json") as cassette:``, ``async with``, or
    as a decorator. Every installed in-process adapter is active inside.

    Args:
        path: The cassette; its extension chooses the format (``.json``,
            ``.yaml``/``.yml``, ``.jsonl``, none for a directory).
        options: A ``CassetteOptions`` built beforehand; keyword arguments
            change some of them.
        **kwargs: The options by name (every attribute of
            ``CassetteOptions``): ``record_mode`` (``none``, ``once`` (the
            default), ``new_episodes``, ``all``), ``match_on``,
            ``allow_playback_repeats``, ``redact``, ``filter_headers``,
            ``filter_query_parameters``, ``filter_post_data_parameters``,
            ``before_record_request``, ``before_record_response``,
            ``ignore_hosts``, ``ignore_localhost``,
            ``decode_compressed_response``, ``adapters``,
            ``cassette_store``.

    Returns:
        A CassetteContext; entering it yields the CassetteSession.

    Raises:
        ConfigurationError: For an unknown option (the closest name is
            suggested) or an invalid value, at this call.
    """
    if options is None:
        options = CassetteOptions.from_kwargs(**kwargs)
    elif kwargs:
        options = options.replace(**kwargs)
    return CassetteContext(path, options)
