"""From ``vcr_config`` and ``@pytest.mark.vcr`` to a cassette path and options.

The keys pytest-recording users give vcrpy keep vcrpy's meaning here:

- ``filter_headers``, ``filter_query_parameters`` and
  ``filter_post_data_parameters``: a bare name removes the item (as vcrpy
  does), a ``(name, value)`` pair replaces its value (None removes it).
- ``before_record_request`` / ``before_record_response``: one callable or a
  list, called with vcrpy's request object / response dict (``_vcrpy``).
- ``record_mode`` accepts ``rewrite`` (delete the cassette, then record it
  again) besides vcrpy's modes, and vcrpy's ``RecordMode`` enum members.
- ``serializer`` (``yaml`` or ``json``) gives the cassette's extension;
  ``cassette_library_dir`` and ``path_transformer`` change its path.
- ``match_on`` takes our field names, vcrpy's, and the names of matchers
  registered with ``vcr.register_matcher`` in ``pytest_recording_configure``.

Every ``CassetteOptions`` name is accepted too (``redact``, ``adapters``,
``cassette_format``...). A vcrpy key with no equivalent here is a
``VcrConfigWarning`` naming it, and is otherwise ignored.
"""

from __future__ import annotations

import copy
import hashlib
import os
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from interposition.errors import ConfigurationError
from interposition.http import (
    MATCH_FIELDS,
    CassetteOptions,
    HttpRequest,
    predicate,
    request_to_engine,
)
from interposition.http._matching import build_matcher
from interposition.http._options import suggest
from interposition.pytest_plugin._vcrpy import (
    VcrRequest,
    wrap_request_hooks,
    wrap_response_hooks,
)

__all__ = [
    "RECORD_MODES",
    "CassetteSpec",
    "VcrConfigWarning",
    "VcrStandIn",
    "cassette_spec",
    "default_cassette_name",
    "merge_config",
]

#: What ``--record-mode`` and ``record_mode`` accept.
RECORD_MODES: Final = ("none", "once", "new_episodes", "all", "rewrite")

#: vcrpy keys with no equivalent here: accepted with a warning, then ignored.
_UNSUPPORTED: Final = {
    "persister": "cassettes are read and written by interposition's stores",
    "custom_patches": "every installed client is patched by use_cassette",
    "func_path_generator": "cassette paths come from vcr_cassette_dir and "
    "default_cassette_name",
    "record_on_exception": "a recording is kept whether or not the test fails",
    "drop_unused_requests": "unplayed interactions are reported in the session "
    "summary (see --fail-on-unplayed)",
    "inject_cassette": "the cassette is the vcr fixture",
}
#: Keys the plugin itself reads (not cassette options).
_PLUGIN_KEYS: Final = frozenset(
    {"allowed_hosts", "serializer", "cassette_library_dir", "path_transformer"}
)
_FILTERS: Final = (
    "filter_headers",
    "filter_query_parameters",
    "filter_post_data_parameters",
)
_SUFFIXES: Final = {"yaml": ".yaml", "json": ".json"}
_UNSAFE: Final = "<>?%*:|\"'/\\"

try:
    _MAX_NAME: int = os.pathconf(".", "PC_NAME_MAX")
except (AttributeError, ValueError, OSError):  # pragma: no cover - Windows
    _MAX_NAME = 255


class VcrConfigWarning(UserWarning):
    """A ``vcr_config`` or marker key that interposition does not support."""


VcrMatcher = Callable[[Any, Any], Any]


@dataclass
class VcrStandIn:
    """What ``pytest_recording_configure(config, vcr)`` receives as ``vcr``.

    It plays vcrpy's ``VCR`` for the calls conftest files make on it:
    ``register_matcher(name, function)`` (the matcher then usable in
    ``match_on``), and the attributes ``cassette_library_dir``,
    ``record_mode`` and ``match_on``. ``register_serializer`` and
    ``register_persister`` are refused with a ``VcrConfigWarning``.
    """

    cassette_library_dir: str
    record_mode: str
    match_on: tuple[str, ...] | None = None
    matchers: dict[str, VcrMatcher] = field(default_factory=dict)

    def register_matcher(self, name: str, matcher: VcrMatcher) -> None:
        """Make a vcrpy matcher ``(r1, r2)`` usable by name in ``match_on``.

        The matcher fails a match by raising AssertionError or returning
        False, as vcrpy's do.
        """
        if not callable(matcher):
            msg = f"register_matcher({name!r}, ...) needs a callable, not {matcher!r}"
            raise ConfigurationError(msg)
        self.matchers[name] = matcher

    def register_serializer(self, name: str, serializer: object) -> None:
        """Not supported: cassettes are YAML or JSON."""
        warnings.warn(
            f"vcr.register_serializer({name!r}) is not supported by interposition: "
            "cassettes are YAML or JSON (serializer='yaml' or 'json')",
            VcrConfigWarning,
            stacklevel=2,
        )

    def register_persister(self, persister: object) -> None:
        """Not supported: cassettes are files read and written by our stores."""
        warnings.warn(
            "vcr.register_persister() is not supported by interposition: "
            "cassettes are files under vcr_cassette_dir",
            VcrConfigWarning,
            stacklevel=2,
        )


