"""Lifecycle hooks: observe and steer each step of the Broker.

The Broker calls, when given:

1. ``before_match(request) -> request``: the request to match with, e.g.
   normalized or redacted the way recordings are, so that redaction never
   makes a recorded request unmatchable. The live responder still gets the
   original request.
2. ``after_replay(request, interaction)``: after a recording was found, before
   its chunks are yielded.
3. ``on_miss(request) -> decision``: when nothing matches. Return ``None`` for
   the mode's default (replay raises, auto goes live), ``"raise"``, ``"live"``,
   or an iterable of ResponseChunk to answer with a synthetic response that is
   not recorded.
4. ``before_record(interaction) -> interaction | None``: redact, annotate or
   drop (return None) what is about to be stored. Use :func:`replace_request`
   and :func:`annotate` to derive a valid interaction.
5. ``after_record(interaction)``: after the interaction was stored (and
   persisted when the Broker has a store).

A hook left as ``None`` costs one attribute test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeAlias

from interposition.models import Interaction, InteractionRequest, ResponseChunk

__all__ = [
    "BrokerHooks",
    "MissDecision",
    "annotate",
    "record_timestamp",
    "replace_request",
]

#: What ``on_miss`` returns: None (the mode's default), "raise", "live", or
#: the chunks of a synthetic response.
MissDecision: TypeAlias = Literal["raise", "live"] | Iterable[ResponseChunk] | None


@dataclass(frozen=True, slots=True)
class BrokerHooks:
    """The callables a Broker invokes around each step; all optional."""

    before_match: Callable[[InteractionRequest], InteractionRequest] | None = None
    after_replay: Callable[[InteractionRequest, Interaction], None] | None = None
    on_miss: Callable[[InteractionRequest], MissDecision] | None = None
    before_record: Callable[[Interaction], Interaction | None] | None = None
    after_record: Callable[[Interaction], None] | None = None


def replace_request(
    interaction: Interaction, request: InteractionRequest
) -> Interaction:
    """Return ``interaction`` with another request and its fingerprint.

    Use it in ``before_record`` to redact a request: the fingerprint is
    recomputed, so the result is as valid as the original.
    """
    return Interaction.build(request, interaction.response_chunks, interaction.metadata)


def annotate(interaction: Interaction, **metadata: str) -> Interaction:
    """Return ``interaction`` with (key, value) pairs added to its metadata.

    A key already present takes the new value.
    """
    kept = tuple((k, v) for k, v in interaction.metadata if k not in metadata)
    return interaction.model_copy(update={"metadata": kept + tuple(metadata.items())})


def record_timestamp(
    key: str = "recorded_at", *, clock: Callable[[], datetime] | None = None
) -> Callable[[Interaction], Interaction]:
    """A ``before_record`` hook that stamps each recording with the time.

    Args:
        key: The metadata key.
        clock: Returns the current time (default: now, in UTC).
    """
    now = clock or (lambda: datetime.now(UTC))

    def stamp(interaction: Interaction) -> Interaction:
        return annotate(interaction, **{key: now().isoformat()})

    return stamp
