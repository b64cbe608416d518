"""Process-wide interception of aiohttp connections (``mock_external_urls``).

Three methods of :class:`aiohttp.TCPConnector` are wrapped while at least
one intercepting mock is active, and put back exactly when the last one leaves
(see ``docs/adr/0101-aiointercept-resolution-hook.md``):

- ``_resolve_host(host, port, traces)``: for an intercepted host it returns the
  innermost mock's loopback address *before* the connector's DNS cache is
  consulted, so no connector (whenever it was created) can serve a stale or
  real address, and nothing has to be cleared afterwards.
- ``_get_ssl_context(req)``: for an intercepted https host it swaps a verifying
  context for one that trusts the per-process CA of :mod:`._tls`, so the TLS
  handshake with the mock is real and verified.
- ``_get(key, traces)``: a keep-alive connection pooled before interception
  began (so to the real server) is not reused for an intercepted host; the
  connector opens a new one, which goes through the resolver hook.

Patching a class attribute is O(1) whatever the heap size: no object is ever
looked up, walked or cleared.

Every running mock (intercepting or not) is also known here, so that an
``interposition.http.use_cassette`` in force leaves the mock's connections to
it (``serves``, announced to the HTTP layer's aiohttp adapter once
``interposition.http`` is loaded; see ADR 0203).
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from aiohttp.abc import ResolveResult

from ._tls import authority
from ._urls import is_ip_literal, is_loopback

if TYPE_CHECKING:
    from aiohttp import ClientRequest

__all__ = [
    "InterceptionTarget",
    "UpstreamConnector",
    "active_targets",
    "install",
    "serves",
    "started",
    "stopped",
    "uninstall",
]


class InterceptionTarget(Protocol):
    """What the interceptor needs to know about an active mock."""

    @property
    def server_host(self) -> str:
        """The loopback address of the mock's server."""
        ...

    @property
    def server_port(self) -> int:
        """The port of the mock's server."""
        ...

    def bypasses(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is a passthrough host of this mock."""
        ...

    def claims(self, host: str, port: int) -> bool:
        """Whether a URL route is registered on exactly ``host:port``."""
        ...


class UpstreamConnector(aiohttp.TCPConnector):
    """A connector that resolves and verifies for real, even while patched.

    The mock uses it to reach the real upstream (``passthrough_unmatched``).
    """


_lock = threading.Lock()
_stack: list[InterceptionTarget] = []
# Innermost first; rebuilt under the lock, read lock-free on the hot path.
_snapshot: tuple[InterceptionTarget, ...] = ()
_mock_addresses: frozenset[tuple[str, int]] = frozenset()
# name -> (the attribute found in TCPConnector.__dict__, or _ABSENT)
_originals: dict[str, Any] = {}
_ABSENT = object()

# Every running mock, intercepting or not (read lock-free).
_running: tuple[InterceptionTarget, ...] = ()
_announced = False

_RESOLVE = "_resolve_host"
_SSL = "_get_ssl_context"
_GET = "_get"


def active_targets() -> tuple[InterceptionTarget, ...]:
    """The active intercepting mocks, innermost first."""
    return _snapshot


def target_for(host: str, port: int) -> InterceptionTarget | None:
    """The mock that should receive a connection to ``host:port``, if any."""
    targets = _snapshot
    if not targets:
        return None
    host = host.rstrip(".")
    for target in targets:
        if target.bypasses(host, port):
            return None
    if (
        is_ip_literal(host)
        and is_loopback(host)
        and not any(t.claims(host, port) for t in targets)
    ):
        # A loopback address (a service of the test itself, or a mock's own
        # server_url): left alone unless a route names it. Host names,
        # ``localhost`` included, are intercepted (ADR 0103).
        return None
    return targets[0]


async def _resolve_host(
    connector: aiohttp.TCPConnector,
    host: str,
    port: int,
    traces: Sequence[Any] | None = None,
) -> list[ResolveResult]:
    if not isinstance(connector, UpstreamConnector):
        target = target_for(host, port)
        if target is not None:
            return [
                ResolveResult(
                    hostname=host,
                    host=target.server_host,
                    port=target.server_port,
                    family=socket.AF_INET,
                    proto=0,
                    flags=0,
                )
            ]
    original: Callable[..., Any] = _original(_RESOLVE)
    result: list[ResolveResult] = await original(connector, host, port, traces)
    return result


async def _get(connector: aiohttp.TCPConnector, key: Any, traces: Any) -> Any:
    original: Callable[..., Any] = _original(_GET)
    conn = await original(connector, key, traces)
    if conn is None or isinstance(connector, UpstreamConnector):
        return conn
    if target_for(key.host, key.port) is None:
        return conn
    transport = conn.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if peer is not None and (peer[0], peer[1]) in _mock_addresses:
        return conn
    # Pooled before interception began: it leads to the real server.
    conn.close()
    return None


def _original(name: str) -> Any:
    """The connector attribute that was in place before patching."""
    saved = _originals.get(name, _ABSENT)
    if saved is _ABSENT:
        # Inherited (BaseConnector._get), not overridden on TCPConnector.
        return getattr(aiohttp.TCPConnector.__mro__[1], name)
    return saved


def _get_ssl_context(
    connector: aiohttp.TCPConnector, req: ClientRequest
) -> ssl.SSLContext | None:
    original: Callable[..., ssl.SSLContext | None] = _original(_SSL)
    context = original(connector, req)
    if context is None or isinstance(connector, UpstreamConnector):
        return context
    host = req.url.raw_host
    port = req.port
    if host is None or port is None or target_for(host, port) is None:
        return context
    if context.verify_mode == ssl.CERT_NONE:
        # The caller turned verification off (ssl=False): keep it that way.
        return context
    ca = authority()
    if is_ip_literal(host):
        ca.expect_ip(host.strip("[]"))
    return ca.client_context()


_WRAPPERS: dict[str, Callable[..., Any]] = {
    _RESOLVE: _resolve_host,
    _SSL: _get_ssl_context,
    _GET: _get,
}


def _refresh() -> None:
    global _snapshot, _mock_addresses  # noqa: PLW0603 - process-wide by design
    _snapshot = tuple(reversed(_stack))
    _mock_addresses = frozenset((t.server_host, t.server_port) for t in _stack)


def install(target: InterceptionTarget) -> None:
    """Make ``target`` the innermost intercepting mock; patch on first use."""
    with _lock:
        if not _stack:
            own = aiohttp.TCPConnector.__dict__
            for name, wrapper in _WRAPPERS.items():
                _originals[name] = own.get(name, _ABSENT)
                setattr(aiohttp.TCPConnector, name, wrapper)
        _stack.append(target)
        _refresh()


def uninstall(target: InterceptionTarget) -> None:
    """Forget ``target``; restore aiohttp exactly when the last one leaves."""
    with _lock:
        if target not in _stack:
            return
        _stack.remove(target)
        _refresh()
        if not _stack:
            for name in _WRAPPERS:
                saved = _originals.pop(name)
                if saved is _ABSENT:
                    delattr(aiohttp.TCPConnector, name)
                else:
                    setattr(aiohttp.TCPConnector, name, saved)


def patched_names() -> Iterable[str]:
    """The names of the connector attributes this module replaces."""
    return tuple(_WRAPPERS)


def serves(host: str, port: int) -> bool:
    """Whether a running mock answers connections to ``host:port``.

    True for a mock's own server (``server_url``) and for every host an
    intercepting mock takes.
    """
    running = _running
    if not running:
        return False
    if is_loopback(host) and any(t.server_port == port for t in running):
        return True
    return target_for(host, port) is not None


def _announce() -> None:
    """Tell the HTTP layer's aiohttp adapter about ``serves``, once it is loaded.

    A cassette can only be in force once ``interposition.http`` is imported;
    a mock without one never imports it (ADR 0106).
    """
    global _announced  # noqa: PLW0603 - process-wide by design
    if _announced or "interposition.http" not in sys.modules:
        return
    from interposition.http._aiohttp import add_local_server  # noqa: PLC0415

    add_local_server(serves)
    _announced = True


def started(target: InterceptionTarget) -> None:
    """A mock's server is running: cassettes leave its connections to it."""
    global _running  # noqa: PLW0603 - process-wide by design
    with _lock:
        _running = (*_running, target)
        _announce()


def stopped(target: InterceptionTarget) -> None:
    """Undo ``started``."""
    global _running  # noqa: PLW0603 - process-wide by design
    with _lock:
        _running = tuple(t for t in _running if t is not target)
