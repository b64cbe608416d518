"""interposition run: a program recorded and replayed without changing it."""

from __future__ import annotations

import sys
from pathlib import Path

from interposition.cli._common import load_cassette
from tests.cli.conftest import run_process
from tests.http.conftest import LiveServer

PROGRAM = """\
import sys, urllib.request
import http.client  # imported before anything else could patch it

with urllib.request.urlopen(sys.argv[1] + "/text?name=run", timeout=5) as response:
    print(response.read().decode())
connection = http.client.HTTPConnection(sys.argv[1].split("//")[1], timeout=5)
connection.request("GET", "/binary")
print(len(connection.getresponse().read()))
sys.exit(int(sys.argv[2]))
"""


def test_records_then_replays_offline_with_the_exit_status(
    tmp_path: Path, server: LiveServer
) -> None:
    program = tmp_path / "app.py"
    program.write_text(PROGRAM)
    cassette = tmp_path / "c.yaml"
    command = ("run", "--cassette", cassette, "--", sys.executable, program, server.url)
    first = run_process(*command, "0")
    assert first.returncode == 0, first.stderr
    assert server.hits == 2
    assert len(load_cassette(cassette).interactions) == 2
    server.stop()
    again = run_process(*command, "3")
    assert again.returncode == 3, again.stderr
    assert again.stdout == first.stdout
    assert "Traceback" not in again.stderr


def test_a_miss_in_replay_fails_the_program_not_the_command(
    tmp_path: Path, server: LiveServer
) -> None:
    program = tmp_path / "app.py"
    program.write_text(PROGRAM)
    cassette = tmp_path / "c.json"
    cassette.write_text('{"version": 1, "interactions": []}\n')
    result = run_process(
        "run",
        "--cassette",
        cassette,
        "--record-mode",
        "none",
        "--",
        sys.executable,
        program,
        server.url,
        "0",
    )
    assert result.returncode == 1
    assert "HttpInteractionNotFoundError" in result.stderr  # the program's own error
    assert server.hits == 0


def test_options_reach_use_cassette(tmp_path: Path, server: LiveServer) -> None:
    program = tmp_path / "app.py"
    program.write_text(PROGRAM)
    cassette = tmp_path / "c.jsonl"
    result = run_process(
        "run",
        "--cassette",
        cassette,
        "--ignore-localhost",
        "--",
        sys.executable,
        program,
        server.url,
        "0",
    )
    assert result.returncode == 0, result.stderr
    assert not cassette.exists()  # localhost ignored: nothing recorded
    assert server.hits == 2


def test_a_corrupt_cassette_stops_the_program_before_its_first_line(
    tmp_path: Path,
) -> None:
    cassette = tmp_path / "c.json"
    cassette.write_text("{broken")
    result = run_process(
        "run", "--cassette", cassette, "--", sys.executable, "-c", "print('ran')"
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("interposition run: error: ")
    assert result.stderr.count("\n") == 1


def test_user_errors_are_one_line(tmp_path: Path) -> None:
    for args, message in (
        (("--", "no-such-program-xyz"), "cannot run 'no-such-program-xyz'"),
        (("--match-on", "nope", "--", sys.executable, "-c", "0"), "nope"),
        (
            ("--cassette", tmp_path / "c.txt", "--", sys.executable, "-c", "0"),
            "unknown cassette format",
        ),
        ((), "Missing argument 'COMMAND...'"),
    ):
        result = run_process("run", *args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.count("\n") == 1, result.stderr
        assert message in result.stderr
