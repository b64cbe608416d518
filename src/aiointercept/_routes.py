"""Registered responses and how a request finds one.

Routes keep registration order. A request is served by the earliest
registered route that matches it and still has uses left; a route with
``repeat=N`` serves N requests, ``repeat=True`` serves forever. Exact URLs are
indexed by ``(method, normalized URL)`` and patterns kept in a list, so a
lookup does not scan every exact route.
"""

from __future__ import annotations

import difflib
import inspect
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from yarl import URL

from aiointercept._errors import configuration_error

from ._responses import CallbackResult, ResponsePlan
from ._urls import normalize_url

__all__ = [
    "Callback",
    "Closest",
    "MockResponse",
    "RouteTable",
    "closest",
    "diagnose",
]

Callback = Callable[..., CallbackResult | Awaitable[CallbackResult | None] | None]

_CALLBACK_KWARGS = ("method", "headers", "query", "json", "data", "request")


class MockResponse:
    """A registered response, returned by ``add()`` and the verb shortcuts.

    Attributes:
        method: The HTTP method it answers.
        url: The normalized URL, or the compiled pattern.
        call_count: How many requests it has served so far.
        remaining: Uses left (``None`` for ``repeat=True``).
    """

    __slots__ = (
        "_accepts",
        "call_count",
        "callback",
        "is_async",
        "method",
        "plan",
        "remaining",
        "seq",
        "url",
    )

    def __init__(  # noqa: PLR0917 - internal, built in one place
        self,
        seq: int,
        method: str,
        url: URL | re.Pattern[str],
        plan: ResponsePlan,
        remaining: int | None,
        callback: Callback | None,
    ) -> None:
        self.seq = seq
        self.method = method
        self.url = url
        self.plan = plan
        self.remaining = remaining
        self.callback = callback
        self.call_count = 0
        self.is_async = callback is not None and inspect.iscoroutinefunction(callback)
        self._accepts = _accepted_kwargs(callback)

    @property
    def exhausted(self) -> bool:
        """Whether the route has no uses left."""
        return self.remaining == 0

    def callback_kwargs(self, available: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments this route's callback can take."""
        if self._accepts is None:
            return available
        return {name: available[name] for name in self._accepts if name in available}

    def describe(self) -> str:
        """``METHOD url`` (or ``METHOD /pattern/``) for messages."""
        if isinstance(self.url, re.Pattern):
            return f"{self.method} re.compile({self.url.pattern!r})"
        return f"{self.method} {self.url}"

    def __repr__(self) -> str:
        return f"<MockResponse {self.describe()} served={self.call_count}>"


def _accepted_kwargs(callback: Callback | None) -> tuple[str, ...] | None:
    """Which request kwargs ``callback`` accepts; ``None`` means all of them."""
    if callback is None:
        return None
    try:
        parameters = inspect.signature(callback).parameters.values()
    except (TypeError, ValueError):
        return None
    names = []
    for parameter in parameters:
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            return None
        names.append(parameter.name)
    return tuple(name for name in _CALLBACK_KWARGS if name in names)


@dataclass(frozen=True, slots=True)
class Closest:
    """The registered route nearest to a request that matched none."""

    route: MockResponse
    differences: tuple[str, ...]

    def describe(self) -> str:
        """A one-line explanation for error messages."""
        text = f"closest registered: {self.route.describe()}"
        if self.differences:
            text += " (differs in " + "; ".join(self.differences) + ")"
        if self.route.exhausted:
            text += f" (used up: it served {self.route.call_count} time(s))"
        return text


class RouteTable:
    """All routes of one mock, in registration order."""

    def __init__(self) -> None:
        self._seq = 0
        self._exact: dict[tuple[str, URL], list[MockResponse]] = {}
        self._patterns: list[MockResponse] = []
        self._all: list[MockResponse] = []
        self.hosts: set[tuple[str, int | None]] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[MockResponse]:
        return iter(tuple(self._all))

    def add(
        self,
        url: str | URL | re.Pattern[str],
        method: str,
        plan: ResponsePlan,
        repeat: bool | int,
        callback: Callback | None,
    ) -> MockResponse:
        """Register a route and return it."""
        if isinstance(repeat, bool):
            remaining: int | None = None if repeat else 1
        elif isinstance(repeat, int):
            if repeat < 0:
                raise configuration_error(
                    f"repeat must be at least 1 (or True, or False), got {repeat!r}"
                )
            remaining = repeat or 1
        else:
            raise TypeError(f"repeat must be a bool or an int, got {repeat!r}")
        method = method.upper()
        self._seq += 1
        key: URL | re.Pattern[str]
        if isinstance(url, re.Pattern):
            key = url
        elif isinstance(url, str | URL):
            key = normalize_url(url)
            if not key.absolute or not key.raw_host:
                raise configuration_error(
                    f"Cannot extract host from {str(url)!r}: register an absolute "
                    "URL (f'{m.server_url}/path' or 'https://api.example.com/path')"
                )
        else:
            raise TypeError(f"url must be a str, yarl.URL or re.Pattern, got {url!r}")
        with self._lock:
            forever = self._forever(method, key)
            if forever is not None:
                raise configuration_error(
                    f"{forever.describe()} already has a repeat=True response, "
                    "which answers every request: a response registered after it "
                    "could never be reached. Register this one first, or give "
                    "the first a finite repeat=N."
                )
            route = MockResponse(self._seq, method, key, plan, remaining, callback)
            self._all.append(route)
            if isinstance(key, URL):
                self._exact.setdefault((method, key), []).append(route)
                if key.raw_host is not None:
                    self.hosts.add((key.raw_host, key.port))
            else:
                self._patterns.append(route)
        return route

    def _forever(self, method: str, key: URL | re.Pattern[str]) -> MockResponse | None:
        """The repeat=True route already registered for ``method key``, if any."""
        if isinstance(key, URL):
            same: Iterable[MockResponse] = self._exact.get((method, key), ())
        else:
            same = (
                r
                for r in self._patterns
                if r.method == method
                and isinstance(r.url, re.Pattern)
                and (r.url.pattern, r.url.flags) == (key.pattern, key.flags)
            )
        return next((r for r in same if r.remaining is None), None)

    def match(self, method: str, url: URL) -> MockResponse | None:
        """Take one use of the earliest route matching ``method url``.

        Served on the server thread while the test may register more: one
        lock (uncontended, some 50 ns) keeps a use from being taken twice.
        """
        with self._lock:
            return self._take(method, url)

    def _take(self, method: str, url: URL) -> MockResponse | None:
        best: MockResponse | None = None
        candidates = self._exact.get((method, url))
        if candidates:
            for route in candidates:
                if not route.exhausted:
                    best = route
                    break
        if self._patterns:
            text = str(url)
            for route in self._patterns:
                if best is not None and route.seq > best.seq:
                    break
                pattern = route.url
                if (
                    route.method == method
                    and not route.exhausted
                    and isinstance(pattern, re.Pattern)
                    and pattern.match(text)
                ):
                    best = route
                    break
        if best is not None:
            best.call_count += 1
            if best.remaining is not None:
                best.remaining -= 1
        return best

    def claims(self, host: str, port: int) -> bool:
        """Whether a URL route names exactly ``host:port``."""
        return (host, port) in self.hosts

    def closest(self, method: str, url: URL) -> Closest | None:
        """The route most similar to ``method url``, and what differs."""
        return closest(self._all, method, url)

    def clear(self) -> None:
        """Forget every route."""
        with self._lock:
            self._clear()

    def _clear(self) -> None:
        self._exact.clear()
        self._patterns.clear()
        self._all.clear()
        self.hosts.clear()


def closest(routes: Iterable[MockResponse], method: str, url: URL) -> Closest | None:
    """The route most similar to ``method url`` among ``routes``, and what differs.

    Same path and host weigh most, then the method, then the textual
    similarity of ``METHOD URL``; on a tie the earliest registration wins.
    """
    target = f"{method} {url}"
    scored = []
    for order, route in enumerate(routes):
        text = route.describe()
        score = difflib.SequenceMatcher(None, target, text).ratio()
        if route.method == method:
            score += 1.0
        if isinstance(route.url, URL):
            score += 1.0 * (route.url.host == url.host)
            score += 2.0 * (route.url.path == url.path)
        elif route.url.match(str(url)):
            score += 1.0
        scored.append((score, -order, route))
    if not scored:
        return None
    best = max(scored, key=lambda item: (item[0], item[1]))[2]
    return Closest(best, _differences(best, method, url))


def _differences(route: MockResponse, method: str, url: URL) -> tuple[str, ...]:
    found: list[str] = []
    if route.method != method:
        found.append(f"method: registered {route.method}, requested {method}")
    if isinstance(route.url, re.Pattern):
        if not route.url.match(str(url)):
            found.append(f"URL: pattern does not match {str(url)!r}")
    else:
        registered = route.url
        for part, mine, theirs in (
            ("scheme", registered.scheme, url.scheme),
            ("host", registered.host, url.host),
            ("port", registered.port, url.port),
            ("path", registered.path, url.path),
            ("query", registered.query_string, url.query_string),
        ):
            if mine != theirs:
                found.append(f"{part}: registered {mine!r}, requested {theirs!r}")
    return tuple(found)


def diagnose(
    method: str, url: URL, routes: Sequence[MockResponse], near: Closest | None
) -> str:
    """Why ``method url`` matched no route, for the warning a miss logs.

    Says so when every response registered for exactly this request was used
    up (a finite ``repeat``); else names the closest registered ``METHOD URL``
    and what differs, with a character diff; lists the patterns when only
    patterns are registered.
    """
    line = f"{method} {url}"
    head = f"aiointercept: no registered response for {line}"
    same = [r for r in routes if r.method == method and r.url == url]
    if same and all(r.exhausted for r in same):
        served = sum(r.call_count for r in same)
        return (
            f"{head}; every response registered for it was used up (a finite "
            f"repeat: it served {served} time(s)); register more, or repeat=True"
        )
    if not routes or near is None:
        return f"{head}; nothing is registered"
    exact = [r for r in routes if isinstance(r.url, URL)]
    if not exact:
        patterns = ", ".join(sorted({r.describe() for r in routes}))
        return f"{head}; no pattern matches it (registered patterns: {patterns})"
    text = f"{head}; {near.describe()}"
    if isinstance(near.route.url, URL):
        diff = difflib.ndiff([line], [near.route.describe()])
        text += "\n" + "\n".join(d.rstrip() for d in diff)
    return text
