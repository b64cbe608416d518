"""Frozen data models: requests, response chunks, interactions, cassettes.

Every ``bytes`` field serializes to JSON as a plain string when it is valid
UTF-8 (so text stays readable in the file, and files written by the published
0.4.0 load unchanged) and as ``{"base64": "..."}`` otherwise, so any bytes
value survives a round trip.
"""

from __future__ import annotations

import base64
import binascii
from hashlib import sha256
from json.encoder import encode_basestring_ascii as _json_str
from typing import TYPE_CHECKING, Annotated, Any, Final, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from interposition.errors import InteractionValidationError

__all__ = [
    "CASSETTE_FORMAT_VERSION",
    "Cassette",
    "Interaction",
    "InteractionRequest",
    "InteractionValidationError",
    "RequestFingerprint",
    "ResponseChunk",
    "canonical_request_bytes",
    "fingerprint_value",
    "request_identity",
]

#: Version of the cassette document this release writes. Version 1 is the
#: published 0.4.0 layout (no ``version`` key, bytes as UTF-8 strings only);
#: version 2 adds the ``version`` key and ``{"base64": ...}`` for binary bytes.
CASSETTE_FORMAT_VERSION: Final = 2

SHA256_HEX_LENGTH: Final = 64
_LOWER_HEX: Final = frozenset("0123456789abcdef")


def _decode_base64_form(value: dict[str, str]) -> bytes:
    try:
        return base64.b64decode(value["base64"], validate=True)
    except binascii.Error as exc:
        msg = f"invalid base64 text: {exc}"
        raise ValueError(msg) from exc


def bytes_to_document(value: bytes) -> str | dict[str, str]:
    """Return the JSON form of a bytes value: UTF-8 text, or base64 when binary."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(value).decode("ascii")}


class _DocumentBytesSchema:
    """Pydantic schema of ``bytes`` that round-trip through text documents.

    Validation is a union resolved inside pydantic-core: a string (or bytes)
    validates as plain bytes without calling Python; only the rare
    ``{"base64": ...}`` form calls the decoder above.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        base64_form = core_schema.no_info_after_validator_function(
            _decode_base64_form,
            core_schema.typed_dict_schema(
                {
                    "base64": core_schema.typed_dict_field(
                        core_schema.str_schema(), required=True
                    )
                },
                extra_behavior="forbid",
            ),
        )
        return core_schema.union_schema(
            [core_schema.bytes_schema(), base64_form],
            custom_error_type="document_bytes",
            custom_error_message=(
                'expected text or {"base64": "<base64 text>"} for a bytes value'
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(
                bytes_to_document, when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "description": "UTF-8 text"},
                {
                    "type": "object",
                    "properties": {"base64": {"type": "string"}},
                    "required": ["base64"],
                    "additionalProperties": False,
                    "description": "binary data, base64-encoded",
                },
            ]
        }


#: ``bytes`` that round-trip through JSON and YAML documents losslessly.
DocumentBytes = Annotated[bytes, _DocumentBytesSchema]

Pairs = tuple[tuple[str, str], ...]


# What json.dumps escapes in ASCII text: control characters, DEL, '"' and '\\'.
_JSON_SPECIAL: Final = bytes(range(0x20)) + b'\x7f"\\'
_pair = '","'.join
_pairs = '"],["'.join


def _escaped_canonical(
    protocol: str, action: str, target: str, headers: Pairs, body: bytes
) -> bytes:
    header_part = ",".join([f"[{_json_str(k)},{_json_str(v)}]" for k, v in headers])
    return (
        f"[{_json_str(protocol)},{_json_str(action)},{_json_str(target)},"
        f'[{header_part}],"{body.hex()}"]'
    ).encode("ascii")


def canonical_request_bytes(
    protocol: str, action: str, target: str, headers: Pairs, body: bytes
) -> bytes:
    """Return the canonical bytes the request fingerprint hashes.

    Byte-identical to ``json.dumps([protocol, action, target, headers,
    body.hex()], separators=(",", ":"), sort_keys=True).encode()``, the
    published algorithm. The common case (ASCII without quotes, backslashes
    or control characters, which JSON leaves unescaped) is built in one
    f-string and checked in one pass; anything else is escaped string by
    string.
    """
    if headers:
        text = (
            f'["{protocol}","{action}","{target}",'
            f'[["{_pairs(map(_pair, headers))}"]],"{body.hex()}"]'
        )
    else:
        text = f'["{protocol}","{action}","{target}",[],"{body.hex()}"]'
    if text.isascii():
        data = text.encode("ascii")
        # Deleting quotes, backslashes and control characters removes exactly
        # the template's quotes when no string needed escaping.
        if len(data) - len(data.translate(None, _JSON_SPECIAL)) == 8 + 4 * len(headers):
            return data
    return _escaped_canonical(protocol, action, target, headers, body)


