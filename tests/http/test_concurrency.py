"""Concurrent cassettes stay apart; concurrent recording loses nothing."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import requests

from interposition.http import use_cassette

from .conftest import LiveServer


@pytest.mark.asyncio
async def test_concurrent_tasks_with_different_cassettes(
    server: LiveServer, tmp_path: Path
) -> None:
    async def task(name: str) -> list[str]:
        async with (
            use_cassette(tmp_path / f"{name}.json") as cassette,
            httpx.AsyncClient() as client,
        ):
            texts = []
            for _ in range(5):
                response = await client.get(f"{server.url}/text?name={name}")
                texts.append(response.text)
                await asyncio.sleep(0)
            assert len(cassette.interactions) == 5
            return texts

    results = await asyncio.gather(*(task(name) for name in "abcd"))
    assert results == [[f"hello {name}"] * 5 for name in "abcd"]
    for name in "abcd":
        document = json.loads((tmp_path / f"{name}.json").read_text())
        targets = {i["request"]["target"] for i in document["interactions"]}
        assert targets == {f"{server.url}/text?name={name}"}


def test_threads_with_different_cassettes(server: LiveServer, tmp_path: Path) -> None:
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with use_cassette(tmp_path / f"{name}.json") as cassette:
                barrier.wait()
                for _ in range(5):
                    requests.get(f"{server.url}/text?name={name}", timeout=5)
                barrier.wait()
            assert {r.url for r in cassette.unplayed} == set()
            assert len(cassette.interactions) == 5
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(name,)) for name in "wxyz"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for name in "wxyz":
        document = json.loads((tmp_path / f"{name}.json").read_text())
        targets = {i["request"]["target"] for i in document["interactions"]}
        assert targets == {f"{server.url}/text?name={name}"}


@pytest.mark.parametrize("suffix", [".json", ".jsonl", ".yaml"])
def test_fifty_threads_record_through_one_cassette(
    server: LiveServer, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"shared{suffix}"
    with use_cassette(path) as cassette, ThreadPoolExecutor(max_workers=50) as pool:
        context = contextvars.copy_context()

        def fetch(i: int) -> str:
            return context.copy().run(
                lambda: requests.get(f"{server.url}/text?name={i}", timeout=10).text
            )

        texts = list(pool.map(fetch, range(50)))
    assert texts == [f"hello {i}" for i in range(50)]
    assert len(cassette.interactions) == 50
    server.stop()
    with use_cassette(path, record_mode="none") as replayed:
        for i in range(50):
            assert requests.get(f"{server.url}/text?name={i}", timeout=5).text == (
                f"hello {i}"
            )
    assert replayed.all_played


def test_a_plain_thread_uses_the_only_open_cassette(
    server: LiveServer, cassette_path: Path
) -> None:
    results: list[str] = []
    with use_cassette(cassette_path) as cassette:
        thread = threading.Thread(
            target=lambda: results.append(
                requests.get(server.url + "/text", timeout=5).text
            )
        )
        thread.start()
        thread.join()
    assert results == ["hello world"]
    assert len(cassette.interactions) == 1


def test_two_sessions_recording_one_new_cassette_keep_both(
    server: LiveServer, cassette_path: Path
) -> None:
    with use_cassette(cassette_path) as first, use_cassette(cassette_path) as second:
        assert first.broker.mode == second.broker.mode == "auto"
        with use_cassette(cassette_path):  # a third one, nested, also new
            requests.get(server.url + "/text?name=c", timeout=5)
        requests.get(server.url + "/text?name=b", timeout=5)
    document = json.loads(cassette_path.read_text())
    assert [i["request"]["target"] for i in document["interactions"]] == [
        server.url + "/text?name=c",
        server.url + "/text?name=b",
    ]
