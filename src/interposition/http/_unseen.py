"""Traffic that no adapter saw is reported, not let through in silence.

While a cassette is in force, ``socket.socket.connect`` and ``connect_ex``
are wrapped (through a ``Patch``, like an adapter). Every adapter performs
its live requests, and the requests to hosts it was told to ignore, inside
``passthrough()``; replays open no socket at all. So a TCP connection opened
while a session is in force and outside ``passthrough()`` is one that no
adapter saw: a client we do not cover, or one that bypasses the seam we
patch. It goes ahead (the cassette cannot answer it), and an
``UninterceptedConnectionWarning`` names the host, the port, the library that
opened it and the cassette, once per (host, port, library) and session.

Loopback hosts are reported too, unless the cassette ignores them
(``ignore_localhost=True`` or ``ignore_hosts``): a test talking to a local
service through a client we do not cover should know its traffic is not in
the cassette. Unix sockets and UDP are not HTTP traffic and are left alone.

``quiet()`` turns the report off for a block (process-wide): the pytest
plugin runs its cassettes so, as pytest-recording users' suites connect to
local services under ``@pytest.mark.vcr`` and run with ``-W error``.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Final

from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import CassetteSession, current_session

__all__ = ["GUARD", "UninterceptedConnectionWarning", "calling_library", "quiet"]


class UninterceptedConnectionWarning(UserWarning):
    """A connection went past the cassette in force: no adapter saw it."""


#: Modules that open sockets on behalf of a library, not libraries themselves.
_PLUMBING: Final = frozenset(
    {
        "socket",
        "ssl",
        "asyncio",
        "selectors",
        "contextlib",
        "threading",
        "concurrent",
        "functools",
        "interposition",
        "aiohappyeyeballs",
        "anyio",
        "trio",
        "sniffio",
    }
)
#: Helpers known to connect for one client.
_ON_BEHALF: Final = {"aiohappyeyeballs": "aiohttp"}
_INET: Final = (socket.AF_INET, socket.AF_INET6)

_reported_lock = threading.Lock()
_reported: dict[int, set[tuple[str, int, str]]] = {}
_quiet = [0]


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Within this block (in every thread), nothing is reported."""
    with _reported_lock:
        _quiet[0] += 1
    try:
        yield
    finally:
        with _reported_lock:
            _quiet[0] -= 1


def calling_library(depth: int = 2) -> tuple[str, int]:
    """The library that asked for a socket: the first caller not plumbing.

    Args:
        depth: Frames to skip, counted from this function's own.

    Returns:
        A module name (``"redis"``, ``"http.client"``) or ``"an unknown
        library"``, and how many frames up from this function it was found.
    """
    frame: FrameType | None = sys._getframe(depth)
    helper: str | None = None
    for level in range(depth, depth + 64):
        if frame is None:
            break
        module = str(frame.f_globals.get("__name__", ""))
        top = module.partition(".")[0]
        if top in _ON_BEHALF and helper is None:
            helper = _ON_BEHALF[top]
        if top and top not in _PLUMBING:
            return ("http.client" if module == "http.client" else top), level
        frame = frame.f_back
    return helper or "an unknown library", depth


def _host_port(address: Any) -> tuple[str, int] | None:
    if isinstance(address, tuple) and len(address) >= 2:
        return str(address[0]), int(address[1])
    return None


def _report(
    session: CassetteSession, host: str, port: int, library: str, level: int
) -> None:
    key = (host, port, library)
    with _reported_lock:
        seen = _reported.setdefault(id(session), set())
        if key in seen:
            return
        seen.add(key)
    warnings.warn(
        f"A connection to {host}:{port}, opened by {library}, went past the "
        f"cassette {session.path}: no interposition adapter saw it, so it is "
        "neither recorded nor replayed. If it is HTTP, use a client that "
        "use_cassette covers (or its adapter's extra); if it is meant to reach "
        f"the network, add {host!r} to ignore_hosts (or ignore_localhost=True).",
        UninterceptedConnectionWarning,
        stacklevel=level,
    )


def forget(session: CassetteSession) -> None:
    """Drop what was reported for a session (called when it closes)."""
    with _reported_lock:
        _reported.pop(id(session), None)


def _check(sock: socket.socket, address: Any) -> None:
    if _quiet[0]:
        return
    session = current_session()
    if session is None or sock.family not in _INET:
        return
    if sock.type & socket.SOCK_STREAM != socket.SOCK_STREAM:
        return
    target = _host_port(address)
    if target is None or not session.handles_host(target[0]):
        return
    library, level = calling_library(3)
    # Levels count from calling_library's frame, stack levels from _report's:
    # both are called by this function.
    _report(session, target[0], target[1], library, level + 1)


def _guarded(original: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: socket.socket, address: Any) -> Any:
        _check(self, address)
        return original(self, address)

    guarded.__wrapped__ = original  # type: ignore[attr-defined]
    return guarded


def _targets() -> list[PatchTarget]:
    return [
        (socket.socket, "connect", _guarded),
        (socket.socket, "connect_ex", _guarded),
    ]


#: Acquired by ``use_cassette`` with the adapters.
GUARD = Patch("uncovered connections", _targets)
