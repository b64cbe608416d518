"""aiointercept: mock aiohttp requests through a real local aiohttp server.

``from aiointercept import aiointercept, CallbackResult`` and go; see
``docs/aiointercept.md``.
"""

import logging

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
