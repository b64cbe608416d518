"""HTTP on top of the engine: one mapping, one session API, many clients.

``use_cassette(path, ...)`` records and replays the HTTP traffic of every
installed in-process client (``http.client`` and so ``urllib.request``,
``urllib3`` and so ``requests``, ``httpx``, ``httpx2``, ``aiohttp``,
tornado, ``niquests``, ``httplib2``, ``pycurl``), with one set of options
(``CassetteOptions``); connections no adapter saw are reported
(``UninterceptedConnectionWarning``). Adapters for other clients build on
``HttpRequest`` / ``HttpResponse``, ``current_session()`` and
``CassetteSession.handle`` / ``handle_async``; see ``docs/http.md``.

Importing this package imports no client library and patches nothing.
"""

from interposition.http._compression import decode_response, supported_encodings
from interposition.http._context import CassetteContext, use_cassette
from interposition.http._mapping import (
    PROTOCOL,
    Headers,
    HttpMappingError,
    HttpRequest,
    HttpResponse,
    build_url,
    from_interaction,
    request_from_engine,
    request_to_engine,
    response_from_chunks,
    response_to_chunks,
    to_interaction,
)
from interposition.http._matching import (
    DEFAULT_MATCH_ON,
    MATCH_FIELDS,
    HttpKeyFunction,
    HttpPredicate,
    MatchOn,
    normalize_url,
    predicate,
)
from interposition.http._options import (
    CassetteOptions,
    CassetteOptionsArgs,
    RecordMode,
    RequestHook,
    ResponseHook,
)
from interposition.http._patching import (
    AdapterSpec,
    Patch,
    adapter_names,
    installed_adapters,
    register_adapter,
)
from interposition.http._redaction import (
    DEFAULT_PLACEHOLDER,
    SENSITIVE_HEADERS,
    FilterSpec,
    Redactor,
)
from interposition.http._session import (
    CassetteSession,
    HttpInteractionNotFoundError,
    LiveCall,
    current_session,
    passthrough,
)
from interposition.http._unseen import UninterceptedConnectionWarning

__all__ = [
    "DEFAULT_MATCH_ON",
    "DEFAULT_PLACEHOLDER",
    "MATCH_FIELDS",
    "PROTOCOL",
    "SENSITIVE_HEADERS",
    "AdapterSpec",
    "CassetteContext",
    "CassetteOptions",
    "CassetteOptionsArgs",
    "CassetteSession",
    "FilterSpec",
    "Headers",
    "HttpInteractionNotFoundError",
    "HttpKeyFunction",
    "HttpMappingError",
    "HttpPredicate",
    "HttpRequest",
    "HttpResponse",
    "LiveCall",
    "MatchOn",
    "Patch",
    "RecordMode",
    "Redactor",
    "RequestHook",
    "ResponseHook",
    "UninterceptedConnectionWarning",
    "adapter_names",
    "build_url",
    "current_session",
    "decode_response",
    "from_interaction",
    "installed_adapters",
    "normalize_url",
    "passthrough",
    "predicate",
    "register_adapter",
    "request_from_engine",
    "request_to_engine",
    "response_from_chunks",
    "response_to_chunks",
    "supported_encodings",
    "to_interaction",
    "use_cassette",
]

# Tracebacks and reprs name the module users import these from.
for _public in (
    HttpInteractionNotFoundError,
    HttpMappingError,
    UninterceptedConnectionWarning,
):
    _public.__module__ = __name__
del _public
