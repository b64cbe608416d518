"""vcrpy cassettes, read and recorded into in place (issue 8, section 1).

The fixtures under ``data/vcrpy`` were written by the real vcrpy 8.5 and
9.4 with requests, urllib3, http.client, httpx and aiohttp (see
``data/vcrpy/README.md``); what we write is loaded and replayed by the real
vcrpy (a test dependency).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import shutil
from pathlib import Path

import aiohttp
import httpx
import pytest
import requests
import urllib3
import vcr
import yaml

from interposition.errors import (
    CassetteLoadError,
    CassetteSaveError,
    ConfigurationError,
)
from interposition.http import CassetteOptions, use_cassette
from interposition.stores import (
    JsonFileCassetteStore,
    VcrpyJsonCassetteStore,
    VcrpyYamlCassetteStore,
    YamlFileCassetteStore,
    store_for_path,
)
from tests.http.conftest import BINARY, LiveServer

DATA = Path(__file__).parent / "data" / "vcrpy"


def _copy(name: str, tmp_path: Path) -> tuple[Path, str]:
    """A copy of a fixture, and the base URL its recordings were made at."""
    target = tmp_path / name
    shutil.copy(DATA / name, target)
    port = re.search(rb"127\.0\.0\.1:(\d+)", target.read_bytes())
    assert port is not None
    return target, f"http://127.0.0.1:{port.group(1).decode()}"


# -- replaying what vcrpy wrote ------------------------------------------------


@pytest.mark.parametrize("name", ["v8-requests.yaml", "v9-requests.json"])
def test_requests_cassette_replays_as_vcrpy_gives_it(name: str, tmp_path: Path) -> None:
    path, base = _copy(name, tmp_path)
    before = path.read_bytes()
    with use_cassette(path, record_mode="none") as session:
        text = requests.get(base + "/text?b=2&a=1", timeout=5)
        # vcrpy stored this body decoded while keeping Content-Encoding:
        # gzip, and gives requests the stored bytes.
        gzipped = requests.get(base + "/gzip", timeout=5)
        posted = requests.post(base + "/json", json={"k": "v", "n": 1}, timeout=5)
        missing = requests.get(base + "/status", timeout=5)
    assert text.text == "Grüße GET /text?b=2&a=1"
    assert text.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert gzipped.content == b"hello gzip world " * 3
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert posted.json() == {"ok": True, "echo": '{"k": "v", "n": 1}'}
    assert (missing.status_code, missing.reason, missing.content) == (
        404,
        "Nope",
        b"no",
    )
    assert missing.headers["X-Multi"] == "a, b"
    assert session.play_counts[:3] == (1, 1, 1)
    assert path.read_bytes() == before  # a replay leaves the file untouched


def test_binary_bodies_from_vcrpy_yaml(tmp_path: Path) -> None:
    path, base = _copy("v8-requests.yaml", tmp_path)
    with use_cassette(path, record_mode="none"):
        got = requests.get(base + "/binary", timeout=5)
        posted = requests.post(base + "/json", data=BINARY[:256], timeout=5)
    assert got.content == bytes(range(256))
    assert posted.status_code == 200


def test_urllib3_cassette(tmp_path: Path) -> None:
    path, base = _copy("v9-urllib3.yaml", tmp_path)
    with use_cassette(path, record_mode="none"):
        pool = urllib3.PoolManager()
        text = pool.request("GET", base + "/text")
        gzipped = pool.request("GET", base + "/gzip")
    assert text.data == "Grüße GET /text".encode()
    assert gzipped.data == b"hello gzip world " * 3


def test_http_client_cassette(tmp_path: Path) -> None:
    path, base = _copy("v8-httpclient.yaml", tmp_path)
    port = int(base.rsplit(":", 1)[1])
    with use_cassette(path, record_mode="none"):
        connection = http.client.HTTPConnection("127.0.0.1", port)
        connection.request("GET", "/gzip")
        raw = connection.getresponse().read()
        connection.close()
    # vcrpy stored http.client's body as it came (gzip), and gives it back so.
    import gzip

    assert gzip.decompress(raw) == b"hello gzip world " * 3


def test_httpx_cassette(tmp_path: Path) -> None:
    path, base = _copy("v9-httpx.yaml", tmp_path)
    with use_cassette(path, record_mode="none"), httpx.Client() as client:
        gzipped = client.get(base + "/gzip")
        binary = client.get(base + "/binary")
        posted = client.post(base + "/json", json={"x": 1})
    assert gzipped.content == b"hello gzip world " * 3
    assert binary.content == bytes(range(256))
    assert posted.json()["ok"] is True


@pytest.mark.parametrize("name", ["v9-aiohttp.yaml", "v8-aiohttp.json"])
def test_aiohttp_cassette(name: str, tmp_path: Path) -> None:
    path, base = _copy(name, tmp_path)

    async def main() -> tuple[bytes, bytes, object]:
        async with aiohttp.ClientSession() as client:
            async with client.get(base + "/text") as text:
                first = await text.read()
            async with client.get(base + "/gzip") as gzipped:
                second = await gzipped.read()
            # vcrpy's aiohttp stub kept the json= argument as data.
            async with client.post(base + "/json", json={"y": 2}) as posted:
                third = await posted.json()
        return first, second, third

    with use_cassette(path, record_mode="none", match_on=["method", "uri", "body"]):
        first, second, third = asyncio.run(main())
    assert first == "Grüße GET /text".encode()
    assert second == b"hello gzip world " * 3
    assert third == {"ok": True, "echo": '{"y": 2}'}


def test_detection_picks_the_vcrpy_stores(tmp_path: Path) -> None:
    for name in sorted(p.name for p in DATA.iterdir() if p.suffix != ".md"):
        path, _ = _copy(name, tmp_path)
        store = store_for_path(path)
        kind = (
            VcrpyJsonCassetteStore if name.endswith(".json") else VcrpyYamlCassetteStore
        )
        assert type(store) is kind, name
        assert store.load().interactions
    assert type(store_for_path(tmp_path / "new.yaml")) is YamlFileCassetteStore
    assert type(store_for_path(tmp_path / "new.json")) is JsonFileCassetteStore
    new = store_for_path(tmp_path / "new.yaml", cassette_format="vcrpy")
    assert type(new) is VcrpyYamlCassetteStore


# -- recording in vcrpy's format ---------------------------------------------


def _replay_with_vcrpy(path: Path, url: str, serializer: str) -> requests.Response:
    my_vcr = vcr.VCR(record_mode="none", serializer=serializer)
    with my_vcr.use_cassette(str(path)):
        return requests.get(url, timeout=5)


def test_new_episodes_keep_vcrpy_format_and_vcrpy_replays_them(
    tmp_path: Path, server: LiveServer
) -> None:
    path, _ = _copy("v9-requests.json", tmp_path)
    before = path.read_bytes()
    with use_cassette(path, record_mode="new_episodes"):
        assert (
            requests.get(server.url + "/text?name=new", timeout=5).text == "hello new"
        )
        requests.get(server.url + "/gzip", timeout=5)
    after = path.read_bytes()
    assert type(store_for_path(path)) is VcrpyJsonCassetteStore
    assert after.startswith(before[: before.rindex(b"\n    ]")])  # untouched
    document = json.loads(after)
    assert document["version"] == 1
    assert len(document["interactions"]) == 7
    # The gzip body is stored decoded, without the header, so that vcrpy
    # replays it right to every client.
    assert document["interactions"][-1]["response"]["body"]["string"] == (
        "compressed " * 50
    )
    server.stop()
    replayed = _replay_with_vcrpy(path, server.url + "/text?name=new", "json")
    assert replayed.text == "hello new"
    gz = _replay_with_vcrpy(path, server.url + "/gzip", "json")
    assert gz.text == "compressed " * 50


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_cassette_format_vcrpy_writes_what_vcrpy_reads(
    suffix: str, tmp_path: Path, server: LiveServer
) -> None:
    path = tmp_path / f"new{suffix}"
    with use_cassette(path, cassette_format="vcrpy"):
        requests.get(server.url + "/unicode", timeout=5)
        requests.post(server.url + "/echo", data=b"payload", timeout=5)
        requests.get(server.url + "/multi", timeout=5)
    assert type(store_for_path(path)) is (
        VcrpyJsonCassetteStore if suffix == ".json" else VcrpyYamlCassetteStore
    )
    server.stop()
    serializer = suffix[1:]
    got = _replay_with_vcrpy(path, server.url + "/unicode", serializer)
    assert got.text == "Grüße, 世界! ½ — ünïcødé"
    multi = _replay_with_vcrpy(path, server.url + "/multi", serializer)
    assert multi.headers["X-Multi"] == "one, two"
    # ... and we replay it too.
    with use_cassette(path, record_mode="none"):
        assert requests.get(server.url + "/multi", timeout=5).text == "multi"


def test_binary_body_in_vcrpy_yaml_and_json(tmp_path: Path, server: LiveServer) -> None:
    yaml_path = tmp_path / "binary.yaml"
    with use_cassette(yaml_path, cassette_format="vcrpy"):
        requests.get(server.url + "/binary", timeout=5)
    assert b"!!binary" in yaml_path.read_bytes()
    json_path = tmp_path / "binary.json"
    with (
        pytest.raises(CassetteSaveError, match="cassette_format='interposition'"),
        use_cassette(json_path, cassette_format="vcrpy"),
    ):
        requests.get(server.url + "/binary", timeout=5)
    server.stop()
    assert _replay_with_vcrpy(yaml_path, server.url + "/binary", "yaml").content == (
        BINARY
    )


def test_record_mode_all_keeps_vcrpy_format_and_metadata(
    tmp_path: Path, server: LiveServer
) -> None:
    path = tmp_path / "meta.yaml"
    text = (DATA / "v9-urllib3.yaml").read_text()
    path.write_text(text.replace("version: 1\n", "metadata:\n  seed: 42\nversion: 1\n"))
    with use_cassette(path, record_mode="all"):
        requests.get(server.url + "/text", timeout=5)
        requests.get(server.url + "/text?name=two", timeout=5)
    document = yaml.safe_load(path.read_text())
    assert document["metadata"] == {"seed": 42}
    assert [i["request"]["uri"] for i in document["interactions"]] == [
        server.url + "/text",
        server.url + "/text?name=two",
    ]


# -- bad input -------------------------------------------------------------------


def test_pre_1_0_cassette_names_the_migration(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(
        "- request: {method: GET, uri: 'http://x/', body: null, headers: {}}\n"
        "  response: {status: {code: 200, message: OK}, headers: {},\n"
        "             body: {string: ''}}\n"
    )
    with pytest.raises(
        CassetteLoadError, match=r"before 1\.0.*python -m vcr\.migration"
    ):
        use_cassette(old, record_mode="none").__enter__()
    old_json = tmp_path / "old.json"
    old_json.write_text('[{"request": {"uri": "http://x/"}, "response": {}}]')
    with pytest.raises(CassetteLoadError, match=r"vcr\.migration"):
        store_for_path(old_json).load()


def test_corrupt_vcrpy_cassette_names_interaction_and_field(tmp_path: Path) -> None:
    path, _ = _copy("v9-urllib3.yaml", tmp_path)
    text = path.read_text()
    second = text.index("- request:", text.index("- request:") + 1)
    broken = text[:second] + text[second:].replace("code: 200", "code: many", 1)
    path.write_text(broken)
    with pytest.raises(CassetteLoadError) as caught:
        store_for_path(path).load()
    message = str(caught.value)
    assert str(path) in message
    assert "interaction 2 of 3" in message
    assert "response.status.code" in message


def test_python_tags_are_read_without_executing_anything(tmp_path: Path) -> None:
    path = tmp_path / "tags.yaml"
    path.write_text(
        "interactions:\n"
        "- request:\n"
        "    body: !!python/object/new:_io.BytesIO\n"
        "      state: !!python/tuple [!!binary 'aGVsbG8=', 0, null]\n"
        "    headers: {Accept: !!python/tuple ['*/*']}\n"
        "    method: POST\n"
        "    uri: !!python/unicode http://example.test/a\n"
        "  response:\n"
        "    body: {string: !!python/str ok}\n"
        "    headers: {}\n"
        "    status: {code: 200, message: OK}\n"
        "- request:\n"
        "    body: !!python/object/apply:builtins.iter\n"
        "      args: [[!!binary 'YWI=', !!binary 'Y2Q=']]\n"
        "    headers: {}\n"
        "    method: PUT\n"
        "    uri: http://example.test/b\n"
        "  response:\n"
        "    body: {string: done}\n"
        "    headers: {}\n"
        "    status: {code: 201, message: Created}\n"
        "version: 1\n"
    )
    first, second = store_for_path(path).load().interactions
    assert first.request.body == b"hello"
    assert first.request.headers == (("Accept", "*/*"),)
    assert first.request.target == "http://example.test/a"
    assert first.response_chunks[0].data == b"ok"
    assert second.request.body == b"abcd"
    marker = tmp_path / "executed"
    evil = tmp_path / "evil.yaml"
    evil.write_text(
        "interactions:\n- request:\n    body: !!python/object/apply:os.system\n"
        f"      args: ['touch {marker}']\n    uri: http://x/\n"
        "  response: {}\nversion: 1\n"
    )
    with pytest.raises(CassetteLoadError, match=r"python/object/apply:os\.system"):
        store_for_path(evil).load()
    assert not marker.exists()


def test_old_httpx_shape(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "old-httpx.yaml"
    body = gzip.compress(b"old httpx body")
    document = {
        "interactions": [
            {
                "request": {
                    "body": "",
                    "headers": {"host": ["example.test"]},
                    "method": "GET",
                    "uri": "https://example.test/old",
                },
                "response": {
                    "content": body,
                    "headers": {
                        "content-encoding": ["gzip"],
                        "content-length": [str(len(body))],
                    },
                    "http_version": "HTTP/1.1",
                    "status_code": 200,
                },
            }
        ],
        "version": 1,
    }
    path.write_text(yaml.dump(document))
    with use_cassette(path, record_mode="none"), httpx.Client() as client:
        got = client.get("https://example.test/old")
    assert got.content == b"old httpx body"
    assert "content-encoding" not in got.headers
    assert got.headers["content-length"] == str(len(b"old httpx body"))


def test_cassette_format_is_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cassette_format must be"):
        CassetteOptions(cassette_format="vcr")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match=r"needs a \.yaml, \.yml or \.json"):
        use_cassette(tmp_path / "dir", cassette_format="vcrpy").__enter__()


def test_docs_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = Path(__file__).resolve().parents[2] / "docs" / "vcrpy-format.md"
    (block,) = re.findall(r"```python\n(.*?)```", doc.read_text(), flags=re.DOTALL)
    monkeypatch.chdir(tmp_path)
    Path("cassettes").mkdir()
    shutil.copy(DATA / "v8-requests.yaml", "cassettes/test_text.yaml")
    namespace: dict[str, object] = {}
    exec(compile(block, str(doc), "exec"), namespace)
    assert namespace["response"].text == "Grüße GET /text?b=2&a=1"  # type: ignore[attr-defined]
    assert not Path("cassettes/test_new.yaml").exists()  # nothing was recorded


def test_the_store_restates_the_http_convention() -> None:
    from interposition.http import _mapping
    from interposition.stores import _vcrpy

    assert (_vcrpy._PROTOCOL, _vcrpy._STATUS, _vcrpy._REASON, _vcrpy._VERSION) == (
        _mapping.PROTOCOL,
        _mapping.STATUS_KEY,
        _mapping.REASON_KEY,
        _mapping.VERSION_KEY,
    )
