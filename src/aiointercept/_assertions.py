"""``unittest.mock``-style assertions over the requests a mock received.

A failure's message is one line (``"JSON body mismatch: expected ..., got
..."``, ``"No calls to GET https://..."``); the detail (a line diff of the
two values, the requests that were made) rides along as PEP 678 notes, which
pytest and tracebacks print under it. ``unittest.mock.ANY`` matches any value
in ``json=``, ``data=`` and ``headers=``, at any depth.
"""

from __future__ import annotations

import difflib
import json as jsonlib
import pprint
import warnings
from collections.abc import Mapping
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl

from aiohttp import hdrs
from yarl import URL

from ._requests import AiointerceptRequest
from ._urls import merge_params, normalize_url

__all__ = ["AssertionsMixin"]

_FORM = "application/x-www-form-urlencoded"
_SUMMARY_WIDTH = 120
_DIFF_LINES = 60
_DIFF_WIDTH = 200
_LISTED = 10


def _key(
    method: str, url: URL | str, params: Mapping[str, Any] | None
) -> tuple[str, URL]:
    return method.upper(), normalize_url(merge_params(url, params))


class AssertionsMixin:
    """The assertion helpers; the class using it provides the request log."""

    requests: dict[tuple[str, URL], list[AiointerceptRequest]]
    ordered_requests: list[tuple[tuple[str, URL], AiointerceptRequest]]

    @property
    def call_count(self) -> int:
        """How many requests were received, across all URLs."""
        return len(self.ordered_requests)

    @property
    def last_request(self) -> AiointerceptRequest | None:
        """The most recent request, or ``None``."""
        log = self.ordered_requests
        return log[-1][1] if log else None

    def assert_called(self) -> None:
        """Assert that at least one request was made."""
        if not self.ordered_requests:
            raise AssertionError("Expected at least one call, got none.")

    def assert_not_called(self) -> None:
        """Assert that no request was made."""
        if self.ordered_requests:
            raise self._with_log(
                f"Expected no calls, got {len(self.ordered_requests)}."
            )

    def assert_called_once(self) -> None:
        """Assert that exactly one request was made, across all URLs."""
        count = len(self.ordered_requests)
        if count != 1:
            raise self._with_log(f"Expected exactly 1 call, got {count}.")

    def assert_any_call(
        self,
        url: URL | str,
        method: str = hdrs.METH_GET,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        """Assert that ``method url`` was requested at least once."""
        key = _key(method, url, params)
        if key not in self.requests:
            raise self._not_called(*key)

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
                any value, here and in ``json`` and ``data``.
            strict_headers: Compare every header.
            kwargs: Accepted for aioresponses compatibility: each one is
                ignored with a ``DeprecationWarning`` naming it.
        """
        _warn_unknown("assert_called_with", kwargs)
        self._check_last(url, method, params, data, json, headers, strict_headers)

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
        _warn_unknown("assert_called_once_with", kwargs)
        self.assert_called_once()
        self._check_last(url, method, params, data, json, headers, strict_headers)

    def _check_last(  # noqa: PLR0917 - the assertion's arguments, passed on
        self,
        url: URL | str,
        method: str,
        params: Mapping[str, Any] | None,
        data: str | bytes | Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, Any] | None,
        strict_headers: bool,
    ) -> None:
        key = _key(method, url, params)
        calls = self.requests.get(key)
        if not calls:
            raise self._not_called(*key)
        request = calls[-1]
        body = request.captured_body or b""
        if json is not None and json is not mock.ANY:
            try:
                actual = jsonlib.loads(body) if body else None
            except ValueError:
                raise _mismatch(
                    "Expected JSON body, got non-JSON body", json, body
                ) from None
            if actual != json:
                raise _mismatch("JSON body mismatch", json, actual)
        if data is not None and data is not mock.ANY:
            _check_data(request, body, data)
        if strict_headers:
            _check_all_headers(request, headers or {})
        elif headers and headers is not mock.ANY:
            for name, value in headers.items():
                got = request.headers.get(name)
                if value != got:
                    raise _mismatch(
                        "Headers mismatch",
                        {name: value},
                        {name: got},
                        summary=f"Header {name!r}: expected {value!r}, got {got!r}",
                    )

    def _not_called(self, method: str, url: URL) -> AssertionError:
        error = AssertionError(f"No calls to {method} {url}")
        made = [f"{m} {u}" for (m, u) in self.requests]
        if not made:
            error.add_note("No requests were recorded.")
            return error
        near = difflib.get_close_matches(f"{method} {url}", made, n=3, cutoff=0.0)
        error.add_note("Did you mean one of:\n" + "\n".join(f"  - {n}" for n in near))
        self._note_log(error)
        return error

    def _with_log(self, message: str) -> AssertionError:
        error = AssertionError(message)
        self._note_log(error)
        return error

    def _note_log(self, error: AssertionError) -> None:
        """List the requests that were made, as a note on ``error``."""
        log = self.ordered_requests
        if not log:
            return
        lines = [f"  {n}. {m} {u}" for n, ((m, u), _) in enumerate(log[:_LISTED], 1)]
        if len(log) > _LISTED:
            lines.append(f"  ... and {len(log) - _LISTED} more")
        error.add_note(f"Requests made ({len(log)}):\n" + "\n".join(lines))


def _warn_unknown(where: str, kwargs: Mapping[str, Any]) -> None:
    for name in kwargs:
        warnings.warn(
            f"{where}() got an unknown keyword argument {name!r}; it is ignored",
            DeprecationWarning,
            stacklevel=3,
        )


def _lines(value: Any) -> list[str]:
    if isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, str):
        text = value
    else:
        text = pprint.pformat(value, width=88, sort_dicts=True)
    return [
        line if len(line) <= _DIFF_WIDTH else line[:_DIFF_WIDTH] + " ... (cut)"
        for line in text.splitlines() or [""]
    ]


def _oneline(value: Any) -> str:
    text = " ".join(" ".join(_lines(value)).split())
    if len(text) > _SUMMARY_WIDTH:
        return text[: _SUMMARY_WIDTH - 3] + "..."
    return text


def _mismatch(
    label: str, expected: Any, actual: Any, *, summary: str | None = None
) -> AssertionError:
    """A one-line summary, with a line diff (``-`` expected, ``+`` got) as a note."""
    error = AssertionError(
        summary or f"{label}: expected {_oneline(expected)}, got {_oneline(actual)}"
    )
    want, got = _lines(expected), _lines(actual)
    diff = "\n".join(difflib.ndiff(want[:_DIFF_LINES], got[:_DIFF_LINES]))
    if max(len(want), len(got)) > _DIFF_LINES:
        diff += "\n... (diff cut: the values are too long to show in full)"
    error.add_note(diff or "(the values print the same: compare their types)")
    return error


def _check_data(
    request: AiointerceptRequest, body: bytes, data: str | bytes | Mapping[str, Any]
) -> None:
    if isinstance(data, str | bytes):
        expected = data.encode("utf-8") if isinstance(data, str) else data
        if body != expected:
            raise _mismatch("Body mismatch", expected, body)
        return
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    if content_type and _FORM not in content_type:
        raise AssertionError(
            f"data= as a mapping expects a form-encoded body (Content-Type: {_FORM}), "
            f"but the request's Content-Type is {content_type!r}; use json= for "
            "JSON bodies."
        )
    actual: dict[str, list[str]] = {}
    for name, value in parse_qsl(
        body.decode("utf-8", "replace"), keep_blank_values=True
    ):
        actual.setdefault(name, []).append(value)
    expected_form = {name: _form_values(value) for name, value in data.items()}
    if actual != expected_form:
        raise _mismatch("Form-encoded body mismatch", expected_form, actual)


def _form_values(value: Any) -> Any:
    """The values a form field holds, as parsed: ``ANY`` stays ``ANY``."""
    if value is mock.ANY:
        return value
    if isinstance(value, list | tuple):
        return [v if v is mock.ANY else str(v) for v in value]
    return [str(value)]


def _check_all_headers(
    request: AiointerceptRequest, expected: Mapping[str, Any]
) -> None:
    actual = {name.lower(): value for name, value in request.headers.items()}
    wanted = {name.lower(): value for name, value in expected.items()}
    if set(actual) != set(wanted) or any(wanted[k] != actual[k] for k in wanted):
        raise _mismatch("Headers mismatch", dict(expected), dict(request.headers))
