"""The console script itself: help with examples, one-line errors, the extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from interposition import __version__
from interposition.cli import MISSING_EXTRA
from tests.cli.conftest import Cli, run_process

SUBCOMMANDS = ("inspect", "convert", "audit", "serve", "run")


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_with_an_example(cli: Cli, name: str) -> None:
    result = cli(name, "--help")
    assert result.status == 0
    assert "Example" in result.out
    assert f"interposition {name} " in result.out


def test_no_arguments_show_the_help(cli: Cli) -> None:
    result = cli()
    assert result.status == 0
    for name in SUBCOMMANDS:
        assert name in result.out


def test_version_and_module_entry_point() -> None:
    result = run_process("--version")
    assert result.returncode == 0
    assert result.stdout == f"interposition, version {__version__}\n"


def test_console_script_is_installed() -> None:
    script = subprocess.run(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; "
            "print([e.value for e in m.entry_points(group='console_scripts') "
            "if e.name == 'interposition'])",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert script.stdout.strip() == "['interposition.cli:main']"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nonsense",), "No such command 'nonsense'"),
        (("inspect",), "Missing argument 'CASSETTE'"),
        (("inspect", "x.json", "--nope"), "No such option"),
    ],
)
def test_usage_errors_are_one_line(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    result = cli(*args)
    assert result.status == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith("interposition: error: ")
    assert message in result.err
    assert "--help" in result.err


def test_importing_the_library_imports_no_cli_library() -> None:
    code = (
        "import sys, interposition, interposition.http, interposition.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('click', 'rich')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_the_extra_the_command_names_it() -> None:
    code = (
        "import sys; sys.modules['click'] = None; "
        "from interposition.cli import main; sys.exit(main(['--help']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert result.stderr == MISSING_EXTRA + "\n"
    assert "pip install 'interposition[cli]'" in MISSING_EXTRA
