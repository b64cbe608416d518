"""aiointercept: mock aiohttp requests through a real local aiohttp server.

``from aiointercept import aiointercept, CallbackResult`` and go; see
``docs/aiointercept.md``.
"""

import logging

try:
    import aiohttp as _aiohttp  # noqa: F401 - checked first, for a clear message
except ImportError as error:  # pragma: no cover - tested in a bare venv by hand
    msg = (
        "aiointercept needs aiohttp: install it with "
        "pip install 'interposition[aiohttp]'"
    )
    raise ImportError(msg, name=error.name) from error

from ._core import Miss, aiointercept
from ._requests import AiointerceptRequest
from ._responses import CallbackResult
from ._routes import MockResponse

__all__ = [
    "AiointerceptRequest",
    "CallbackResult",
    "Miss",
    "MockResponse",
    "aiointercept",
]

logging.getLogger("aiointercept").addHandler(logging.NullHandler())
