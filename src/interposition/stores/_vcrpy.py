"""vcrpy's cassette format (version 1, YAML and JSON), read and written in place.

A cassette that vcrpy wrote is loaded as it is: each vcrpy interaction
(``request: {method, uri, headers, body}``, ``response: {status: {code,
message}, headers, body: {string}}``) becomes an engine ``Interaction`` in
the HTTP convention of ``docs/http.md`` (the engine does not import the HTTP
layer: the few names of that convention are restated here, and a test checks
that they agree). Recording into such a file keeps it in vcrpy's format, so
vcrpy can still read it: an append writes the new interaction just before the
file's closing keys, leaving every byte before it as it was.

YAML is read without executing anything: a safe loader with explicit
constructors for the few Python tags vcrpy's own loader accepts (``str``,
``unicode``, ``tuple``, ``BytesIO`` and ``iter`` request bodies), and a bound
on aliases. See ``docs/vcrpy-format.md`` and ADR 0007.
"""

from __future__ import annotations

import contextlib
import gc
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from interposition import _files
from interposition.errors import CassetteLoadError, CassetteSaveError
from interposition.models import (
    Cassette,
    Interaction,
    InteractionRequest,
    ResponseChunk,
    _trusted,
)
from interposition.stores import _vcrpy_yaml
from interposition.stores._common import (
    _check_yaml_aliases,
    _FileStore,
    _read_bytes,
)

__all__ = [
    "VCRPY_FORMAT_VERSION",
    "VcrpyJsonCassetteStore",
    "VcrpyYamlCassetteStore",
    "sniff_format",
]

#: The cassette format version vcrpy has written since 1.0.
VCRPY_FORMAT_VERSION: Final = 1

#: The HTTP convention (``interposition.http._mapping``), restated.
_PROTOCOL: Final = "http"
_STATUS: Final = ":status"
_REASON: Final = ":reason"
_VERSION: Final = ":version"
_HTTP_1_1: Final = "HTTP/1.1"

_MIGRATION: Final = (
    "it is a cassette of vcrpy before 1.0 (a bare list of interactions, "
    "without a format version): convert it with vcrpy's migration command, "
    "`python -m vcr.migration <cassette or directory>`, then load it again"
)

Format = Literal["interposition", "vcrpy", "vcrpy-pre-1.0"]


# -- detection ------------------------------------------------------------------

_YAML_VCRPY_START: Final = re.compile(
    rb"\A(?:#[^\n]*\n|\s*\n)*interactions:\s*\n-\s+request:"
)
_YAML_OURS_KEY: Final = re.compile(
    rb"^\s*(?:-\s+)?(?:response_chunks|fingerprint):", re.M
)
_YAML_VCRPY_KEY: Final = re.compile(rb"^\s*(?:-\s+)?uri:", re.M)
_YAML_LIST_START: Final = re.compile(rb"\A(?:#[^\n]*\n|\s*\n)*-\s+request:")
_JSON_OURS_KEY: Final = re.compile(rb'"(?:response_chunks|fingerprint)"\s*:')
_JSON_VCRPY_KEY: Final = re.compile(rb'"uri"\s*:')


def sniff_format(data: bytes, *, json_file: bool) -> Format:  # noqa: PLR0911
    """Which tool's cassette ``data`` is: ours, vcrpy's, or vcrpy's before 1.0.

    Decided from a few keys only, never by running a parser: vcrpy
    interactions have ``uri``, ours ``fingerprint`` and ``response_chunks``.
    Anything undecided is ours (whose loader then says what is wrong).
    """
    if json_file:
        stripped = data.lstrip()
        if _JSON_OURS_KEY.search(data):
            return "interposition"
        if _JSON_VCRPY_KEY.search(data):
            return "vcrpy-pre-1.0" if stripped.startswith(b"[") else "vcrpy"
        return "interposition"
    if _YAML_VCRPY_START.match(data):
        return "vcrpy"
    if _YAML_OURS_KEY.search(data):
        return "interposition"
    if _YAML_LIST_START.match(data):
        return "vcrpy-pre-1.0"
    if _YAML_VCRPY_KEY.search(data):
        return "vcrpy"
    return "interposition"


