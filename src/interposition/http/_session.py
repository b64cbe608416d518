"""The cassette session: what every adapter calls with a request.

An adapter hands ``CassetteSession.handle(request, live)`` an HttpRequest and
a callable that performs it on the network; it gets an HttpResponse back,
replayed from the cassette or live (and then recorded). ``handle_async`` is
the same for asyncio clients, with an awaitable ``live``.

The session in force is found through a context variable, so concurrent
asyncio tasks and threads that each enter their own cassette never see each
other's traffic.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Final, TypeAlias, Unpack
from urllib.parse import urlsplit

from interposition.errors import InteractionNotFoundError
from interposition.hooks import BrokerHooks
from interposition.http._compression import decode_response
from interposition.http._mapping import (
    HttpRequest,
    HttpResponse,
    from_interaction,
    request_from_engine,
    request_to_engine,
    response_from_chunks,
    to_interaction,
)
from interposition.http._options import (
    LOCALHOSTS,
    CassetteOptions,
    CassetteOptionsArgs,
    RecordMode,
    RequestHook,
    ResponseHook,
)
from interposition.models import (
    Cassette,
    Interaction,
    InteractionRequest,
    ResponseChunk,
)
from interposition.services import Broker, BrokerMode, CassetteStore
from interposition.stores import DirectoryCassetteStore, store_for_path

__all__ = [
    "LOCALHOSTS",
    "CassetteSession",
    "HttpInteractionNotFoundError",
    "LiveCall",
    "RecordMode",
    "RequestHook",
    "ResponseHook",
    "current_session",
    "passthrough",
]

#: Performs a request on the network.
LiveCall: TypeAlias = Callable[[HttpRequest], HttpResponse]

_ACTIVE: ContextVar[CassetteSession | None] = ContextVar(
    "interposition_http_session", default=None
)
_PASSTHROUGH: ContextVar[bool] = ContextVar(
    "interposition_http_passthrough", default=False
)
_OPEN_SESSIONS: list[CassetteSession] = []
_OPEN_LOCK = threading.Lock()


class _DeferredMiss(tuple[ResponseChunk, ...]):
    """Returned by ``on_miss`` when the session itself goes live and records.

    The Broker yields its (zero) chunks; the session sees no chunks and goes
    live with the adapter's callable, sync or async.
    """

    __slots__ = ()


_DEFER: Final = _DeferredMiss()


class HttpInteractionNotFoundError(InteractionNotFoundError):
    """No recording matches an HTTP request (and this record mode cannot record).

    Attributes:
        http_request: The request, as matched (redacted).
        closest_http_request: The closest recording's request, if any.
        cassette_path: The cassette file or directory.
        record_mode: The record mode in force.
    """

    def __init__(
        self,
        error: InteractionNotFoundError,
        *,
        cassette_path: Path,
        record_mode: RecordMode,
        exhausted: bool,
        shown: HttpRequest | None = None,
    ) -> None:
        """Restate an engine miss in HTTP terms.

        Args:
            error: The engine's miss.
            cassette_path: The cassette.
            record_mode: The record mode in force.
            exhausted: Every recording of this request was already played.
            shown: The request as the message shows it (redacted); defaults
                to the engine's request.
        """
        super().__init__(
            error.request, error.closest, error.differences, reason=error.reason
        )
        self.http_request: HttpRequest = shown or request_from_engine(error.request)
        self.closest_http_request: HttpRequest | None = (
            request_from_engine(error.closest) if error.closest is not None else None
        )
        self.cassette_path: Path = cassette_path
        self.record_mode: RecordMode = record_mode
        request = self.http_request
        message = (
            f"No recording in cassette {cassette_path} matches "
            f"{request.method} {request.url} (record_mode={record_mode!r})"
        )
        if exhausted:
            message += (
                ". Every recording of this request was already played: pass "
                "allow_playback_repeats=True to replay the last one again"
            )
        elif self.closest_http_request is not None:
            closest = self.closest_http_request
            message += (
                f". Closest recording: {closest.method} {closest.url}, which "
                f"differs in {'; '.join(error.differences) or 'nothing compared'}"
            )
        else:
            message += ". The cassette holds no recordings"
        if record_mode == "once":
            message += (
                ". To record it, use record_mode='new_episodes', or delete the "
                "cassette to record it again"
            )
        else:
            message += (
                ". To record it, use record_mode='new_episodes' (or 'once' on a "
                "new cassette); or change the request or match_on"
            )
        self.args = (message + ".",)


def current_session() -> CassetteSession | None:
    """The cassette session that should handle a request made here, or None.

    The session of the current context (thread or asyncio task) wins. A
    thread started without a copy of the context (a plain
    ``threading.Thread``) uses the one open session when there is exactly
    one; with several open in other contexts it gets None (no interception).
    None also while an adapter performs a live request (see passthrough).
    """
    if _PASSTHROUGH.get():
        return None
    session = _ACTIVE.get()
    if session is not None:
        return session if session.is_open else None
    open_sessions = _OPEN_SESSIONS
    if len(open_sessions) == 1:
        return open_sessions[0]
    return None


@contextlib.contextmanager
def passthrough() -> Iterator[None]:
    """Within this block no adapter intercepts: used around live requests."""
    token = _PASSTHROUGH.set(True)
    try:
        yield
    finally:
        _PASSTHROUGH.reset(token)


def _cassette_exists(store: CassetteStore, path: Path) -> bool:
    if isinstance(store, DirectoryCassetteStore):
        return bool(store.files())
    return path.exists()


class CassetteSession:
    """One open cassette: matching, record mode, redaction, and statistics.

    Built by ``use_cassette``; adapters call ``handle`` / ``handle_async``.
    Play counts and unplayed interactions stay available after the block.
    """

    def __init__(
        self,
        path: Path | str,
        options: CassetteOptions | None = None,
        /,
        **kwargs: Unpack[CassetteOptionsArgs],
    ) -> None:
        """Load (or prepare) the cassette at ``path``.

        Args:
            path: The cassette file or directory.
            options: The options (see ``CassetteOptions``); keyword arguments
                build them, or change some of the given ones.
            **kwargs: Options by name, as ``use_cassette`` takes them.

        Raises:
            ConfigurationError: For an invalid argument.
            CassetteLoadError: When the cassette exists but cannot be read.
        """
        if options is None:
            options = CassetteOptions.from_kwargs(**kwargs)
        elif kwargs:
            options = options.replace(**kwargs)
        self.options: CassetteOptions = options
        self.path: Path = Path(path)
        self.record_mode: RecordMode = options.record_mode
        self._redactor = options.redactor
        self._before_record_request = options.before_record_request
        self._before_record_response = options.before_record_response
        self._ignored_hosts = options.ignored_hosts
        self._decode = options.decode_compressed_response
        self._url_only = options.url_only
        self._open = False
        self._responses: dict[int, tuple[ResponseChunk, HttpResponse]] = {}
        self._broker = self._make_broker(options)

    def _make_broker(self, options: CassetteOptions) -> Broker:
        store = options.cassette_store
        if store is None:
            store = store_for_path(
                self.path,
                create_if_missing=True,
                cassette_format=options.cassette_format,
            )
        exists = _cassette_exists(store, self.path)
        mode: BrokerMode
        if self.record_mode == "all":
            mode = "record"
        elif self.record_mode == "new_episodes" or (
            self.record_mode == "once" and not exists
        ):
            mode = "auto"
        else:
            mode = "replay"
        self.recording_allowed: bool = mode != "replay"
        self._record_all = mode == "record"
        hooks = BrokerHooks(
            before_match=self._match_form,
            on_miss=self._on_miss,
            before_record=self._before_record,
        )
        broker_options: dict[str, Any] = {
            "match_on": options.matcher,
            "playback": "sequential",
            "allow_playback_repeats": options.allow_playback_repeats,
            "hooks": hooks,
            "differ": options.differ,
            "prefer": options.prefer,
        }
        if mode == "record":
            # Start empty: 'all' re-records, and the first recording writes
            # the whole file (replacing what was there).
            empty = Cassette(interactions=())
            return Broker(empty, mode, None, store, **broker_options)
        # Otherwise every recording is appended, also to a file that does not
        # exist yet: two sessions recording into one new cassette (threads,
        # xdist workers) add to each other's recordings instead of replacing
        # them.
        return Broker.from_store(store, mode, None, **broker_options)

    # -- engine hooks ---------------------------------------------------------

    def _match_form(self, request: InteractionRequest) -> InteractionRequest:
        """The form in which requests are matched: as they would be recorded."""
        hook = self._before_record_request
        if hook is None and self._url_only:
            target = self._redactor.redact_url(request.target)
            if target is request.target:
                return request
            return request.model_copy(update={"target": target})
        http = request_from_engine(request)
        if hook is not None:
            http = hook(http) or http
        return request_to_engine(self._redactor.request(http))

    def _on_miss(self, request: InteractionRequest) -> _DeferredMiss | None:
        return _DEFER if self.recording_allowed else None

    def _before_record(self, interaction: Interaction) -> Interaction | None:
        request, response = from_interaction(interaction)
        if self._before_record_request is not None:
            kept_request = self._before_record_request(request)
            if kept_request is None:
                return None
            request = kept_request
        if self._before_record_response is not None:
            kept_response = self._before_record_response(response)
            if kept_response is None:
                return None
            response = kept_response
        return to_interaction(
            self._redactor.request(request),
            self._redactor.response(response),
            interaction.metadata,
        )

    # -- what adapters call ---------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the session is inside its ``use_cassette`` block."""
        return self._open

    def handles(self, url: str) -> bool:
        """Whether requests to this URL go through the cassette (not ignored).

        An adapter sends the requests it does not handle inside
        ``passthrough()``, so they are not reported as unseen traffic.
        """
        if not self._ignored_hosts:
            return True
        return self.handles_host(urlsplit(url).hostname or "")

    def handles_host(self, host: str) -> bool:
        """Whether this host (a name or an address) is not ignored."""
        return (
            not self._ignored_hosts
            or host.lower().strip("[]") not in self._ignored_hosts
        )

    def _ignored(self, request: HttpRequest) -> bool:
        if self._ignored_hosts and not self.handles(request.url):
            return True
        hook = self._before_record_request
        return hook is not None and hook(request) is None

    def _replay(self, request: HttpRequest) -> HttpResponse | None:
        """The recorded response, or None when this one must be recorded."""
        if self._record_all:
            return None
        try:
            chunks = tuple(self._broker.replay(request_to_engine(request)))
        except InteractionNotFoundError as exc:
            exhausted = exc.reason is not None
            raise HttpInteractionNotFoundError(
                exc,
                cassette_path=self.path,
                record_mode=self.record_mode,
                exhausted=exhausted,
                shown=self._redactor.request(request),
            ) from None
        if not chunks:
            return None
        # Recordings are immutable: parse each one's response head once.
        first = chunks[0]
        cached = self._responses.get(id(first))
        if cached is not None and cached[0] is first:
            return cached[1]
        response = response_from_chunks(chunks)
        self._responses[id(first)] = (first, response)
        return response

    def _record(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        stored = self._decode_response(response)
        self._broker.record(to_interaction(request, stored))
        return stored

    def _decode_response(self, response: HttpResponse) -> HttpResponse:
        return decode_response(response) if self._decode else response

    def handle(self, request: HttpRequest, live: LiveCall) -> HttpResponse:
        """Answer a request from the cassette, or live (and record it).

        Args:
            request: The request the client is making.
            live: Performs the request on the network; it is called inside
                ``passthrough()``, so adapters below do not intercept it.

        Returns:
            The response to give the client. With
            ``decode_compressed_response``, a live response comes back decoded,
            as it will on replay.

        Raises:
            HttpInteractionNotFoundError: Nothing matches and the record mode
                cannot record.
        """
        if self._ignored(request):
            with passthrough():
                return live(request)
        response = self._replay(request)
        if response is not None:
            return response
        with passthrough():
            response = live(request)
        return self._record(request, response)

    async def handle_async(
        self,
        request: HttpRequest,
        live: Callable[[HttpRequest], Awaitable[HttpResponse]],
    ) -> HttpResponse:
        """The asyncio form of ``handle``: ``live`` returns an awaitable."""
        if self._ignored(request):
            with passthrough():
                return await live(request)
        response = self._replay(request)
        if response is not None:
            return response
        with passthrough():
            response = await live(request)
        return self._record(request, response)

    # -- statistics -----------------------------------------------------------

    @property
    def broker(self) -> Broker:
        """The engine Broker behind this session."""
        return self._broker

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        """Every interaction of the cassette, recorded before or during the block."""
        return self._broker.cassette.interactions

    @property
    def play_counts(self) -> tuple[int, ...]:
        """How many times each interaction was played (a recording counts once)."""
        return self._broker.play_counts

    def unplayed_interactions(self) -> tuple[Interaction, ...]:
        """The recorded interactions never played in this block."""
        return self._broker.unplayed_interactions()

    @property
    def unplayed(self) -> list[HttpRequest]:
        """The requests of the recordings never played in this block."""
        return [request_from_engine(i.request) for i in self.unplayed_interactions()]

    @property
    def all_played(self) -> bool:
        """Whether every recording was played at least once."""
        return all(self.play_counts)

    def __repr__(self) -> str:
        return (
            f"CassetteSession({str(self.path)!r}, record_mode={self.record_mode!r}, "
            f"mode={self._broker.mode!r})"
        )

    # -- activation (used by use_cassette) --------------------------------------

    def _activate(self) -> object:
        with _OPEN_LOCK:
            self._open = True
            _OPEN_SESSIONS.append(self)
        return _ACTIVE.set(self)

    def _deactivate(self, token: object) -> None:
        try:
            _ACTIVE.reset(token)  # type: ignore[arg-type]
        except ValueError:
            # Exited in another context than it was entered in (e.g. a
            # generator closed elsewhere): leave that context's variable be.
            pass
        finally:
            with _OPEN_LOCK:
                self._open = False
                with contextlib.suppress(ValueError):
                    _OPEN_SESSIONS.remove(self)
