"""The ``http.client`` adapter (and so ``urllib.request``).

While a cassette is active, ``HTTPConnection.connect`` and
``HTTPSConnection.connect`` give the connection a cassette socket instead of
a network one (``interposition.http._wire``). http.client writes the
request into it unchanged; when it reads the response, the socket parses the
request, asks the cassette session and hands back the response as HTTP/1.1
bytes, which http.client parses as it would parse the wire: ``read(n)``,
``readline``, chunked transfer, HEAD and keep-alive behave exactly as on the
network. A live request opens a real
connection with the original ``connect`` and sends the very bytes written.
"""

from __future__ import annotations

import http.client

from interposition.http._patching import Patch, PatchTarget
from interposition.http._wire import cassette_connect

__all__ = ["PATCH"]


def _targets() -> list[PatchTarget]:
    return [
        (http.client.HTTPConnection, "connect", cassette_connect),
        (http.client.HTTPSConnection, "connect", cassette_connect),
    ]


#: The http.client patch (see interposition.http._patching).
PATCH = Patch("http.client", _targets)
