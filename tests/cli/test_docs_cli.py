"""Every ``interposition`` example in the README and the docs runs, as written.

They run in a directory holding ``tests/cassettes/``, a ``vcr_cassettes/``
tree and an ``app.py`` that calls a loopback server.
"""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import ROOT, VCRPY_DATA, sample_interactions, write_cassette
from tests.http.conftest import LiveServer

PAGES = (
    ROOT / "docs" / "cli.md",
    ROOT / "README.md",
    ROOT / "docs" / "getting-started.md",
)

APP = """\
import os, urllib.request
print(urllib.request.urlopen(os.environ["DOCS_UPSTREAM"] + "/text").read())
"""


def examples() -> list[list[str]]:
    blocks = [
        block
        for page in PAGES
        for block in re.findall(r"```sh\n(.*?)```", page.read_text(), flags=re.DOTALL)
    ]
    commands = []
    for block in blocks:
        for line in block.splitlines():
            if line.startswith("interposition "):
                commands.append(shlex.split(line.split("  #", 1)[0]))
    return commands


def test_the_examples_cover_every_subcommand() -> None:
    assert {command[1] for command in examples()} == {
        "inspect",
        "convert",
        "audit",
        "serve",
        "run",
    }


def test_every_example_runs(
    tmp_path: Path, server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCS_UPSTREAM", server.url)
    write_cassette(
        tmp_path / "tests" / "cassettes" / "users.yaml", sample_interactions()
    )
    (tmp_path / "vcr_cassettes").mkdir()
    (tmp_path / "vcr_cassettes" / "users.yaml").write_bytes(
        (VCRPY_DATA / "v8-requests.yaml").read_bytes()
    )
    (tmp_path / "app.py").write_text(APP)
    for command in examples():
        args = [sys.executable if part == "python" else part for part in command[1:]]
        if args[0] == "serve":
            args = [("0" if part == "8080" else part) for part in args]
            process = subprocess.Popen(
                [sys.executable, "-m", "interposition", *args],
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert process.stdout is not None
            assert process.stdout.readline().startswith(
                f"Serving {args[1]} on http://127.0.0.1:"
            )
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=15)
            assert process.returncode == 0, err
            continue
        result = subprocess.run(
            [sys.executable, "-m", "interposition", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert (tmp_path / "tests" / "cassettes" / "users.json").is_file()
    assert (tmp_path / "users-vcrpy.yaml").read_text().startswith("interactions:")
    assert (
        (tmp_path / "converted" / "users.yaml")
        .read_text()
        .startswith("# interposition cassette")
    )
    assert server.hits == 1  # app.py recorded once, then replayed
