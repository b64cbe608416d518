"""A cassette with extra, read-only cassettes: ``@pytest.mark.vcr("a.yaml")``.

The test's own cassette is loaded first, then each extra one that exists (a
missing extra is skipped, as pytest-recording skips it); recordings go to the
test's own cassette only, and ``save`` never writes the extras' interactions
into it.
"""

from __future__ import annotations

from pathlib import Path

from interposition.models import Cassette, Interaction
from interposition.services import CassetteStore
from interposition.stores import store_for_path

__all__ = ["CombinedStore"]


class CombinedStore:
    """The test's cassette (read and written) plus extras (read only).

    Attributes:
        main: The store of the test's own cassette.
        extra_paths: The extra cassettes.
        sizes: After ``load``: (path, number of interactions) for the main
            cassette and each extra one loaded, in load order.
    """

    def __init__(
        self, main: CassetteStore, main_path: Path, extra_paths: tuple[Path, ...]
    ) -> None:
        self.main = main
        self.main_path = main_path
        self.extra_paths = extra_paths
        self.sizes: list[tuple[Path, int]] = []
        self._extra_ids: set[int] = set()

    @property
    def path(self) -> Path:
        """The test's own cassette."""
        return self.main_path

    def load(self) -> Cassette:
        """The main cassette's interactions, then the extras'."""
        own = self.main.load().interactions
        interactions: list[Interaction] = list(own)
        self.sizes = [(self.main_path, len(own))]
        for path in self.extra_paths:
            if path == self.main_path or not path.exists():
                continue
            loaded = store_for_path(path).load().interactions
            self._extra_ids.update(id(item) for item in loaded)
            interactions.extend(loaded)
            self.sizes.append((path, len(loaded)))
        return Cassette.model_construct(interactions=tuple(interactions))

    def save(self, cassette: Cassette) -> None:
        """Write the main cassette: every interaction not from an extra one."""
        own = tuple(i for i in cassette.interactions if id(i) not in self._extra_ids)
        self.main.save(Cassette.model_construct(interactions=own))

    def append(self, interaction: Interaction) -> None:
        """Append to the main cassette."""
        append = getattr(self.main, "append", None)
        if append is None:
            self.save(
                Cassette.model_construct(interactions=(*self._own(), interaction))
            )
        else:
            append(interaction)

    def _own(self) -> tuple[Interaction, ...]:
        return self.main.load().interactions
