"""Async tests, aiohttp, httpx2, streaming and binary bodies under the marker;
pytest-xdist workers recording into one directory; vcrpy reading what we wrote."""

from __future__ import annotations

import aiohttp  # noqa: F401 - imported before pytester's in-process runs
import httpx2  # noqa: F401
import pytest
import requests
import vcr as vcrpy
import yaml

from tests.pytest_plugin.conftest import BINARY, Server

pytest_plugins = ["pytester"]

RUN = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "error")

ASYNC_TESTS = """
import aiohttp, anyio, httpx2, pytest, requests

@pytest.mark.vcr
@pytest.mark.asyncio
async def test_aiohttp(server_url):
    async with aiohttp.ClientSession() as session:
        async with session.get(server_url + "/aiohttp") as response:
            assert (await response.json())["path"] == "/aiohttp"

@pytest.mark.vcr
@pytest.mark.asyncio
async def test_httpx2_async(server_url):
    async with httpx2.AsyncClient() as client:
        response = await client.get(server_url + "/httpx2")
        assert response.json()["path"] == "/httpx2"

@pytest.mark.vcr
@pytest.mark.anyio
async def test_anyio(server_url):
    async with httpx2.AsyncClient() as client:
        assert (await client.get(server_url + "/anyio")).status_code == 200

@pytest.fixture
def anyio_backend():
    return "asyncio"

@pytest.mark.vcr
def test_httpx2_stream(server_url):
    with httpx2.Client() as client:
        with client.stream("GET", server_url + "/stream") as response:
            assert b"".join(response.iter_bytes()) == b"one two three"

@pytest.mark.vcr
def test_binary(server_url):
    assert requests.get(server_url + "/binary").content == bytes(range(256))
"""


def test_async_and_every_client(project: pytest.Pytester, server: Server) -> None:
    project.makepyfile(test_async=ASYNC_TESTS)
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=5)
    hits = len(server.hits)
    assert hits == 5
    project.runpytest(*RUN, "--block-network").assert_outcomes(passed=5)
    assert len(server.hits) == hits
    binary = project.path / "cassettes" / "test_async" / "test_binary.yaml"
    document = yaml.safe_load(binary.read_text())
    assert document["version"] == 1  # vcrpy's format
    assert document["interactions"][0]["response"]["body"]["string"] == BINARY


def test_vcrpy_replays_what_the_plugin_wrote(
    project: pytest.Pytester, server: Server
) -> None:
    project.makepyfile(
        """
        import pytest, requests

        @pytest.mark.vcr
        def test_it(server_url):
            assert requests.get(server_url + "/back", params={"q": "1"}).ok
        """
    )
    project.runpytest(*RUN, "--record-mode=once").assert_outcomes(passed=1)
    (cassette,) = (project.path / "cassettes").rglob("*.yaml")
    with vcrpy.use_cassette(str(cassette), record_mode="none") as tape:
        response = requests.get(server.url + "/back", params={"q": "1"})
    assert response.json()["path"] == "/back?q=1"
    assert tape.play_count == 1
    assert server.hits == ["GET /back?q=1"]


def test_xdist_workers_record_into_one_directory(
    project: pytest.Pytester, server: Server
) -> None:
    project.makepyfile(
        test_many="""
        import pytest, requests

        @pytest.mark.vcr
        @pytest.mark.parametrize("n", range(8))
        def test_own(server_url, n):
            assert requests.get(f"{server_url}/own/{n}").ok

        @pytest.mark.vcr
        @pytest.mark.default_cassette("shared.yaml")
        @pytest.mark.parametrize("n", range(8))
        def test_shared(server_url, n):
            assert requests.get(f"{server_url}/shared/{n}").ok
        """
    )
    args = (*RUN, "-n", "4")
    result = project.runpytest_subprocess(*args, "--record-mode=new_episodes")
    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines(["interposition: 9 cassettes used, 9 recorded, 0 *"])
    directory = project.path / "cassettes" / "test_many"
    shared = yaml.safe_load((directory / "shared.yaml").read_text())
    uris = sorted(i["request"]["uri"] for i in shared["interactions"])
    assert uris == sorted(f"{server.url}/shared/{n}" for n in range(8))
    assert len(list(directory.iterdir())) == 9
    hits = len(server.hits)
    project.runpytest(*RUN).assert_outcomes(passed=16)
    assert len(server.hits) == hits
