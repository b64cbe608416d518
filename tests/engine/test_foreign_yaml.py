from pathlib import Path

import pytest

from interposition import (
    CassetteLoadError,
    Interaction,
    InteractionRequest,
    ResponseChunk,
    YamlFileCassetteStore,
)


def test_a_yaml_mapping_without_interactions_is_refused_and_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.yaml"
    foreign = "httplib:GET:example.org:80/:\n  status: 200\n  content: hello\n"
    path.write_text(foreign)
    store = YamlFileCassetteStore(path)
    with pytest.raises(CassetteLoadError, match="no 'interactions' key"):
        store.load()
    request = InteractionRequest(
        protocol="p", action="a", target="t", headers=(), body=b""
    )
    interaction = Interaction.build(request, (ResponseChunk(data=b"x", sequence=0),))
    with pytest.raises(CassetteLoadError):
        store.append(interaction)  # would otherwise rewrite the file without it
    assert path.read_text() == foreign


def test_interactions_key_without_items_is_an_empty_cassette(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("version: 2\ninteractions:\n")
    assert YamlFileCassetteStore(path).load().interactions == ()
