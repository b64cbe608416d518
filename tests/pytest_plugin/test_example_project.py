"""A project written for pytest-recording passes unchanged under our plugin."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx  # noqa: F401 - imported before pytester's in-process runs
import pytest
import requests  # noqa: F401

pytest_plugins = ["pytester"]

EXAMPLE = Path(__file__).parent / "example_project"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*.yaml"))
    }


def test_example_project_passes_unchanged(pytester: pytest.Pytester) -> None:
    project = pytester.path / "project"
    shutil.copytree(EXAMPLE, project)
    before = _snapshot(project)
    assert len(before) == 10
    # The project's own pytest.ini (--block-network, -W error) is used as is;
    # pytest-asyncio is left out because the project does not use it (and
    # its ini key would be unknown to the project).
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",
        "-p",
        "no:asyncio",
        "-c",
        str(project / "pytest.ini"),
        "--rootdir",
        str(project),
        str(project),
    )
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["interposition: 11 cassettes used, 0 recorded, *"])
    assert _snapshot(project) == before
