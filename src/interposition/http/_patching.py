"""Reversible, reference-counted patches, and the registry of adapters.

Each adapter module defines one ``Patch`` (module attribute ``PATCH``) that
names every attribute it replaces. ``use_cassette`` acquires the patch of
every installed adapter on entry and releases it in ``finally`` on exit; the
attributes are replaced on the first acquire and restored on the last
release, so nested and concurrent cassettes share one patch.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from interposition.errors import ConfigurationError

__all__ = [
    "AdapterSpec",
    "Patch",
    "PatchTarget",
    "acquire_adapters",
    "adapter_names",
    "installed_adapters",
    "register_adapter",
    "release_adapters",
]

#: (owner, attribute name, factory: original -> replacement)
PatchTarget = tuple[object, str, Callable[[Any], Any]]


class Patch:
    """Attribute replacements applied on first acquire, undone on last release."""

    def __init__(self, name: str, targets: Callable[[], Sequence[PatchTarget]]) -> None:
        """Initialize.

        Args:
            name: The adapter's name, for messages.
            targets: Called on first acquire (so the client is imported only
                then); returns what to replace.
        """
        self.name = name
        self._targets = targets
        self._lock = threading.Lock()
        self._count = 0
        self._saved: list[tuple[object, str, bool, Any]] = []

    @property
    def active(self) -> bool:
        """Whether the patch is applied."""
        return self._count > 0

    def acquire(self) -> None:
        """Apply the patch (first caller) or count one more user."""
        with self._lock:
            if self._count == 0:
                saved: list[tuple[object, str, bool, Any]] = []
                try:
                    for owner, attribute, factory in self._targets():
                        had = attribute in vars(owner)
                        original = getattr(owner, attribute)
                        own = vars(owner).get(attribute)
                        saved.append((owner, attribute, had, own))
                        setattr(owner, attribute, factory(original))
                except BaseException:
                    self._restore(saved)
                    raise
                self._saved = saved
            self._count += 1

    def release(self) -> None:
        """Count one user less; the last one restores every original."""
        with self._lock:
            if self._count == 0:
                return
            self._count -= 1
            if self._count == 0:
                saved, self._saved = self._saved, []
                self._restore(saved)

    @staticmethod
    def _restore(saved: list[tuple[object, str, bool, Any]]) -> None:
        for owner, attribute, had, original in reversed(saved):
            if had:
                setattr(owner, attribute, original)
            else:
                delattr(owner, attribute)


class _AdapterModule(Protocol):
    PATCH: Patch


@dataclass(frozen=True, slots=True)
class AdapterSpec:
    """An adapter: its name, the module holding its PATCH, the client it needs.

    Attributes:
        name: Public name (``http.client``, ``urllib3``, ``httpx``...).
        module: Import path of the module that defines ``PATCH``.
        requires: Import name of the client; the adapter is installed when it
            can be found.
    """

    name: str
    module: str
    requires: str


_REGISTRY: dict[str, AdapterSpec] = {
    spec.name: spec
    for spec in (
        AdapterSpec("http.client", "interposition.http._httpclient", "http.client"),
        AdapterSpec("urllib3", "interposition.http._urllib3", "urllib3"),
        AdapterSpec("requests", "interposition.http._requests", "requests"),
        AdapterSpec("httpx", "interposition.http.httpx", "httpx"),
        AdapterSpec("httpx2", "interposition.http.httpx2", "httpx2"),
        AdapterSpec("tornado", "interposition.http._tornado", "tornado"),
        AdapterSpec("niquests", "interposition.http._niquests", "niquests"),
        AdapterSpec("httplib2", "interposition.http._httplib2", "httplib2"),
        AdapterSpec("pycurl", "interposition.http._pycurl", "pycurl"),
        AdapterSpec("aiohttp", "interposition.http._aiohttp", "aiohttp"),
    )
}
_REGISTRY_LOCK = threading.Lock()
_FOUND: dict[str, bool] = {}


def register_adapter(name: str, module: str, requires: str) -> None:
    """Register an adapter that ``use_cassette`` activates when installed.

    Args:
        name: The adapter's name.
        module: Import path of a module defining ``PATCH`` (a Patch).
        requires: Import name of the client library it needs.
    """
    with _REGISTRY_LOCK:
        _REGISTRY[name] = AdapterSpec(name, module, requires)


def adapter_names() -> tuple[str, ...]:
    """Every registered adapter's name."""
    return tuple(_REGISTRY)


def _is_installed(requires: str) -> bool:
    found = _FOUND.get(requires)
    if found is None:
        try:
            found = importlib.util.find_spec(requires) is not None
        except (ImportError, ValueError):
            found = False
        _FOUND[requires] = found
    return found


def installed_adapters() -> tuple[str, ...]:
    """The registered adapters whose client library is installed."""
    return tuple(
        name for name, spec in _REGISTRY.items() if _is_installed(spec.requires)
    )


def acquire_adapters(names: Iterable[str] | None = None) -> list[Patch]:
    """Acquire the patches of the named (default: all installed) adapters.

    Raises:
        ConfigurationError: For an unknown adapter name, or one whose client
            is not installed.
    """
    if names is None:
        chosen = installed_adapters()
    else:
        if isinstance(names, str):
            msg = f"adapters must be a list of names, not the string {names!r}"
            raise ConfigurationError(msg)
        chosen = tuple(names)
        for name in chosen:
            spec = _REGISTRY.get(name)
            if spec is None:
                msg = (
                    f"unknown adapter {name!r}: registered adapters are "
                    f"{', '.join(adapter_names())}"
                )
                raise ConfigurationError(msg)
            if not _is_installed(spec.requires):
                msg = (
                    f"adapter {name!r} needs {spec.requires!r}, which is not "
                    f"installed: pip install {spec.requires}"
                )
                raise ConfigurationError(msg)
    acquired: list[Patch] = []
    try:
        for name in chosen:
            module: _AdapterModule = importlib.import_module(_REGISTRY[name].module)
            module.PATCH.acquire()
            acquired.append(module.PATCH)
    except BaseException:
        release_adapters(acquired)
        raise
    return acquired


def release_adapters(patches: Iterable[Patch]) -> None:
    """Release patches acquired by ``acquire_adapters``, in reverse order."""
    for patch in reversed(list(patches)):
        patch.release()
