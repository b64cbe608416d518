"""The Broker: replays recorded interactions, records live ones.

Also the ports it talks to: ``LiveResponder`` (forwards a request to the real
backend) and ``CassetteStore`` (persists cassettes).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, get_args

from interposition.errors import (
    ConfigurationError,
    InteractionNotFoundError,
    LiveResponderRequiredError,
)
from interposition.hooks import BrokerHooks
from interposition.matching import (
    Differ,
    InteractionIndex,
    KeyFunction,
    Matcher,
    PlaybackOrder,
    exact_key,
    request_differences,
)
from interposition.models import (
    Cassette,
    Interaction,
    InteractionRequest,
    ResponseChunk,
)

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "AppendableCassetteStore",
    "Broker",
    "BrokerMode",
    "CassetteStore",
    "LiveResponder",
]

#: ``replay``: recordings only, a miss raises. ``record``: always forward to the
#: live responder and record. ``auto``: replay when recorded, else record.
BrokerMode: TypeAlias = Literal["replay", "record", "auto"]

#: Forwards a request to the real backend and yields the response chunks.
LiveResponder: TypeAlias = Callable[[InteractionRequest], Iterable[ResponseChunk]]

_NO_HOOKS = BrokerHooks()


class CassetteStore(Protocol):
    """Port for cassette persistence.

    The Broker calls ``save()`` after each recorded interaction, unless the
    store also offers ``append()`` (see AppendableCassetteStore).
    """

    def load(self) -> Cassette:
        """Load the cassette from storage."""
        ...

    def save(self, cassette: Cassette) -> None:
        """Persist the whole cassette, replacing what was stored."""
        ...


class AppendableCassetteStore(CassetteStore, Protocol):
    """A store that can persist one more interaction in O(1).

    A Broker writes its whole cassette with ``save()`` once, the first time it
    records, then calls ``append()`` for every further interaction, so that
    recording N interactions costs O(N) in total.
    """

    def append(self, interaction: Interaction) -> None:
        """Persist one more interaction after those already stored."""
        ...


class Broker:
    """Replays recorded interactions from a cassette; records live ones.

    Thread-safe: many threads may replay and record through one Broker.
    """

    def __init__(
        self,
        cassette: Cassette,
        mode: BrokerMode = "replay",
        live_responder: LiveResponder | None = None,
        cassette_store: CassetteStore | None = None,
        *,
        match_on: Matcher = exact_key,
        playback: PlaybackOrder = "first",
        allow_playback_repeats: bool = False,
        hooks: BrokerHooks | None = None,
        differ: Differ = request_differences,
        prefer: KeyFunction | None = None,
    ) -> None:
        """Initialize a broker over a cassette.

        Args:
            cassette: The recorded interactions.
            mode: ``replay`` (default), ``record`` or ``auto``.
            live_responder: Forwards a request to the real backend; needed by
                ``record`` and by ``auto`` on a miss.
            cassette_store: Persists every recorded interaction.
            match_on: A key function ``request -> hashable`` (default:
                ``exact_key``, every field, which matches exactly when the
                SHA-256 fingerprints match) or a PredicateMatcher.
            playback: ``first`` (default; every lookup gets the first match)
                or ``sequential`` (the Nth identical request gets the Nth
                recording).
            allow_playback_repeats: In sequential playback, replay the last
                recording again once all were played, instead of missing.
            hooks: Lifecycle hooks (see interposition.hooks).
            differ: Names how two requests differ, for miss reports.
            prefer: In sequential playback, among the unplayed recordings
                of a key, take the first whose ``prefer`` value equals the
                request's, before the first in order (see InteractionIndex).

        Raises:
            ConfigurationError: If ``mode`` or another option is invalid.
        """
        if mode not in get_args(BrokerMode):
            msg = f"mode must be one of 'replay', 'record', 'auto', not {mode!r}"
            raise ConfigurationError(msg)
        if live_responder is not None and not callable(live_responder):
            msg = "live_responder must be a callable: request -> iterable of chunks"
            raise ConfigurationError(msg)
        self._cassette: Cassette | None = cassette
        self._mode: BrokerMode = mode
        self._live_responder = live_responder
        self._cassette_store = cassette_store
        self._hooks = hooks or _NO_HOOKS
        self._index = InteractionIndex(
            cassette.interactions,
            match_on=match_on,
            playback=playback,
            allow_playback_repeats=allow_playback_repeats,
            differ=differ,
            prefer=prefer,
        )
        self._record_lock = threading.Lock()
        self._append: Callable[[Interaction], None] | None = getattr(
            cassette_store, "append", None
        )
        self._store_in_sync = False

    @classmethod
    def from_store(
        cls,
        cassette_store: CassetteStore,
        mode: BrokerMode = "replay",
        live_responder: LiveResponder | None = None,
        **options: Any,
    ) -> Self:
        """Load the cassette from ``cassette_store`` and persist recordings to it.

        ``options`` are the keyword-only arguments of the constructor.
        """
        broker = cls(
            cassette_store.load(),
            mode,
            live_responder,
            cassette_store,
            **options,
        )
        broker._store_in_sync = True
        return broker

    @property
    def cassette(self) -> Cassette:
        """The cassette: the one given, plus every interaction recorded since."""
        cassette = self._cassette
        if cassette is None:
            with self._record_lock:
                cassette = self._cassette = Cassette.model_construct(
                    interactions=self._index.interactions
                )
        return cassette

    @property
    def mode(self) -> BrokerMode:
        """The broker mode."""
        return self._mode

    @property
    def live_responder(self) -> LiveResponder | None:
        """The live responder, if any."""
        return self._live_responder

    @property
    def cassette_store(self) -> CassetteStore | None:
        """The cassette store, if any."""
        return self._cassette_store

    @property
    def hooks(self) -> BrokerHooks:
        """The lifecycle hooks."""
        return self._hooks

    @property
    def play_counts(self) -> tuple[int, ...]:
        """How many times each interaction of ``cassette`` was played.

        An interaction recorded through this broker counts as played once.
        """
        return self._index.play_counts

    def unplayed_interactions(self) -> tuple[Interaction, ...]:
        """The interactions of ``cassette`` that were never played."""
        return self._index.unplayed()

    def replay(self, request: InteractionRequest) -> Iterator[ResponseChunk]:
        """Yield the response chunks for ``request``.

        This is a generator: nothing happens until it is iterated.

        Raises:
            InteractionNotFoundError: When nothing matches in replay mode, or in
                auto mode without a live responder. The message names the
                closest recorded request and the fields that differ.
            LiveResponderRequiredError: In record mode without a live responder.
        """
        if self._mode == "record":
            yield from self._forward_and_record(request)
            return
        hooks = self._hooks
        match_request = request
        if hooks.before_match is not None:
            match_request = hooks.before_match(request)
        found = self._index.lookup(match_request)
        if found is not None:
            if hooks.after_replay is not None:
                hooks.after_replay(request, found)
            yield from found.response_chunks
            return
        decision = hooks.on_miss(request) if hooks.on_miss is not None else None
        if decision is None:
            decision = "raise" if self._mode == "replay" else "live"
        if decision == "raise":
            raise self._miss_error(request, match_request)
        if decision == "live":
            if self._live_responder is None:
                raise self._miss_error(request, match_request)
            yield from self._forward_and_record(request)
            return
        if isinstance(decision, str):
            msg = (
                "on_miss must return None, 'raise', 'live' or response chunks, "
                f"not {decision!r}"
            )
            raise ConfigurationError(msg)
        yield from decision

    def _miss_error(
        self, request: InteractionRequest, match_request: InteractionRequest
    ) -> InteractionNotFoundError:
        reason = None
        recorded = self._index.recorded_count(match_request)
        if recorded:
            reason = (
                f"all {recorded} recording(s) of this request were already "
                "played; pass allow_playback_repeats=True to replay the last again"
            )
            return InteractionNotFoundError(request, reason=reason)
        closest = self._index.closest(match_request)
        if closest is None:
            return InteractionNotFoundError(request)
        return InteractionNotFoundError(request, closest[0], closest[1])

    def _forward_and_record(
        self, request: InteractionRequest
    ) -> Iterator[ResponseChunk]:
        if self._live_responder is None:
            if self._mode == "record":
                raise LiveResponderRequiredError(self._mode)
            raise InteractionNotFoundError(request)
        chunks = tuple(self._live_responder(request))
        self.record(Interaction.build(request, chunks))
        yield from chunks

    def record(self, interaction: Interaction) -> Interaction | None:
        """Add an interaction to the cassette and persist it; O(1).

        Runs the ``before_record`` and ``after_record`` hooks. The interaction
        counts as played once.

        Returns:
            The interaction as stored, or None when ``before_record`` dropped it.

        Raises:
            CassetteSaveError: When the store fails (the interaction is then
                not added either).
        """
        hooks = self._hooks
        if hooks.before_record is not None:
            kept = hooks.before_record(interaction)
            if kept is None:
                return None
            interaction = kept
        with self._record_lock:
            self._persist(interaction)
            self._index.add(interaction, played=True)
            self._cassette = None
        if hooks.after_record is not None:
            hooks.after_record(interaction)
        return interaction

    def _persist(self, interaction: Interaction) -> None:
        store = self._cassette_store
        if store is None:
            return
        if self._append is not None and self._store_in_sync:
            self._append(interaction)
            return
        interactions = (*self._index.interactions, interaction)
        store.save(Cassette.model_construct(interactions=interactions))
        self._store_in_sync = True
