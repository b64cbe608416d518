"""``interposition convert``: a cassette (or a tree of them) into another format.

Formats: ours (``json``, ``yaml``, ``jsonl``, ``directory``) and vcrpy's
(``vcrpy`` for its YAML, ``vcrpy-json``). The source's format is found as
``use_cassette`` finds it (extension and content); the target's comes from
its extension unless named. Everything a format holds survives: binary
bodies, repeated headers, chunk boundaries and timing in ours; vcrpy's keeps
no chunk boundaries, and the conversion says so in one warning. HTTP
interactions are redacted on the way (as ``use_cassette`` redacts before
writing) unless ``redact=False``. Nothing here imports click or rich.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

from interposition.cli._common import (
    CliError,
    find_cassettes,
    is_directory_cassette,
    load_cassette,
)
from interposition.errors import InterpositionError
from interposition.http._mapping import (
    PROTOCOL,
    HttpMappingError,
    from_interaction,
    to_interaction,
)
from interposition.http._redaction import Redactor
from interposition.models import Cassette, Interaction
from interposition.services import CassetteStore
from interposition.stores import (
    DirectoryCassetteStore,
    JsonFileCassetteStore,
    JsonLinesCassetteStore,
    VcrpyJsonCassetteStore,
    VcrpyYamlCassetteStore,
    YamlFileCassetteStore,
)

__all__ = ["FORMATS", "Format", "TreeResult", "convert_file", "convert_tree"]

Format = Literal["json", "yaml", "jsonl", "directory", "vcrpy", "vcrpy-json"]
FORMATS: Final = get_args(Format)

_BY_SUFFIX: Final[dict[str, Format]] = {
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    "": "directory",
}
_SUFFIX: Final[dict[Format, str]] = {
    "json": ".json",
    "yaml": ".yaml",
    "jsonl": ".jsonl",
    "directory": "",
    "vcrpy": ".yaml",
    "vcrpy-json": ".json",
}


def format_for(path: Path, named: str | None) -> Format:
    """The target format: ``named``, or the one ``path``'s extension means.

    Raises:
        CliError: ``named`` is no format, or the extension means none.
    """
    if named is not None:
        if named not in FORMATS:
            msg = f"unknown format {named!r}: use one of {', '.join(FORMATS)}"
            raise CliError(msg)
        return named  # type: ignore[return-value]
    suffix = path.suffix.lower()
    if suffix not in _BY_SUFFIX:
        msg = (
            f"cannot tell a format from {path.name!r}: use a .json, .yaml, "
            ".yml or .jsonl name, no extension for a directory, or --format"
        )
        raise CliError(msg)
    return _BY_SUFFIX[suffix]


def target_store(path: Path, fmt: Format) -> CassetteStore:
    """A store that writes ``fmt`` at ``path``."""
    stores: dict[Format, Callable[[Path], CassetteStore]] = {
        "json": JsonFileCassetteStore,
        "yaml": YamlFileCassetteStore,
        "jsonl": JsonLinesCassetteStore,
        "directory": DirectoryCassetteStore,
        "vcrpy": VcrpyYamlCassetteStore,
        "vcrpy-json": VcrpyJsonCassetteStore,
    }
    return stores[fmt](path)


#: Every name the redactor treats as a credential contains one of these
#: (see http/_redaction.py): an interaction in which none occurs, in any case,
#: has nothing to redact, and is not parsed.
_CREDENTIAL_HINTS: Final = re.compile(
    rb"token|secret|pass|pwd|key|sig|auth|cookie|credential|jwt|session|assertion"
    rb"|verifier"
)


def _hinted(data: bytes) -> bool:
    # Lower-cased first: an IGNORECASE alternation is several times slower.
    return _CREDENTIAL_HINTS.search(data.lower()) is not None


def _may_hold_credentials(interaction: Interaction) -> bool:
    request = interaction.request
    if _hinted(request.target.encode("utf-8", "replace")) or _hinted(request.body):
        return True
    names = [name for name, _ in request.headers]
    for position, chunk in enumerate(interaction.response_chunks):
        if position == 0:
            names += [name for name, _ in chunk.metadata]
        if _hinted(chunk.data):
            return True
    return _hinted("\n".join(names).encode("utf-8", "replace"))


def redact(interaction: Interaction, redactor: Redactor) -> Interaction:
    """The interaction with credentials redacted (unchanged if it holds none).

    An interaction that is not HTTP in our convention is returned as is.
    """
    if interaction.request.protocol != PROTOCOL or not _may_hold_credentials(
        interaction
    ):
        return interaction
    try:
        request, response = from_interaction(interaction)
    except HttpMappingError:
        return interaction
    redacted_request = redactor.request(request)
    redacted_response = redactor.response(response)
    if redacted_request is request and redacted_response is response:
        return interaction
    return to_interaction(redacted_request, redacted_response, interaction.metadata)


def _lossy(cassette: Cassette, fmt: Format) -> list[str]:
    if fmt not in ("vcrpy", "vcrpy-json"):
        return []
    foreign = sum(1 for i in cassette.interactions if i.request.protocol != PROTOCOL)
    if foreign:
        msg = (
            f"vcrpy's format holds HTTP interactions only, and this cassette has "
            f"{foreign} other ones: convert to json, yaml, jsonl or directory"
        )
        raise CliError(msg)
    joined = sum(1 for i in cassette.interactions if len(i.response_chunks) > 1)
    if not joined:
        return []
    return [
        f"warning: vcrpy's format keeps no chunk boundaries: the response chunks "
        f"of {joined} interaction{'s' if joined != 1 else ''} were joined"
    ]


def convert_file(
    source: Path,
    target: Path,
    *,
    fmt: str | None = None,
    redact_credentials: bool = True,
    force: bool = False,
) -> list[str]:
    """Convert one cassette; return the warnings (one line each).

    Raises:
        CliError: The target exists (without ``force``), or the target
            format cannot hold the cassette.
        CassetteLoadError: The source cannot be read.
        CassetteSaveError: The target cannot be written.
    """
    target_format = format_for(target, fmt)
    if target.exists() and not force:
        msg = f"{target} exists: pass --force to replace it"
        raise CliError(msg)
    cassette = load_cassette(source)
    if redact_credentials:
        redactor = Redactor.build(defaults=True)
        cassette = Cassette.model_construct(
            interactions=tuple(redact(i, redactor) for i in cassette.interactions)
        )
    warnings = _lossy(cassette, target_format)
    if target_format == "directory":
        target.mkdir(parents=True, exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    target_store(target, target_format).save(cassette)
    return warnings


@dataclass(slots=True)
class TreeResult:
    """What a tree conversion did.

    Attributes:
        converted: The cassettes converted.
        skipped: (cassette, reason) of those left alone.
        failed: (cassette, reason) of those that could not be converted.
        warnings: Warning lines, each naming its cassette.
    """

    converted: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_tree(source: Path) -> bool:
    """Whether ``source`` is a tree of cassettes (not one directory cassette)."""
    return source.is_dir() and not is_directory_cassette(source)


def tree_targets(
    source: Path, target: Path, fmt: str | None
) -> list[tuple[Path, Path]]:
    """(source cassette, target path) for every cassette under ``source``."""
    pairs = []
    for found in find_cassettes(source):
        relative = found.relative_to(source)
        if fmt is None:
            pairs.append((found, target / relative))
        else:
            suffix = _SUFFIX[format_for(found, fmt)]
            pairs.append((found, target / relative.with_suffix(suffix)))
    return pairs


def convert_tree(
    source: Path,
    target: Path,
    *,
    fmt: str | None = None,
    redact_credentials: bool = True,
    force: bool = False,
    progress: Callable[[Path], None] | None = None,
) -> TreeResult:
    """Convert every cassette under ``source`` into ``target`` (same layout).

    Without ``fmt`` each keeps its extension (so vcrpy files become ours).
    A cassette whose target exists is skipped unless ``force``.
    """
    if fmt is not None:
        format_for(target, fmt)  # validates the name
    result = TreeResult()
    for found, destination in tree_targets(source, target, fmt):
        try:
            if destination.exists() and not force:
                result.skipped.append((found, f"{destination} exists"))
                continue
            warnings = convert_file(
                found,
                destination,
                fmt=fmt,
                redact_credentials=redact_credentials,
                force=True,
            )
        except InterpositionError as error:
            result.failed.append((found, str(error)))
        else:
            result.converted.append(found)
            result.warnings.extend(f"{found}: {line}" for line in warnings)
        finally:
            if progress is not None:
                progress(found)
    return result
