"""``decode_compressed_response``: store bodies decoded, readable in the file."""

from __future__ import annotations

import gzip
import importlib
import zlib
from collections.abc import Callable
from typing import Final

from interposition.http._mapping import HttpResponse

__all__ = ["decode_response", "supported_encodings"]


def _deflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error:
        return zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, no zlib header


def _brotli() -> Callable[[bytes], bytes] | None:
    try:
        module = importlib.import_module("brotli")
    except ImportError:
        return None
    decompress: Callable[[bytes], bytes] = module.decompress
    return decompress


_DECODERS: Final[dict[str, Callable[[], Callable[[bytes], bytes] | None]]] = {
    "gzip": lambda: gzip.decompress,
    "x-gzip": lambda: gzip.decompress,
    "deflate": lambda: _deflate,
    "br": _brotli,
}


def supported_encodings() -> tuple[str, ...]:
    """The content codings this installation can decode (``br`` needs brotli)."""
    return tuple(name for name, get in _DECODERS.items() if get() is not None)


def decode_response(response: HttpResponse) -> HttpResponse:
    """Return the response with its body content-decoded.

    ``Content-Encoding`` is removed and ``Content-Length`` updated. A response
    whose coding is unknown (or ``br`` without the brotli package), or whose
    body does not decode, is returned unchanged.
    """
    encoding = response.header("content-encoding")
    if not encoding or not response.body:
        return response
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    body = response.body
    for coding in reversed(codings):
        if coding == "identity":
            continue
        get = _DECODERS.get(coding)
        decoder = get() if get is not None else None
        if decoder is None:
            return response
        try:
            body = decoder(body)
        except (OSError, EOFError, zlib.error, ValueError):
            return response
        except Exception:
            return response
    headers = tuple(
        (name, str(len(body))) if name.lower() == "content-length" else (name, value)
        for name, value in response.headers
        if name.lower() != "content-encoding"
    )
    return response.replace(headers=headers, body=body)
