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
