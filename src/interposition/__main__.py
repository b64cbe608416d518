"""``python -m interposition``: the ``interposition`` command (docs/cli.md)."""

from __future__ import annotations

import sys

from interposition.cli import main

if __name__ == "__main__":
    sys.exit(main())
