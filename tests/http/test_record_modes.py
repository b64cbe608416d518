"""Record modes, playback order, play counts, and what a miss says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from interposition import InterpositionError
from interposition.http import HttpInteractionNotFoundError, use_cassette

from .conftest import LiveServer


def _get(url: str) -> str:
    return requests.get(url, timeout=5).text


def _recorded_urls(path: Path) -> list[str]:
    document = json.loads(path.read_text())
    return [i["request"]["target"] for i in document["interactions"]]


def test_once_records_a_new_cassette_then_only_replays(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path) as cassette:
        assert _get(server.url + "/text?name=a") == "hello a"
    assert cassette.broker.mode == "auto"
    with use_cassette(cassette_path) as cassette:
        assert cassette.broker.mode == "replay"
        assert _get(server.url + "/text?name=a") == "hello a"
        with pytest.raises(HttpInteractionNotFoundError) as caught:
            _get(server.url + "/text?name=b")
    assert server.hits == 1
    message = str(caught.value)
    assert f"GET {server.url}/text?name=b" in message
    assert "record_mode='once'" in message
    assert f"Closest recording: GET {server.url}/text?name=a" in message
    assert "query (name=b vs recorded name=a)" in message
    assert "new_episodes" in message
    assert isinstance(caught.value, InterpositionError)


def test_none_never_records(server: LiveServer, cassette_path: Path) -> None:
    with (
        use_cassette(cassette_path, record_mode="none"),
        pytest.raises(HttpInteractionNotFoundError, match="holds no recordings"),
    ):
        _get(server.url + "/text")
    assert server.hits == 0
    assert not cassette_path.exists()


def test_new_episodes_replays_known_and_records_new(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        _get(server.url + "/counter")
    with use_cassette(cassette_path, record_mode="new_episodes") as cassette:
        assert _get(server.url + "/counter") == "1"  # replayed
        assert _get(server.url + "/text?name=new") == "hello new"  # recorded
    assert server.hits == 2
    assert cassette.play_counts == (1, 1)
    assert _recorded_urls(cassette_path) == [
        server.url + "/counter",
        server.url + "/text?name=new",
    ]


def test_all_rerecords_and_replaces_the_file(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        _get(server.url + "/counter")
        _get(server.url + "/text")
    with use_cassette(cassette_path, record_mode="all"):
        assert _get(server.url + "/counter") == "3"  # live again
    assert _recorded_urls(cassette_path) == [server.url + "/counter"]


def test_identical_requests_replay_in_order(
    server: LiveServer, cassette_path: Path
) -> None:
    url = server.url + "/counter"
    with use_cassette(cassette_path):
        assert [_get(url) for _ in range(3)] == ["1", "2", "3"]
    server.stop()
    with use_cassette(cassette_path) as cassette:
        assert [_get(url) for _ in range(3)] == ["1", "2", "3"]
        with pytest.raises(HttpInteractionNotFoundError, match="already played"):
            _get(url)
    assert cassette.play_counts == (1, 1, 1)
    with use_cassette(cassette_path, allow_playback_repeats=True):
        assert [_get(url) for _ in range(5)] == ["1", "2", "3", "3", "3"]


def test_play_counts_and_unplayed_after_the_block(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path):
        for name in ("a", "b", "c"):
            _get(f"{server.url}/text?name={name}")
    with use_cassette(cassette_path) as cassette:
        _get(server.url + "/text?name=b")
    assert cassette.play_counts == (0, 1, 0)
    assert not cassette.all_played
    assert [r.url for r in cassette.unplayed] == [
        f"{server.url}/text?name=a",
        f"{server.url}/text?name=c",
    ]
    assert len(cassette.unplayed_interactions()) == 2
    assert len(cassette.interactions) == 3


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".jsonl", ""])
def test_cassette_format_follows_the_extension(
    server: LiveServer, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"cassette{suffix}"
    with use_cassette(path):
        assert _get(server.url + "/unicode") == "Grüße, 世界! ½ — ünïcødé"
        assert requests.get(server.url + "/binary", timeout=5).content[:3] == bytes(
            [0, 1, 2]
        )
    assert path.exists()
    server.stop()
    with use_cassette(path, record_mode="none") as cassette:
        assert _get(server.url + "/unicode") == "Grüße, 世界! ½ — ünïcødé"
        assert len(requests.get(server.url + "/binary", timeout=5).content) == 1024
    assert cassette.all_played
    if suffix in (".json", ".yaml"):
        assert "Grüße" in path.read_text(encoding="utf-8")  # text stays readable