# -- YAML: a safe loader that knows vcrpy's few Python tags --------------------

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _VcrpyLoader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, plus constructors for the tags vcrpy's loader accepts.

    Each constructor builds plain data from the node's (safely constructed)
    contents; none imports or calls anything named in the document.
    """


def _python_str(loader: Any, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))


def _python_tuple(loader: Any, node: yaml.Node) -> tuple[Any, ...]:
    return tuple(loader.construct_sequence(node, deep=True))


def _bytesio(loader: Any, node: yaml.Node) -> bytes:
    # An old file-like request body: ``!!python/object/new:_io.BytesIO`` with
    # a ``state`` whose first item is the content.
    if not isinstance(node, yaml.MappingNode):
        return b""
    mapping = loader.construct_mapping(node, deep=True)
    state = mapping.get("state") or (b"",)
    data = state[0] if isinstance(state, (list, tuple)) and state else b""
    return _as_bytes(data)


def _iter_body(loader: Any, node: yaml.Node) -> bytes:
    # An old iterator request body: ``!!python/object/apply:builtins.iter``
    # with ``args`` holding the sequence of pieces.
    if not isinstance(node, yaml.MappingNode):
        return b""
    mapping = loader.construct_mapping(node, deep=True)
    args: Any = mapping.get("args") or ([],)
    items = args[0] if isinstance(args, (list, tuple)) and args else []
    return b"".join(_as_bytes(item) for item in items)


_VcrpyLoader.add_constructor("tag:yaml.org,2002:python/str", _python_str)
_VcrpyLoader.add_constructor("tag:yaml.org,2002:python/unicode", _python_str)
_VcrpyLoader.add_constructor("tag:yaml.org,2002:python/tuple", _python_tuple)
_VcrpyLoader.add_constructor(
    "tag:yaml.org,2002:python/object/new:_io.BytesIO", _bytesio
)
_VcrpyLoader.add_constructor(
    "tag:yaml.org,2002:python/object/apply:builtins.iter", _iter_body
)


def _load_yaml(data: bytes) -> Any:
    try:
        return _vcrpy_yaml.parse(data)
    except _vcrpy_yaml.NotCanonical:
        pass  # hand-edited, or written by another emitter: the safe loader
    return _safe_load_yaml(data)


def _safe_load_yaml(data: bytes) -> Any:
    _check_yaml_aliases(data)
    return yaml.load(data, Loader=_VcrpyLoader)  # noqa: S506 - a safe loader


def _dump_yaml(document: object) -> bytes:
    # vcrpy's own settings (sorted keys, block style, ASCII with escapes), so
    # that what we write reads as vcrpy would have written it.
    text: str = yaml.dump(document, Dumper=_BaseDumper)
    return text.encode()


# -- vcrpy dict -> Interaction ---------------------------------------------------


def _as_bytes(value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, io.BytesIO):
        return value.getvalue()
    if isinstance(value, (list, tuple)):
        return b"".join(_as_bytes(item) for item in value)
    msg = f"expected text or bytes, got {type(value).__name__}"
    raise _FieldError(msg)


def _request_body(value: object) -> bytes:
    """A request body as sent; vcrpy's aiohttp stub keeps ``json=`` as data."""
    if isinstance(value, Mapping) or (
        isinstance(value, (list, tuple))
        and not all(isinstance(item, (bytes, str)) for item in value)
    ):
        # aiohttp sends ``json=`` with json.dumps (its default serializer).
        try:
            return json.dumps(value).encode()
        except (TypeError, ValueError) as exc:
            msg = f"expected text, bytes or JSON data: {exc}"
            raise _FieldError(msg) from None
    return _as_bytes(value)


class _FieldError(ValueError):
    """A vcrpy field of the wrong shape; the caller adds where it is."""


def _header_pairs(headers: object, where: str) -> tuple[tuple[str, str], ...]:
    if type(headers) is _vcrpy_yaml.HeaderPairs:
        return tuple(headers)
    if headers is None:
        return ()
    if not isinstance(headers, Mapping):
        msg = f"{where}: expected a mapping of names to lists of values"
        raise _FieldError(msg)
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        if isinstance(values, (list, tuple)):
            pairs.extend((str(name), _header_text(value)) for value in values)
        else:
            pairs.append((str(name), _header_text(values)))
    return tuple(pairs)


def _header_text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def _request(raw: object) -> InteractionRequest:
    if not isinstance(raw, Mapping):
        msg = "request: expected a mapping with method, uri, headers and body"
        raise _FieldError(msg)
    try:
        method = raw["method"]
        uri = raw["uri"]
    except KeyError as exc:
        msg = f"request: the {exc.args[0]!r} field is missing"
        raise _FieldError(msg) from None
    if not isinstance(method, str) or not method:
        msg = f"request.method: expected a method name, got {method!r}"
        raise _FieldError(msg)
    if not isinstance(uri, str) or not uri:
        msg = f"request.uri: expected a URL, got {uri!r}"
        raise _FieldError(msg)
    try:
        body = _request_body(raw.get("body"))
    except _FieldError as exc:
        raise _FieldError(f"request.body: {exc}") from None
    return _trusted(
        InteractionRequest,
        {
            "protocol": _PROTOCOL,
            "action": method.upper(),
            "target": uri,
            "headers": _header_pairs(raw.get("headers"), "request.headers"),
            "body": body,
        },
    )


def _status(raw: Mapping[str, Any]) -> tuple[int, str]:
    status = raw.get("status")
    if isinstance(status, Mapping):
        code = status.get("code")
        message = status.get("message")
    elif "status_code" in raw:  # the old httpx shape
        code, message = raw["status_code"], None
    else:
        msg = "response.status: missing (expected {code, message})"
        raise _FieldError(msg)
    if isinstance(code, str) and code.isdigit():
        code = int(code)
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 999:
        msg = f"response.status.code: expected an HTTP status code, got {code!r}"
        raise _FieldError(msg)
    return code, "" if message is None else str(message)


def _response(raw: object) -> ResponseChunk:
    if not isinstance(raw, Mapping):
        msg = "response: expected a mapping with status, headers and body"
        raise _FieldError(msg)
    code, reason = _status(raw)
    headers = _header_pairs(raw.get("headers"), "response.headers")
    if "status_code" in raw and "status" not in raw:
        # vcrpy's old httpx shape: ``content`` is the body; vcrpy decodes it
        # when it is still compressed, and so do we.
        try:
            body = _as_bytes(raw.get("content"))
        except _FieldError as exc:
            raise _FieldError(f"response.content: {exc}") from None
        headers, body = _decoded(headers, body)
    else:
        body_field = raw.get("body")
        if body_field is None:
            body = b""
        elif isinstance(body_field, Mapping):
            try:
                body = _as_bytes(body_field.get("string"))
            except _FieldError as exc:
                raise _FieldError(f"response.body.string: {exc}") from None
        else:
            msg = "response.body: expected a mapping {string: ...}"
            raise _FieldError(msg)
    headers = tuple(pair for pair in headers if pair[0].lower() != "transfer-encoding")
    if body:
        headers, body = _reencoded(headers, body)
    return _trusted(
        ResponseChunk,
        {
            "data": body,
            "sequence": 0,
            "metadata": (
                (_STATUS, str(code)),
                (_REASON, reason),
                (_VERSION, _HTTP_1_1),
                *headers,
            ),
        },
    )


def _decoded(
    headers: tuple[tuple[str, str], ...], body: bytes
) -> tuple[tuple[tuple[str, str], ...], bytes]:
    """Decode an old httpx-shape body, as vcrpy's ``decode_response`` does."""
    import gzip  # noqa: PLC0415 - only old httpx cassettes need it
    import zlib  # noqa: PLC0415

    codings = [v.strip().lower() for k, v in headers if k.lower() == "content-encoding"]
    if not codings or not body:
        return headers, body
    decoders: dict[str, Callable[[bytes], bytes]] = {
        "gzip": gzip.decompress,
        "x-gzip": gzip.decompress,
        "deflate": zlib.decompress,
    }
    decoder = decoders.get(codings[0])
    if decoder is None:
        return headers, body
    # A body that does not decode was stored decoded: keep it as it is.
    with contextlib.suppress(OSError, EOFError, zlib.error):
        body = decoder(body)
    kept = tuple(
        (k, str(len(body))) if k.lower() == "content-length" else (k, v)
        for k, v in headers
        if k.lower() != "content-encoding"
    )
    return kept, body


_GZIP_MAGIC: Final = b"\x1f\x8b"


def _reencoded(
    headers: tuple[tuple[str, str], ...], body: bytes
) -> tuple[tuple[tuple[str, str], ...], bytes]:
    """A body vcrpy stored decoded, under a Content-Encoding, encoded again.

    vcrpy records requests and urllib3 responses as urllib3 decoded them
    while keeping ``Content-Encoding: gzip``, and on replay hands those
    clients the stored bytes as they are. Encoding them again here gives
    every client, after its own decoding, exactly those bytes; the header
    stays, and Content-Length is the encoded length.
    """
    coding = ""
    for name, value in headers:
        if name.lower() == "content-encoding":
            coding = value.strip().lower()
    if coding in ("gzip", "x-gzip"):
        if body.startswith(_GZIP_MAGIC):
            return headers, body
        import gzip  # noqa: PLC0415 - only such cassettes need it

        body = gzip.compress(body, mtime=0)
    elif coding == "deflate":
        import zlib  # noqa: PLC0415

        try:
            zlib.decompressobj().decompress(body[:64])
            return headers, body
        except zlib.error:
            try:
                zlib.decompressobj(-zlib.MAX_WBITS).decompress(body[:64])
                return headers, body
            except zlib.error:
                body = zlib.compress(body)
    else:
        return headers, body
    length = str(len(body))
    return (
        tuple(
            (k, length) if k.lower() == "content-length" else (k, v) for k, v in headers
        ),
        body,
    )


def _interactions(path: Path, document: object) -> tuple[Interaction, ...]:
    if isinstance(document, list):
        raise CassetteLoadError(path, _MIGRATION)
    if not isinstance(document, Mapping):
        msg = "not a vcrpy cassette: expected a mapping with 'interactions'"
        raise CassetteLoadError(path, msg)
    version = document.get("version")
    if version != VCRPY_FORMAT_VERSION:
        msg = (
            f"vcrpy cassette format version {version!r} is not supported "
            f"(expected {VCRPY_FORMAT_VERSION})"
        )
        raise CassetteLoadError(path, msg)
    items = document.get("interactions")
    if items is None:
        return ()
    if not isinstance(items, list):
        msg = "'interactions' is not a list"
        raise CassetteLoadError(path, msg)
    out = []
    build = Interaction.build
    for number, item in enumerate(items, start=1):
        try:
            if not isinstance(item, Mapping):
                msg = "expected a mapping with request and response"
                raise _FieldError(msg)
            if "request" not in item or "response" not in item:
                missing = "request" if "request" not in item else "response"
                msg = f"the {missing!r} field is missing"
                raise _FieldError(msg)
            out.append(build(_request(item["request"]), (_response(item["response"]),)))
        except _FieldError as exc:
            msg = f"interaction {number} of {len(items)} is invalid: {exc}"
            raise CassetteLoadError(path, msg) from None
    return tuple(out)


# -- Interaction -> vcrpy dict ---------------------------------------------------


