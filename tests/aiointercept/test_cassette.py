"""Record and replay through a cassette: a real upstream, then only the file."""

from __future__ import annotations

import asyncio
import base64
import gzip
import logging
import ssl
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from aiointercept import aiointercept
from interposition.errors import ConfigurationError, InterpositionError
from interposition.http import HttpInteractionNotFoundError

from .cassette_support import (
    BINARY,
    COMPRESSED_TEXT,
    LiveUpstream,
    load_document,
    recorder,
)
from .conftest import MapResolver


@pytest.mark.asyncio
@pytest.mark.parametrize("suffix", [".json", ".yaml"])
async def test_record_then_replay_from_the_file(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
    suffix: str,
) -> None:
    path = tmp_path / f"c{suffix}"

    async def scenario() -> list[object]:
        async with aiohttp.ClientSession() as session:
            a = await session.get(f"{live.base}/json/alice?x=1")
            b = await session.get(f"{live.tls_base}/binary")
            c = await session.post(f"{live.base}/echo", json={"k": "v"})
            return [
                a.status,
                await a.json(),
                a.headers["X-Upstream"],
                await b.read(),
                b.content_type,
                c.status,
                await c.json(),
            ]

    async with recorder(path, resolver, upstream_client_ssl) as m:
        recorded = await scenario()
    assert len(live.hits) == 3
    assert m.cassette_session is not None
    assert len(m.cassette_session.interactions) == 3
    assert recorded[3] == BINARY
    await live.stop()

    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        replayed = await scenario()
    assert replayed == recorded
    assert m.cassette_session is not None
    assert m.cassette_session.all_played
    assert not m.misses
    assert len(live.hits) == 3
    doc = load_document(path)
    targets = [i["request"]["target"] for i in doc["interactions"]]
    assert f"{live.tls_base}/binary" in targets


async def _get(url: str, **kwargs: object) -> tuple[int, bytes]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, **kwargs) as resp,  # type: ignore[arg-type]
    ):
        return resp.status, await resp.read()


async def _record(
    path: Path,
    resolver: MapResolver,
    client_ssl: ssl.SSLContext,
    *urls: str,
    **options: object,
) -> None:
    async with recorder(path, resolver, client_ssl, **options):
        for url in urls:
            await _get(url)


