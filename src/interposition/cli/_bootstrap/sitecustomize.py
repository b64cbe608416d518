"""Put on ``PYTHONPATH`` by ``interposition run``: a cassette from the first line.

Python imports ``sitecustomize`` at start-up, before the program's first
line. When ``INTERPOSITION_RUN`` is set, this one enters ``use_cassette``
with the options it names (``interposition.cli._run.activate``) and leaves
it at exit; then it lets any other ``sitecustomize`` further along the path
run too, and takes its own directory off ``sys.path``.
"""

from __future__ import annotations

import importlib
import os
import sys


def _chain(here: str) -> None:
    """Run the ``sitecustomize`` this one hides, if there is one."""
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    own = sys.modules.pop("sitecustomize", None)
    try:
        importlib.import_module("sitecustomize")
    except ImportError:
        pass
    finally:
        if own is not None:
            sys.modules["sitecustomize"] = own


def _start() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    _chain(here)
    spec = os.environ.get("INTERPOSITION_RUN")
    if not spec:
        return
    try:
        from interposition.cli._run import activate
    except ImportError as error:
        print(
            f"interposition run: {sys.executable} cannot import interposition "
            f"({error}): run the program with the Python interposition is "
            "installed in",
            file=sys.stderr,
        )
        os._exit(70)
    try:
        activate(spec)
    except Exception as error:
        message = " ".join(str(error).split())
        print(f"interposition run: error: {message}", file=sys.stderr)
        os._exit(2)


_start()
