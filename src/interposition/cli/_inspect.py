"""``interposition inspect``: the interactions of a cassette, as rows.

One row per interaction: its index, method, URL, status, response size and
chunk count (protocol, action and target for a non-HTTP interaction). The
rows are plain data; ``_app`` prints them as a rich table or as JSON.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from interposition.http._mapping import PROTOCOL, STATUS_KEY
from interposition.models import Cassette, Interaction

__all__ = ["Row", "rows"]

#: The status the interposition-http-adapter convention keeps in metadata.
ADAPTER_STATUS_KEY = "status_code"


@dataclass(frozen=True, slots=True)
class Row:
    """One interaction, summarized.

    Attributes:
        index: Its position in the cassette (from 0).
        protocol: ``http`` for HTTP interactions.
        method: The method (the engine's action).
        url: The URL (the engine's target).
        status: The response status, or None when none is recorded.
        size: The response body's size in bytes.
        chunks: How many response chunks were recorded.
    """

    index: int
    protocol: str
    method: str
    url: str
    status: int | None
    size: int
    chunks: int

    def as_json(self) -> dict[str, Any]:
        """The row as a JSON-ready mapping."""
        return asdict(self)


def _status(interaction: Interaction) -> int | None:
    chunks = interaction.response_chunks
    if not chunks:
        return None
    for key, value in chunks[0].metadata:
        if key in (STATUS_KEY, ADAPTER_STATUS_KEY):
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _matches(
    interaction: Interaction,
    method: str | None,
    host: str | None,
    grep: re.Pattern[str] | None,
) -> bool:
    request = interaction.request
    if method is not None and request.action.upper() != method.upper():
        return False
    if host is not None:
        hostname = (urlsplit(request.target).hostname or "").lower()
        if hostname != host.lower().strip("[]"):
            return False
    if grep is None:
        return True
    texts = [request.target, request.body.decode("utf-8", "replace")]
    texts += [
        chunk.data.decode("utf-8", "replace") for chunk in interaction.response_chunks
    ]
    return any(grep.search(text) for text in texts)


def rows(
    cassette: Cassette,
    *,
    method: str | None = None,
    host: str | None = None,
    grep: str | None = None,
) -> list[Row]:
    """The rows of the interactions that pass every filter given.

    Args:
        cassette: The cassette.
        method: Keep only this method (any case).
        host: Keep only requests to this host name.
        grep: Keep only interactions whose URL, request body or response body
            matches this regular expression.

    Raises:
        re.error: ``grep`` is not a regular expression.
    """
    pattern = re.compile(grep) if grep is not None else None
    found = []
    for index, interaction in enumerate(cassette.interactions):
        if not _matches(interaction, method, host, pattern):
            continue
        request = interaction.request
        chunks = interaction.response_chunks
        found.append(
            Row(
                index=index,
                protocol=request.protocol,
                method=request.action,
                url=request.target,
                status=_status(interaction),
                size=sum(len(chunk.data) for chunk in chunks),
                chunks=len(chunks),
            )
        )
    return found


def is_http(row: Row) -> bool:
    """Whether the row is an HTTP interaction."""
    return row.protocol == PROTOCOL
