"""Network blocking: every socket connection to a host not allowed is refused.

``blocking_context(allowed_hosts)`` wraps ``socket.socket.connect`` and
``connect_ex`` (through a reference-counted ``Patch``, undone on exit) so that
connecting to any host (TCP or UDP over IPv4 / IPv6, and Unix sockets, whose
"host" is the socket's path) raises ``RuntimeError("Network is disabled for
host '<host>'")``, the error pytest-recording 0.14 raises, unless the host
matches one of ``allowed_hosts``: host names, IP addresses or regular
expressions, matched from the start of the host (``re.match``). The host is
what the socket is asked to connect to: clients resolve names first, so an
allowed name should come with its address (``localhost`` and
``127.0.0.1``).

The refused socket is closed before the error is raised (a client that
catches only ``OSError`` would otherwise leave it to the garbage collector:
a ``ResourceWarning``, an error under ``-W error``). The block is
process-wide (threads included), as a socket has no notion of
which test opened it. Blocks nest: the innermost one decides.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from interposition.http import Patch

__all__ = ["blocking_context", "compile_allowed_hosts", "is_blocking"]

_lock = threading.Lock()
_stack: list[re.Pattern[str] | None] = []
_patch: Patch | None = None


def compile_allowed_hosts(
    allowed_hosts: Iterable[str] | str | None,
) -> re.Pattern[str] | None:
    """One pattern matching any of the allowed hosts, or None for none.

    ``allowed_hosts`` may be a comma-separated string, as on the command line.

    Raises:
        ConfigurationError: For an entry that is not a string or not a valid
            regular expression.
    """
    from interposition.errors import ConfigurationError

    if allowed_hosts is None:
        return None
    if isinstance(allowed_hosts, str):
        allowed_hosts = [host for host in allowed_hosts.split(",") if host]
    hosts = list(allowed_hosts)
    if not hosts:
        return None
    for host in hosts:
        if not isinstance(host, str):
            msg = (
                "allowed_hosts must be host names, IP addresses or regular "
                f"expressions (strings), not {host!r}"
            )
            raise ConfigurationError(msg)
        try:
            re.compile(host)
        except re.error as exc:
            msg = (
                f"allowed_hosts entry {host!r} is not a valid regular expression: {exc}"
            )
            raise ConfigurationError(msg) from None
    return re.compile("|".join(f"(?:{host})" for host in hosts))


def _host_of(sock: socket.socket, address: Any) -> str | None:
    """The host a socket is asked to connect to, or None for other families."""
    family = sock.family
    if family in (socket.AF_INET, socket.AF_INET6):
        return str(address[0]) if isinstance(address, tuple) else str(address)
    if family == getattr(socket, "AF_UNIX", None):
        if isinstance(address, (bytes, bytearray)):
            return bytes(address).decode("utf-8", "surrogateescape")
        return str(address)
    return None


def _check(sock: socket.socket, address: Any) -> None:
    if not _stack:
        return
    allowed = _stack[-1]
    host = _host_of(sock, address)
    if host is None:
        return
    if allowed is not None and allowed.match(host):
        return
    # Closed here: clients that catch only OSError would leave it to the
    # garbage collector, and a ResourceWarning under -W error.
    sock.close()
    msg = f"Network is disabled for host {host!r}"
    raise RuntimeError(msg)


def _blocked(original: Callable[..., Any]) -> Callable[..., Any]:
    def blocked(self: socket.socket, address: Any, *args: Any, **kwargs: Any) -> Any:
        _check(self, address)
        return original(self, address, *args, **kwargs)

    blocked.__wrapped__ = original  # type: ignore[attr-defined]
    return blocked


def _get_patch() -> Patch:
    global _patch  # noqa: PLW0603 - one patch object, built on first use
    if _patch is None:
        from interposition.http import Patch

        _patch = Patch(
            "network blocking",
            lambda: [
                (socket.socket, "connect", _blocked),
                (socket.socket, "connect_ex", _blocked),
            ],
        )
    return _patch


def is_blocking() -> bool:
    """Whether a ``blocking_context`` is in force."""
    return bool(_stack)


@contextlib.contextmanager
def blocking_context(
    allowed_hosts: Iterable[str] | str | None = None,
) -> Iterator[None]:
    """Block every socket connection to hosts not in ``allowed_hosts``.

    Args:
        allowed_hosts: Host names, IP addresses or regular expressions (a
            list, or a comma-separated string); connections to them go
            ahead.

    Raises:
        ConfigurationError: For an invalid ``allowed_hosts`` entry.

    Connecting elsewhere inside the block raises
    ``RuntimeError("Network is disabled for host '<host>'")``.
    """
    pattern = compile_allowed_hosts(allowed_hosts)
    patch = _get_patch()
    patch.acquire()
    with _lock:
        _stack.append(pattern)
    try:
        yield
    finally:
        with _lock:
            # Remove this block's entry (the last one equal to it).
            for index in range(len(_stack) - 1, -1, -1):
                if _stack[index] is pattern:
                    del _stack[index]
                    break
        patch.release()
