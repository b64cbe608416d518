"""The aiointercept pytest fixtures (``aiointercept_server``, ``aiointercept_mock``).

Loaded by the ``pytest11`` entry point as ``interposition._aiointercept_fixtures``
(so that loading it costs no aiohttp import); importable here under the
published package's name.
"""

from interposition._aiointercept_fixtures import *  # noqa: F403
from interposition._aiointercept_fixtures import __all__  # noqa: F401 - re-exported
