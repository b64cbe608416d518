"""Cassette libraries: where recordings live, and the names they go by.

A library is a cassette file (``FileCassetteLibrary``) or a directory of
cassette files (``DirectoryCassetteLibrary``), in JSON or YAML, in
interposition's one cassette format (``docs/cassette-format.md``). Playing a
library is ``interposition.http.use_cassette`` with the cassette package's
behaviour: ``record_mode="new_episodes"`` (a request missing from the
library is recorded, one present is replayed), matching on the method, the
URL, the request headers and the body, and a recording replayed as often as
it is asked for.
"""

from __future__ import annotations

import abc
import functools
import hashlib
import json
import os
import re
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Final, Literal, TypeAlias, cast
from urllib.parse import urlsplit

from interposition.errors import ConfigurationError
from interposition.http import (
    CassetteContext,
    CassetteOptions,
    CassetteSession,
    HttpRequest,
    HttpResponse,
    from_interaction,
    request_from_engine,
    to_interaction,
    use_cassette,
)
from interposition.models import Interaction
from interposition.stores import (
    DirectoryCassetteStore,
    JsonFileCassetteStore,
    YamlFileCassetteStore,
)

if TYPE_CHECKING:
    from interposition.services import CassetteStore

__all__ = [
    "DEFAULT_CONFIG",
    "MATCH_ON",
    "CassetteLibrary",
    "CassetteName",
    "DirectoryCassetteLibrary",
    "FileCassetteLibrary",
    "FileFormat",
]

#: The cassette file formats.
FileFormat: TypeAlias = Literal["json", "yaml"]

#: The configuration keys a library accepts, and their defaults.
DEFAULT_CONFIG: Final[Mapping[str, object]] = {"log_cassette_used": False}

#: What distinguishes two recordings: as in cassette 0.3, the request
#: headers and body (compared exactly: ``raw_body``) as well as the method
#: and the URL.
MATCH_ON: Final = ("method", "url", "headers", "raw_body")


@functools.cache
def _play_options() -> CassetteOptions:
    """The options of every play (built once; each play adds its store)."""
    return CassetteOptions(
        record_mode="new_episodes", match_on=MATCH_ON, allow_playback_repeats=True
    )


_FORMATS: Final[Mapping[str, FileFormat]] = {
    "json": "json",
    "yaml": "yaml",
    "yml": "yaml",
}

#: Room kept for the digest at the end of a directory library's file names.
_READABLE_NAME_LENGTH: Final = 120

#: Characters kept in file names; the others become ``_``.
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")

Headers: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]] | None


def _file_format(value: str, where: str) -> FileFormat:
    found = _FORMATS.get(value.lower().lstrip("."))
    if found is None:
        msg = f"{where}: the file format must be 'json' or 'yaml', not {value!r}"
        raise ConfigurationError(msg)
    return found


def _config(config: Mapping[str, object] | None) -> dict[str, object]:
    merged = dict(DEFAULT_CONFIG)
    if config is None:
        return merged
    unknown = sorted(set(config) - set(DEFAULT_CONFIG))
    if unknown:
        msg = (
            f"unknown cassette config key(s) {', '.join(map(repr, unknown))}: "
            f"the keys are {', '.join(map(repr, DEFAULT_CONFIG))}"
        )
        raise ConfigurationError(msg)
    merged.update(config)
    return merged


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    return sorted((str(name).lower(), str(value)) for name, value in items)


def _body_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else bytes(body)


