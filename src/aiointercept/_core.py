"""The ``aiointercept`` mock: a real aiohttp server that answers as told."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import itertools
import logging
import re
import ssl
import warnings
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, Unpack, cast

from aiohttp import hdrs, web
from aiohttp.abc import AbstractResolver
from yarl import URL

from aiointercept._errors import configuration_error

from ._assertions import AssertionsMixin
from ._fallback import Decline, Fallback, UpstreamForwarder
from ._interception import active_targets, install, started, stopped, uninstall
from ._listener import Listener
from ._requests import AiointerceptRequest, capture
from ._responses import (
    CallbackResult,
    ChunkSource,
    ResponsePlan,
    close_connection,
    send,
)
from ._routes import Callback, Closest, MockResponse, RouteTable, diagnose
from ._routes import closest as nearest
from ._thread import call_on, run_in_server_loop, server_loop
from ._tls import authority
from ._urls import HostPattern

if TYPE_CHECKING:
    # interposition.http is imported only when a cassette is used.
    from interposition.http import (
        CassetteOptionsArgs,
        CassetteSession,
        HttpRequest,
    )

    from ._cassette import CassetteFallback

__all__ = ["Miss", "aiointercept"]

# The published package's logger name: users configure "aiointercept.core"
# (a child of "aiointercept", which holds the NullHandler).
logger = logging.getLogger("aiointercept.core")

_T = TypeVar("_T")

# aiohttp resends an idempotent request once when the connection drops before
# the response (RFC 9112, section 9.3.1). When the mock drops it on purpose
# (a miss, or exception=), that automatic resend is the same call, not a new
# one: it is failed the same way and not recorded again.
_RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_RETRY_WINDOW = 1.0
_MAX_BODY = 1 << 30
_MAX_MISS_NOTES = 5

_RetryKey = tuple[str, URL, bytes | None]


class Miss:
    """A request that no registered response (nor recording) answered.

    Attributes:
        request: The request.
        closest: The registered route that came closest, if any.
        message: The explanation that was logged.
        error: Why a fallback could not answer: with a cassette, the
            ``interposition.http.HttpInteractionNotFoundError`` naming the
            closest recording and what differed; else ``None``.
    """

    __slots__ = ("closest", "error", "message", "request")

    def __init__(
        self,
        request: AiointerceptRequest,
        closest: Closest | None,
        message: str,
        error: Exception | None = None,
    ) -> None:
        self.request = request
        self.closest = closest
        self.message = message
        self.error = error

    @property
    def closest_recording(self) -> HttpRequest | None:
        """The cassette's recorded request that came closest, if any."""
        recorded: HttpRequest | None = getattr(self.error, "closest_http_request", None)
        return recorded

    def __repr__(self) -> str:
        return f"<Miss {self.request.method} {self.request.url}>"


