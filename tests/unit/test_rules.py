"""The catalogue of rules: complete, every template renders, every code raised exists."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from domain.errors import (
    InvalidStateError,
    InvalidValueError,
    NotAllowedError,
)
from domain.rules import CATALOGUE, LANGS, Code, Term, check_params, render

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "digitization", "projections", "api", "infra", "bootstrap", "cli", "demo")
FIELD_FIRST = {"InvalidValueError", "UploadFormError", "UnsupportedScanError", "ScanTooLargeError"}
ERRORS = {
    *FIELD_FIRST,
    "ForbiddenError",
    "InvalidValueError",
    "RuleViolationError",
    "NotAllowedError",
    "InvalidStateError",
    "DuplicateEntryNumberError",
    "DuplicateRegisterError",
    "PageConflictError",
}


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_code_has_a_rule_and_every_rule_a_code() -> None:
    assert set(CATALOGUE) == set(Code)


@pytest.mark.parametrize("code", list(Code))
def test_every_rule_renders_with_its_parameters_in_both_languages(code: Code) -> None:
    rule = CATALOGUE[code]
    assert set(rule.terms) <= set(rule.example), "a term is one of the rule's parameters"
    texts = {lang: render(code, rule.example, lang) for lang in LANGS}
    for lang, text in texts.items():
        assert placeholders(rule.template(lang)) <= set(rule.example), lang
        assert text.strip(), lang
        assert "{" not in text, lang
    assert texts["vi"] != texts["en"], "a real Vietnamese text, not the English one"


def test_english_uses_every_parameter() -> None:
    # the English text is the message the API has always given: a parameter it does not show
    # is one the raise site computed for nothing (unit codes aside: they name the unit)
    for code, rule in CATALOGUE.items():
        unused = set(rule.example) - placeholders(rule.en)
        assert unused <= {"code"}, code


def test_an_unknown_code_or_other_parameters_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="no_such_rule"):
        render("no_such_rule", {})
    with pytest.raises(TypeError, match="limit"):
        check_params(Code.MAX_CHARACTERS, {})
    with pytest.raises(TypeError, match="length"):
        InvalidValueError("notes", Code.MAX_CHARACTERS, limit=500, length=501)
    with pytest.raises(TypeError):
        NotAllowedError(Code.FOUR_EYES, actor="x")


def test_an_error_renders_its_english_from_the_code() -> None:
    error = InvalidValueError("notes", Code.MAX_CHARACTERS, label_vi="ghi chú", limit=4000)
    assert (error.code, error.params) == (Code.MAX_CHARACTERS, {"limit": 4000})
    assert error.rule == "must be at most 4000 characters"
    assert str(error) == "notes (ghi chú): must be at most 4000 characters"
    violation = InvalidStateError(
        Code.VERIFY_NOT_ALLOWED_IN_STATE, status="published", allowed=["keyed", "reconciled"]
    )
    assert violation.rule == "verify_not_allowed_in_state"
    assert type(violation.rule) is str
    assert violation.message == (
        "cannot verify an entry that is published (allowed when: keyed, reconciled)"
    )


def test_terms_are_named_by_the_caller_one_by_one() -> None:
    def name(term: Term, value: str) -> str:
        return f"<{term}:{value}>"

    params = {"status": "published", "allowed": ["keyed", "reconciled"]}
    assert render(Code.REJECT_NOT_ALLOWED_IN_STATE, params, "en", name=name) == (
        "cannot reject an entry that is <entry_status:published>"
        " (allowed when: <entry_status:keyed>, <entry_status:reconciled>)"
    )
    assert render(Code.NOT_BEFORE, {"other": "child.birth_date"}, "vi", name=name) == (
        "không được trước <field:child.birth_date>"
    )


def sources(*packages: str) -> list[Path]:
    return [path for package in packages for path in sorted((ROOT / package).rglob("*.py"))]


def test_every_code_named_in_the_source_exists() -> None:
    for path in sources(*PACKAGES):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "Code"
            ):
                assert node.attr in Code.__members__, f"{path}:{node.lineno}: Code.{node.attr}"


def test_every_refusal_is_raised_by_code() -> None:
    for path in sources(*PACKAGES):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            func = node.func
            if isinstance(func, ast.Name) and func.id in ERRORS:
                code = node.args[1] if func.id in FIELD_FIRST else node.args[0]
                assert not isinstance(code, ast.Constant | ast.JoinedStr), where
