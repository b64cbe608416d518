"""The code in docs/pytest-plugin.md and docs/migrating-from-vcrpy.md runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import requests  # noqa: F401 - imported before pytester's in-process runs

from interposition.pytest_plugin import VcrStandIn
from interposition.stores import store_for_path
from tests.pytest_plugin.conftest import Server

pytest_plugins = ["pytester"]

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLE = Path(__file__).parent / "example_project" / "tests" / "cassettes"
RUN = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-W", "error")


def _blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), re.DOTALL)


def _files(name: str) -> dict[str, str]:
    found = re.findall(
        r"<!-- file: (\S+) -->\n```python\n(.*?)```",
        (DOCS / name).read_text(),
        re.DOTALL,
    )
    return dict(found)


def test_first_test_records_then_replays(
    project: pytest.Pytester, server: Server
) -> None:
    files = _files("pytest-plugin.md")
    assert set(files) == {"conftest.py", "test_users.py"}
    conftest = project.path / "conftest.py"
    conftest.write_text(conftest.read_text() + "\n" + files["conftest.py"])
    project.makepyfile(test_users=files["test_users.py"])
    result = project.runpytest(*RUN, "--record-mode=once")
    result.assert_outcomes(passed=1)
    assert (project.path / "cassettes" / "test_users" / "test_user.yaml").exists()
    hits = len(server.hits)
    result = project.runpytest(*RUN, "--block-network")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["interposition: 1 cassette used, 0 recorded, *"])
    assert len(server.hits) == hits


def test_blocking_context_and_hook_blocks() -> None:
    blocks = _blocks("pytest-plugin.md")
    (blocking,) = [b for b in blocks if "blocking_context" in b]
    exec(compile(blocking, "pytest-plugin.md", "exec"), {})
    (hook,) = [b for b in blocks if "pytest_recording_configure" in b]
    namespace: dict[str, object] = {}
    exec(compile(hook, "pytest-plugin.md", "exec"), namespace)
    stand_in = VcrStandIn(cassette_library_dir="cassettes", record_mode="")
    namespace["pytest_recording_configure"](None, stand_in)  # type: ignore[operator]
    assert set(stand_in.matchers) == {"tenant"}


def test_migration_guide_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = _blocks("migrating-from-vcrpy.md")
    (use,) = [b for b in blocks if "use_cassette" in b]
    (convert,) = [b for b in blocks if "store_for_path" in b]
    cassettes = tmp_path / "tests" / "cassettes"
    (cassettes / "test_api").mkdir(parents=True)
    shutil.copy(
        EXAMPLE / "test_api" / "TestUsers.test_get[1].yaml", cassettes / "users.yaml"
    )
    exec(compile(use, "migrating-from-vcrpy.md", "exec"), {})
    shutil.copy(
        EXAMPLE / "test_api" / "test_binary.yaml",
        cassettes / "test_api" / "test_users.yaml",
    )
    exec(compile(convert, "migrating-from-vcrpy.md", "exec"), {})
    converted = cassettes / "test_api" / "test_users.json"
    assert '"version"' in converted.read_text()
    (interaction,) = store_for_path(converted).load().interactions
    assert b"".join(c.data for c in interaction.response_chunks) == bytes(range(256))
