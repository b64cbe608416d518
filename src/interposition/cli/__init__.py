"""The ``interposition`` command: inspect, convert, audit, serve and run.

``interposition`` (the console script) and ``python -m interposition`` both
call ``main()``. The command needs the ``cli`` extra (click and rich):
``pip install "interposition[cli]"``; without it ``main()`` says so in one
line. Importing ``interposition`` (or this package) imports neither click nor
rich. See ``docs/cli.md`` and ``docs/adr/0400-cli.md``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["CliError", "main"]

from interposition.cli._common import CliError

#: What the command tells a user who installed the library without the extra.
MISSING_EXTRA = (
    "interposition: the command needs the 'cli' extra (click and rich): "
    "pip install 'interposition[cli]'"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with ``argv`` (default: ``sys.argv[1:]``).

    Returns:
        The exit status: 0 on success, 1 when ``audit`` found credentials,
        2 for an error (printed as one line on stderr), the program's own
        status for ``run``.
    """
    try:
        from interposition.cli._app import run_command
    except ImportError as error:
        if error.name in ("click", "rich") or (error.name or "").startswith(
            ("click.", "rich.")
        ):
            print(MISSING_EXTRA, file=sys.stderr)
            return 2
        raise
    return run_command(list(sys.argv[1:] if argv is None else argv))
