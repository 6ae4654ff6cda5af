"""Errors raised by the domain.

    DomainError                       base of everything the domain refuses
    ├── InvalidValueError             a value breaks a rule (names the field and the rule)
    └── RuleViolationError            a command breaks a workflow rule
        ├── NotAllowedError           the actor may not do this (four eyes, ...)
        ├── InvalidStateError         the aggregate is not in a state that allows it
        ├── DuplicateEntryNumberError an entry number is already used in the book
        ├── DuplicateRegisterError    the book is already catalogued
        └── PageConflictError         a page already holds another scan

Every message is English with the Vietnamese label of the field where there is one.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class of every error the domain raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValueError(DomainError, ValueError):
    """A value breaks a rule; names the field (with its Vietnamese label) and the rule."""

    def __init__(self, field: str, rule: str, *, label_vi: str | None = None) -> None:
        self.field = field
        self.rule = rule
        self.label_vi = label_vi
        label = f" ({label_vi})" if label_vi else ""
        super().__init__(f"{field}{label}: {rule}")


class RuleViolationError(DomainError):
    """A command breaks a rule of the workflow."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message)


class NotAllowedError(RuleViolationError):
    """The actor may not perform this command (e.g. verifying their own keying)."""


class InvalidStateError(RuleViolationError):
    """The aggregate's state does not allow this command."""


class DuplicateEntryNumberError(RuleViolationError):
    """The entry number is already used in this book."""


class DuplicateRegisterError(RuleViolationError):
    """The book (same commune, kind, first year and book number) is already catalogued."""


class PageConflictError(RuleViolationError):
    """A page already holds another scan; replacing it needs an explicit rescan with a reason."""
