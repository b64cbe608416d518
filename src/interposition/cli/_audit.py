"""``interposition audit``: find credentials left in cassettes.

Each interaction is scanned where credentials hide: credential headers
(Authorization, Cookie, Set-Cookie, API-key headers: the names the
redactor redacts), token-like query parameters and JSON / form body fields,
and, in every header value, URL and body, private key blocks, AWS access key
ids and JWTs; a high-entropy string in a field whose name looks secret is
reported too. A value the redactor (or a user's filter) replaced
(``REDACTED``, ``<redacted>``, ``***``, ``XXX``, ``FILTERED``) is clean.

A file that no store can read is still scanned, as text, for the patterns.
Nothing here imports click or rich.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from interposition.cli._common import (
    CliError,
    find_cassettes,
    is_directory_cassette,
    load_cassette,
)
from interposition.errors import InterpositionError
from interposition.http._redaction import (
    SENSITIVE_HEADERS,
    _names_credential,
    is_sensitive_field,
)
from interposition.models import Interaction

__all__ = ["Finding", "Report", "audit_paths", "mask"]

_PATTERNS: Final = (
    (
        "private key",
        re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "JWT",
        re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ),
)
#: What a redacted or filtered value looks like.
_REDACTED: Final = re.compile(
    r"redacted|filtered|removed|\*{3,}|x{3,}|^dummy$|^fake$|^<[^>]*>$", re.IGNORECASE
)
#: Words that make a field name look secret enough to check its value's
#: entropy (the redactor's names are reported whatever their value).
_SECRETISH: Final = re.compile(
    r"key|token|secret|auth|pass|sig|cred|session|cookie", re.IGNORECASE
)
_MIN_ENTROPY_LENGTH: Final = 16
_MIN_ENTROPY_BITS: Final = 3.5


def mask(value: str) -> str:
    """A value made safe to print: its first four characters and its length."""
    value = value.strip()
    if len(value) <= 8:
        return "****"
    return f"{value[:4]}… {len(value)} chars"


def entropy(value: str) -> float:
    """Shannon entropy of a string, in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _clean(value: str) -> bool:
    stripped = value.strip()
    if not stripped:
        return True
    scheme, space, rest = stripped.partition(" ")
    if space and scheme.lower() in ("bearer", "basic", "token", "digest"):
        stripped = rest.strip()
    parts = [part.partition("=")[2] or part for part in re.split(r"[;&]", stripped)]
    return all(not part.strip() or _REDACTED.search(part.strip()) for part in parts)


@dataclass(frozen=True, slots=True)
class Finding:
    """One credential found.

    Attributes:
        path: The cassette.
        interaction: The interaction's index (None in a file read as text).
        where: Where in it (``request header Authorization``).
        what: What was found (``credential header``, ``JWT``...).
        value: The value, masked.
        line: The line, for a file read as text.
    """

    path: str
    interaction: int | None
    where: str
    what: str
    value: str
    line: int | None = None

    def __str__(self) -> str:
        place = (
            f"interaction {self.interaction}"
            if self.interaction is not None
            else f"line {self.line}"
        )
        return f"{self.path}: {place}: {self.where}: {self.what} ({self.value})"

    def as_json(self) -> dict[str, Any]:
        """The finding as a JSON-ready mapping."""
        return asdict(self)


@dataclass(slots=True)
class Report:
    """What an audit found.

    Attributes:
        findings: Every finding, in file and interaction order.
        scanned: How many cassettes were scanned.
        unreadable: Files no store could read (scanned as text), with why.
    """

    findings: list[Finding]
    scanned: int
    unreadable: list[tuple[str, str]]

    def as_json(self) -> dict[str, Any]:
        """The report as a JSON-ready mapping."""
        return {
            "findings": [finding.as_json() for finding in self.findings],
            "scanned": self.scanned,
            "unreadable": [{"path": p, "reason": r} for p, r in self.unreadable],
        }


def _patterns(text: str) -> Iterator[tuple[str, str]]:
    for what, pattern in _PATTERNS:
        match = pattern.search(text)
        if match is not None:
            yield what, match.group(0)


