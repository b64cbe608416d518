"""``interposition run``: a program run with a cassette active from its first line.

The program is run as a child process whose ``PYTHONPATH`` starts with a
directory holding a ``sitecustomize`` module (``_bootstrap/``); Python
imports it before the program's first line, and it enters ``use_cassette``
with the options passed in the ``INTERPOSITION_RUN`` environment variable
(JSON). Every Python process started under it (the program's children too)
records into, or replays from, the same cassette; recordings are appended
as they happen, so a program that crashes or is killed loses none. The
command exits with the program's exit status (128 + N for a signal N).
See ADR 0400.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, Final

from interposition.cli._common import CliError
from interposition.http._options import CassetteOptions
from interposition.stores import store_for_path

__all__ = ["BOOTSTRAP", "ENV", "activate", "run_program"]

#: The environment variable that carries the cassette and its options.
ENV: Final = "INTERPOSITION_RUN"
#: The directory put first on the program's PYTHONPATH.
BOOTSTRAP: Final = Path(__file__).resolve().parent / "_bootstrap"


def activate(spec: str) -> None:
    """Enter the cassette that ``spec`` (``INTERPOSITION_RUN``) names, until exit."""
    from interposition.http import use_cassette

    document = json.loads(spec)
    context = use_cassette(document["cassette"], **document["options"])
    context.__enter__()
    atexit.register(context.__exit__, None, None, None)


def run_program(command: Sequence[str], cassette: Path, options: dict[str, Any]) -> int:
    """Run ``command`` with the cassette active; return its exit status.

    Args:
        command: The program and its arguments (``python app.py``).
        cassette: The cassette file or directory.
        options: ``use_cassette`` options, JSON-serializable.

    Raises:
        CliError: The command cannot be started.
        ConfigurationError: An option or the cassette's name is invalid
            (checked before starting).
    """
    # An invalid option or cassette name fails here, before the program runs.
    checked = CassetteOptions.from_kwargs(**options)
    store_for_path(
        cassette, create_if_missing=True, cassette_format=checked.cassette_format
    )
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(BOOTSTRAP), env.get("PYTHONPATH", "")) if part
    )
    env[ENV] = json.dumps({"cassette": str(cassette.absolute()), "options": options})
    try:
        child = subprocess.Popen(list(command), env=env)  # noqa: S603
    except OSError as error:
        msg = f"cannot run {command[0]!r}: {error.strerror or error}"
        raise CliError(msg) from None

    def forward(signum: int, frame: FrameType | None) -> None:
        child.send_signal(signum)

    # Ctrl-C reaches the child from the terminal; SIGTERM is passed on.
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, forward)
    try:
        status = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
    return status if status >= 0 else 128 - status
