"""A loopback listener that speaks plain HTTP and TLS on one port.

With ``mock_external_urls=True`` the resolver hook only learns a host and a
port, not the scheme, so ``http://api.example.com:8080`` and
``https://api.example.com:8080`` must reach the same port. The listener peeks
at the first byte of every accepted connection (``MSG_PEEK``, nothing is
consumed): ``0x16`` opens a TLS handshake, anything else is plain HTTP. The
socket is then handed to asyncio with :meth:`loop.connect_accepted_socket`,
with or without TLS. Only public asyncio APIs are used. The listener binds
in the caller's thread and serves on the server thread's loop (ADR 0107).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable

from aiohttp import web

__all__ = ["Listener"]

_TLS_HANDSHAKE = 0x16
_BACKLOG = 512
_HANDSHAKE_TIMEOUT = 10.0
_SHUTDOWN_GRACE = 0.05


class Listener:
    """Accept loopback connections and serve them with an aiohttp server.

    Args:
        server: The low-level ``aiohttp.web.Server`` that handles requests.
        tls_context: Called once per TLS connection to get the server-side
            context, or ``None`` to refuse TLS (plain HTTP only).
        host: The address to bind.
    """

    def __init__(
        self,
        server: web.Server,
        tls_context: Callable[[], ssl.SSLContext] | None,
        host: str = "127.0.0.1",
    ) -> None:
        self._server = server
        self._tls_context = tls_context
        self._host = host
        self._sock: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: set[socket.socket] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def sniffs_tls(self) -> bool:
        """Whether TLS connections are recognized (see ``start``)."""
        return self._sock is not None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Bind and listen now; accept on ``loop`` (a selector loop).

        Called from any thread: the port is known on return, and connections
        wait in the backlog until ``loop`` runs the reader this schedules.
        """
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind((self._host, 0))
            sock.listen(_BACKLOG)
            sock.setblocking(False)
            self.port = sock.getsockname()[1]
        except BaseException:
            sock.close()
            raise
        self._loop = loop
        self._sock = sock
        loop.call_soon_threadsafe(self._listen, sock)

    def _listen(self, sock: socket.socket) -> None:
        if self._sock is sock and self._loop is not None:
            self._loop.add_reader(sock.fileno(), self._accept)

    async def close(self) -> None:
        """Stop accepting, then close every connection (on the serving loop)."""
        loop, sock = self._loop, self._sock
        self._sock = None
        if loop is not None and sock is not None:
            loop.remove_reader(sock.fileno())
            sock.close()
        for conn in self._pending:
            if loop is not None:
                loop.remove_reader(conn.fileno())
            conn.close()
        self._pending.clear()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        # Close idle keep-alive connections now; give a request in flight a
        # moment, then cancel it (shutdown(0) would mean "no timeout").
        self._server.pre_shutdown()
        await self._server.shutdown(_SHUTDOWN_GRACE)

    def _accept(self) -> None:
        sock, loop = self._sock, self._loop
        if sock is None or loop is None:
            return
        for _ in range(_BACKLOG):
            try:
                conn, _addr = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # EMFILE and friends: try again on the next readiness event.
                return
            conn.setblocking(False)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pending.add(conn)
            loop.add_reader(conn.fileno(), self._sniff, conn)

    def _sniff(self, conn: socket.socket) -> None:
        loop = self._loop
        if loop is None:  # pragma: no cover - closed before the event
            conn.close()
            return
        try:
            head = conn.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            head = b""
        loop.remove_reader(conn.fileno())
        self._pending.discard(conn)
        if not head:
            conn.close()
            return
        context = None
        if head[0] == _TLS_HANDSHAKE and self._tls_context is not None:
            context = self._tls_context()
        task = loop.create_task(self._serve(conn, context))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, conn: socket.socket, context: ssl.SSLContext | None) -> None:
        loop = asyncio.get_running_loop()
        try:
            if context is None:
                await loop.connect_accepted_socket(self._server, conn)
            else:
                await loop.connect_accepted_socket(
                    self._server,
                    conn,
                    ssl=context,
                    ssl_handshake_timeout=_HANDSHAKE_TIMEOUT,
                )
        except (TimeoutError, OSError):
            # A failed handshake (the client refused the certificate, or
            # went away): nothing to serve.
            with contextlib.suppress(OSError):
                conn.close()
