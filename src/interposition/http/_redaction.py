"""Redaction: credentials are replaced by placeholders before anything is written.

On by default for Authorization, Proxy-Authorization, Cookie, Set-Cookie,
API-key and token headers, token-like query parameters and token-like fields
of JSON and form bodies. The same function is applied to an incoming request
before it is matched, so redaction never makes a recording unmatchable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias
from urllib.parse import parse_qsl, unquote_plus, urlencode

from interposition.errors import ConfigurationError
from interposition.http._mapping import Headers, HttpRequest, HttpResponse

__all__ = [
    "DEFAULT_PLACEHOLDER",
    "SENSITIVE_HEADERS",
    "FilterSpec",
    "Redactor",
    "is_sensitive_field",
]

#: What a redacted value becomes.
DEFAULT_PLACEHOLDER: Final = "REDACTED"

#: Headers redacted by default (compared case-insensitively); so is any header
#: whose name names a credential by its words (``X-Auth-Token``,
#: ``X-Api-Key``, ``X-Session-Id``; not ``X-RateLimit-Remaining-Tokens``).
SENSITIVE_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
        "x-xsrf-token",
        "x-amz-security-token",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
    }
)

_SENSITIVE_FIELDS: Final = frozenset(
    {
        "key",
        "sig",
        "auth",
        "pwd",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "code_verifier",
        "assertion",
    }
)

#: A name whose last word is one of these names a credential (``access_token``,
#: ``client_secret``, ``X-CSRF-Token``), whatever comes before it.
_CREDENTIAL_WORDS: Final = frozenset(
    {
        "token",
        "secret",
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "signature",
        "credential",
        "credentials",
        "apikey",
        "sessionid",
        "jwt",
    }
)
#: A name with one of these words anywhere names a credential too
#: (``password_confirmation``).
_CREDENTIAL_ANYWHERE: Final = frozenset({"password", "passwd", "passphrase"})
#: ``key`` names a credential after these words (``api_key``,
#: ``secret_access_key``, ``X-Goog-Api-Key``); ``id`` after ``session``.
_KEY_QUALIFIERS: Final = frozenset(
    {
        "api",
        "access",
        "private",
        "secret",
        "client",
        "signing",
        "subscription",
        "master",
        "auth",
        "session",
    }
)
_WORD_SPLIT: Final = re.compile(r"[^0-9A-Za-z]+|(?<=[a-z0-9])(?=[A-Z])")


def _words(name: str) -> list[str]:
    """``X-Auth-Token`` -> [x, auth, token]; ``apiKey`` -> [api, key]."""
    return [word.lower() for word in _WORD_SPLIT.split(name) if word]


def _names_credential(name: str) -> bool:
    """Decide by whole words: ``refresh_token`` yes; ``max_tokens`` no.

    A count or a kind of credential (``prompt_tokens``, ``token_type``,
    ``x-ratelimit-remaining-tokens``) is not one.
    """
    words = _words(name)
    if not words:
        return False
    last = words[-1]
    if last in _CREDENTIAL_WORDS or not _CREDENTIAL_ANYWHERE.isdisjoint(words):
        return True
    if len(words) > 1 and last == "key":
        return words[-2] in _KEY_QUALIFIERS
    return len(words) > 1 and last == "id" and words[-2] == "session"


#: A filter: a name (its value becomes the placeholder), or (name, replacement)
#: where a replacement of None removes the item.
FilterSpec: TypeAlias = str | tuple[str, str | None]

_REMOVE: Final = object()
_PLACEHOLDER: Final = "\0placeholder"


def is_sensitive_field(name: str) -> bool:
    """Whether a query parameter or body field name names a credential."""
    return name.lower() in _SENSITIVE_FIELDS or _names_credential(name)


def _parse_filters(specs: Iterable[FilterSpec], argument: str) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    if isinstance(specs, str):
        msg = f"{argument} must be a list of names, not the string {specs!r}"
        raise ConfigurationError(msg)
    for spec in specs:
        if isinstance(spec, str):
            out[spec.lower()] = _PLACEHOLDER
        elif (
            isinstance(spec, tuple)
            and len(spec) == 2
            and isinstance(spec[0], str)
            and (spec[1] is None or isinstance(spec[1], str))
        ):
            out[spec[0].lower()] = spec[1]
        else:
            msg = (
                f"{argument} items must be a name or a (name, replacement) pair "
                f"(replacement None removes it), not {spec!r}"
            )
            raise ConfigurationError(msg)
    return out


def _is_form_type(content_type: str | None) -> bool:
    return (
        content_type is not None
        and "application/x-www-form-urlencoded" in content_type.lower()
    )


@dataclass(slots=True)
class Redactor:
    """Replaces credentials in requests and responses with placeholders.

    Attributes:
        defaults: Apply the built-in rules (on by default).
        placeholder: The text a redacted value becomes.
        headers: Extra header filters (``filter_headers``).
        query_parameters: Extra query parameter filters.
        post_data_parameters: Extra JSON / form body field filters.
    """

    defaults: bool = True
    placeholder: str = DEFAULT_PLACEHOLDER
    headers: dict[str, str | None] = field(default_factory=dict)
    query_parameters: dict[str, str | None] = field(default_factory=dict)
    post_data_parameters: dict[str, str | None] = field(default_factory=dict)
    _header_cache: dict[str, object] = field(default_factory=dict, repr=False)
    _query_cache: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def build(
        cls,
        *,
        defaults: bool = True,
        placeholder: str = DEFAULT_PLACEHOLDER,
        filter_headers: Iterable[FilterSpec] = (),
        filter_query_parameters: Iterable[FilterSpec] = (),
        filter_post_data_parameters: Iterable[FilterSpec] = (),
    ) -> Redactor:
        """Build a redactor from ``use_cassette`` arguments.

        Raises:
            ConfigurationError: When a filter is not a name or a pair.
        """
        return cls(
            defaults=defaults,
            placeholder=placeholder,
            headers=_parse_filters(filter_headers, "filter_headers"),
            query_parameters=_parse_filters(
                filter_query_parameters, "filter_query_parameters"
            ),
            post_data_parameters=_parse_filters(
                filter_post_data_parameters, "filter_post_data_parameters"
            ),
        )

    # -- single values ------------------------------------------------------

    def _replacement(self, configured: str | None) -> str | None:
        if configured == _PLACEHOLDER:
            return self.placeholder
        return configured

    def _field_action(self, name: str, filters: dict[str, str | None]) -> object:
        """None: keep; _REMOVE: drop; a str: the new value."""
        lowered = name.lower()
        if lowered in filters:
            replacement = self._replacement(filters[lowered])
            return _REMOVE if replacement is None else replacement
        if self.defaults and is_sensitive_field(name):
            return self.placeholder
        return None

    def _header_action(self, name: str) -> object:
        cache = self._header_cache
        try:
            return cache[name]
        except KeyError:
            pass
        lowered = name.lower()
        action: object = None
        if lowered in self.headers:
            replacement = self._replacement(self.headers[lowered])
            action = _REMOVE if replacement is None else replacement
        elif self.defaults and (
            lowered in SENSITIVE_HEADERS or _names_credential(lowered)
        ):
            action = ("default", lowered)
        cache[name] = action
        return action

    def _default_header_value(self, lowered: str, value: str) -> str:
        placeholder = self.placeholder
        if lowered in ("authorization", "proxy-authorization"):
            scheme, space, _ = value.partition(" ")
            return f"{scheme} {placeholder}" if space else placeholder
        if lowered == "cookie":
            return "; ".join(
                f"{part.partition('=')[0].strip()}={placeholder}"
                for part in value.split(";")
                if part.strip()
            )
        if lowered == "set-cookie":
            first, sep, attributes = value.partition(";")
            name = first.partition("=")[0].strip()
            return f"{name}={placeholder}{sep}{attributes}"
        return placeholder

    def redact_headers(self, headers: Headers) -> Headers:
        """Return the headers with credentials replaced (or removed)."""
        out: list[tuple[str, str]] | None = None
        for position, (name, value) in enumerate(headers):
            action = self._header_action(name)
            if action is None:
                if out is not None:
                    out.append((name, value))
                continue
            if out is None:
                out = list(headers[:position])
            if action is _REMOVE:
                continue
            if isinstance(action, tuple):  # a default rule
                new = self._default_header_value(action[1], value)
            else:
                new = str(action)
            out.append((name, new))
        return headers if out is None else tuple(out)

    def redact_url(self, url: str) -> str:
        """Return the URL with token-like query parameter values replaced."""
        base, question, rest = url.partition("?")
        if not question or (not self.defaults and not self.query_parameters):
            return url
        query, hash_sign, fragment = rest.partition("#")
        changed = False
        parts: list[str] = []
        cache = self._query_cache
        for pair in query.split("&"):
            raw_name = pair.partition("=")[0]
            try:
                action = cache[raw_name]
            except KeyError:
                action = self._field_action(
                    unquote_plus(raw_name), self.query_parameters
                )
                if len(cache) < 4096:
                    cache[raw_name] = action
            if action is None:
                parts.append(pair)
                continue
            changed = True
            if action is _REMOVE:
                continue
            parts.append(f"{raw_name}={action}")
        if not changed:
            return url
        new_query = "&".join(parts)
        return (
            base
            + ("?" + new_query if new_query else "")
            + (hash_sign + fragment if hash_sign else "")
        )

    def _redact_json_value(self, value: Any) -> tuple[Any, bool]:
        if isinstance(value, dict):
            changed = False
            out: dict[str, Any] = {}
            for key, item in value.items():
                action = (
                    self._field_action(key, self.post_data_parameters)
                    if isinstance(key, str)
                    else None
                )
                if action is _REMOVE:
                    changed = True
                    continue
                if action is not None:
                    chosen = key.lower() in self.post_data_parameters
                    out[key], sub_changed = self._redact_credential(
                        item, action, chosen
                    )
                else:
                    out[key], sub_changed = self._redact_json_value(item)
                changed = changed or sub_changed
            return out, changed
        if isinstance(value, list):
            results = [self._redact_json_value(item) for item in value]
            return [r[0] for r in results], any(r[1] for r in results)
        return value, False

    def _redact_credential(
        self, item: Any, action: object, chosen: bool
    ) -> tuple[Any, bool]:
        """The value of a credential-named field, redacted.

        Strings (also in lists) become the placeholder; objects are searched
        further. A number, a boolean or null is never a credential, unless
        the field was named in ``filter_post_data_parameters``.
        """
        if isinstance(item, dict):
            return self._redact_json_value(item)
        if isinstance(item, list):
            results = [self._redact_credential(part, action, chosen) for part in item]
            return [r[0] for r in results], any(r[1] for r in results)
        if isinstance(item, str) or (chosen and item is not None):
            return action, item != action
        return item, False

    def redact_body(self, body: bytes, content_type: str | None) -> bytes:
        """Return a JSON or form body with token-like fields replaced."""
        if not body or (not self.defaults and not self.post_data_parameters):
            return body
        if _is_form_type(content_type):
            return self._redact_form(body)
        if body.lstrip()[:1] not in (b"{", b"["):
            return body
        try:
            document = json.loads(body)
        except ValueError:
            return body
        redacted, changed = self._redact_json_value(document)
        if not changed:
            return body
        return json.dumps(redacted, ensure_ascii=False, separators=(",", ":")).encode()

    def _redact_form(self, body: bytes) -> bytes:
        try:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True)
        except (UnicodeDecodeError, ValueError):
            return body
        changed = False
        out: list[tuple[str, str]] = []
        for name, value in pairs:
            action = self._field_action(name, self.post_data_parameters)
            if action is None:
                out.append((name, value))
                continue
            changed = True
            if action is not _REMOVE:
                out.append((name, str(action)))
        return urlencode(out).encode("ascii") if changed else body

    # -- whole messages -----------------------------------------------------

    def request(self, request: HttpRequest) -> HttpRequest:
        """Return the request with credentials replaced."""
        url = self.redact_url(request.url)
        headers = self.redact_headers(request.headers)
        body = self.redact_body(request.body, request.header("content-type"))
        if url is request.url and headers is request.headers and body is request.body:
            return request
        return HttpRequest(request.method, url, headers, body)

    def response(self, response: HttpResponse) -> HttpResponse:
        """Return the response with credentials replaced.

        A compressed body is left as it is (it cannot be read without
        decoding it: see ``decode_compressed_response``).
        """
        headers = self.redact_headers(response.headers)
        body = response.body
        if response.header("content-encoding") in (None, "identity"):
            body = self.redact_body(body, response.header("content-type"))
        if body is not response.body:
            headers = _set_content_length(headers, len(body))
        if headers is response.headers and body is response.body:
            return response
        return response.replace(headers=headers, body=body)


def _set_content_length(headers: Headers, length: int) -> Headers:
    return tuple(
        (name, str(length)) if name.lower() == "content-length" else (name, value)
        for name, value in headers
    )
