"""Matching: a key function over requests, and an index from key to recordings.

A matcher turns a request into a hashable key. The index maps each key to
the positions of the interactions recorded under it, so finding the recording
for a request costs one key computation and one dict lookup, whatever the size
of the cassette. A predicate matcher is accepted as a documented, slower
fallback: it compares the request with every recording in turn.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from interposition.errors import ConfigurationError
from interposition.models import (
    Interaction,
    InteractionRequest,
    fingerprint_value,
)

__all__ = [
    "Differ",
    "InteractionIndex",
    "KeyFunction",
    "Matcher",
    "PlaybackOrder",
    "PredicateMatcher",
    "exact_key",
    "fingerprint_key",
    "request_differences",
]

#: Maps a request to the key under which it is indexed.
KeyFunction: TypeAlias = Callable[[InteractionRequest], Hashable]

#: Names the fields in which a recorded request differs from an incoming one.
Differ: TypeAlias = Callable[[InteractionRequest, InteractionRequest], Sequence[str]]

#: ``first``: every lookup gets the first recording (the seed's behaviour).
#: ``sequential``: the Nth identical request gets the Nth recording.
PlaybackOrder: TypeAlias = Literal["first", "sequential"]


def exact_key(request: InteractionRequest) -> Hashable:
    """The default key: every field of the request (exact match).

    Two requests share this key exactly when they share a SHA-256
    fingerprint, so matching behaves as the published engine's fingerprint
    lookup, but a lookup costs a tuple hash instead of JSON + SHA-256.
    """
    return (
        request.protocol,
        request.action,
        request.target,
        request.headers,
        request.body,
    )


def fingerprint_key(request: InteractionRequest) -> Hashable:
    """The request's SHA-256 fingerprint as a key (same matches as exact_key)."""
    return fingerprint_value(request)


@dataclass(frozen=True, slots=True)
class PredicateMatcher:
    """A slow fallback matcher: ``predicate(incoming, recorded) -> bool``.

    Every lookup scans the recordings in order, so it costs O(N). Prefer a
    key function whenever "these two requests match" can be expressed as
    "these two requests have equal keys".
    """

    predicate: Callable[[InteractionRequest, InteractionRequest], bool]


#: What a Broker accepts as ``match_on``.
Matcher: TypeAlias = KeyFunction | PredicateMatcher

_PLAY_LOG_LIMIT = 1 << 16

_ENGINE_FIELDS = ("protocol", "action", "target", "headers", "body")


def request_differences(
    incoming: InteractionRequest, recorded: InteractionRequest
) -> list[str]:
    """Name the engine fields in which two requests differ."""
    return [
        name
        for name in _ENGINE_FIELDS
        if getattr(incoming, name) != getattr(recorded, name)
    ]