class CassetteName(str):
    """The name of one recording: a unique way to find it in a library.

    A ``str``: ``httplib:<METHOD> <host>:<port><url> <headers> <body>``, the
    headers as a sorted JSON list of lower-cased ``[name, value]`` pairs, the
    body as a JSON string (or its SHA-256 when hashed, or when it is not
    UTF-8 text). A name built from a request also keeps its parts.

    Attributes:
        method: The request method, or None for a name built from a string.
        host: The host.
        port: The port.
        url: The request target: path and query.
        request: The request the name was built from (``add_response``
            records it).
    """

    method: str | None
    host: str | None
    port: int | None
    url: str | None
    request: HttpRequest | None

    def __new__(cls, value: str = "") -> CassetteName:
        """Make a name from its text (without parts)."""
        name = super().__new__(cls, value)
        name.method = name.host = name.port = name.url = name.request = None
        return name

    @classmethod
    def from_httplib_connection(  # noqa: PLR0917 - the documented signature
        cls,
        host: str,
        port: int | None,
        method: str,
        url: str,
        body: bytes | str | None,
        headers: Headers,
        will_hash_body: bool = False,
    ) -> CassetteName:
        """Create a name from the parts of an HTTP request.

        Args:
            host: The host.
            port: The port (None: 80, or 443 when ``https`` is meant).
            method: The method.
            url: The request target, ``/path?query``.
            body: The body, if any.
            headers: The request headers, a mapping or (name, value) pairs.
            will_hash_body: Put the body's SHA-256 in the name instead of the
                body (shorter names, as file names need).

        Returns:
            The name; it also keeps a ``request`` built from the parts (http
            scheme, https for port 443).
        """
        method = method.upper()
        scheme = "https" if port == 443 else "http"
        port = port if port is not None else 80
        data = _body_bytes(body)
        pairs = _header_pairs(headers)
        try:
            shown = None if will_hash_body else json.dumps(data.decode())
        except UnicodeDecodeError:
            shown = None
        if shown is None:
            shown = "sha256:" + hashlib.sha256(data).hexdigest()
        header_text = json.dumps(pairs, ensure_ascii=False, separators=(",", ":"))
        name = cls(f"httplib:{method} {host}:{port}{url} {header_text} {shown}")
        name.method, name.host, name.port, name.url = method, host, port, url
        default = 443 if scheme == "https" else 80
        netloc = host if port == default else f"{host}:{port}"
        name.request = HttpRequest(
            method, f"{scheme}://{netloc}{url}", tuple(pairs), data
        )
        return name

    @classmethod
    def from_request(
        cls, request: HttpRequest, *, will_hash_body: bool = False
    ) -> CassetteName:
        """Create a name from an ``interposition.http.HttpRequest``.

        Args:
            request: The request.
            will_hash_body: As for ``from_httplib_connection``.

        Returns:
            The name, whose ``request`` is ``request``.
        """
        parts = urlsplit(request.url)
        default = 443 if parts.scheme == "https" else 80
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        name = cls.from_httplib_connection(
            parts.hostname or "",
            parts.port or default,
            request.method,
            target,
            request.body,
            request.headers,
            will_hash_body=will_hash_body,
        )
        name.request = request
        return name


@dataclass(slots=True)
class _Playing:
    """A library being played: what ``cassette.patcher.unpatch`` undoes."""

    library: CassetteLibrary
    context: CassetteContext
    session: CassetteSession
    store: CassetteStore
    listing: tuple[str, ...]


def _close(store: object) -> None:
    close = getattr(store, "close", None)
    if close is not None:
        close()