class aiointercept(AssertionsMixin):  # noqa: N801 - the documented name
    """Mock aiohttp requests with a real ``aiohttp.web`` server on 127.0.0.1.

    Args:
        mock_external_urls: Route every aiohttp connection in the process to
            this mock (real hostnames, http and https) while it is active.
            With ``False`` (the default) nothing global is touched: send the
            requests to :attr:`server_url`.
        passthrough: Hosts (``"api.example.com"``, ``"host:port"`` or a URL such
            as ``"https://api.example.com"``) that keep reaching the real
            network. Requires ``mock_external_urls=True``.
        passthrough_unmatched: Forward every request that matches no
            registered response to the real server. Requires
            ``mock_external_urls=True``.
        param: When used as a decorator, the keyword argument under which the
            mock is passed (default: the last positional parameter).
        upstream_ssl: TLS verification for forwarded requests: ``None``
            (system trust), ``False``, or an ``ssl.SSLContext``.
        upstream_resolver: An aiohttp resolver for forwarded requests.
        cassette: Record and replay the requests no registered response
            matches, in this cassette file (``.json``, ``.yaml``/``.yml``,
            ``.jsonl``) or directory. Requires ``mock_external_urls=True``.
        **cassette_options: The options of ``interposition.http.use_cassette``
            (``record_mode``, ``match_on``, ``allow_playback_repeats``,
            ``redact``, ``filter_headers``, ``filter_query_parameters``,
            ``filter_post_data_parameters``, ``before_record_request``,
            ``before_record_response``, ``ignore_hosts``, ``ignore_localhost``,
            ``decode_compressed_response``, ``cassette_store``; see
            ``interposition.http.CassetteOptions``), for ``cassette=``.
        replay_timing: Replay streamed responses with the delays recorded
            between their chunks (default ``False``: as fast as possible).
    """

    def __init__(
        self,
        mock_external_urls: bool = False,
        passthrough: Sequence[str] | None = None,
        passthrough_unmatched: bool = False,
        param: str | None = None,
        *,
        upstream_ssl: ssl.SSLContext | bool | None = None,
        upstream_resolver: AbstractResolver | None = None,
        cassette: str | Path | None = None,
        replay_timing: bool = False,
        **cassette_options: Unpack[CassetteOptionsArgs],
    ) -> None:
        if isinstance(passthrough, str):
            raise TypeError("passthrough takes a list of hosts, not a string")
        if not mock_external_urls and (passthrough or passthrough_unmatched):
            raise configuration_error(
                "passthrough and passthrough_unmatched require "
                "mock_external_urls=True: without it only requests sent to "
                "m.server_url reach the mock, and everything else already goes "
                "to the real network."
            )
        if cassette_options:
            cassette_options = _known_options(cassette_options)
        if cassette_options and cassette is None:
            names = ", ".join(sorted(cassette_options))
            raise configuration_error(
                f"{names} configure a cassette: pass cassette='path' with them, "
                "or leave them out."
            )
        if cassette is not None and not mock_external_urls:
            raise configuration_error(
                "cassette= requires mock_external_urls=True: recordings are "
                "made and matched under the real URLs (https://api.example.com/"
                "...), which only reach the mock when it intercepts them."
            )
        self.mock_external_urls = mock_external_urls
        self.passthrough = list(passthrough or [])
        self.passthrough_unmatched = passthrough_unmatched
        self.param = param
        self._passthrough = tuple(HostPattern(entry) for entry in self.passthrough)
        self.cassette = cassette
        self._fallbacks: list[Fallback] = []
        self._cassette: CassetteFallback | None = None
        if cassette is not None:
            # Lazy: only a mock with a cassette imports interposition.http.
            from interposition.http import CassetteOptions  # noqa: PLC0415

            from ._cassette import CassetteFallback  # noqa: PLC0415

            options = CassetteOptions.from_kwargs(**cassette_options)
            if options.adapters is not None:
                raise configuration_error(
                    "adapters= is a use_cassette option: a mock's cassette "
                    "records that mock's aiohttp traffic only."
                )
            self._cassette = CassetteFallback(
                cassette,
                options,
                replay_timing=replay_timing,
                forwarder=UpstreamForwarder(
                    ssl=upstream_ssl, resolver=upstream_resolver
                ),
            )
            self._fallbacks.append(self._cassette)
        if passthrough_unmatched:
            self._fallbacks.append(
                UpstreamForwarder(ssl=upstream_ssl, resolver=upstream_resolver)
            )
        self._routes = RouteTable()
        self.requests: dict[tuple[str, URL], list[AiointerceptRequest]] = {}
        self.ordered_requests: list[tuple[tuple[str, URL], AiointerceptRequest]] = []
        self.misses: list[Miss] = []
        self._retries: dict[_RetryKey, float] = {}
        self._listener: Listener | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The loop that started the mock: async callbacks and async bodies
        # run there, beside the test's own loop-bound objects (ADR 0107).
        self._caller_loop: asyncio.AbstractEventLoop | None = None
        self._port = 0

    def __repr__(self) -> str:
        mode = "mock_external_urls" if self.mock_external_urls else "server_url"
        where = f" on port {self._port}" if self._listener is not None else ""
        return f"<aiointercept {mode}{where}: {len(self._routes)} route(s)>"

    # -- lifecycle ------------------------------------------------------------

    @property
    def server_host(self) -> str:
        """The address the server listens on: ``127.0.0.1``.

        Available once started, and still readable after it stopped.
        """
        self._require_started()
        return "127.0.0.1"

    @property
    def server_port(self) -> int:
        """The port the server listens on."""
        self._require_started()
        return self._port

    @property
    def server_url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:54321``."""
        self._require_started()
        return f"http://127.0.0.1:{self._port}"

    @property
    def started(self) -> bool:
        """Whether the server is running."""
        return self._listener is not None

    @property
    def cassette_session(self) -> CassetteSession | None:
        """The open cassette (``interposition.http.CassetteSession``), if any.

        Loaded each time the mock starts; after the block it still tells
        ``play_counts``, ``all_played``, ``unplayed`` and ``interactions``.
        ``None`` without ``cassette=`` or before the first start.
        """
        return None if self._cassette is None else self._cassette.session

    def _require_started(self) -> None:
        # After stop() the last address stays readable, for assertions.
        if not self._port:
            raise RuntimeError(
                "the aiointercept server has not been started: use "
                "`async with aiointercept() as m:` (or await m.start()) first"
            )

    async def start(self) -> None:
        """Start the server (and the interception); ``__aenter__`` calls it.

        The server runs on the mock servers' own thread and loop (ADR 0107),
        so a synchronous client may call :attr:`server_url` from inside an
        async test; async callbacks still run on the loop that called
        ``start()``. The request log of a previous run is cleared.
        """
        self._start(asyncio.get_running_loop())

    def _start(self, caller: asyncio.AbstractEventLoop | None) -> None:
        if self._listener is not None:
            raise RuntimeError("this aiointercept instance is already running")
        self.requests.clear()
        self.ordered_requests.clear()
        self.misses.clear()
        self._retries.clear()
        if self._cassette is not None:
            self._cassette.open()
        loop = server_loop()

        def make_request(
            message: Any, payload: Any, protocol: Any, writer: Any, task: Any
        ) -> web.BaseRequest:
            # A web.Request subclass (what callbacks receive), with room for
            # large uploads (aiohttp's default limit is 1 MiB).
            return AiointerceptRequest(
                message,
                payload,
                protocol,
                writer,
                task,
                loop,
                client_max_size=_MAX_BODY,
            )

        server = web.Server(
            self._handle, request_factory=make_request, access_log=None, loop=loop
        )
        tls = authority().server_context if self.mock_external_urls else None
        listener = Listener(server, tls)
        listener.start(loop)
        self._listener = listener
        self._loop = loop
        self._caller_loop = caller
        self._port = listener.port
        started(self)
        if self.mock_external_urls:
            try:
                install(self)
            except BaseException:
                stopped(self)
                self._listener = None
                asyncio.run_coroutine_threadsafe(listener.close(), loop)
                raise

    async def stop(self) -> None:
        """Stop the interception and the server; ``__aexit__`` calls it.

        The request log stays readable afterwards.
        """
        listener = self._detach()
        await run_in_server_loop(self._shutdown(listener))

    def _close_now(self) -> None:
        """Stop from synchronous code (no running loop), and wait for it."""
        listener = self._detach()
        asyncio.run_coroutine_threadsafe(
            self._shutdown(listener), server_loop()
        ).result()

    def _detach(self) -> Listener | None:
        listener = self._listener
        if self._cassette is not None:
            self._cassette.interrupt()
        try:
            stopped(self)
            if self.mock_external_urls:
                uninstall(self)
        finally:
            self._listener = None
        return listener

    async def _shutdown(self, listener: Listener | None) -> None:
        # On the server loop, where the connections and fallbacks live.
        try:
            if listener is not None:
                await listener.close()
        finally:
            for fallback in self._fallbacks:
                await fallback.close()

    async def __aenter__(self) -> aiointercept:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
        if exc is not None and self.misses:
            # The client saw a dropped connection; the reason reaches the test
            # as a note on the exception that left the block.
            for miss in self.misses[-_MAX_MISS_NOTES:]:
                exc.add_note(miss.message)

    def __call__(
        self, func: Callable[..., Awaitable[_T]]
    ) -> Callable[..., Awaitable[_T]]:
        """Use the mock as a decorator of an ``async def`` function.

        The running mock is passed as the keyword ``param`` if given, else as
        the function's last positional parameter; that parameter is hidden from
        the wrapper's signature, so pytest does not look for a fixture of that
        name.
        """
        if not inspect.iscoroutinefunction(func):
            raise TypeError("aiointercept decorates `async def` functions only")
        signature = inspect.signature(func)
        parameters = list(signature.parameters.values())
        name = self.param
        if name is None:
            positional = [
                p
                for p in parameters
                if p.kind
                in (
                    inspect.Parameter.POSITIONAL_ONLY,
                    inspect.Parameter.POSITIONAL_OR_KEYWORD,
                )
            ]
            if not positional:
                raise TypeError(
                    f"{func.__qualname__} has no parameter to receive the mock; "
                    "add one or pass param="
                )
            name = positional[-1].name
        index = next((i for i, p in enumerate(parameters) if p.name == name), None)

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> _T:
            async with self as mock:
                if index is not None and len(args) > index:
                    args = (*args[:index], mock, *args[index:])
                else:
                    kwargs[name] = mock
                return await func(*args, **kwargs)

        visible = [p for p in parameters if p.name != name]
        wrapper.__signature__ = signature.replace(parameters=visible)  # type: ignore[attr-defined]
        return wrapper

    # -- registration ---------------------------------------------------------

    def add(  # noqa: PLR0917 - the documented aioresponses signature
        self,
        url: str | URL | re.Pattern[str],
        method: str = hdrs.METH_GET,
        status: int = 200,
        body: str | bytes | AsyncIterable[bytes | str] = b"",
        json: Any = None,
        payload: Any = None,
        headers: Mapping[str, str] | None = None,
        content_type: str | None = None,
        repeat: bool | int = False,
        callback: Callback | None = None,
        reason: str | None = None,
        exception: BaseException | type[BaseException] | bool | None = None,
        *,
        chunks: ChunkSource | None = None,
        chunk_delay: float | Sequence[float] = 0.0,
        delay: float = 0.0,
        truncate_at: int | None = None,
        reset_at: int | None = None,
    ) -> MockResponse:
        """Register a response for ``method url``.

        Args:
            url: A ``str`` or ``yarl.URL`` (matched after normalization), or a
                compiled ``re.Pattern`` (matched against the normalized URL).
            method: The HTTP method, case-insensitive.
            status: The status code.
            body: The raw body (``str`` is UTF-8 encoded), or an async
                iterable of chunks to stream.
            json: A JSON-serializable body; overrides ``body``.
            payload: Alias for ``json``.
            headers: Extra response headers.
            content_type: The ``Content-Type``; overrides one in ``headers``.
                Default ``application/json``.
            repeat: ``False``: answer once; ``True``: forever; ``N``: N times.
            callback: ``callback(url, **kwargs)`` (sync or async) returning a
                :class:`CallbackResult` (``None`` keeps this registration's
                response). It receives ``method``, ``headers``, ``query``,
                ``json``, ``data`` and ``request``, or those its signature
                names.
            reason: The reason phrase.
            exception: Any truthy value: close the connection instead of
                answering; the client gets ``aiohttp.ClientConnectionError``.
            chunks: Stream these chunks (``bytes`` or ``str``, sync or async
                iterable), one HTTP chunk each.
            chunk_delay: Seconds to wait between chunks, or one value per
                chunk (waited before it, the first included).
            delay: Seconds to wait before answering.
            truncate_at: Send only this many body bytes, then close.
            reset_at: Send only this many body bytes, then reset (RST).

        Returns:
            The registered response, which counts the requests it served.
        """
        if exception is not None and not isinstance(exception, bool):
            logger.warning(
                "aiointercept: exception=%r is treated as exception=True: the "
                "connection is closed and the client gets "
                "aiohttp.ClientConnectionError; pass exception=True",
                exception,
            )
        if json is None:
            json = payload
        plan = ResponsePlan.build(
            status=status,
            # json= / payload= win over body=, whatever body holds.
            body=b"" if json is not None else body,
            json=json,
            headers=headers,
            content_type=content_type,
            reason=reason,
            chunks=chunks,
            chunk_delay=chunk_delay,
            delay=delay,
            truncate_at=truncate_at,
            reset_at=reset_at,
            close=bool(exception),
        )
        return self._routes.add(url, method, plan, repeat, callback)

    def get(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register a GET response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_GET, **kwargs)

    def post(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register a POST response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_POST, **kwargs)

    def put(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register a PUT response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_PUT, **kwargs)

    def patch(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register a PATCH response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_PATCH, **kwargs)

    def delete(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register a DELETE response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_DELETE, **kwargs)

    def head(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register a HEAD response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_HEAD, **kwargs)

    def options(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> MockResponse:
        """Register an OPTIONS response; see :meth:`add`."""
        return self.add(url, method=hdrs.METH_OPTIONS, **kwargs)

    def clear(self) -> None:
        """Forget every registered response and every recorded request."""
        self._routes.clear()
        self.requests.clear()
        self.ordered_requests.clear()
        self.misses.clear()
        self._retries.clear()

    # -- what the interceptor asks --------------------------------------------

    def bypasses(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is one of this mock's passthrough hosts."""
        return any(entry.matches(host, port) for entry in self._passthrough)

    def claims(self, host: str, port: int) -> bool:
        """Whether a registered URL names exactly ``host:port``."""
        return self._routes.claims(host, port)

    # -- serving --------------------------------------------------------------

    def _owners(self) -> tuple[aiointercept, ...]:
        """Whose routes may answer, innermost first.

        An intercepting mock answers with the routes of every active
        intercepting mock, innermost first, so a connection pooled to an outer
        mock's server behaves the same as a new one.
        """
        if self.mock_external_urls:
            targets = active_targets()
            if targets and self in targets:
                # every intercepting target is an aiointercept instance
                return cast("tuple[aiointercept, ...]", targets)
        return (self,)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        # The server's request factory makes every request an AiointerceptRequest.
        captured = await capture(cast("AiointerceptRequest", request))
        owners = self._owners()
        for owner in owners:
            if owner._retries and owner._is_retry(captured):
                close_connection(request)
                return web.Response(status=502)
        for owner in owners:
            route = owner._routes.match(captured.method, captured.url)
            if route is not None:
                owner._record(captured)
                return await owner._serve(route, captured)
        first = owners[0]
        first._record(captured)
        return await first._resolve_unmatched(captured)

    def _record(self, captured: AiointerceptRequest) -> None:
        key = (captured.method, captured.url)
        self.ordered_requests.append((key, captured))
        calls = self.requests.get(key)
        if calls is None:
            self.requests[key] = [captured]
        else:
            calls.append(captured)

    async def _serve(
        self, route: MockResponse, captured: AiointerceptRequest
    ) -> web.StreamResponse:
        plan = route.plan
        if route.callback is not None:
            plan = await self._run_callback(route, captured)
        if isinstance(plan.chunks, AsyncIterable) and self._caller_loop is not None:
            plan = dataclasses.replace(
                plan, chunks=_pulled_on(self._caller_loop, plan.chunks)
            )
        if plan.close:
            self._expect_retry(captured)
        return await send(captured.request, plan)

    async def _run_callback(
        self, route: MockResponse, captured: AiointerceptRequest
    ) -> ResponsePlan:
        callback = route.callback
        if callback is None:  # pragma: no cover - only called with a callback
            return route.plan
        available: dict[str, Any] = {
            "method": captured.method,
            "request": captured.request,
        }
        available.update(captured.kwargs)
        result = callback(captured.url, **route.callback_kwargs(available))
        if inspect.isawaitable(result):
            # Async callbacks run on the test's loop, beside its loop-bound
            # objects; sync ones run here (so a blocking client may call in).
            result = await call_on(self._caller_loop, _awaited(result))
        if result is None:
            return route.plan
        if not isinstance(result, CallbackResult):
            raise TypeError(
                f"callback {callback!r} returned {result!r}; "
                "return a CallbackResult (or None)"
            )
        base = route.plan
        return ResponsePlan.build(
            status=result.status,
            body=result.body,
            json=result.payload,
            headers=result.headers,
            content_type=result.content_type,
            header_wins=True,
            reason=result.reason,
            chunk_delay=base.chunk_delay,
            delay=base.delay,
            truncate_at=base.truncate_at,
            reset_at=base.reset_at,
            close=base.close,
        )

    async def _resolve_unmatched(
        self, captured: AiointerceptRequest
    ) -> web.StreamResponse:
        """The one place an unmatched request is resolved.

        Fallbacks are asked in order (the cassette, then forwarding upstream);
        if all decline, the request is a miss, which says why each declined.
        """
        declined: list[Decline] = []
        for fallback in self._fallbacks:
            response = await fallback(captured)
            if isinstance(response, Decline):
                declined.append(response)
            elif response is not None:
                return response
        routes = list(itertools.chain.from_iterable(o._routes for o in self._owners()))
        closest = nearest(routes, captured.method, captured.url)
        message = diagnose(captured.method, captured.url, routes, closest)
        for decline in declined:
            message += "; " + decline.reason
        error = next((d.error for d in declined if d.error is not None), None)
        self.misses.append(Miss(captured, closest, message, error))
        logger.warning("%s", message)
        self._expect_retry(captured)
        close_connection(captured.request)
        return web.Response(status=502)

    def _expect_retry(self, captured: AiointerceptRequest) -> None:
        if captured.method in _RETRIED_METHODS and self._loop is not None:
            key = (captured.method, captured.url, captured.captured_body)
            self._retries[key] = self._loop.time() + _RETRY_WINDOW

    def _is_retry(self, captured: AiointerceptRequest) -> bool:
        key = (captured.method, captured.url, captured.captured_body)
        deadline = self._retries.pop(key, None)
        return (
            deadline is not None
            and self._loop is not None
            and (self._loop.time() <= deadline)
        )


async def _awaited(awaitable: Awaitable[_T]) -> _T:
    return await awaitable


async def _pulled_on(
    loop: asyncio.AbstractEventLoop, source: AsyncIterable[bytes | str]
) -> AsyncIterator[bytes | str]:
    """Iterate ``source`` on ``loop`` (the test's), yielding here."""
    iterator = aiter(source)

    def step() -> Coroutine[Any, Any, bytes | str]:
        return _awaited(anext(iterator))

    while True:
        try:
            item = await call_on(loop, step())
        except StopAsyncIteration:
            return
        yield item


def _known_options(given: Mapping[str, object]) -> Any:
    """The cassette options among ``given``; a warning names the others.

    Unknown keyword arguments are ignored with a ``DeprecationWarning``, as
    the published aiointercept does (aioresponses code passes some).
    """
    from interposition.http import CassetteOptions  # noqa: PLC0415
    from interposition.http._options import suggest  # noqa: PLC0415

    known = CassetteOptions.names()
    unknown = [name for name in given if name not in known]
    for name in unknown:
        warnings.warn(
            f"aiointercept() got an unknown keyword argument {name!r}"
            f"{suggest(name, known)}; it is ignored",
            DeprecationWarning,
            stacklevel=3,
        )
    return {name: value for name, value in given.items() if name in known}
