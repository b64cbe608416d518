"""The ``httplib2`` adapter (and so google-api-python-client).

httplib2 sends every request through ``http.client``, on connections of its
own classes, ``HTTPConnectionWithTimeout`` and ``HTTPSConnectionWithTimeout``,
whose ``connect`` replaces http.client's (timeouts, proxies, its own TLS
context). The http.client adapter's patch of ``HTTPConnection.connect``
therefore never runs for httplib2; this adapter patches those two classes'
``connect`` the same way (``interposition.http._wire.cassette_connect``):
the connection gets a cassette socket, http.client writes the request into
it and parses the recorded response from it. Everything httplib2 does above
the connection stays its own: redirects, authentication, its cache,
decompression, retries.

A connection httplib2 keeps open from before the cassette (a keep-alive
``Http`` object reused) still holds a real socket, and ``connect`` would not
run again; ``putrequest`` closes such a connection when a cassette handles
its host, so the next request reconnects through the cassette. After a miss
(raised from ``getresponse``), the connection is closed too, so that it is
not left waiting for a response that will never come.

A live request opens the real connection with httplib2's own ``connect``
(its proxy settings, ``ca_certs``, ``disable_ssl_certificate_validation``),
and an unknown host still raises httplib2's ``ServerNotFoundError``. See
``docs/adr/0201-http-adapter-seams.md``.
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Callable
from typing import Any

import httplib2

from interposition.errors import InterpositionError
from interposition.http._mapping import build_url
from interposition.http._patching import Patch, PatchTarget
from interposition.http._session import current_session
from interposition.http._wire import CassetteSocket, Connect, cassette_connect

__all__ = ["PATCH"]

_PutRequest = Callable[..., None]
_GetResponse = Callable[[http.client.HTTPConnection], http.client.HTTPResponse]


def _live_connect(original: Connect) -> Connect:
    """httplib2's ``connect``, with its own error for an unknown host.

    On the wire httplib2 turns ``socket.gaierror`` from ``connect`` into
    ``ServerNotFoundError``; through the cassette socket the real connection
    opens while the response is read, where httplib2 does not translate it.
    """

    def connect(connection: http.client.HTTPConnection) -> None:
        try:
            original(connection)
        except socket.gaierror:
            msg = f"Unable to find the server at {connection.host}"
            raise httplib2.ServerNotFoundError(msg) from None

    return connect


def _patched_connect(original: Connect) -> Connect:
    return cassette_connect(original, _live_connect(original))


def _patched_putrequest(original: _PutRequest) -> _PutRequest:
    def putrequest(
        self: http.client.HTTPConnection,
        method: str,
        url: str,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        sock = self.sock
        if sock is not None and not isinstance(sock, CassetteSocket):
            session = current_session()
            if session is not None:
                scheme = (
                    "https" if isinstance(self, http.client.HTTPSConnection) else "http"
                )
                if session.handles(build_url(scheme, self.host, None, "/")):
                    # Opened before the cassette: reconnect through it.
                    self.close()
        original(self, method, url, *args, **kwargs)

    putrequest.__wrapped__ = original  # type: ignore[attr-defined]
    return putrequest


def _patched_getresponse(original: _GetResponse) -> _GetResponse:
    def getresponse(self: http.client.HTTPConnection) -> http.client.HTTPResponse:
        try:
            return original(self)
        except InterpositionError:
            # A miss, raised while http.client waits for the response, would
            # leave the connection waiting for ever: close it, as httplib2
            # does after a network error, so the next request reconnects.
            self.close()
            raise

    getresponse.__wrapped__ = original  # type: ignore[attr-defined]
    return getresponse


def _targets() -> list[PatchTarget]:
    targets: list[PatchTarget] = []
    for connection_class in (
        httplib2.HTTPConnectionWithTimeout,
        httplib2.HTTPSConnectionWithTimeout,
    ):
        targets.append((connection_class, "connect", _patched_connect))
        targets.append((connection_class, "putrequest", _patched_putrequest))
        targets.append((connection_class, "getresponse", _patched_getresponse))
    return targets


#: The httplib2 patch (see interposition.http._patching).
PATCH = Patch("httplib2", _targets)