class CassetteLibrary(abc.ABC):
    """The recordings of one cassette (a file or a directory), and their use.

    Build one with ``create_new_cassette_library``. The recordings are
    exposed as ``data``, a mapping of ``CassetteName`` to
    ``interposition.http.HttpResponse``.

    Args:
        filename: The cassette file or directory.
        encoder: The file format, ``"json"`` or ``"yaml"`` (cassette 0.3
            took an encoder object here).
        config: ``{"log_cassette_used": bool}``: remember which recordings
            are played, for ``report_unused_cassettes``.

    Raises:
        ConfigurationError: For an unknown format or config key.
    """

    #: Whether a cassette name holds a digest of the body instead of the body.
    _hash_body = False

    def __init__(
        self,
        filename: str | os.PathLike[str],
        encoder: str,
        config: Mapping[str, object] | None = None,
    ) -> None:
        self.filename: Path = Path(filename)
        self.file_format: FileFormat = _file_format(encoder, str(filename))
        self.config: dict[str, object] = _config(config)
        self.used: set[str] = set()
        self._lock = threading.Lock()
        self._data: dict[CassetteName, HttpResponse] | None = None
        self._cache: dict[str, object] = {}
        self._session: CassetteSession | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({str(self.filename)!r}, "
            f"{self.file_format!r}, config={self.config!r})"
        )

    # -- creation ---------------------------------------------------------------

    @classmethod
    def create_new_cassette_library(
        cls,
        path: str | os.PathLike[str],
        file_format: str,
        config: Mapping[str, object] | None = None,
    ) -> CassetteLibrary:
        """Return a library for ``path``: a file or a directory.

        A path with an extension (``data/responses.yaml``) is a file; one
        without (``data/requests``), one ending with a separator, or an
        existing directory, is a directory.

        Args:
            path: The cassette file or directory.
            file_format: ``"json"`` or ``"yaml"``; empty: the file's
                extension, or for a directory the format of the files already
                in it (JSON when there are none).
            config: The library configuration (see ``CassetteLibrary``).

        Returns:
            A FileCassetteLibrary or a DirectoryCassetteLibrary.

        Raises:
            ConfigurationError: When the format is unknown or cannot be told.
        """
        text = os.fspath(path)
        target = Path(text)
        is_directory = (
            text.endswith(("/", os.sep)) or target.is_dir() or not target.suffix
        )
        if is_directory:
            if not file_format:
                file_format = _directory_format(target)
            return DirectoryCassetteLibrary(target, file_format, config)
        if not file_format:
            suffix = target.suffix.lower().lstrip(".")
            if suffix not in _FORMATS:
                msg = (
                    f"cannot tell the format of {text!r} from its extension: "
                    "name it .json, .yaml or .yml, or pass file_format='json' "
                    "or 'yaml'"
                )
                raise ConfigurationError(msg)
            file_format = suffix
        return FileCassetteLibrary(target, file_format, config)

    # -- names ------------------------------------------------------------------

    def cassette_name_for_httplib_connection(  # noqa: PLR0917 - documented
        self,
        host: str,
        port: int | None,
        method: str,
        url: str,
        body: bytes | str | None,
        headers: Headers,
    ) -> CassetteName:
        """Create a cassette name from the parts of an HTTP request."""
        return CassetteName.from_httplib_connection(
            host, port, method, url, body, headers, will_hash_body=self._hash_body
        )

    def _name_for(self, request: HttpRequest) -> CassetteName:
        return CassetteName.from_request(request, will_hash_body=self._hash_body)

    # -- recordings -------------------------------------------------------------

    @abc.abstractmethod
    def cassette_store(self) -> CassetteStore:
        """A new engine store for this library (``interposition.stores``)."""

    @abc.abstractmethod
    def get_all_available(self) -> list[str]:
        """Return the names of every recording in the library."""

    @property
    def data(self) -> dict[CassetteName, HttpResponse]:
        """The recordings, by name; loaded on first use, after each play."""
        data = self._data
        if data is None:
            data = self._data = self._load_data()
        return data

    def _load_data(self) -> dict[CassetteName, HttpResponse]:
        store = self.cassette_store()
        try:
            interactions = _load(store)
        finally:
            _close(store)
        data: dict[CassetteName, HttpResponse] = {}
        for interaction in interactions:
            request, response = from_interaction(interaction)
            data.setdefault(self._name_for(request), response)
        return data

    def add_response(self, cassette_name: CassetteName, response: HttpResponse) -> None:
        """Record ``response`` as the answer to the request ``cassette_name`` names.

        Redaction applies as to any recording. While the library is played,
        the recording is replayed from then on.

        Args:
            cassette_name: A name built by ``from_httplib_connection``,
                ``from_request`` or ``cassette_name_for_httplib_connection``.
            response: The response to record.

        Raises:
            ConfigurationError: When the name was not built from a request,
                or the response is not an HttpResponse.
        """
        request = getattr(cassette_name, "request", None)
        if not isinstance(request, HttpRequest):
            msg = (
                f"{cassette_name!r} does not carry a request: build it with "
                "CassetteName.from_httplib_connection(...)"
            )
            raise ConfigurationError(msg)
        if not isinstance(response, HttpResponse):
            msg = (
                "response must be an interposition.http.HttpResponse, not "
                f"{type(response).__name__}"
            )
            raise ConfigurationError(msg)
        interaction = to_interaction(request, response)
        session = self._session
        if session is not None:
            session.broker.record(interaction)
        else:
            store = self.cassette_store()
            try:
                CassetteSession(
                    self.filename, _play_options(), cassette_store=store
                ).broker.record(interaction)
            finally:
                _close(store)
        self._data = None

    def rewind(self) -> None:  # noqa: B027 - a no-op, not abstract
        """Kept for compatibility: every replay reads a fresh response already."""

    def save_to_cache(self, file_hash: str, data: object) -> None:
        """Kept for compatibility: remember ``data`` under ``file_hash``.

        The engine loads each cassette once per play; nothing reads this cache.
        """
        self._cache[file_hash] = data

    def write_to_file(self) -> None:  # noqa: B027 - a no-op, not abstract
        """Kept for compatibility: recordings are written as they are made."""

    # -- use --------------------------------------------------------------------

    def log_cassette_used(self, path: str | os.PathLike[str]) -> None:
        """Log that a recording was used (when ``log_cassette_used`` is on).

        Args:
            path: The recording's name (a file library) or file name (a
                directory library; a path is reduced to its file name).
        """
        if self.config["log_cassette_used"]:
            with self._lock:
                self.used.add(self._usage_key(path))

    def _usage_key(self, path: str | os.PathLike[str]) -> str:
        return os.fspath(path)

    def report_unused_cassettes(self, output: IO[str] | None = None) -> None:
        """Write the names of the recordings never used, sorted, one per line.

        For a directory library these are file names (``xargs rm`` can
        delete them, from the directory); for a file library, cassette names
        (see ``CassetteName``). Usage adds up over every play of this library.

        Args:
            output: A text stream (default: standard output). No newline is
                written after the last name.

        Raises:
            ConfigurationError: Unless the library was configured with
                ``{"log_cassette_used": True}``.
        """
        if not self.config["log_cassette_used"]:
            msg = (
                "report_unused_cassettes needs the library to log which "
                "recordings are used: pass config={'log_cassette_used': True}"
            )
            raise ConfigurationError(msg)
        with self._lock:
            used = set(self.used)
        unused = sorted(set(map(str, self.get_all_available())) - used)
        (output if output is not None else sys.stdout).write("\n".join(unused))

    # -- playing (used by cassette.patcher) -------------------------------------

    def _listing(self, store: CassetteStore) -> tuple[str, ...]:
        return ()

    def _recording_names(
        self, playing: _Playing, interactions: Sequence[Interaction]
    ) -> list[str]:
        return [
            str(self._name_for(request_from_engine(i.request))) for i in interactions
        ]

    def _begin(self) -> _Playing:
        store = self.cassette_store()
        try:
            listing = self._listing(store)
            context = use_cassette(self.filename, _play_options(), cassette_store=store)
            session = context.__enter__()
        except BaseException:
            _close(store)
            raise
        self._session = session
        return _Playing(self, context, session, store, listing)

    def _end(self, playing: _Playing) -> None:
        session = playing.session
        try:
            playing.context.__exit__(None, None, None)
        finally:
            self._session = None
            self._data = None
            _close(playing.store)
        interactions = session.interactions
        names = self._recording_names(playing, interactions)
        for name, count in zip(names, session.play_counts, strict=True):
            if count:
                self.log_cassette_used(name)


