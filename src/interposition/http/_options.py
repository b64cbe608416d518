"""The cassette options: one typed, frozen object that every face builds.

``use_cassette``, ``CassetteSession``, aiointercept's ``cassette=`` and the
``cassette`` façade (and later the pytest plugin and the CLI) all translate
their arguments into one ``CassetteOptions``. It is validated once, when it
is built; the matcher, the miss explainer and the redactor are derived then
too, so opening a session per test (or per decorated call) validates and
builds nothing again. An option is added here, in one place.

``CassetteOptions.from_kwargs(**kwargs)`` is the entry point of faces that
take keyword arguments: an unknown name is rejected with the closest known
name suggested. ``CassetteOptionsArgs`` types those keywords (PEP 692), so
``use_cassette(path, record_mode=...)`` stays checked by mypy and completed
by editors.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeAlias, TypedDict, get_args

from interposition.errors import ConfigurationError
from interposition.http._mapping import HttpRequest, HttpResponse
from interposition.http._matching import (
    DEFAULT_MATCH_ON,
    MatchOn,
    body_preference,
    build_differ,
    build_matcher,
)
from interposition.http._redaction import FilterSpec, Redactor
from interposition.matching import KeyFunction, PredicateMatcher
from interposition.models import InteractionRequest
from interposition.services import CassetteStore
from interposition.stores import CASSETTE_FORMATS, CassetteFormat

__all__ = [
    "LOCALHOSTS",
    "CassetteOptions",
    "CassetteOptionsArgs",
    "RecordMode",
    "RequestHook",
    "ResponseHook",
]

#: ``none``: replay only. ``once``: record when the cassette does not exist yet,
#: else replay only. ``new_episodes``: replay what is recorded, record the
#: rest. ``all``: re-record everything (the file is replaced on first record).
RecordMode: TypeAlias = Literal["none", "once", "new_episodes", "all"]

#: ``before_record_request``: return the request to record, or None to let
#: this request go to the network without being recorded or replayed.
RequestHook: TypeAlias = Callable[[HttpRequest], HttpRequest | None]

#: ``before_record_response``: return the response to record, or None to not
#: record this exchange.
ResponseHook: TypeAlias = Callable[[HttpResponse], HttpResponse | None]

#: Hosts ``ignore_localhost`` lets through.
LOCALHOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})  # noqa: S104

_URL_FIELDS: Final = frozenset(
    {"method", "url", "uri", "scheme", "host", "port", "path", "query"}
)


class CassetteOptionsArgs(TypedDict, total=False):
    """The keyword arguments of ``use_cassette`` (see ``CassetteOptions``)."""

    record_mode: RecordMode
    match_on: MatchOn | None
    allow_playback_repeats: bool
    redact: bool
    filter_headers: Iterable[FilterSpec]
    filter_query_parameters: Iterable[FilterSpec]
    filter_post_data_parameters: Iterable[FilterSpec]
    before_record_request: RequestHook | None
    before_record_response: ResponseHook | None
    ignore_hosts: Iterable[str]
    ignore_localhost: bool
    decode_compressed_response: bool
    adapters: Iterable[str] | None
    cassette_store: CassetteStore | None
    cassette_format: CassetteFormat


def _listed(name: str, value: object, what: str) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        msg = f"{name} must be a list of {what}, not {value!r}"
        raise ConfigurationError(msg)
    return tuple(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CassetteOptions:
    """How a cassette is matched, recorded and redacted; validated when built.

    Attributes:
        record_mode: ``none`` (replay only), ``once`` (default: record when
            the cassette does not exist yet, else replay only),
            ``new_episodes`` (replay what is recorded, record the rest) or
            ``all`` (re-record everything; the file is replaced on the first
            recording).
        match_on: Field names among ``method``, ``url`` (normalized),
            ``uri`` (as written, vcrpy's), ``scheme``, ``host``, ``port``,
            ``path``, ``query``, ``headers``, ``raw_body`` (exact),
            ``body`` (parsed by content type: form, JSON; vcrpy's),
            ``json_body`` and ``header:<name>`` (default: method and
            normalized URL); or a key function ``HttpRequest -> hashable``;
            or ``interposition.http.predicate(fn)``, a slow fallback.
        allow_playback_repeats: Once every recording of a request was played
            (in order), replay the last one again instead of failing.
        redact: Redact credentials (Authorization, Cookie, Set-Cookie, API
            keys, token-like query and JSON fields) before writing.
        filter_headers: More headers to redact: names, or (name, replacement)
            pairs; a replacement of None removes the header.
        filter_query_parameters: More query parameters to redact, likewise.
        filter_post_data_parameters: More JSON / form body fields, likewise.
        before_record_request: ``HttpRequest -> HttpRequest | None``, applied
            before recording and before matching; None lets the request go
            to the network, neither replayed nor recorded.
        before_record_response: ``HttpResponse -> HttpResponse | None``,
            applied before recording; None does not record the exchange.
        ignore_hosts: Host names whose requests go to the network untouched.
        ignore_localhost: Let localhost / 127.0.0.1 / ::1 through untouched.
        decode_compressed_response: Store gzip / deflate (and brotli when the
            brotli package is installed) bodies decoded, without
            Content-Encoding.
        adapters: Restrict ``use_cassette`` to these adapters (default: every
            installed one): ``http.client``, ``urllib3``, ``requests``,
            ``httpx``, ``httpx2``, ``aiohttp``, ``tornado``, ``niquests``,
            ``httplib2``, ``pycurl``.
        cassette_store: Use this store instead of choosing one by extension.
        cassette_format: The format of a NEW cassette: ``interposition``
            (default: ours) or ``vcrpy`` (vcrpy's version 1, in a ``.yaml``,
            ``.yml`` or ``.json`` file). An existing file keeps its own
            format: a file vcrpy wrote is replayed and recorded into in
            vcrpy's format whatever this says.
    """

    record_mode: RecordMode = "once"
    match_on: MatchOn | None = None
    allow_playback_repeats: bool = False
    redact: bool = True
    filter_headers: tuple[FilterSpec, ...] = ()
    filter_query_parameters: tuple[FilterSpec, ...] = ()
    filter_post_data_parameters: tuple[FilterSpec, ...] = ()
    before_record_request: RequestHook | None = None
    before_record_response: ResponseHook | None = None
    ignore_hosts: tuple[str, ...] = ()
    ignore_localhost: bool = False
    decode_compressed_response: bool = False
    adapters: tuple[str, ...] | None = None
    cassette_store: CassetteStore | None = None
    cassette_format: CassetteFormat = "interposition"

    # Derived once, when the options are built.
    matcher: KeyFunction | PredicateMatcher = field(
        init=False, repr=False, compare=False
    )
    differ: Callable[[InteractionRequest, InteractionRequest], list[str]] = field(
        init=False, repr=False, compare=False
    )
    redactor: Redactor = field(init=False, repr=False, compare=False)
    prefer: KeyFunction = field(init=False, repr=False, compare=False)
    ignored_hosts: frozenset[str] = field(init=False, repr=False, compare=False)
    url_only: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Validate every option and derive what sessions use.

        Raises:
            ConfigurationError: For an invalid option, naming it.
        """
        if self.record_mode not in get_args(RecordMode):
            msg = (
                "record_mode must be one of 'none', 'once', 'new_episodes', "
                f"'all', not {self.record_mode!r}"
            )
            raise ConfigurationError(msg)
        if self.cassette_format not in CASSETTE_FORMATS:
            msg = (
                "cassette_format must be 'interposition' or 'vcrpy', not "
                f"{self.cassette_format!r}"
            )
            raise ConfigurationError(msg)
        for name, hook in (
            ("before_record_request", self.before_record_request),
            ("before_record_response", self.before_record_response),
        ):
            if hook is not None and not callable(hook):
                msg = f"{name} must be a callable or None, not {hook!r}"
                raise ConfigurationError(msg)
        for name in (
            "filter_headers",
            "filter_query_parameters",
            "filter_post_data_parameters",
        ):
            self._set(name, _listed(name, getattr(self, name), "names or pairs"))
        hosts = _listed("ignore_hosts", self.ignore_hosts, "host names")
        self._set("ignore_hosts", hosts)
        if self.adapters is not None:
            self._set("adapters", _listed("adapters", self.adapters, "names"))
        matcher, fields = build_matcher(self.match_on)
        self._set("matcher", matcher)
        explained = fields if self.match_on is not None else DEFAULT_MATCH_ON
        self._set("differ", build_differ(explained))
        self._set(
            "url_only",
            self.match_on is None
            or (
                not isinstance(matcher, PredicateMatcher)
                and not callable(self.match_on)
                and all(field in _URL_FIELDS for field in fields)
            ),
        )
        self._set(
            "redactor",
            Redactor.build(
                defaults=self.redact,
                filter_headers=self.filter_headers,
                filter_query_parameters=self.filter_query_parameters,
                filter_post_data_parameters=self.filter_post_data_parameters,
            ),
        )
        self._set("prefer", body_preference(self.redactor))
        ignored = {str(host).lower().strip("[]") for host in hosts}
        if self.ignore_localhost:
            ignored |= LOCALHOSTS
        self._set("ignored_hosts", frozenset(ignored))

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names, in declaration order."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.init)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> CassetteOptions:
        """Build options from keyword arguments, as faces receive them.

        Raises:
            ConfigurationError: For an unknown name (the closest known one is
                suggested) or an invalid value.
        """
        check_names(kwargs, cls.names())
        return cls(**kwargs)

    def replace(self, **changes: Any) -> CassetteOptions:
        """A copy with some options changed (validated like a new one).

        Raises:
            ConfigurationError: For an unknown name or an invalid value.
        """
        check_names(changes, self.names())
        return dataclasses.replace(self, **changes)


def suggest(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or ``""``."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_names(given: Iterable[str], known: Iterable[str]) -> None:
    """Reject names not among ``known``, suggesting the closest.

    Raises:
        ConfigurationError: For the first unknown name.
    """
    allowed = tuple(known)
    for name in given:
        if name not in allowed:
            msg = f"unknown cassette option {name!r}{suggest(name, allowed)}"
            msg += f"; the options are {', '.join(allowed)}"
            raise ConfigurationError(msg)
