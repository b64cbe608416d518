"""The public surface: exports, compat helpers, import costs."""

from __future__ import annotations

import subprocess
import sys

import aiohttp
import pytest
from packaging.version import Version
from yarl import URL

import aiointercept
from aiointercept import compat


def test_all_is_sorted_and_complete() -> None:
    assert aiointercept.__all__ == sorted(aiointercept.__all__)
    public = {name for name in vars(aiointercept) if not name.startswith("_")}
    public -= {"compat", "logging"}
    assert public == set(aiointercept.__all__)
    for name in compat.__all__:
        assert getattr(compat, name) is not None


def test_documented_import_path() -> None:
    from aiointercept import CallbackResult
    from aiointercept import aiointercept as mock_class

    assert mock_class.__name__ == "aiointercept"
    assert CallbackResult().status == 200


def test_normalize_url() -> None:
    assert compat.normalize_url("http://h/p?b=2&a=1&a=0#f") == URL(
        "http://h/p?a=0&a=1&b=2"
    )
    assert compat.normalize_url(URL("https://h:443/")) == URL("https://h/")
    assert compat.normalize_url("http://h.:8080/x") == URL("http://h:8080/x")
    assert compat.normalize_url("http://h/x?") == URL("http://h/x")


def test_merge_params() -> None:
    merged = compat.merge_params("http://h/p?a=1", {"b": "2", "a": "3"})
    assert merged == URL("http://h/p?a=1&b=2&a=3")
    assert compat.merge_params(URL("http://h/p"), None) == URL("http://h/p")


def test_reexports_and_version() -> None:
    assert compat.URL is URL
    assert isinstance(compat.AIOHTTP_VERSION, Version)
    assert Version(aiohttp.__version__) == compat.AIOHTTP_VERSION
    assert Version("3.10") <= compat.AIOHTTP_VERSION
    with pytest.raises(AttributeError):
        _ = compat.NOT_THERE


@pytest.mark.asyncio
async def test_stream_reader_factory() -> None:
    reader = compat.stream_reader_factory()
    assert isinstance(reader, aiohttp.StreamReader)
    reader.feed_data(b"abc")
    reader.feed_eof()
    assert await reader.read() == b"abc"


def _imported_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


def test_import_costs() -> None:
    assert "aiohttp" not in _imported_after("import interposition")
    modules = _imported_after("import aiointercept")
    # https interception builds certificates on first use only
    assert "cryptography" not in modules
    assert "aiointercept.compat" not in modules