def _text_or_bytes(data: bytes) -> str | bytes:
    """What vcrpy keeps: text when the bytes are UTF-8, else bytes (!!binary)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _header_map(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name, []).append(value)
    return out


def to_vcrpy(interaction: Interaction) -> dict[str, Any]:
    """One interaction as vcrpy stores it (format version 1).

    Raises:
        ValueError: When it is not an HTTP interaction.
    """
    request = interaction.request
    if request.protocol != _PROTOCOL:
        msg = (
            f"vcrpy's format holds HTTP interactions only, not {request.protocol!r} "
            "ones: use cassette_format='interposition'"
        )
        raise ValueError(msg)
    chunks = interaction.response_chunks
    code = "200"
    reason = ""
    headers: list[tuple[str, str]] = []
    for key, value in chunks[0].metadata:
        if not key.startswith(":"):
            headers.append((key, value))
        elif key == _STATUS:
            code = value
        elif key == _REASON:
            reason = value
    body = b"".join(chunk.data for chunk in chunks)
    if body and any(k.lower() == "content-encoding" for k, _ in headers):
        # Stored decoded, without Content-Encoding: vcrpy replays a body to
        # requests and urllib3 as it is stored, and to httpx and aiohttp
        # through their decoders; only a decoded body reads right in both.
        decoded_headers, decoded = _decoded(tuple(headers), body)
        if decoded != body:
            headers, body = list(decoded_headers), decoded
    return {
        "request": {
            "body": _text_or_bytes(request.body) if request.body else None,
            "headers": _header_map(request.headers),
            "method": request.action,
            "uri": request.target,
        },
        "response": {
            "body": {"string": _text_or_bytes(body)},
            "headers": _header_map(headers),
            "status": {"code": int(code), "message": reason},
        },
    }


# -- the stores -------------------------------------------------------------------


class _VcrpyStore(_FileStore):
    """What the two vcrpy stores share: loading, whole saves, spliced appends."""

    def load(self) -> Cassette:
        """Load the cassette.

        Raises:
            CassetteLoadError: The file is missing (unless create_if_missing),
                unreadable, or not a valid vcrpy cassette (the message names
                the interaction and the field).
        """
        data = _read_bytes(self._path, self._create_if_missing)
        if data is None or not data.strip():
            return Cassette(interactions=())
        # Tens of thousands of small objects and no cycles among them: the
        # collector's passes over them would cost a third of the load.
        enabled = gc.isenabled()
        gc.disable()
        try:
            document = self._parse(data)
            interactions = _interactions(self._path, document)
        except CassetteLoadError:
            raise
        except (ValueError, TypeError, yaml.YAMLError) as exc:
            raise CassetteLoadError(self._path, exc) from exc
        finally:
            if enabled:
                gc.enable()
        return Cassette.model_construct(interactions=interactions)

    def _parse(self, data: bytes) -> Any:
        raise NotImplementedError

    def _encode_all(self, items: list[dict[str, Any]], existing: bytes) -> bytes:
        """The whole file; ``existing`` is the file it replaces (or b"")."""
        raise NotImplementedError

    def _encode_item(self, item: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def _items(self, interactions: Iterable[Interaction]) -> list[dict[str, Any]]:
        try:
            return [to_vcrpy(i) for i in interactions]
        except ValueError as exc:
            raise CassetteSaveError(self._path, str(exc)) from None

    def _existing(self) -> bytes:
        try:
            return self._path.read_bytes()
        except OSError:
            return b""

    def _find_tail(self, data: bytes) -> tuple[int, bool] | None:
        """Where the interactions list ends in ``data``, and whether it has items.

        ``data`` is the file's last bytes; None when the layout is not
        vcrpy's own (the file is then rewritten whole, once).
        """
        raise NotImplementedError

    def save(self, cassette: Cassette) -> None:
        """Replace the file with ``cassette`` in vcrpy's format, atomically.

        vcrpy 9's cassette ``metadata`` in the file it replaces is kept.

        Raises:
            CassetteSaveError: The file cannot be written, or vcrpy's format
                cannot hold an interaction (the message says what to use).
        """
        items = self._items(cassette.interactions)
        self._save_bytes(self._encode_all(items, self._existing()))

    _append_flags = os.O_RDWR

    def _prepare_append(self, fd: int) -> None:
        pass

    def append(self, interaction: Interaction) -> None:
        """Add one interaction after the others, leaving them byte for byte.

        O(1): only the closing keys are rewritten, under an exclusive lock.
        A file in another layout (hand-edited) is rewritten whole, once.

        Raises:
            CassetteSaveError: The file cannot be written, or vcrpy's format
                cannot hold the interaction.
        """
        (item,) = self._items((interaction,))
        encoded = self._encode_item(item)
        rewrite = False
        try:
            fd = self._appender.fd(self._prepare_append)
            with _files.exclusive(fd):
                size = os.fstat(fd).st_size
                window = min(size, 65536)
                data = os.pread(fd, window, size - window) if size else b""
                found = self._find_tail(data) if size else None
                if size == 0:
                    _files.write_all(fd, self._encode_all([item], b""), 0)
                elif found is None:
                    rewrite = True
                else:
                    start, has_items = found
                    piece = self._splice(encoded, has_items)
                    _files.write_all(fd, piece + data[start:], size - window + start)
                if self._fsync:
                    os.fsync(fd)
        except OSError as exc:
            raise CassetteSaveError(self._path, exc) from exc
        if rewrite:
            interactions = (*self.load().interactions, interaction)
            self.save(Cassette.model_construct(interactions=interactions))

    def _splice(self, encoded: bytes, has_items: bool) -> bytes:
        raise NotImplementedError


#: What follows the interactions in vcrpy's YAML (keys sorted): vcrpy 9's
#: optional ``metadata``, then ``version``. Column 0 holds top-level keys
#: only: items start with "- " and continuation lines are indented.
_YAML_TAIL: Final = re.compile(
    rb"(?:^|\n)((?:metadata:.*\n(?:[ -].*\n)*)?version: *1[ \t]*\n?)\Z"
)


class VcrpyYamlCassetteStore(_VcrpyStore):
    """A cassette in vcrpy's YAML format (``serializer="yaml"``)."""

    suffixes = (".yaml", ".yml")

    def _parse(self, data: bytes) -> Any:
        return _load_yaml(data)

    def _encode_all(self, items: list[dict[str, Any]], existing: bytes) -> bytes:
        found = self._find_tail(existing) if existing else None
        if found is None or not items:
            document: dict[str, Any] = {
                "interactions": items,
                "version": VCRPY_FORMAT_VERSION,
            }
            return _dump_yaml(document)
        return b"interactions:\n" + _dump_yaml(items) + existing[found[0] :]

    def _encode_item(self, item: dict[str, Any]) -> bytes:
        return _dump_yaml([item])

    def _find_tail(self, data: bytes) -> tuple[int, bool] | None:
        match = _YAML_TAIL.search(data)
        if match is None:
            return None
        start = match.start(1)
        line = data.rfind(b"\n", 0, max(start - 1, 0)) + 1
        if data[line : line + 1] not in (b" ", b"-"):
            return None  # no item before the tail: not vcrpy's layout
        return start, True

    def _splice(self, encoded: bytes, has_items: bool) -> bytes:
        return encoded