def _load(store: CassetteStore) -> tuple[Interaction, ...]:
    """The stored interactions; the stores are made to load a missing one empty."""
    return store.load().interactions


def _directory_format(path: Path) -> str:
    try:
        names = [entry.name for entry in os.scandir(path) if entry.is_file()]
    except OSError:
        return "json"
    has_json = any(name.endswith(".json") for name in names)
    has_yaml = any(name.endswith(".yaml") for name in names)
    return "yaml" if has_yaml and not has_json else "json"


class FileCassetteLibrary(CassetteLibrary):
    """A library in one file: every recording in the same JSON or YAML file."""

    def cassette_store(self) -> JsonFileCassetteStore | YamlFileCassetteStore:
        """A new store for the file (it need not exist yet)."""
        if self.file_format == "json":
            return JsonFileCassetteStore(self.filename, create_if_missing=True)
        return YamlFileCassetteStore(self.filename, create_if_missing=True)

    def load_file(self) -> dict[CassetteName, HttpResponse]:
        """Load the recordings from the file (again), by name.

        Raises:
            CassetteLoadError: The file is unreadable or not a cassette.
        """
        self._data = self._load_data()
        return self._data

    def get_all_available(self) -> list[str]:
        """Return the cassette name of every recording in the file, in order."""
        store = self.cassette_store()
        try:
            interactions = _load(store)
        finally:
            _close(store)
        return [
            str(self._name_for(request_from_engine(i.request))) for i in interactions
        ]


