"""The directory store: one file per interaction."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from interposition import _files
from interposition.errors import (
    CassetteLoadError,
    CassetteSaveError,
    ConfigurationError,
)
from interposition.models import CASSETTE_FORMAT_VERSION, Cassette, Interaction
from interposition.stores._common import (
    _LOAD_ERRORS,
    _safe_yaml_load,
    _SafeDumper,
)


class _InteractionFile(BaseModel):
    model_config = ConfigDict(frozen=True)
    version: int = CASSETTE_FORMAT_VERSION
    interaction: Interaction


#: Names a directory store's file, given the interaction's position.
FileNamer = Callable[[int, Interaction], str]


def _default_name(position: int, interaction: Interaction) -> str:
    return f"{position:06d}-{interaction.fingerprint.value[:16]}"


class DirectoryCassetteStore:
    """A cassette as a directory with one file per interaction.

    Files are read in name order; the default names (``000001-<fingerprint
    prefix>.json``) keep recording order, and an append never overwrites a
    file. A custom ``filename`` function may name files after the request;
    its names are sanitized so that none can leave the directory, and a new
    recording whose name is taken replaces that file (the name is the
    recording's identity). Positions are counted per store object: two
    processes appending to one directory lose nothing, but files they give
    the same position load in name order.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        file_format: Literal["json", "yaml"] = "json",
        create_if_missing: bool = False,
        fsync: bool = False,
        filename: FileNamer | None = None,
    ) -> None:
        """Initialize the store.

        Args:
            path: The directory.
            file_format: ``json`` or ``yaml``, for every file.
            create_if_missing: ``load()`` returns an empty cassette when the
                directory does not exist.
            fsync: Flush every file to the disk.
            filename: Names a file from (position, interaction); the suffix is
                added. Defaults to ``<position>-<fingerprint prefix>``.
        """
        if file_format not in ("json", "yaml"):
            msg = f"file_format must be 'json' or 'yaml', not {file_format!r}"
            raise ConfigurationError(msg)
        self._path = Path(path)
        self._format = file_format
        self._suffix = ".json" if file_format == "json" else ".yaml"
        self._create_if_missing = create_if_missing
        self._fsync = fsync
        self._filename = filename or _default_name
        self._next_position: int | None = None

    @property
    def path(self) -> Path:
        """The directory."""
        return self._path

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self._path)!r}, file_format={self._format!r})"
        )

    def files(self) -> list[Path]:
        """The interaction files, in load order."""
        try:
            names = sorted(
                entry.name
                for entry in os.scandir(self._path)
                if entry.name.endswith(self._suffix)
                and not entry.name.startswith(".")
                and entry.is_file()
            )
        except FileNotFoundError:
            return []
        return [self._path / name for name in names]

    def file_for(self, position: int, interaction: Interaction) -> Path:
        """The path of an interaction's file, always inside the directory.

        Raises:
            ConfigurationError: The ``filename`` function gave a name that
                leaves nothing once made safe (such as ``""`` or ``".."``).
        """
        try:
            name = _files.safe_filename(self._filename(position, interaction))
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from exc
        name += self._suffix
        path = self._path / name
        if path.parent != self._path:  # pragma: no cover - safe_filename prevents it
            msg = f"{name!r} would leave {self._path}"
            raise ValueError(msg)
        return path

    def _encode(self, interaction: Interaction) -> bytes:
        document = _InteractionFile(interaction=interaction)
        if self._format == "json":
            return document.model_dump_json(indent=2).encode() + b"\n"
        return yaml.dump(
            document.model_dump(mode="json"),
            Dumper=_SafeDumper,
            allow_unicode=True,
            sort_keys=False,
            width=100,
        ).encode()

    def _decode(self, data: bytes) -> Interaction:
        if self._format == "json":
            return _InteractionFile.model_validate_json(data).interaction
        return _InteractionFile.model_validate(_safe_yaml_load(data)).interaction

    def load(self) -> Cassette:
        """Load every interaction file of the directory, in name order.

        Raises:
            CassetteLoadError: The directory is missing (unless
                create_if_missing) or a file is unreadable or invalid; the
                error names the file.
        """
        if not self._path.is_dir():
            if self._create_if_missing and not self._path.exists():
                return Cassette(interactions=())
            cause = (
                "no such directory" if not self._path.exists() else "not a directory"
            )
            raise CassetteLoadError(self._path, cause)
        interactions = []
        for file in self.files():
            try:
                interactions.append(self._decode(file.read_bytes()))
            except (OSError, *_LOAD_ERRORS) as exc:
                raise CassetteLoadError(file, exc) from exc
        return Cassette.model_construct(interactions=tuple(interactions))

    def save(self, cassette: Cassette) -> None:
        """Write one file per interaction and remove the files of older saves.

        Raises:
            CassetteSaveError: A file cannot be written.
        """
        try:
            old = set(self.files())
            written = set()
            for position, interaction in enumerate(cassette.interactions, start=1):
                path = self.file_for(position, interaction)
                _files.atomic_write(path, self._encode(interaction), fsync=self._fsync)
                written.add(path)
            for stale in old - written:
                stale.unlink(missing_ok=True)
            self._path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc
        self._next_position = len(cassette.interactions) + 1

    def append(self, interaction: Interaction) -> None:
        """Write one more file (see the class docstring for names that are taken).

        Raises:
            CassetteSaveError: The file cannot be written.
        """
        data = self._encode(interaction)
        try:
            if self._next_position is None:
                self._next_position = len(self.files()) + 1
            self._path.mkdir(parents=True, exist_ok=True)
            while True:
                path = self.file_for(self._next_position, interaction)
                self._next_position += 1
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(data)
                try:
                    os.link(tmp, path)  # fails if the name is taken: never overwrite
                except FileExistsError:
                    if self._filename is not _default_name:
                        os.replace(tmp, path)
                        return
                    continue
                finally:
                    tmp.unlink(missing_ok=True)
                return
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc
