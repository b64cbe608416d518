"""A fast reader for the YAML that vcrpy writes (PyYAML's block style).

vcrpy dumps its cassettes with PyYAML's default emitter: block mappings
indented by two, sequences at their key's indent, scalars plain, single- or
double-quoted (folded over lines when long), and bytes as ``!!binary |``
blocks. Reading that subset line by line is many times faster than PyYAML's
loader (even the C one builds every node in Python). Anything outside the
subset (anchors, aliases, other tags, comments, flow collections with
items, block scalars, tabs) raises ``NotCanonical`` and the caller uses the
safe loader instead, so a hand-edited file loads all the same; a test checks
that both readers agree on every file vcrpy writes.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final

__all__ = ["HeaderPairs", "NotCanonical", "parse"]


class NotCanonical(ValueError):  # noqa: N818 - a signal, not an error shown to users
    """The document is not in the subset this reader knows."""


_INT: Final = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_NULLS: Final = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE: Final = frozenset({"true", "True", "TRUE"})
_FALSE: Final = frozenset({"false", "False", "FALSE"})
_ESCAPES: Final = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX_LENGTHS: Final = {"x": 2, "u": 4, "U": 8}
_ESCAPE: Final = re.compile(
    r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[^xuU])"
)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in _HEX_LENGTHS:
        return chr(int(code[1:], 16))
    try:
        return _ESCAPES[code]
    except KeyError:
        raise NotCanonical(code) from None


def _plain(text: str) -> Any:
    if text in _NULLS:
        return None
    if _INT.match(text):
        return int(text.replace("_", ""))
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text[0] in "&*!|>%@`#'\"{[]}," or " #" in text or ": " in text:
        raise NotCanonical(text)
    return text


def _fold(pieces: list[str]) -> str:
    """Join the lines of a flow scalar: one break is a space, n+1 are n."""
    out = [pieces[0]]
    blank = 0
    for piece in pieces[1:]:
        if not piece:
            blank += 1
            continue
        out.append("\n" * blank if blank else " ")
        out.append(piece)
        blank = 0
    if blank:
        out.append("\n" * blank)
    return "".join(out)


class _Reader:
    def __init__(self, text: str) -> None:
        if "\t" in text or "\r" in text:
            raise NotCanonical("tabs or carriage returns")
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.pos = 0

    def indent_of(self, pos: int) -> int:
        line = self.lines[pos]
        return len(line) - len(line.lstrip(" "))

    def node(self, indent: int) -> Any:
        """The block collection starting at line ``pos``, at column ``indent``."""
        line = self.lines[self.pos]
        if line.startswith("- ", indent) or line == " " * indent + "-":
            return self.sequence(indent)
        return self.mapping(indent)

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        lines = self.lines
        prefix = " " * indent + "-"
        while self.pos < len(lines):
            line = lines[self.pos]
            if not line.startswith(prefix) or self.indent_of(self.pos) != indent:
                break
            rest = line[indent + 1 :]
            if not rest.startswith(" "):
                raise NotCanonical(line)
            content = rest.lstrip(" ")
            column = len(line) - len(content)
            if content.startswith(("'", '"')):
                is_key = self._is_key(content)
            else:
                is_key = ": " in content or content.endswith(":")
            if is_key:
                # A mapping item: its first key is on this line.
                lines[self.pos] = " " * column + content
                items.append(self.mapping(column))
            else:
                items.append(self.scalar(content, indent, column))
        return items

    @staticmethod
    def _is_key(content: str) -> bool:
        quote = content[0]
        end = content.find(quote, 1)
        while quote == "'" and end != -1 and content[end + 1 : end + 2] == "'":
            end = content.find(quote, end + 2)
        return end != -1 and content[end + 1 : end + 2] == ":"

    def key(self, content: str) -> tuple[str, str]:
        if content[0] in "'\"":
            quote = content[0]
            end = content.find(quote, 1)
            while quote == "'" and end != -1 and content[end + 1 : end + 2] == "'":
                end = content.find(quote, end + 2)
            if quote == '"' and "\\" in content[:end]:
                raise NotCanonical(content)
            if end == -1 or content[end + 1 : end + 2] != ":":
                raise NotCanonical(content)
            name = content[1:end].replace("''", "'") if quote == "'" else content[1:end]
            return name, content[end + 2 :].lstrip(" ")
        name, colon, rest = content.partition(":")
        if (
            not colon
            or (rest and rest[0] != " ")
            or name.startswith(("?", "&", "*", "!", "#"))
        ):
            raise NotCanonical(content)
        return name, rest.lstrip(" ")

    def mapping(self, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines = self.lines
        while self.pos < len(lines):
            line = lines[self.pos]
            here = self.indent_of(self.pos)
            if here < indent or (here == indent and line.startswith("-", indent)):
                break
            if here != indent:
                raise NotCanonical(line)
            name, rest = self.key(line[indent:])
            if rest:
                out[name] = self.scalar(rest, indent, len(line) - len(rest))
                continue
            self.pos += 1
            if self.pos < len(lines):
                child = self.indent_of(self.pos)
                nxt = lines[self.pos]
                if child > indent or (child == indent and nxt.startswith("-", indent)):
                    out[name] = self.node(child)
                    continue
            out[name] = None
        return out

    def continuation(self, indent: int) -> list[str]:
        """The lines after ``pos`` indented deeper than ``indent``, stripped."""
        pieces = []
        lines = self.lines
        self.pos += 1
        while self.pos < len(lines):
            line = lines[self.pos]
            stripped = line.lstrip(" ")
            if stripped and len(line) - len(stripped) <= indent:
                break
            pieces.append(stripped)
            self.pos += 1
        while pieces and not pieces[-1]:
            pieces.pop()
        return pieces

    def scalar(self, text: str, indent: int, column: int) -> Any:
        """A scalar starting with ``text`` on line ``pos``; moves past it."""
        first = text[0]
        if first == "'":
            return self.quoted(text, indent, "'")
        if first == '"':
            return self.quoted(text, indent, '"')
        if first == "!":
            if text.rstrip() != "!!binary |":
                raise NotCanonical(text)
            data = "".join(self.continuation(indent))
            try:
                return base64.b64decode(data, validate=True)
            except binascii.Error:
                raise NotCanonical("!!binary") from None
        if text in ("{}", "[]"):
            self.pos += 1
            return {} if text == "{}" else []
        pieces = [text.rstrip(" ")]
        more = self.continuation(indent)
        if more:
            pieces.extend(more)
            return _plain_text(_fold(pieces))
        return _plain(pieces[0])

    def quoted(self, text: str, indent: int, quote: str) -> str:
        lines = self.lines
        pieces = [text[1:]]
        while True:
            body = pieces[-1]
            end = _closing(body, quote)
            if end != -1:
                if body[end + 1 :].strip():
                    raise NotCanonical(text)
                pieces[-1] = body[:end]
                self.pos += 1
                break
            self.pos += 1
            if self.pos >= len(lines) or (
                lines[self.pos].strip() and self.indent_of(self.pos) <= indent
            ):
                raise NotCanonical(text)
            pieces.append(lines[self.pos].lstrip(" "))
        if quote == "'":
            last = len(pieces) - 1
            trimmed = [p.rstrip(" ") if i < last else p for i, p in enumerate(pieces)]
            return _fold(trimmed).replace("''", "'")
        return _double(pieces)


def _plain_text(text: str) -> str:
    if " #" in text or ": " in text:
        raise NotCanonical(text)
    return text


def _closing(body: str, quote: str) -> int:
    """Where the closing quote is in ``body``, or -1."""
    position = 0
    while True:
        end = body.find(quote, position)
        if end == -1:
            return -1
        if quote == "'":
            if body[end + 1 : end + 2] == "'":
                position = end + 2
                continue
            return end
        backslashes = len(body[:end]) - len(body[:end].rstrip("\\"))
        if backslashes % 2 == 0:
            return end
        position = end + 1


def _double(pieces: list[str]) -> str:
    """A double-quoted scalar's lines: escaped breaks joined, others folded."""
    out: list[str] = []
    blank = 0
    joined = True  # the first line follows no break
    last = len(pieces) - 1
    for index, raw in enumerate(pieces):
        piece = raw
        escaped = False
        if index < last:
            backslashes = len(piece) - len(piece.rstrip("\\"))
            if backslashes % 2:
                piece, escaped = piece[:-1], True
            else:
                piece = piece.rstrip(" ")
        if not joined:
            if not piece and index < last and not escaped:
                blank += 1
                continue
            out.append("\n" * blank if blank else " ")
            blank = 0
        out.append(piece)
        joined = escaped
    return _ESCAPE.sub(_unescape, "".join(out))


#: One interaction as vcrpy writes it for most clients, the scalars' text
#: (with their continuation lines) captured for decoding.
_ITEM: Final = re.compile(
    r"request:\n"
    r"    body: (?P<qbody>[^\n]*\n(?:      [^\n]*\n)*)"
    r"    headers:(?P<qh>(?: \{\})?\n(?:      [^\n]*\n)*)"
    r"    method: (?P<method>[A-Za-z]+)\n"
    r"    uri: (?P<uri>[^\n]*\n(?:      [^\n]*\n)*)"
    r"  response:\n"
    r"    body:\n      string: (?P<rbody>[^\n]*\n(?:        [^\n]*\n)*)"
    r"    headers:(?P<rh>(?: \{\})?\n(?:      [^\n]*\n)*)"
    r"    status:\n      code: (?P<code>[0-9]{3})\n"
    r"      message: (?P<msg>[^\n]*\n(?:        [^\n]*\n)*)\Z"
)
#: A header with one-line values: ``Name:`` then ``- value`` lines.
_HEADER: Final = re.compile(r"      ([^'\"\s\-?&*!#][^\n]*?):\n((?:      - [^\n]*\n)+)")
_VERSION_LINE: Final = re.compile(r"version: 1\n?\Z")


def _tail_start(text: str) -> int:
    """Where the keys after the interactions start (``metadata``, ``version``)."""
    version = text.rfind("\nversion:") + 1
    if not version or not _VERSION_LINE.match(text, version):
        raise NotCanonical("no version at the end")
    metadata = text.rfind("\nmetadata:", 0, version) + 1
    if metadata and "\n-" not in text[metadata:version]:
        return metadata
    return version


_SPECIAL_START: Final = frozenset("&*!|>%@`#'\"{[]},?:-")


def _scalar(text: str, indent: int) -> Any:
    """A captured scalar (its first line and continuation lines)."""
    if text.count("\n") == 1:
        line = text[:-1]
        if line and line[0] not in _SPECIAL_START and " #" not in line:
            return _plain(line)
        if len(line) > 1 and line[0] == "'" and line[-1] == "'":
            inner = line[1:-1]
            if "'" not in inner.replace("''", ""):
                return inner.replace("''", "'")
    reader = _Reader(text)
    value = reader.scalar(reader.lines[0], indent, indent)
    if reader.pos != len(reader.lines):
        raise NotCanonical(text)
    return value


def _header_value(line: str) -> Any:
    if line and line[0] not in _SPECIAL_START and " #" not in line:
        return _plain(line)
    return _scalar(line + "\n", 6)


class HeaderPairs(tuple[tuple[str, str], ...]):
    """Headers already read as (name, value) pairs, in file order."""

    __slots__ = ()


#: Headers with one one-line value each: nearly every header vcrpy writes.
_SIMPLE_HEADERS: Final = re.compile(
    r"(?:      [^'\"\s\-?&*!#{\[][^\n:]*:\n      - [^\n]*\n)*"
)
_SIMPLE_HEADER: Final = re.compile(r"      ([^\n]*):\n      - ([^\n]*)\n")


def _simple_value(value: str) -> str:
    if not value:
        return "None"
    first = value[0]
    if first in _SPECIAL_START or " #" in value:
        decoded = _scalar(value + "\n", 6)
        return decoded if isinstance(decoded, str) else str(decoded)
    if value in _NULLS:
        return "None"
    if (
        value in _TRUE
        or value in _FALSE
        or (first in "+-0123456789" and _INT.match(value))
    ):
        return str(_plain(value))
    return value


def _headers(block: str) -> dict[str, Any] | HeaderPairs:
    if block == " {}\n":
        return {}
    if _SIMPLE_HEADERS.fullmatch(block, 1):
        return HeaderPairs(
            (name, _simple_value(value))
            for name, value in _SIMPLE_HEADER.findall(block, 1)
        )
    if not block.startswith("\n"):
        raise NotCanonical(block)
    out: dict[str, Any] = {}
    covered = 1
    for match in _HEADER.finditer(block, 1):
        if match.start() != covered:
            raise NotCanonical(block)
        covered = match.end()
        out[match.group(1)] = [
            _header_value(line[8:]) for line in match.group(2).split("\n")[:-1]
        ]
    if covered != len(block):
        reader = _Reader(block[1:])
        if not reader.lines:
            return {}
        value = reader.mapping(6)
        if reader.pos != len(reader.lines):
            raise NotCanonical(block)
        return value
    return out


def _item(text: str) -> Any:
    match = _ITEM.match(text)
    if match is None:
        reader = _Reader("  " + text)
        value = reader.mapping(2)
        if reader.pos != len(reader.lines):
            raise NotCanonical(text)
        return value
    group = match.group
    return {
        "request": {
            "body": _scalar(group("qbody"), 4),
            "headers": _headers(group("qh")),
            "method": group("method"),
            "uri": _scalar(group("uri"), 4),
        },
        "response": {
            "body": {"string": _scalar(group("rbody"), 6)},
            "headers": _headers(group("rh")),
            "status": {"code": int(group("code")), "message": _scalar(group("msg"), 6)},
        },
    }


def parse(data: bytes) -> Any:
    """The document, when it is in the subset vcrpy writes.

    Raises:
        NotCanonical: When it is not (the caller falls back to PyYAML).
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotCanonical("not UTF-8") from None
    if "\t" in text or "\r" in text or not text.startswith("interactions:\n- "):
        raise NotCanonical("not vcrpy's layout")
    start = _tail_start(text)
    body = text[len("interactions:\n- ") : start]
    items = [_item(item + "\n") for item in body[:-1].split("\n- ")] if body else []
    document: dict[str, Any] = {"interactions": items}
    rest = text[start:]
    if rest.startswith("metadata:"):
        reader = _Reader(rest)
        document.update(reader.mapping(0))
        if reader.pos != len(reader.lines):
            raise NotCanonical(rest)
    else:
        document["version"] = 1
    return document
