"""Reversible, reference-counted patches, and the registry of adapters.

Each adapter module defines one ``Patch`` (module attribute ``PATCH``) that
names every attribute it replaces. ``use_cassette`` acquires the patch of
every installed adapter on entry and releases it in ``finally`` on exit; the
attributes are replaced on the first acquire and restored on the last
release, so nested and concurrent cassettes share one patch.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from interposition.errors import ConfigurationError

__all__ = [
    "AdapterLease",
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


class AdapterLease(list[Patch]):
    """The patches one cassette holds, and the adapters it waits for.

    An adapter whose client is not imported yet is not imported (nor is its
    client): the lease waits for the client's import instead, and acquires
    the adapter's patch as soon as the client module has been executed. A
    cassette entered before ``import requests`` (``interposition run``, a
    ``sitecustomize``) still covers requests, and entering one costs no
    import of clients the program never uses.
    """

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[AdapterSpec] = []


#: Client import name -> leases waiting for it.
_WAITING: dict[str, list[AdapterLease]] = {}
_WAIT_LOCK = threading.RLock()


class _ImportWatcher(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path`` while a lease waits for a client's import."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in _WAITING:
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            spec: importlib.machinery.ModuleSpec | None = (
                find(fullname, path, target) if find is not None else None
            )
            if spec is not None:
                break
        else:
            return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _AcquiringLoader(spec.loader, fullname)
        return spec


class _AcquiringLoader(importlib.abc.Loader):
    """Runs the real loader, then acquires what waited for the module."""

    def __init__(self, loader: importlib.abc.Loader, name: str) -> None:
        self._loader = loader
        self._name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._loader.exec_module(module)
        module.__loader__ = self._loader
        if module.__spec__ is not None:
            module.__spec__.loader = self._loader
        parent, _, child = self._name.rpartition(".")
        if parent and parent in sys.modules:
            # What the import system does next, done now: the adapter
            # about to be imported reaches the module as ``http.client``.
            setattr(sys.modules[parent], child, module)
        _client_imported(self._name)

    def __getattr__(self, name: str) -> Any:
        # get_resource_reader, is_package, get_code...: the real loader's.
        return getattr(self._loader, name)


_WATCHER: Final = _ImportWatcher()


def _wait(lease: AdapterLease, spec: AdapterSpec) -> None:
    with _WAIT_LOCK:
        lease.waiting.append(spec)
        _WAITING.setdefault(spec.requires, []).append(lease)
        if _WATCHER not in sys.meta_path:
            sys.meta_path.insert(0, _WATCHER)


def _acquire_into(lease: AdapterLease, spec: AdapterSpec) -> None:
    module: _AdapterModule = importlib.import_module(spec.module)
    module.PATCH.acquire()
    lease.append(module.PATCH)


def _client_imported(requires: str) -> None:
    with _WAIT_LOCK:
        leases = _WAITING.pop(requires, [])
        for lease in leases:
            for spec in [s for s in lease.waiting if s.requires == requires]:
                lease.waiting.remove(spec)
                _acquire_into(lease, spec)
        _unwatch_if_idle()


def _unwatch_if_idle() -> None:
    if not _WAITING and _WATCHER in sys.meta_path:
        sys.meta_path.remove(_WATCHER)


def acquire_adapters(names: Iterable[str] | None = None) -> AdapterLease:
    """Acquire the patches of the named (default: all installed) adapters.

    With the default, an adapter whose client is not imported yet is
    acquired when the client is imported (see AdapterLease); named adapters
    are acquired at once.

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
    lease = AdapterLease()
    try:
        for name in chosen:
            spec = _REGISTRY[name]
            if names is None and spec.requires not in sys.modules:
                _wait(lease, spec)
            else:
                _acquire_into(lease, spec)
    except BaseException:
        release_adapters(lease)
        raise
    return lease


def release_adapters(patches: Iterable[Patch]) -> None:
    """Release patches acquired by ``acquire_adapters``, in reverse order.

    A lease also stops waiting for the clients not imported meanwhile.
    """
    if isinstance(patches, AdapterLease):
        with _WAIT_LOCK:
            for spec in patches.waiting:
                waiting = _WAITING.get(spec.requires, [])
                # By identity: leases are lists, and equal lists are not one.
                waiting[:] = [lease for lease in waiting if lease is not patches]
                if not waiting:
                    _WAITING.pop(spec.requires, None)
            patches.waiting.clear()
            _unwatch_if_idle()
    for patch in reversed(list(patches)):
        patch.release()