class InteractionIndex:
    """A thread-safe, append-only index of interactions by matcher key.

    It also keeps per-interaction play counts, so that callers can tell
    which recordings were never used.
    """

    def __init__(
        self,
        interactions: Iterable[Interaction] = (),
        *,
        match_on: Matcher = exact_key,
        playback: PlaybackOrder = "first",
        allow_playback_repeats: bool = False,
        differ: Differ = request_differences,
        prefer: KeyFunction | None = None,
    ) -> None:
        """Index ``interactions`` in one pass.

        Args:
            interactions: The recordings, in cassette order.
            match_on: A key function, or a PredicateMatcher (slow fallback).
            playback: ``first`` or ``sequential`` (see PlaybackOrder).
            allow_playback_repeats: In sequential playback, once every
                recording of a key has been played, keep replaying the last
                one instead of missing.
            differ: Names the differences between requests for miss reports.
            prefer: In sequential playback, a second key: among the unplayed
                recordings of a key, the first whose ``prefer`` value equals
                the request's is played before the first in order (so
                concurrent requests that share a key but differ, say, in
                body each get their own answer). Computed lazily, only for
                keys recorded more than once with differing values.
        """
        if playback not in ("first", "sequential"):
            msg = f"playback must be 'first' or 'sequential', not {playback!r}"
            raise ConfigurationError(msg)
        if not callable(match_on) and not isinstance(match_on, PredicateMatcher):
            msg = (
                "match_on must be a key function (request -> hashable key) "
                f"or a PredicateMatcher, not {type(match_on).__name__}"
            )
            raise ConfigurationError(msg)
        self._lock = threading.Lock()
        self._interactions: list[Interaction] = []
        self._play_counts: list[int] = []
        # First-match plays are logged with list.append (atomic under the GIL)
        # instead of taking the lock per replay; the log is folded into
        # _play_counts whenever counts are read, or when it grows long.
        self._play_log: list[Interaction] = []
        self._positions: dict[Hashable, list[int]] = {}
        # First-match lookups go straight from key to interaction; a play is
        # logged as the interaction, placed by id() when the log is folded.
        self._first: dict[Hashable, Interaction] = {}
        self._position_of: dict[int, int] = {}
        self._cursor: dict[Hashable, int] = {}
        self._predicate = match_on if isinstance(match_on, PredicateMatcher) else None
        self._key: KeyFunction | None = (
            None if isinstance(match_on, PredicateMatcher) else match_on
        )
        self._uses_fingerprint = match_on is fingerprint_key
        self._sequential = playback == "sequential"
        self._repeat = allow_playback_repeats
        self._differ = differ
        self._prefer = prefer if self._sequential else None
        # Keys whose recordings were found to all share one ``prefer`` value
        # (True) or not (False); forgotten when a key gets a new recording.
        self._uniform: dict[Hashable, bool] = {}
        self._preferred: dict[int, Hashable] = {}
        for interaction in interactions:
            self._add(interaction)

    def __len__(self) -> int:
        return len(self._interactions)

    @property
    def interactions(self) -> tuple[Interaction, ...]:
        """The indexed interactions, in order (a snapshot)."""
        return tuple(self._interactions)

    def key_of(self, request: InteractionRequest) -> Hashable:
        """Return the key of a request (a predicate matcher has none)."""
        if self._key is None:
            return None
        return self._key(request)

    def _recorded_key(self, interaction: Interaction) -> Hashable:
        if self._uses_fingerprint:
            return interaction.fingerprint.value
        assert self._key is not None  # noqa: S101 - guarded by the caller
        return self._key(interaction.request)

    def _add(self, interaction: Interaction, *, played: bool = False) -> int:
        position = len(self._interactions)
        self._interactions.append(interaction)
        self._play_counts.append(1 if played else 0)
        if self._key is not None:
            key = self._recorded_key(interaction)
            positions = self._positions.setdefault(key, [])
            positions.append(position)
            self._first.setdefault(key, interaction)
            self._position_of.setdefault(id(interaction), position)
            if played and self._sequential:
                self._cursor[key] = len(positions)
            if self._prefer is not None and len(positions) > 1:
                self._uniform.pop(key, None)
        return position

    def add(self, interaction: Interaction, *, played: bool = False) -> int:
        """Append an interaction in O(1) and return its position.

        Args:
            interaction: The new recording.
            played: Count it as played once (it was just served live), so that
                sequential playback does not serve it again.
        """
        with self._lock:
            return self._add(interaction, played=played)

    def lookup(self, request: InteractionRequest) -> Interaction | None:
        """Find the recording to replay for ``request`` and count the play.

        Returns:
            The recording, or None when there is none (or, in sequential
            playback without repeats, when all of them were already played).
        """
        if self._key is None:
            return self._scan(request)
        key = self._key(request)
        if not self._sequential:
            interaction = self._first.get(key)
            if interaction is not None:
                log = self._play_log
                log.append(interaction)
                if len(log) > _PLAY_LOG_LIMIT:
                    self._fold_play_log()
            return interaction
        positions = self._positions.get(key)
        if positions is None:
            return None
        with self._lock:
            if len(positions) > 1 and self._prefer is not None:
                position = self._preferred_position(key, positions, request)
                if position is not None:
                    self._play_counts[position] += 1
                    return self._interactions[position]
            counts = self._play_counts
            cursor = self._cursor.get(key, 0)
            # Skip what a preferred play took out of order.
            while cursor < len(positions) and counts[positions[cursor]]:
                cursor += 1
            if cursor < len(positions):
                self._cursor[key] = cursor + 1
                position = positions[cursor]
            elif self._repeat:
                position = positions[-1]
            else:
                return None
            counts[position] += 1
        return self._interactions[position]

    def _preference(self, position: int) -> Hashable:
        assert self._prefer is not None  # noqa: S101 - guarded by the caller
        try:
            return self._preferred[position]
        except KeyError:
            value = self._preferred[position] = self._prefer(
                self._interactions[position].request
            )
            return value

    def _preferred_position(
        self, key: Hashable, positions: list[int], request: InteractionRequest
    ) -> int | None:
        """The first unplayed recording whose preference is the request's.

        None when the key's recordings all share one preference (the common
        case, decided once per key), or when none unplayed has it.
        """
        uniform = self._uniform.get(key)
        if uniform is None:
            first = self._preference(positions[0])
            uniform = all(self._preference(p) == first for p in positions[1:])
            self._uniform[key] = uniform
        if uniform:
            return None
        assert self._prefer is not None  # noqa: S101 - guarded by the caller
        wanted = self._prefer(request)
        counts = self._play_counts
        for position in positions[self._cursor.get(key, 0) :]:
            if not counts[position] and self._preference(position) == wanted:
                return position
        return None

    def _scan(self, request: InteractionRequest) -> Interaction | None:
        assert self._predicate is not None  # noqa: S101 - guarded by the caller
        matches = self._predicate.predicate
        with self._lock:
            last_match: int | None = None
            for position, interaction in enumerate(self._interactions):
                if not matches(request, interaction.request):
                    continue
                if not self._sequential or self._play_counts[position] == 0:
                    self._play_counts[position] += 1
                    return interaction
                last_match = position
            if last_match is not None and self._repeat:
                self._play_counts[last_match] += 1
                return self._interactions[last_match]
        return None

    def recorded_count(self, request: InteractionRequest) -> int:
        """How many recordings share the request's key (0 for predicates)."""
        if self._key is None:
            return 0
        return len(self._positions.get(self._key(request), ()))

    def _fold_play_log(self) -> None:
        with self._lock:
            log = self._play_log
            count = len(log)
            counts = self._play_counts
            position_of = self._position_of
            for interaction in log[:count]:
                counts[position_of[id(interaction)]] += 1
            # Entries appended meanwhile lie past ``count`` and stay logged.
            del log[:count]

    @property
    def play_counts(self) -> tuple[int, ...]:
        """How many times each interaction, by position, was played."""
        self._fold_play_log()
        with self._lock:
            return tuple(self._play_counts)

    def unplayed(self) -> tuple[Interaction, ...]:
        """The interactions that were never played, in cassette order."""
        self._fold_play_log()
        with self._lock:
            return tuple(
                interaction
                for interaction, count in zip(
                    self._interactions, self._play_counts, strict=True
                )
                if count == 0
            )

    def closest(
        self, request: InteractionRequest
    ) -> tuple[InteractionRequest, list[str]] | None:
        """The recorded request most like ``request``, and how they differ.

        This scans every recording; it runs only to explain a miss.
        """
        best: tuple[InteractionRequest, list[str]] | None = None
        with self._lock:
            recorded = list(self._interactions)
        for interaction in recorded:
            differences = list(self._differ(request, interaction.request))
            if best is None or len(differences) < len(best[1]):
                best = (interaction.request, differences)
                if not differences:
                    break
        return best