class VcrpyJsonCassetteStore(_VcrpyStore):
    """A cassette in vcrpy's JSON format (``serializer="json"``).

    JSON holds text only, as in vcrpy: an interaction with a body that is
    not UTF-8 cannot be written, and the error says what to use instead.
    """

    suffixes = (".json",)

    def _parse(self, data: bytes) -> Any:
        return json.loads(data)

    def _check_text(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            bodies = (item["request"]["body"], item["response"]["body"]["string"])
            if any(isinstance(body, bytes) for body in bodies):
                msg = (
                    "vcrpy's JSON format cannot hold a binary body (vcrpy "
                    "refuses it too): use a .yaml cassette (serializer='yaml'), "
                    "or cassette_format='interposition', which keeps binary "
                    f"bodies in JSON ({item['request']['method']} "
                    f"{item['request']['uri']})"
                )
                raise CassetteSaveError(self._path, msg)

    def _encode_all(self, items: list[dict[str, Any]], existing: bytes) -> bytes:
        self._check_text(items)
        document: dict[str, Any] = {
            "version": VCRPY_FORMAT_VERSION,
            "interactions": items,
        }
        if existing:
            try:
                old = json.loads(existing)
            except ValueError:
                old = None
            if isinstance(old, dict) and old.get("metadata"):
                document["metadata"] = old["metadata"]
        return json.dumps(document, indent=4).encode() + b"\n"

    def _encode_item(self, item: dict[str, Any]) -> bytes:
        self._check_text([item])
        text = json.dumps(item, indent=4)
        return "\n".join("        " + line for line in text.split("\n")).encode()

    def _find_tail(self, data: bytes) -> tuple[int, bool] | None:
        # ``json.dumps(indent=4)``: the interactions list closes with a line
        # of its own, "    ]" (a JSON string cannot hold a raw newline).
        end = data.rfind(b"\n    ]")
        if end == -1 or data[end + 6 : end + 7] not in (b"\n", b","):
            return None
        rest = data[end + 6 :]
        if rest.lstrip(b",\n ").startswith(b'"metadata"') or rest.strip() == b"}":
            return end, data[end - 1 : end] == b"}"
        return None

    def _splice(self, encoded: bytes, has_items: bool) -> bytes:
        return (b",\n" if has_items else b"\n") + encoded