def merge_config(config: object, markers: Sequence[Any]) -> dict[str, Any]:
    """``vcr_config`` updated with the markers' keyword arguments.

    The closest marker (the test's own) wins over a class's, which wins over
    the module's; every marker wins over ``vcr_config``.

    Raises:
        ConfigurationError: When ``vcr_config`` is not a mapping.
    """
    if not isinstance(config, Mapping):
        msg = (
            "the vcr_config fixture must return a dict of cassette options, "
            f"not {type(config).__name__}"
        )
        raise ConfigurationError(msg)
    merged = copy.copy(dict(config))
    for marker in reversed(markers):
        merged.update(marker.kwargs)
    return merged


def default_cassette_name(test_class: type | None, test_name: str) -> str:
    """``test_name`` or ``Class.test_name``, with unsafe characters replaced."""
    name = f"{test_class.__name__}.{test_name}" if test_class else test_name
    for char in _UNSAFE:
        name = name.replace(char, "-")
    return "".join("-" if ord(char) < 32 else char for char in name)


def _shorten(name: str, suffix: str) -> str:
    # Shortened as pytest-recording shortens a long name (a prefix, "...",
    # the MD5 of the full name), but so that the name with its suffix fits:
    # pytest-recording counts "yaml" for ".yaml", and its names one character
    # too long cannot be created (so no such cassette exists to be found).
    if len(name) + len(suffix) <= _MAX_NAME:
        return name
    digest = hashlib.md5(name.encode(), usedforsecurity=False).hexdigest()
    return f"{name[: _MAX_NAME - len(suffix) - len(digest) - 3]}...{digest}"


@dataclass(frozen=True)
class CassetteSpec:
    """Where a test's cassette is and how it is opened.

    Attributes:
        path: The cassette the test records into.
        extra_paths: More cassettes to replay from (read-only).
        options: The options.
        rewrite: Delete ``path`` before opening it.
        allowed_hosts: ``vcr_config``'s ``allowed_hosts``, if any.
    """

    path: Path
    extra_paths: tuple[Path, ...]
    options: CassetteOptions
    rewrite: bool
    allowed_hosts: Any = None


def _record_mode(value: object) -> str:
    value = getattr(value, "value", value)  # vcrpy's RecordMode enum
    if value not in RECORD_MODES:
        msg = f"record_mode must be one of {', '.join(RECORD_MODES)}, not {value!r}"
        raise ConfigurationError(msg)
    return str(value)


def _filters(name: str, value: object) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        msg = f"{name} must be a list of names or (name, value) pairs, not {value!r}"
        raise ConfigurationError(msg)
    out: list[Any] = []
    for item in value:
        if isinstance(item, str):
            out.append((item, None))  # vcrpy removes a bare name
        elif isinstance(item, (tuple, list)) and len(item) == 2:
            name_, replacement = item
            if callable(replacement):
                msg = (
                    f"{name}: a callable replacement for {name_!r} is not "
                    "supported; change the value in before_record_request instead"
                )
                raise ConfigurationError(msg)
            out.append((name_, None if replacement is None else str(replacement)))
        else:
            msg = f"{name} items must be a name or a (name, value) pair, not {item!r}"
            raise ConfigurationError(msg)
    return tuple(out)


def _match_on(value: object, matchers: Mapping[str, VcrMatcher]) -> object:
    if callable(value) or not isinstance(value, (list, tuple)):
        return value  # a key function, a predicate, or an error for the options
    names = [str(n) for n in value]
    custom = [n for n in names if n in matchers]
    if not custom:
        return tuple(names)
    builtin = [n for n in names if n not in matchers]
    for name in builtin:
        if name not in MATCH_FIELDS and not name.startswith("header:"):
            known = [*MATCH_FIELDS, *matchers]
            msg = f"match_on: unknown matcher {name!r}{suggest(name, known)}"
            raise ConfigurationError(msg)
    key, _ = build_matcher(tuple(builtin)) if builtin else (None, ())
    functions = [matchers[n] for n in custom]

    def matches(incoming: HttpRequest, recorded: HttpRequest) -> bool:
        if callable(key) and key(request_to_engine(incoming)) != key(
            request_to_engine(recorded)
        ):
            return False
        for function in functions:
            try:
                if function(VcrRequest(incoming), VcrRequest(recorded)) is False:
                    return False
            except AssertionError:
                return False
        return True

    return predicate(matches)