def _fields(document: Any, prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    """(dotted path, field name, value) of every field of a JSON document."""
    if isinstance(document, dict):
        for name, value in document.items():
            where = f"{prefix}.{name}" if prefix else str(name)
            yield where, str(name), value
            yield from _fields(value, where)
    elif isinstance(document, list):
        for position, value in enumerate(document):
            yield from _fields(value, f"{prefix}[{position}]")


def _named_pairs(body: bytes, content_type: str) -> Iterator[tuple[str, str, Any]]:
    text = body.decode("utf-8", "replace").strip()
    if "json" in content_type or text.startswith(("{", "[")):
        try:
            yield from _fields(json.loads(text))
        except ValueError:
            return
        return
    if "x-www-form-urlencoded" in content_type:
        for name, value in parse_qsl(text, keep_blank_values=True):
            yield name, name, value


def _check_value(where: str, name: str, value: Any) -> tuple[str, str] | None:
    if not isinstance(value, str) or _clean(value):
        return None
    if is_sensitive_field(name):
        return "credential field", value
    if (
        _SECRETISH.search(name)
        and len(value) >= _MIN_ENTROPY_LENGTH
        and entropy(value) >= _MIN_ENTROPY_BITS
    ):
        return "high-entropy value in a secret-like field", value
    return None


def _scan_body(
    body: bytes, content_type: str, side: str
) -> Iterator[tuple[str, str, str]]:
    if not body:
        return
    for path, name, value in _named_pairs(body, content_type):
        found = _check_value(path, name, value)
        if found is not None:
            yield f"{side} body field {path}", found[0], found[1]
    for what, value in _patterns(body.decode("utf-8", "replace")):
        yield f"{side} body", what, value


def _scan_headers(
    headers: Iterable[tuple[str, str]], side: str
) -> Iterator[tuple[str, str, str]]:
    for name, value in headers:
        if name.startswith(":"):
            continue
        lowered = name.lower()
        checked = value.partition(";")[0] if lowered == "set-cookie" else value
        if (lowered in SENSITIVE_HEADERS or _names_credential(lowered)) and not (
            _clean(checked)
        ):
            yield f"{side} header {name}", "credential header", value
            continue
        for what, found in _patterns(value):
            yield f"{side} header {name}", what, found


def _content_type(headers: Iterable[tuple[str, str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value.lower()
    return ""


def scan_interaction(interaction: Interaction) -> Iterator[tuple[str, str, str]]:
    """(where, what, raw value) of every credential in one interaction."""
    request = interaction.request
    yield from _scan_headers(request.headers, "request")
    query = urlsplit(request.target).query
    for name, value in parse_qsl(query, keep_blank_values=True):
        found = _check_value(name, name, value)
        if found is not None:
            yield f"query parameter {name}", found[0], found[1]
    for what, value in _patterns(request.target):
        yield "URL", what, value
    yield from _scan_body(request.body, _content_type(request.headers), "request")
    chunks = interaction.response_chunks
    head = chunks[0].metadata if chunks else ()
    yield from _scan_headers(head, "response")
    body = b"".join(chunk.data for chunk in chunks)
    yield from _scan_body(body, _content_type(head), "response")


def _scan_text(path: Path) -> Iterator[Finding]:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return
    for number, line in enumerate(text.splitlines(), start=1):
        for what, value in _patterns(line):
            yield Finding(str(path), None, "text", what, mask(value), number)


def audit_paths(paths: Iterable[Path]) -> Report:
    """Scan cassette files, directory cassettes and trees of them.

    Raises:
        CliError: A path does not exist.
    """
    report = Report(findings=[], scanned=0, unreadable=[])
    for root in paths:
        if not root.exists():
            msg = f"no such file or directory: {root}"
            raise CliError(msg)
        targets = (
            list(find_cassettes(root))
            if root.is_dir() and not is_directory_cassette(root)
            else [root]
        )
        for target in targets:
            audit_one(target, report)
    return report


def audit_one(path: Path, report: Report) -> None:
    """Scan one cassette into ``report``."""
    report.scanned += 1
    try:
        cassette = load_cassette(path)
    except InterpositionError as error:
        report.unreadable.append((str(path), str(error)))
        if path.is_file():
            report.findings.extend(_scan_text(path))
        return
    seen: set[tuple[int, str, str]] = set()
    for index, interaction in enumerate(cassette.interactions):
        for where, what, value in scan_interaction(interaction):
            key = (index, where, what)
            if key not in seen:
                seen.add(key)
                report.findings.append(
                    Finding(str(path), index, where, what, mask(value))
                )
