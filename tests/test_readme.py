"""The README's and docs' Python snippets run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from interposition import Cassette, InteractionRequest, ResponseChunk

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)


def test_readme_engine_snippet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (block,) = [b for b in python_blocks(ROOT / "README.md") if "Broker" in b]
    exec(compile(block, "README.md", "exec"), {})
    assert (tmp_path / "cassettes" / "users.json").is_file()


def test_engine_guide_hooks_snippet() -> None:
    (block,) = [
        b
        for b in python_blocks(ROOT / "docs" / "engine.md")
        if "import Broker, BrokerHooks" in b
    ]

    def live(request: InteractionRequest) -> list[ResponseChunk]:
        return [ResponseChunk(data=b"live", sequence=0)]

    namespace: dict[str, object] = {"cassette": Cassette(interactions=()), "live": live}
    exec(compile(block, "docs/engine.md", "exec"), namespace)
    broker = namespace["broker"]
    request = InteractionRequest(
        protocol="p", action="a", target="t", headers=(("token", "s3cret"),), body=b""
    )
    assert [c.data for c in broker.replay(request)] == [b"live"]  # type: ignore[attr-defined]
    (recorded,) = broker.cassette.interactions  # type: ignore[attr-defined]
    assert recorded.request.headers == (("token", "<redacted>"),)
    assert dict(recorded.metadata)["recorded_at"]
    # The redacted recording still matches the unredacted request.
    assert [c.data for c in broker.replay(request)] == [b"live"]  # type: ignore[attr-defined]
    assert broker.play_counts == (2,)  # type: ignore[attr-defined]


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_readme_http_snippet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    """Runs with a loopback server standing in for api.example.com."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Users(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"id": 1, "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Users)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.chdir(tmp_path)
    (block,) = [b for b in python_blocks(ROOT / page) if "use_cassette" in b]
    block = block.replace(
        "https://api.example.com", f"http://127.0.0.1:{server.server_address[1]}"
    )
    namespace: dict[str, object] = {}
    exec(compile(block, page, "exec"), namespace)
    server.shutdown()
    server.server_close()
    assert namespace["user"] == {"id": 1, "path": "/users/1"}
    replayed: dict[str, object] = {}
    exec(compile(block, page, "exec"), replayed)  # the server is gone
    assert replayed["user"] == namespace["user"]


def test_readme_aiohttp_snippet() -> None:
    import asyncio
    import textwrap

    (block,) = [b for b in python_blocks(ROOT / "README.md") if "aiointercept" in b]
    source = "async def main():\n" + textwrap.indent(block, "    ")
    namespace: dict[str, object] = {}
    exec(compile(source, "README.md", "exec"), namespace)
    asyncio.run(namespace["main"]())  # type: ignore[operator]
