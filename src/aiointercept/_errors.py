"""Argument errors, as the engine's ConfigurationError, imported when raised.

``ConfigurationError`` is an ``InterpositionError`` and a ``ValueError``; it
is imported only on the error path, so that ``import aiointercept`` does not
load the engine (and pydantic).
"""

from __future__ import annotations

__all__ = ["configuration_error"]


def configuration_error(message: str) -> ValueError:
    """Return a ``ConfigurationError`` (a ``ValueError``) to raise."""
    from interposition.errors import ConfigurationError  # noqa: PLC0415 - lazily

    return ConfigurationError(message)
