"""What the session did with cassettes: used, recorded, interactions not played.

Each test's cassette reports, when it closes, which of the interactions it
loaded were played and how many it recorded. Counts are kept per cassette
file (an interaction is "played" when any test played it), and pytest-xdist
workers send theirs to the controller, which prints the one summary line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from interposition.models import Interaction

__all__ = ["CassetteUse", "Summary"]


@dataclass
class CassetteUse:
    """One cassette file over the session.

    Interactions are told apart by their request's method and URL and how
    many such requests came before them in the file, so counts from several
    workers (which each append to a shared cassette) add up, whatever the
    cassette's format keeps of the rest.

    Attributes:
        seen: Every interaction some test loaded or recorded.
        played: Those some test played (or recorded).
        recorded: How many interactions were recorded into it.
    """

    seen: set[str] = field(default_factory=set)
    played: set[str] = field(default_factory=set)
    recorded: int = 0

    @property
    def unplayed(self) -> int:
        """How many of its interactions no test played."""
        return len(self.seen - self.played)


def _keys(interactions: Sequence[Interaction], counter: Counter[str]) -> list[str]:
    keys = []
    for interaction in interactions:
        value = f"{interaction.request.action} {interaction.request.target}"
        keys.append(f"{value}:{counter[value]}")
        counter[value] += 1
    return keys


@dataclass
class Summary:
    """Every cassette the session used."""

    cassettes: dict[str, CassetteUse] = field(default_factory=dict)

    def add(
        self,
        segments: list[tuple[Path, int]],
        interactions: Sequence[Interaction],
        play_counts: Sequence[int],
        *,
        replaced: bool,
    ) -> None:
        """Count one closed cassette session.

        Args:
            segments: (file, interactions loaded from it), in load order; the
                first is the test's own cassette, which the interactions after
                the last segment were recorded into.
            interactions: The session's interactions (loaded, then recorded).
            play_counts: Their play counts.
            replaced: The test's own cassette was re-recorded from empty.
        """
        if not segments:
            return
        offset = 0
        main_counter: Counter[str] = Counter()
        for number, (path, size) in enumerate(segments):
            use = self.cassettes.setdefault(str(path), CassetteUse())
            if number == 0 and replaced:
                use.seen.clear()
                use.played.clear()
            counter = main_counter if number == 0 else Counter()
            keys = _keys(interactions[offset : offset + size], counter)
            use.seen.update(keys)
            use.played.update(k for i, k in enumerate(keys) if play_counts[offset + i])
            offset += size
        new = _keys(interactions[offset:], main_counter)
        if new:
            use = self.cassettes[str(segments[0][0])]
            use.seen.update(new)
            use.played.update(new)
            use.recorded += len(new)

    def to_data(self) -> dict[str, Any]:
        """Plain data (for pytest-xdist's workeroutput)."""
        return {
            path: [sorted(use.seen), sorted(use.played), use.recorded]
            for path, use in self.cassettes.items()
        }

    def merge_data(self, data: dict[str, Any]) -> None:
        """Add what a worker sent."""
        for path, (seen, played, recorded) in data.items():
            use = self.cassettes.setdefault(path, CassetteUse())
            use.seen.update(seen)
            use.played.update(played)
            use.recorded += int(recorded)

    @property
    def unplayed(self) -> dict[str, int]:
        """Cassettes with interactions no test played, and how many."""
        return {p: u.unplayed for p, u in sorted(self.cassettes.items()) if u.unplayed}

    def line(self) -> str:
        """The summary line."""
        used = len(self.cassettes)
        recorded = sum(1 for use in self.cassettes.values() if use.recorded)
        unplayed = sum(self.unplayed.values())
        return (
            f"interposition: {used} cassette{'s' if used != 1 else ''} used, "
            f"{recorded} recorded, {unplayed} interaction"
            f"{'s' if unplayed != 1 else ''} not played"
        )