def fingerprint_value(request: InteractionRequest) -> str:
    """Return the SHA-256 hex fingerprint of a request, as a plain string.

    This is the hot-path form of ``request.fingerprint().value``.
    """
    return sha256(
        canonical_request_bytes(
            request.protocol,
            request.action,
            request.target,
            request.headers,
            request.body,
        )
    ).hexdigest()


def request_identity(request: InteractionRequest) -> tuple[str, str, str, Pairs, bytes]:
    """Return every field of a request, as one hashable tuple.

    Two requests have equal identities exactly when they have equal
    fingerprints (the canonical JSON is injective), so the identity is the
    fingerprint's matching semantics at the cost of a tuple hash, without
    building JSON or running SHA-256.
    """
    return (
        request.protocol,
        request.action,
        request.target,
        request.headers,
        request.body,
    )


class ResponseChunk(BaseModel):
    """Discrete piece of response data.

    Attributes:
        data: Chunk payload as bytes.
        sequence: Zero-based chunk position in the response stream.
        metadata: Optional (key, value) string pairs, e.g. timing or encoding.
    """

    model_config = ConfigDict(frozen=True)

    data: DocumentBytes
    sequence: int
    metadata: Pairs = ()


class InteractionRequest(BaseModel):
    """Structured representation of a protocol-agnostic request.

    Attributes:
        protocol: Protocol identifier (e.g. "http", "grpc", "mqtt").
        action: Action or method name (e.g. "GET", "ListUsers", "publish").
        target: Target resource (e.g. a URL, "users.UserService").
        headers: Request headers as an immutable sequence of (key, value) pairs.
        body: Request body as bytes.
    """

    model_config = ConfigDict(frozen=True)

    protocol: str
    action: str
    target: str
    headers: Pairs
    body: DocumentBytes

    def fingerprint(self) -> RequestFingerprint:
        """Return the stable SHA-256 fingerprint of every field of the request."""
        return RequestFingerprint(value=fingerprint_value(self))


class RequestFingerprint(BaseModel):
    """Stable identifier for request matching: a SHA-256 hex digest.

    Attributes:
        value: 64 lowercase hexadecimal characters.
    """

    model_config = ConfigDict(frozen=True)

    # The pattern is documented in the JSON schema; the validator below
    # enforces it with the published messages.
    value: str = Field(json_schema_extra={"pattern": "^[0-9a-f]{64}$"})

    @field_validator("value")
    @classmethod
    def _sha256_hex(cls, value: str) -> str:
        # The published 0.4.0 messages, raised as pydantic ValidationErrors.
        if len(value) != SHA256_HEX_LENGTH:
            msg = f"SHA-256 hex must be exactly {SHA256_HEX_LENGTH} characters"
            raise ValueError(msg)
        if not _LOWER_HEX.issuperset(value):
            msg = "Invalid hex characters in fingerprint"
            raise ValueError(msg)
        return value

    @classmethod
    def from_request(cls, request: InteractionRequest) -> Self:
        """Create the fingerprint of a request."""
        return cls(value=fingerprint_value(request))


def check_chunk_sequence(chunks: tuple[ResponseChunk, ...]) -> None:
    """Raise InteractionValidationError unless chunks are numbered 0, 1, 2, ..."""
    if not chunks:
        msg = "Response chunks cannot be empty"
        raise InteractionValidationError(msg)
    for position, chunk in enumerate(chunks):
        if chunk.sequence != position:
            if position == 0:
                msg = "Response chunks must start at sequence 0"
            else:
                msg = "Response chunks must be sequential with no gaps"
            raise InteractionValidationError(msg)