@pytest.mark.asyncio
async def test_record_mode_none_misses_name_the_closest_recording(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "c.json"
    await _record(path, resolver, upstream_client_ssl, f"{live.base}/json/a?page=1")
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        with (
            caplog.at_level(logging.WARNING, logger="aiointercept"),
            pytest.raises(aiohttp.ClientConnectionError),
        ):
            await _get(f"{live.base}/json/a?page=2")
        assert await _get(f"{live.base}/json/a?page=1") == (
            200,
            b'{"name": "a", "query": {"page": "1"}}',
        )
    # the miss is reported once (aiohttp's automatic resend is absorbed)
    assert len(m.misses) == 1
    miss = m.misses[0]
    assert isinstance(miss.error, HttpInteractionNotFoundError)
    assert miss.closest_recording is not None
    assert miss.closest_recording.url == f"{live.base}/json/a?page=1"
    assert "page=2 vs recorded page=1" in miss.message
    assert "No recording in cassette" in miss.message
    assert "record_mode='none'" in miss.message
    assert miss.message in caplog.text
    assert m.cassette_session is not None
    assert m.cassette_session.all_played


@pytest.mark.asyncio
async def test_record_mode_none_without_a_cassette_records_nothing(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "missing.yaml"
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        with pytest.raises(aiohttp.ClientConnectionError):
            await _get(f"{live.base}/json/a")
    assert live.hits == []
    assert "holds no recordings" in m.misses[0].message
    assert not path.exists()


@pytest.mark.asyncio
async def test_record_mode_once_records_a_new_cassette_then_only_replays(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.yaml"
    m = recorder(path, resolver, upstream_client_ssl)  # record_mode="once"
    async with m:
        assert await _get(f"{live.base}/count") == (200, b"1")
    async with m:  # the same mock, entered again: the cassette exists now
        assert await _get(f"{live.base}/count") == (200, b"1")
        with pytest.raises(aiohttp.ClientConnectionError):
            await _get(f"{live.base}/json/new")
    assert live.hits == [("GET", "/count")]
    assert "record_mode='new_episodes'" in m.misses[0].message


@pytest.mark.asyncio
async def test_record_mode_new_episodes_replays_known_and_records_new(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"
    await _record(path, resolver, upstream_client_ssl, f"{live.base}/count")
    async with recorder(
        path, resolver, upstream_client_ssl, record_mode="new_episodes"
    ) as m:
        assert await _get(f"{live.base}/count") == (200, b"1")  # replayed
        assert (await _get(f"{live.base}/json/b"))[0] == 200  # recorded
    assert live.hits == [("GET", "/count"), ("GET", "/json/b")]
    assert m.cassette_session is not None
    assert m.cassette_session.play_counts == (1, 1)
    targets = [i["request"]["target"] for i in load_document(path)["interactions"]]
    assert targets == [f"{live.base}/count", f"{live.base}/json/b"]


@pytest.mark.asyncio
async def test_record_mode_all_records_everything_again(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"
    await _record(path, resolver, upstream_client_ssl, f"{live.base}/count")
    async with recorder(path, resolver, upstream_client_ssl, record_mode="all"):
        assert await _get(f"{live.base}/count") == (200, b"2")
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none"):
        assert await _get(f"{live.base}/count") == (200, b"2")
    assert len(load_document(path)["interactions"]) == 1


@pytest.mark.asyncio
async def test_identical_requests_replay_in_order(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"
    url = f"{live.base}/count"
    await _record(path, resolver, upstream_client_ssl, url, url, url)
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        assert [await _get(url) for _ in range(3)] == [
            (200, b"1"),
            (200, b"2"),
            (200, b"3"),
        ]
        with pytest.raises(aiohttp.ClientConnectionError):
            await _get(url)
    assert "already played" in m.misses[0].message
    async with recorder(
        path,
        resolver,
        upstream_client_ssl,
        record_mode="none",
        allow_playback_repeats=True,
    ):
        assert [await _get(url) for _ in range(4)] == [
            (200, b"1"),
            (200, b"2"),
            (200, b"3"),
            (200, b"3"),
        ]


@pytest.mark.asyncio
async def test_registered_responses_win_over_the_cassette(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"
    async with recorder(path, resolver, upstream_client_ssl) as m:
        m.get(f"{live.base}/json/mocked", payload={"mocked": True})
        assert await _get(f"{live.base}/json/mocked") == (200, b'{"mocked": true}')
        assert (await _get(f"{live.base}/json/real"))[0] == 200
        m.assert_called_with(f"{live.base}/json/real")
    assert live.hits == [("GET", "/json/real")]
    targets = [i["request"]["target"] for i in load_document(path)["interactions"]]
    assert targets == [f"{live.base}/json/real"]
    assert m.call_count == 2


@pytest.mark.asyncio
async def test_credentials_are_redacted_and_still_match(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.yaml"
    auth = {"Authorization": "Bearer s3cret-token"}
    match_on = ("method", "url", "header:authorization")
    async with (
        recorder(path, resolver, upstream_client_ssl, match_on=match_on),
        aiohttp.ClientSession() as session,
    ):
        resp = await session.get(f"{live.tls_base}/secret", headers=auth)
        assert await resp.json() == {"account": 42}
        assert resp.cookies["session"].value == "abc123"  # live: unredacted
    text = path.read_text()
    assert "s3cret-token" not in text
    assert "abc123" not in text
    assert "Bearer REDACTED" in text
    await live.stop()
    async with (
        recorder(
            path, resolver, upstream_client_ssl, record_mode="none", match_on=match_on
        ) as m,
        aiohttp.ClientSession() as session,
    ):
        resp = await session.get(f"{live.tls_base}/secret", headers=auth)
        assert await resp.json() == {"account": 42}
        assert resp.cookies["session"].value == "REDACTED"
    assert not m.misses


@pytest.mark.asyncio
async def test_compressed_binary_head_and_empty_responses(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"

    async def scenario() -> list[object]:
        async with aiohttp.ClientSession() as session:
            gz = await session.get(f"{live.base}/gzip")
            head = await session.head(f"{live.base}/binary")
            empty = await session.get(f"{live.base}/empty")
            binary = await session.get(f"{live.tls_base}/binary")
            return [
                gz.headers["Content-Encoding"],
                await gz.read(),
                head.status,
                head.headers["Content-Length"],
                await head.read(),
                empty.status,
                await empty.read(),
                await binary.read(),
            ]

    async with recorder(path, resolver, upstream_client_ssl):
        recorded = await scenario()
    assert recorded[1] == COMPRESSED_TEXT
    assert recorded[3] == str(len(BINARY))
    assert recorded[-1] == BINARY
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none"):
        assert await scenario() == recorded
    # the raw bytes are kept: gzip as received, binary data base64-encoded
    chunks = [i["response_chunks"][0] for i in load_document(path)["interactions"]]
    assert gzip.decompress(base64.b64decode(chunks[0]["data"]["base64"])) == (
        COMPRESSED_TEXT
    )
    assert base64.b64decode(chunks[-1]["data"]["base64"]) == BINARY


@pytest.mark.asyncio
async def test_decode_compressed_response_stores_readable_text(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"
    async with recorder(
        path, resolver, upstream_client_ssl, decode_compressed_response=True
    ):
        assert await _get(f"{live.base}/gzip") == (200, COMPRESSED_TEXT)
    await live.stop()
    stored = load_document(path)["interactions"][0]["response_chunks"][0]
    assert stored["data"] == COMPRESSED_TEXT.decode()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none"):
        assert await _get(f"{live.base}/gzip") == (200, COMPRESSED_TEXT)


@pytest.mark.asyncio
async def test_many_concurrent_requests_are_all_recorded(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.yaml"
    urls = [
        f"{base}/json/n{i}" for i in range(60) for base in (live.base, live.tls_base)
    ]

    async def fetch_all() -> list[tuple[int, bytes]]:
        async with aiohttp.ClientSession() as session:

            async def fetch(url: str) -> tuple[int, bytes]:
                async with session.get(url) as resp:
                    return resp.status, await resp.read()

            return await asyncio.gather(*(fetch(url) for url in urls))

    async with recorder(path, resolver, upstream_client_ssl):
        recorded = await fetch_all()
    assert len(live.hits) == len(urls)
    assert len(load_document(path)["interactions"]) == len(urls)
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl, record_mode="none") as m:
        assert await fetch_all() == recorded
    assert m.cassette_session is not None
    assert m.cassette_session.all_played


@pytest.mark.asyncio
async def test_upstream_down_while_recording(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "c.json"
    await live.stop()
    async with recorder(path, resolver, upstream_client_ssl):
        with (
            caplog.at_level(logging.WARNING, logger="aiointercept"),
            pytest.raises(aiohttp.ClientConnectionError),
        ):
            await _get(f"{live.base}/json/a")
    assert "recording GET" in caplog.text
    assert not path.exists()


@pytest.mark.asyncio
async def test_a_cassette_miss_can_fall_through_to_passthrough_unmatched(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.json"
    await _record(path, resolver, upstream_client_ssl, f"{live.base}/count")
    async with recorder(
        path,
        resolver,
        upstream_client_ssl,
        record_mode="none",
        passthrough_unmatched=True,
    ) as m:
        assert await _get(f"{live.base}/count") == (200, b"1")  # replayed
        assert await _get(f"{live.base}/count") == (200, b"2")  # forwarded
    assert not m.misses
    assert len(load_document(path)["interactions"]) == 1


def test_cassette_arguments_are_checked_at_the_constructor() -> None:
    with pytest.raises(ValueError, match="mock_external_urls=True"):
        aiointercept(cassette="c.json")
    with pytest.raises(ConfigurationError, match="record_mode"):
        aiointercept(
            mock_external_urls=True,
            cassette="c.json",
            record_mode="sometimes",  # type: ignore[arg-type]
        )
    with pytest.raises(ConfigurationError, match="match_on"):
        aiointercept(mock_external_urls=True, cassette="c.json", match_on=["colour"])


def test_a_mock_without_a_cassette_does_not_import_the_http_layer() -> None:
    code = (
        "import asyncio, sys\n"
        "from aiointercept import aiointercept\n"
        "async def main():\n"
        "    for external in (False, True):\n"
        "        async with aiointercept(mock_external_urls=external):\n"
        "            pass\n"
        "asyncio.run(main())\n"
        "assert 'interposition.http' not in sys.modules, 'imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.asyncio
async def test_documented_example_routes_and_a_cassette(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    # docs/aiointercept.md, "Record and replay", with the test upstream
    for _ in range(2):  # records, then replays
        async with aiointercept(
            mock_external_urls=True,
            cassette=tmp_path / "charges.yaml",
            record_mode="once",
            upstream_ssl=upstream_client_ssl,
            upstream_resolver=resolver,
        ) as m:
            m.get(f"{live.tls_base}/json/refunds", payload={"data": []})
            async with aiohttp.ClientSession() as session:
                resp = await session.get(f"{live.tls_base}/json/charges")
                charges = await resp.json()
                resp = await session.get(f"{live.tls_base}/json/refunds")
                assert await resp.json() == {"data": []}
        assert m.cassette_session is not None
        assert m.cassette_session.all_played
        assert not m.misses, m.misses[0].message
        assert charges == {"name": "charges", "query": {}}
        await live.stop()
    assert live.hits == [("GET", "/json/charges")]


@pytest.mark.asyncio
async def test_an_unreadable_cassette_fails_on_entry(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    m = aiointercept(mock_external_urls=True, cassette=path, record_mode="none")
    with pytest.raises(InterpositionError, match=r"broken\.json"):
        await m.__aenter__()
    assert not m.started
    assert path.read_text(encoding="utf-8") == "{not json"


@pytest.mark.asyncio
async def test_filters_hooks_and_body_matching_are_those_of_use_cassette(
    tmp_path: Path,
    live: LiveUpstream,
    resolver: MapResolver,
    upstream_client_ssl: ssl.SSLContext,
) -> None:
    path = tmp_path / "c.yaml"
    options: dict[str, object] = {
        "match_on": ("method", "url", "body"),
        "filter_headers": [("X-Upstream", None)],
        "before_record_response": lambda r: None if r.status == 204 else r,
    }

    async def scenario() -> list[tuple[int, bytes]]:
        async with aiohttp.ClientSession() as session:
            results = []
            for body in (b"one", b"two"):
                async with session.post(f"{live.base}/echo", data=body) as resp:
                    results.append((resp.status, await resp.read()))
            return results

    async with recorder(path, resolver, upstream_client_ssl, **options):
        recorded = await scenario()
        assert (await _get(f"{live.base}/empty"))[0] == 204  # not recorded
    text = path.read_text()
    assert "X-Upstream" not in text
    assert "/empty" not in text
    await live.stop()
    async with (
        recorder(path, resolver, upstream_client_ssl, record_mode="none", **options),
        aiohttp.ClientSession() as session,
    ):
        # matched by body: the order of the requests does not matter
        async with session.post(f"{live.base}/echo", data=b"two") as resp:
            assert (resp.status, await resp.read()) == recorded[1]
        async with session.post(f"{live.base}/echo", data=b"one") as resp:
            assert (resp.status, await resp.read()) == recorded[0]


def test_cassette_options_become_one_options_object(tmp_path: Path) -> None:
    from interposition.http import CassetteOptions

    mock = aiointercept(
        mock_external_urls=True,
        cassette=tmp_path / "c.json",
        record_mode="none",
        filter_headers=["x-secret"],
    )
    assert mock._cassette is not None
    options = mock._cassette._options
    assert isinstance(options, CassetteOptions)
    assert (options.record_mode, options.filter_headers) == ("none", ("x-secret",))


def test_unknown_constructor_keywords_warn_and_are_ignored(tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match="did you mean 'record_mode'"):
        mock = aiointercept(
            mock_external_urls=True,
            cassette=tmp_path / "c.json",
            recod_mode="none",  # type: ignore[call-arg]
        )
    assert mock._cassette is not None
    assert mock._cassette._options.record_mode == "once"


def test_cassette_options_without_a_cassette_are_an_error() -> None:
    with pytest.raises(ConfigurationError, match="record_mode configure a cassette"):
        aiointercept(mock_external_urls=True, record_mode="none")
    with pytest.raises(ConfigurationError, match="adapters= is a use_cassette"):
        aiointercept(mock_external_urls=True, cassette="c.json", adapters=["httpx"])
