"""The fast reader of vcrpy's YAML agrees with the safe loader on what vcrpy writes.

Documents are written by vcrpy's own serializer from random interactions
(any text, long lines that PyYAML folds, quotes, line breaks, binary
bodies, empty headers); both readers must give the same interactions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.serializers import yamlserializer

from interposition.stores import _vcrpy, _vcrpy_yaml

_TEXT = st.text(
    st.characters(exclude_categories=["Cs"]),
    max_size=200,
)
_HEADER_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9\-]{0,20}", fullmatch=True)
_HEADERS = st.dictionaries(
    _HEADER_NAME,
    st.lists(_TEXT.filter(lambda s: s == s.strip()), min_size=1, max_size=2),
    max_size=4,
)
_BODY = st.one_of(st.none(), _TEXT, st.binary(max_size=100))


@st.composite
def _interaction(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "request": {
            "body": draw(_BODY),
            "headers": draw(_HEADERS),
            "method": draw(st.sampled_from(["GET", "POST", "PUT"])),
            "uri": "http://example.test/"
            + draw(st.from_regex(r"[a-z0-9/?=&%+]{0,80}", fullmatch=True)),
        },
        "response": {
            "body": {"string": draw(st.one_of(_TEXT, st.binary(max_size=100)))},
            "headers": draw(_HEADERS),
            "status": {"code": draw(st.integers(100, 599)), "message": draw(_TEXT)},
        },
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(_interaction(), min_size=1, max_size=4))
def test_fast_reader_agrees_with_safe_loader(items: list[dict[str, Any]]) -> None:
    data = yamlserializer.serialize({"interactions": items, "version": 1}).encode()
    path = Path("generated.yaml")
    expected = _vcrpy._interactions(path, _vcrpy._safe_load_yaml(data))
    try:
        document = _vcrpy_yaml.parse(data)
    except _vcrpy_yaml.NotCanonical:
        return  # falls back to the safe loader: correct, only slower
    assert _vcrpy._interactions(path, document) == expected


def test_fixtures_take_the_fast_path() -> None:
    data_dir = Path(__file__).parent.parent / "http" / "data" / "vcrpy"
    for file in sorted(data_dir.glob("*.yaml")):
        data = file.read_bytes()
        document = _vcrpy_yaml.parse(data)  # no NotCanonical: the fast path
        assert _vcrpy._interactions(file, document) == _vcrpy._interactions(
            file, _vcrpy._safe_load_yaml(data)
        )