class Interaction(BaseModel):
    """A complete request-response pair.

    Attributes:
        request: The recorded request.
        fingerprint: The request's fingerprint, checked against the request.
        response_chunks: The response, in order, numbered from 0.
        metadata: Optional (key, value) pairs, e.g. a recording timestamp.

    Raises:
        InteractionValidationError: On construction (``Interaction(...)``),
            when the fingerprint does not match the request or the chunks are
            empty or out of sequence. ``model_validate`` and
            ``model_validate_json`` raise pydantic's ``ValidationError`` with
            the same message, as the published 0.4.0 does (ADR 0004).
    """

    model_config = ConfigDict(frozen=True)

    request: InteractionRequest
    fingerprint: RequestFingerprint
    response_chunks: tuple[ResponseChunk, ...]
    metadata: Pairs = ()

    if not TYPE_CHECKING:
        # Hidden from the type checker, which keeps the pydantic plugin's
        # typed signature of the constructor.

        def __init__(self, /, **data: Any) -> None:
            try:
                super().__init__(**data)
            except ValidationError as error:
                own = _own_error(error)
                if own is None:
                    raise
                raise own from None

    @model_validator(mode="after")
    def _validate_interaction(self) -> Self:
        expected = fingerprint_value(self.request)
        if self.fingerprint.value != expected:
            msg = (
                "Fingerprint does not match request: "
                f"expected {expected}, got {self.fingerprint.value}"
            )
            raise InteractionValidationError(msg)
        check_chunk_sequence(self.response_chunks)
        return self

    @classmethod
    def build(
        cls,
        request: InteractionRequest,
        response_chunks: tuple[ResponseChunk, ...],
        metadata: Pairs = (),
        *,
        fingerprint: str | None = None,
    ) -> Interaction:
        """Build an interaction from trusted parts without re-validating them.

        The fingerprint is computed here (or taken from ``fingerprint`` when
        the caller has just computed it from this very request) and the chunk
        sequence is checked, so the result holds the same invariants as one
        made by the constructor, at a fraction of the cost.
        """
        check_chunk_sequence(response_chunks)
        value = fingerprint if fingerprint is not None else fingerprint_value(request)
        return _trusted(
            cls,
            {
                "request": request,
                "fingerprint": _trusted(RequestFingerprint, {"value": value}),
                "response_chunks": response_chunks,
                "metadata": metadata,
            },
        )


def _own_error(error: ValidationError) -> InteractionValidationError | None:
    """The InteractionValidationError pydantic wrapped, if that is all it holds."""
    details = error.errors(include_url=False, include_input=False)
    if len(details) != 1:
        return None
    cause = details[0].get("ctx", {}).get("error")
    return cause if isinstance(cause, InteractionValidationError) else None


_Model = TypeVar("_Model", bound=BaseModel)
_set_slot = object.__setattr__


def _trusted(cls: type[_Model], values: dict[str, Any]) -> _Model:
    """Make a model instance from already-valid field values, without validation.

    What ``model_construct`` does for a model without defaults to fill,
    extras or private attributes, minus its per-field bookkeeping (several
    times faster); ``tests/engine`` checks that the result equals a validated
    instance.
    """
    instance = cls.__new__(cls)
    _set_slot(instance, "__dict__", values)
    _set_slot(instance, "__pydantic_fields_set__", set(values))
    _set_slot(instance, "__pydantic_extra__", None)
    _set_slot(instance, "__pydantic_private__", None)
    return instance


class Cassette(BaseModel):
    """An ordered, immutable collection of recorded interactions.

    Attributes:
        interactions: The interactions, in recording order.
        version: The format version of the document (see CASSETTE_FORMAT_VERSION).
    """

    model_config = ConfigDict(frozen=True)

    version: int = Field(default=CASSETTE_FORMAT_VERSION, ge=1)
    interactions: tuple[Interaction, ...]
    _first_by_fingerprint: dict[str, Interaction] | None = PrivateAttr(default=None)

    @field_validator("version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value > CASSETTE_FORMAT_VERSION:
            msg = (
                f"cassette format version {value} is newer than this release "
                f"understands ({CASSETTE_FORMAT_VERSION}); upgrade interposition"
            )
            raise ValueError(msg)
        # Older layouts are read as they are and held, and so written, as the
        # current version: loading migrates.
        return CASSETTE_FORMAT_VERSION

    def __eq__(self, other: object) -> bool:
        # The lookup index is a cache: building it must not make a cassette
        # unequal to another with the same interactions.
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Cassette)  # noqa: S101 - for the type checker
        return self.version == other.version and self.interactions == other.interactions

    def __hash__(self) -> int:
        return hash((self.version, self.interactions))

    def find_interaction(self, fingerprint: RequestFingerprint) -> Interaction | None:
        """Return the first interaction recorded with this fingerprint, or None.

        The index is built on first use, in one pass, and kept: every later
        lookup is a single dict access.
        """
        index = self._first_by_fingerprint
        if index is None:
            index = {}
            for interaction in self.interactions:
                index.setdefault(interaction.fingerprint.value, interaction)
            self._first_by_fingerprint = index
        return index.get(fingerprint.value)
