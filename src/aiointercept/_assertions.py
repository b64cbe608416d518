"""``unittest.mock``-style assertions over the requests a mock received."""

from __future__ import annotations

import difflib
import json as jsonlib
from collections.abc import Mapping
from typing import Any
from unittest import mock
from urllib.parse import parse_qs, urlencode

from aiohttp import hdrs
from yarl import URL

from ._requests import AiointerceptRequest
from ._urls import merge_params, normalize_url

__all__ = ["AssertionsMixin"]


def _key(
    method: str, url: URL | str, params: Mapping[str, Any] | None
) -> tuple[str, URL]:
    return method.upper(), normalize_url(merge_params(url, params))


class AssertionsMixin:
    """The assertion helpers; the class using it provides the request log."""

    requests: dict[tuple[str, URL], list[AiointerceptRequest]]
    _calls: list[AiointerceptRequest]

    @property
    def call_count(self) -> int:
        """How many requests were received, across all URLs."""
        return len(self._calls)

    @property
    def last_request(self) -> AiointerceptRequest | None:
        """The most recent request, or ``None``."""
        return self._calls[-1] if self._calls else None

    def assert_called(self) -> None:
        """Assert that at least one request was made."""
        if not self._calls:
            raise AssertionError("Expected at least one request, got none.")

    def assert_not_called(self) -> None:
        """Assert that no request was made."""
        if self._calls:
            listing = ", ".join(f"{c.method} {c.url}" for c in self._calls[:5])
            raise AssertionError(
                f"Expected no requests, got {len(self._calls)}: {listing}"
            )

    def assert_called_once(self) -> None:
        """Assert that exactly one request was made, across all URLs."""
        if len(self._calls) != 1:
            raise AssertionError(
                f"Expected exactly one request, got {len(self._calls)}."
            )

    def assert_any_call(
        self,
        url: URL | str,
        method: str = hdrs.METH_GET,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Assert that ``method url`` was requested at least once."""
        key = _key(method, url, params)
        if key not in self.requests:
            raise AssertionError(self._not_called_message(*key))

    def assert_called_with(  # noqa: PLR0917 - the documented signature
        self,
        url: URL | str,
        method: str = hdrs.METH_GET,
        params: Mapping[str, Any] | None = None,
        data: str | bytes | Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, Any] | None = None,
        strict_headers: bool = False,
        **kwargs: Any,
    ) -> None:
        """Assert that the most recent request to ``method url`` matches.

        Args:
            url: The URL (``params`` are merged into its query).
            method: The HTTP method.
            params: Query parameters to add to ``url``.
            data: The expected body: ``bytes``/``str`` compared exactly, a
                mapping compared as a form-encoded body.
            json: The expected JSON body.
            headers: Expected headers; only those listed are checked unless
                ``strict_headers`` is set, then the full header map must be
                equal (names case-insensitive). ``unittest.mock.ANY`` matches
                any value.
            strict_headers: Compare every header.
            kwargs: Accepted for aioresponses compatibility; ignored.
        """
        key = _key(method, url, params)
        calls = self.requests.get(key)
        if not calls:
            raise AssertionError(self._not_called_message(*key))
        request = calls[-1]
        body = request.captured_body or b""
        if json is not None and json is not mock.ANY:
            try:
                actual = jsonlib.loads(body) if body else None
            except ValueError:
                raise AssertionError(
                    f"Expected JSON body {json!r}, got non-JSON body {body!r}"
                ) from None
            if actual != json:
                raise AssertionError(_mismatch("JSON body", json, actual))
        if data is not None and data is not mock.ANY:
            _check_data(request, body, data)
        if strict_headers:
            _check_all_headers(request, headers or {})
        elif headers:
            for name, value in headers.items():
                got = request.headers.get(name)
                if value != got:
                    raise AssertionError(_mismatch(f"header {name!r}", value, got))

    def assert_called_once_with(  # noqa: PLR0917 - the documented signature
        self,
        url: URL | str,
        method: str = hdrs.METH_GET,
        params: Mapping[str, Any] | None = None,
        data: str | bytes | Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, Any] | None = None,
        strict_headers: bool = False,
        **kwargs: Any,
    ) -> None:
        """Assert exactly one request in total, matching as ``assert_called_with``."""
        self.assert_called_once()
        self.assert_called_with(
            url, method, params, data, json, headers, strict_headers, **kwargs
        )

    def _not_called_message(self, method: str, url: URL) -> str:
        text = f"No request to {method} {url}."
        made = [f"{m} {u}" for (m, u) in self.requests]
        if not made:
            return text + " No requests were made."
        near = difflib.get_close_matches(f"{method} {url}", made, n=3, cutoff=0.0)
        return text + " Requests made include: " + "; ".join(near)


def _mismatch(what: str, expected: Any, actual: Any) -> str:
    return f"{what}: expected {expected!r}, got {actual!r}"


def _check_data(
    request: AiointerceptRequest, body: bytes, data: str | bytes | Mapping[str, Any]
) -> None:
    if isinstance(data, str | bytes):
        expected = data.encode("utf-8") if isinstance(data, str) else data
        if body != expected:
            raise AssertionError(_mismatch("body", expected, body))
        return
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    if content_type and "application/x-www-form-urlencoded" not in content_type:
        raise AssertionError(
            "data= as a mapping compares a form-encoded body, but the request's "
            f"Content-Type is {content_type!r}; use json= for JSON bodies."
        )
    actual_form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    expected_form = parse_qs(urlencode(list(data.items())), keep_blank_values=True)
    if actual_form != expected_form:
        raise AssertionError(_mismatch("form body", expected_form, actual_form))


def _check_all_headers(
    request: AiointerceptRequest, expected: Mapping[str, Any]
) -> None:
    actual = {name.lower(): value for name, value in request.headers.items()}
    wanted = {name.lower(): value for name, value in expected.items()}
    if set(actual) != set(wanted) or any(wanted[k] != actual[k] for k in wanted):
        raise AssertionError(
            _mismatch("headers", dict(expected), dict(request.headers))
        )