class DirectoryCassetteLibrary(CassetteLibrary):
    """A library in a directory: one JSON or YAML file per recording.

    A recording's file is named after its request:
    ``httplib_<METHOD>_<host>_<port>_<path and query>_<digest>.json``, where
    ``/`` and other characters unsafe in a file name become ``_`` and the
    digest stands for the whole cassette name (headers and body included).
    """

    #: File names must stay short: the body is named by its digest.
    _hash_body = True

    def generate_filename(self, cassette_name: str) -> str:
        """Generate the file name (with its extension) for a cassette name."""
        return self._stem(cassette_name) + self._extension

    @property
    def _extension(self) -> str:
        return ".json" if self.file_format == "json" else ".yaml"

    @staticmethod
    def _stem(cassette_name: str) -> str:
        digest = hashlib.sha256(str(cassette_name).encode()).hexdigest()[:16]
        method = getattr(cassette_name, "method", None)
        if method is None:
            return f"cassette_{digest}"
        name = cast(CassetteName, cassette_name)
        readable = f"httplib_{method}_{name.host}_{name.port}_{name.url}"
        readable = _UNSAFE.sub("_", readable.replace("/", "_")).lstrip(".")
        return f"{readable[:_READABLE_NAME_LENGTH]}_{digest}"

    def generate_path_from_cassette_name(self, cassette_name: str) -> Path:
        """Generate the full path of a cassette name's file."""
        return self.filename / self.generate_filename(cassette_name)

    def _file_stem(self, position: int, interaction: Interaction) -> str:
        return self._stem(self._name_for(request_from_engine(interaction.request)))

    def cassette_store(self) -> DirectoryCassetteStore:
        """A new store for the directory (it need not exist yet)."""
        return DirectoryCassetteStore(
            self.filename,
            file_format=self.file_format,
            create_if_missing=True,
            filename=self._file_stem,
        )

    def get_all_available(self) -> list[str]:
        """Return the file name of every recording in the directory, sorted."""
        return [path.name for path in self.cassette_store().files()]

    def write_to_file(self) -> None:
        """Kept for compatibility: each recording is written to its file as made."""

    def _usage_key(self, path: str | os.PathLike[str]) -> str:
        return Path(path).name

    def _listing(self, store: CassetteStore) -> tuple[str, ...]:
        assert isinstance(store, DirectoryCassetteStore)  # noqa: S101
        return tuple(path.name for path in store.files())

    def _recording_names(
        self, playing: _Playing, interactions: Sequence[Interaction]
    ) -> list[str]:
        # The loaded recordings come first, in file-name order; those
        # recorded during the play follow.
        listing = playing.listing
        names = list(listing[: len(interactions)])
        for interaction in interactions[len(names) :]:
            names.append(self._file_stem(0, interaction) + self._extension)
        return names
