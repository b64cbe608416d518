"""The error hierarchy: every failure a user can cause is an InterpositionError.

Each message says what happened and what to do about it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from interposition.models import InteractionRequest

__all__ = [
    "CassetteLoadError",
    "CassetteSaveError",
    "ConfigurationError",
    "InteractionNotFoundError",
    "InteractionValidationError",
    "InterpositionError",
    "LiveResponderRequiredError",
]


class InterpositionError(Exception):
    """Base class for all interposition exceptions."""


class ConfigurationError(InterpositionError, ValueError):
    """Raised when an argument or a combination of arguments is invalid."""


class InteractionValidationError(InterpositionError, ValueError):
    """Raised when an Interaction fails validation.

    For example when the fingerprint does not match the request, or when the
    response chunks are empty or not numbered 0, 1, 2, ...

    A ``ValueError`` too, as in the published 0.4.0. Constructing an invalid
    ``Interaction(...)`` raises it as itself; ``Interaction.model_validate``
    (and ``_json``) raise pydantic's ``ValidationError`` carrying the same
    message, as 0.4.0 does (ADR 0004).
    """


class InteractionNotFoundError(InterpositionError):
    """Raised when no recorded interaction matches a request.

    Attributes:
        request: The request that found no match.
        closest: The recorded request that came closest, if any was recorded.
        differences: The names of the fields in which ``closest`` differs.
        reason: Why the lookup failed when it is not simply "never recorded"
            (e.g. every recording of it was already played), else None.
    """

    def __init__(
        self,
        request: InteractionRequest,
        closest: InteractionRequest | None = None,
        differences: Sequence[str] = (),
        *,
        reason: str | None = None,
    ) -> None:
        """Initialize with the request that failed to match.

        Args:
            request: The unmatched request.
            closest: The recorded request most similar to ``request``.
            differences: Field names in which ``closest`` differs.
            reason: Why the lookup failed, when it is not simply "never recorded"
                (for example, every recording of it has already been played).
        """
        message = (
            f"No matching interaction for {request.protocol}:"
            f"{request.action}:{request.target}"
        )
        if reason:
            message += f" ({reason})"
        if closest is not None:
            message += (
                f". Closest recorded request: {closest.protocol}:"
                f"{closest.action}:{closest.target}, which differs in "
                f"{', '.join(differences) or 'nothing the matcher compares'}"
            )
        elif not reason:
            message += ". The cassette holds no recordings"
        message += (
            ". Record it (mode='auto' or 'record' with a live_responder) "
            "or change the request to match a recording."
        )
        super().__init__(message)
        self.request: InteractionRequest = request
        self.closest: InteractionRequest | None = closest
        self.differences: tuple[str, ...] = tuple(differences)
        self.reason: str | None = reason


class LiveResponderRequiredError(InterpositionError):
    """Raised when a mode needs a live_responder and none is configured.

    Attributes:
        mode: The broker mode that needed the live responder.
    """

    def __init__(self, mode: str) -> None:
        """Initialize with the mode that requires a live responder."""
        super().__init__(
            f"live_responder is required for {mode} mode: pass "
            f"Broker(..., live_responder=...) or use mode='replay'"
        )
        self.mode: str = mode


class CassetteLoadError(InterpositionError):
    """Raised when a cassette cannot be loaded (missing, unreadable, corrupt).

    Attributes:
        path: The file or directory that failed to load.
    """

    def __init__(self, path: Path, cause: BaseException | str) -> None:
        """Initialize with the path and the underlying cause.

        Args:
            path: Where the load failed.
            cause: The underlying exception, or a description of the problem.
        """
        super().__init__(f"Failed to load cassette from {path}: {cause}")
        self.path: Path = Path(path)
        if isinstance(cause, BaseException):
            self.__cause__ = cause


class CassetteSaveError(InterpositionError):
    """Raised when a cassette cannot be persisted (permissions, disk full, ...).

    Attributes:
        path: The file or directory that failed to save.
    """

    def __init__(self, path: Path, cause: BaseException | str) -> None:
        """Initialize with the path and the underlying cause."""
        super().__init__(f"Failed to save cassette to {path}: {cause}")
        self.path: Path = Path(path)
        if isinstance(cause, BaseException):
            self.__cause__ = cause