def cassette_spec(
    merged: Mapping[str, Any],
    *,
    record_mode: str,
    cassette_dir: str | os.PathLike[str],
    name: str,
    markers: Sequence[Any],
    stand_in: VcrStandIn,
    defaults: Mapping[str, Any],
) -> CassetteSpec:
    """Translate the merged configuration of one test.

    Args:
        merged: ``vcr_config`` and the markers' keyword arguments, merged.
        record_mode: The ``record_mode`` fixture's value (used when neither
            the markers nor ``vcr_config`` give one).
        cassette_dir: The ``vcr_cassette_dir`` fixture's value.
        name: The ``default_cassette_name`` fixture's value.
        markers: The ``vcr`` markers (their arguments are extra cassettes).
        stand_in: What ``pytest_recording_configure`` was given.
        defaults: Options the plugin sets unless the configuration does.

    Raises:
        ConfigurationError: For a value of the wrong type, naming the key.
    """
    given = dict(merged)
    mode = _record_mode(given.pop("record_mode", stand_in.record_mode or record_mode))
    serializer = given.pop("serializer", "yaml")
    if serializer not in _SUFFIXES:
        msg = f"serializer must be 'yaml' or 'json', not {serializer!r}"
        raise ConfigurationError(msg)
    directory = given.pop("cassette_library_dir", None) or stand_in.cassette_library_dir
    directory = directory or cassette_dir
    transformer = given.pop("path_transformer", None)
    allowed_hosts = given.pop("allowed_hosts", None)
    if not isinstance(name, str) or not name:
        msg = f"the default cassette name must be a non-empty string, not {name!r}"
        raise ConfigurationError(msg)
    suffix = _SUFFIXES[serializer]
    path = _cassette_path(Path(directory), _shorten(name, suffix), transformer)
    if transformer is None and not path.name.endswith(suffix):
        path = path.with_name(path.name + suffix)
    extra_paths = tuple(_extra_paths(Path(directory), markers))
    kwargs: dict[str, Any] = dict(defaults)
    known = CassetteOptions.names()
    for key, value in given.items():
        if key in _FILTERS:
            kwargs[key] = _filters(key, value)
        elif key == "before_record_request":
            kwargs[key] = wrap_request_hooks(value)
        elif key == "before_record_response":
            kwargs[key] = wrap_response_hooks(value)
        elif key == "match_on":
            kwargs[key] = _match_on(value, stand_in.matchers)
        elif key in known:
            kwargs[key] = value
        elif key in _UNSUPPORTED:
            _warn(key, _UNSUPPORTED[key])
        else:
            _warn(key, f"it is not a cassette option{suggest(key, known)}")
    if "match_on" not in kwargs and stand_in.match_on is not None:
        kwargs["match_on"] = _match_on(stand_in.match_on, stand_in.matchers)
    rewrite = mode == "rewrite"
    kwargs["record_mode"] = "new_episodes" if rewrite else mode
    options = CassetteOptions.from_kwargs(**kwargs)
    return CassetteSpec(path, extra_paths, options, rewrite, allowed_hosts)


def _warn(key: str, why: str) -> None:
    warnings.warn(
        f"vcr_config / @pytest.mark.vcr key {key!r} is not supported by "
        f"interposition and is ignored: {why}",
        VcrConfigWarning,
        stacklevel=4,
    )


def _cassette_path(directory: Path, name: str, transformer: object) -> Path:
    candidate = directory / name
    if transformer is not None:
        if not callable(transformer):
            msg = f"path_transformer must be a callable, not {transformer!r}"
            raise ConfigurationError(msg)
        return Path(transformer(str(candidate)))
    resolved = os.path.normpath(candidate)
    root = os.path.normpath(directory)
    if os.path.commonpath([root, resolved]) != root or resolved == root:
        msg = (
            f"the cassette name {name!r} leaves the cassette directory {directory}; "
            "give default_cassette a name inside it"
        )
        raise ConfigurationError(msg)
    return Path(resolved)


def _extra_paths(directory: Path, markers: Sequence[Any]) -> Iterable[Path]:
    seen: set[Path] = set()
    for marker in markers:
        for argument in marker.args:
            if not isinstance(argument, (str, os.PathLike)):
                msg = (
                    "@pytest.mark.vcr takes cassette paths (strings) as positional "
                    f"arguments, not {argument!r}"
                )
                raise ConfigurationError(msg)
            path = Path(argument)
            path = path if path.is_absolute() else directory / path
            if path not in seen:
                seen.add(path)
                yield path
