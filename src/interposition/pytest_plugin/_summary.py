"""What the session did with cassettes: used, recorded, interactions not played.

Each test's cassette reports, when it closes, which of the interactions it
loaded were played and how many it recorded. Counts are kept per cassette
file (an interaction is "played" when any test played it), and pytest-xdist
workers send theirs to the controller, which prints the one summary line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CassetteUse", "Summary"]


@dataclass
class CassetteUse:
    """One cassette file over the session.

    Attributes:
        total: How many interactions it holds.
        played: The positions of those some test played.
        recorded: How many interactions were recorded into it.
    """

    total: int = 0
    played: set[int] = field(default_factory=set)
    recorded: int = 0

    @property
    def unplayed(self) -> int:
        """How many of its interactions no test played."""
        return max(self.total - len(self.played), 0)


@dataclass
class Summary:
    """Every cassette the session used."""

    cassettes: dict[str, CassetteUse] = field(default_factory=dict)

    def add(
        self,
        segments: list[tuple[Path, int]],
        play_counts: tuple[int, ...],
        recorded: int,
        *,
        replaced: bool,
    ) -> None:
        """Count one closed cassette session.

        Args:
            segments: (file, interactions loaded from it), in load order; the
                first is the test's own cassette.
            play_counts: The session's play counts (loaded, then recorded).
            recorded: How many interactions the session recorded.
            replaced: The test's own cassette was re-recorded from empty.
        """
        offset = 0
        for number, (path, size) in enumerate(segments):
            use = self.cassettes.setdefault(str(path), CassetteUse())
            if number == 0 and replaced:
                use.played.clear()
                use.total = 0
            use.total = max(use.total, size)
            use.played.update(i for i in range(size) if play_counts[offset + i])
            offset += size
        if segments and recorded:
            use = self.cassettes[str(segments[0][0])]
            start = segments[0][1]
            use.played.update(range(start, start + recorded))
            use.total = max(use.total, start + recorded)
            use.recorded += recorded

    def to_data(self) -> dict[str, Any]:
        """Plain data (for pytest-xdist's workeroutput)."""
        return {
            path: [use.total, sorted(use.played), use.recorded]
            for path, use in self.cassettes.items()
        }

    def merge_data(self, data: dict[str, Any]) -> None:
        """Add what a worker sent."""
        for path, (total, played, recorded) in data.items():
            use = self.cassettes.setdefault(path, CassetteUse())
            use.total = max(use.total, int(total))
            use.played.update(int(i) for i in played)
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
