"""Errors raised by the domain.

    DomainError                       base of everything the domain refuses
    ├── InvalidValueError             a value breaks a rule (names the field and the rule)
    └── RuleViolationError            a command breaks a workflow rule
        ├── NotAllowedError           the actor may not do this (four eyes, ...)
        ├── InvalidStateError         the aggregate is not in a state that allows it
        ├── DuplicateEntryNumberError an entry number is already used in the book
        ├── DuplicateRegisterError    the book is already catalogued
        └── PageConflictError         a page already holds another scan

Every refusal carries the rule's code (:class:`domain.rules.Code`) and its parameters
(``code``, ``params``); its English message is rendered from the catalogue in
:mod:`domain.rules`, where presenters find the Vietnamese one too.
"""

from __future__ import annotations

from domain.rules import Code, check_params, render


class DomainError(Exception):
    """Base class of every error the domain raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValueError(DomainError, ValueError):
    """A value breaks a rule; names the field (with its Vietnamese label) and the rule.

    ``rule`` is the rule in English, ``code`` and ``params`` what it is rendered from.
    """

    def __init__(
        self, field: str, code: Code, /, *, label_vi: str | None = None, **params: object
    ) -> None:
        self.field = field
        self.code = code
        self.params = check_params(code, params)
        self.label_vi = label_vi
        self.rule = render(code, self.params)
        label = f" ({label_vi})" if label_vi else ""
        super().__init__(f"{field}{label}: {self.rule}")

    def for_field(self, field: str, *, label_vi: str | None) -> InvalidValueError:
        """The same rule broken by ``field`` (a value checked on behalf of another field)."""
        return InvalidValueError(field, self.code, label_vi=label_vi, **self.params)


class RuleViolationError(DomainError):
    """A command breaks a rule of the workflow; ``rule`` is its code, ``message`` its English."""

    def __init__(self, code: Code, /, **params: object) -> None:
        self.code = code
        self.rule = str(code)
        self.params = check_params(code, params)
        super().__init__(render(code, self.params))


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
