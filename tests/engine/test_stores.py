"""Stores: creation, atomicity, errors that name the file, recovery, names."""

from __future__ import annotations

from pathlib import Path

import pytest

from interposition import Cassette, DirectoryCassetteStore

from .helpers import make_interaction, make_request


@pytest.mark.parametrize("text", ["\x85", "a\u2028b", "\u2029", "x\x85\ny"])
def test_directory_yaml_keeps_unicode_line_breaks(tmp_path: Path, text: str) -> None:
    """PyYAML folds raw U+0085/U+2028/U+2029 of single-quoted scalars to spaces."""
    request = make_request(text, headers=[(text, text)], body=text.encode())
    cassette = Cassette(interactions=(make_interaction(request, text.encode()),))
    store = DirectoryCassetteStore(tmp_path / "c", file_format="yaml")
    store.save(cassette)
    assert store.load() == cassette
