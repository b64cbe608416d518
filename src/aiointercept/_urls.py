"""URL helpers: normalization (the ``requests`` key), query merging, hosts."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from typing import Any

from multidict import MultiDict
from yarl import URL

__all__ = [
    "HostPattern",
    "is_ip_literal",
    "is_loopback",
    "merge_params",
    "normalize_url",
]

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def normalize_url(url: URL | str) -> URL:
    """Return ``url`` in the form used for matching and for ``requests`` keys.

    The fragment is dropped, query parameters are sorted (duplicates kept, in
    order of their values), a trailing dot on the host and an explicit default
    port (``:443`` for https) are removed, so ``https://h:443/x`` and
    ``https://h./x`` are the same key as ``https://h/x``.
    """
    url = URL(url)
    if url.raw_fragment:
        url = url.with_fragment(None)
    host = url.raw_host
    if host is not None:
        if host.endswith(".") and host.rstrip("."):
            url = url.with_host(host.rstrip("."))
        port = url.explicit_port
        if port is not None and port == _DEFAULT_PORTS.get(url.scheme):
            url = url.with_port(None)
    if url.raw_query_string:
        url = url.with_query(sorted(url.query.items()))
    return url


def merge_params(url: URL | str, params: Mapping[str, Any] | None = None) -> URL:
    """Return ``url`` with ``params`` appended to its query string.

    Parameters already in ``url`` are kept; ``params`` are added after them,
    as aiohttp does when it sends ``session.get(url, params=...)``.
    """
    url = URL(url)
    if not params:
        return url
    merged: MultiDict[str] = MultiDict(url.query)
    merged.extend(url.with_query(params).query)
    return url.with_query(merged)


@functools.lru_cache(maxsize=1024)
def is_ip_literal(host: str) -> bool:
    """Whether ``host`` is an IPv4 or IPv6 address (brackets allowed)."""
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=1024)
def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: localhost, 127.0.0.0/8, ``::1``."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HostPattern:
    """A passthrough entry: ``host``, ``host:port`` or a URL such as ``https://h``.

    A port is compared only when the entry names one explicitly.
    """

    __slots__ = ("host", "port")

    def __init__(self, entry: str) -> None:
        text = entry.strip()
        if "://" not in text:
            text = f"//{text}"
        try:
            url = URL(text)
            host, port = url.raw_host, url.explicit_port
        except ValueError:
            host, port = None, None
        if not host:
            # Not a parsable URL: kept as a raw host string, as the
            # published aiointercept does.
            host, port = entry.strip(), None
        self.host = host.lower().rstrip(".")
        self.port = port

    def matches(self, host: str, port: int) -> bool:
        """Whether a connection to ``host:port`` is covered by this entry."""
        return host.lower() == self.host and (self.port is None or self.port == port)

    def __repr__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"HostPattern({self.host}{port})"
