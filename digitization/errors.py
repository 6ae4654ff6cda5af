"""Errors of the use cases (the domain's own errors pass through unchanged).

DigitisationError
├── NotFoundError          no register, entry or plan with that id
└── VersionConflictError   the caller's expected version is not the current one
"""

from __future__ import annotations

from domain.errors import DomainError


class DigitisationError(DomainError):
    """Base class of use-case errors."""


class NotFoundError(DigitisationError):
    """No aggregate with that id."""

    def __init__(self, what: str, ident: object) -> None:
        self.what = what
        self.ident = ident
        super().__init__(f"no {what} with id {ident}")


class VersionConflictError(DigitisationError):
    """Someone else changed the aggregate since the caller read it."""

    def __init__(self, what: str, ident: object, expected: int, actual: int) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{what} {ident} is at version {actual}, not the expected {expected}; reload and retry"
        )
