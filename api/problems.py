"""Errors as RFC 9457 problem details (application/problem+json), mapped in one place.

A refusal names its rule three ways: ``rule`` (the English text of a broken value, or the code
of a workflow rule, as the API has always given it), and ``code`` with ``params``, the rule's
code in :mod:`domain.rules` and its parameters, from which clients can word it themselves."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api.security import AuthenticationError
from api.uploads import UploadFormError
from digitization.delivery.safe_zip import PackageError, PackageTooLargeError
from digitization.errors import NotFoundError, VersionConflictError
from digitization.intake import DeclaredContentError
from digitization.media import (
    ScanError,
    ScanTooLargeError,
    UnsupportedScanError,
    UploadRefusedError,
)
from digitization.ports import (
    InsufficientStorageError,
    LogRequestError,
    ServiceUnavailableError,
)
from domain.access import ForbiddenError
from domain.errors import (
    DomainError,
    DuplicateEntryNumberError,
    DuplicateRegisterError,
    InvalidValueError,
    NotAllowedError,
    RuleViolationError,
)
from domain.rules import Code
from projections.portal_audit import AuditUnavailableError

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://hotich.example/problems/"


def problem(status: int, title: str, detail: str, kind: str, **extra: Any) -> JSONResponse:
    body = {"type": TYPE_BASE + kind, "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def domain_problem(exc: DomainError) -> JSONResponse:
    """The problem response for a refused command (also used to store idempotent answers)."""
    return _domain_error(None, exc)


def _json_safe(value: object) -> Any:
    """A rule's parameter as JSON: text, numbers, booleans and null as they are, lists and
    mappings item by item, anything else (an id, a date) as its text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)  # a code or another str enum: its plain text
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    return str(value)


def rule_code(
    exc: InvalidValueError | RuleViolationError | UploadRefusedError,
) -> dict[str, Any]:
    """``code`` and ``params`` of the refusal, as JSON."""
    return {"code": str(exc.code), "params": _json_safe(exc.params)}


def _domain_error(_: Request | None, exc: Exception) -> JSONResponse:
    if isinstance(exc, InvalidValueError):
        item = {"field": exc.field, "rule": exc.rule, "label_vi": exc.label_vi}
        return problem(
            422,
            "Invalid value",
            exc.message,
            "invalid-value",
            errors=[{**item, **rule_code(exc)}],
        )
    if isinstance(exc, NotFoundError):
        return problem(404, "Not found", exc.message, "not-found")
    if isinstance(exc, VersionConflictError):
        return problem(
            409,
            "Version conflict",
            exc.message,
            "version-conflict",
            expected_version=exc.expected,
            current_version=exc.actual,
        )
    if isinstance(exc, RuleViolationError):
        broken = {"rule": exc.rule, **rule_code(exc)}
        if isinstance(exc, ForbiddenError):
            return problem(403, "Forbidden", exc.message, "forbidden")
        if isinstance(exc, DuplicateEntryNumberError | DuplicateRegisterError):
            return problem(409, "Already exists", exc.message, "already-exists", **broken)
        if isinstance(exc, NotAllowedError):
            return problem(403, "Not allowed", exc.message, "not-allowed", **broken)
        return problem(409, "Rule violated", exc.message, "rule-violated", **broken)
    assert isinstance(exc, DomainError)
    return problem(400, "Bad request", exc.message, "bad-request")


def _authentication_error(_: Request, exc: Exception) -> JSONResponse:
    response = problem(401, "Unauthorized", str(exc), "unauthorized")
    response.headers["WWW-Authenticate"] = 'Bearer realm="hotich"'
    return response


def _forbidden_error(_: Request, exc: Exception) -> JSONResponse:
    return problem(403, "Forbidden", str(exc), "forbidden")


def _audit_unavailable(_: Request, exc: Exception) -> JSONResponse:
    # no unaudited answer: the read is refused when its audit entry cannot be stored
    response = problem(503, "Audit unavailable", str(exc), "audit-unavailable")
    response.headers["Retry-After"] = "5"
    return response


def unavailable_problem(
    dependency: str, detail: str, *, retry_after: int, status: int = 503, **extra: Any
) -> JSONResponse:
    """503 (507: a disk is full) naming the dependency, with Retry-After in seconds."""
    title, kind = (
        ("Insufficient storage", "insufficient-storage")
        if status == 507
        else ("Service unavailable", "service-unavailable")
    )
    response = problem(status, title, detail, kind, dependency=dependency, **extra)
    response.headers["Retry-After"] = str(retry_after)
    return response


def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    # a dependency is down or a disk is full: nothing was done, the same request may succeed
    assert isinstance(exc, ServiceUnavailableError)
    status = 507 if isinstance(exc, InsufficientStorageError) else 503
    return unavailable_problem(exc.dependency, str(exc), retry_after=exc.retry_after, status=status)


def _scan_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScanError)
    field, rule = exc.field, exc.rule
    errors = [{"field": field, "rule": rule, **rule_code(exc)}]
    if isinstance(exc, ScanTooLargeError):
        return problem(
            413, "Payload too large", f"{field}: {rule}", "payload-too-large", errors=errors
        )
    return problem(
        415, "Unsupported media type", f"{field}: {rule}", "unsupported-media-type", errors=errors
    )


def _form_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UploadFormError | DeclaredContentError)
    return problem(
        422,
        "Invalid upload",
        str(exc),
        "invalid-upload",
        errors=[{"field": exc.field, "rule": exc.rule, **rule_code(exc)}],
    )


def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")),
            "rule": e["msg"],
            "in": str(e["loc"][0]) if e["loc"] else None,
        }
        for e in exc.errors()
    ]
    detail = "; ".join(f"{e['field']}: {e['rule']}" for e in errors)
    return problem(422, "Invalid request", detail, "invalid-request", errors=errors)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem(
        exc.status_code, str(exc.detail), str(exc.detail), "http-" + str(exc.status_code)
    )
    response.headers.update(exc.headers or {})  # e.g. Allow on 405 (RFC 9110)
    if exc.status_code == 405:  # Starlette names only the first route of the path's methods
        response.headers["Allow"] = ", ".join(sorted(_allowed_methods(request)))
    return response


HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> set[str]:
    """Every method some route of the app answers in full at this request's path."""
    routes = request.app.router.routes
    return {
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    }


_CODE = {"type": "string", "description": "the rule's code (one of domain.rules.Code)"}
_PARAMS = {
    "type": "object",
    "additionalProperties": True,
    "description": "the rule's parameters by name, to word it from `code` in any language",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` names each field and the rule it broke; "
    "a refused workflow command names its rule in `rule`, `code` and `params`",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "rule": {"type": "string", "description": "the workflow rule broken, e.g. four_eyes"},
        "code": _CODE,
        "params": _PARAMS,
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "rule"],
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string", "description": "the rule broken, in English"},
                    "label_vi": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "description": "the field's Vietnamese label",
                    },
                    "code": _CODE,
                    "params": _PARAMS,
                },
            },
        },
    },
}
# Answers every operation may give, by what it declares.
AUTH_PROBLEMS = {
    "401": "no valid bearer token",
    "403": "the user's role or districts do not allow this",
}
NOT_FOUND = "no such resource"
UNPARSEABLE = "the body could not be parsed (e.g. not UTF-8)"


def document_problems(openapi: dict[str, Any]) -> dict[str, Any]:
    """Make the OpenAPI document say what the handlers above answer: every 4xx/5xx response is
    problem+json (FastAPI documents its 422 as application/json), an operation that takes a
    bearer token may answer 401 and 403, one with a path parameter 404, one with a body 400."""
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in openapi.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            if operation.get("security"):
                for status, description in AUTH_PROBLEMS.items():
                    responses.setdefault(status, {"description": description})
            if "{" in path:
                responses.setdefault("404", {"description": NOT_FOUND})
            if "requestBody" in operation:
                responses.setdefault("400", {"description": UNPARSEABLE})
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = content
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422 body, not ours
        schemas.pop(unused, None)
    return openapi


_NOT_THE_FORMAT = frozenset({Code.IMPORT_NOT_A_ZIP, Code.IMPORT_NOT_A_WORKBOOK})


def _package_error(_: Request, exc: Exception) -> JSONResponse:
    """A package's file refused whole (api/routes/delivery.py): 413 sizes, 415 not the format,
    else 422."""
    assert isinstance(exc, PackageError)
    errors = [{"field": exc.field, "rule": exc.rule, **rule_code(exc)}]
    if isinstance(exc, PackageTooLargeError):
        return problem(413, "Payload too large", str(exc), "payload-too-large", errors=errors)
    if exc.code in _NOT_THE_FORMAT:
        return problem(
            415, "Unsupported media type", str(exc), "unsupported-media-type", errors=errors
        )
    return problem(422, "Invalid package", str(exc), "invalid-package", errors=errors)


def _log_request_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, LogRequestError)
    errors = [{"field": exc.field, "rule": exc.rule}]
    return problem(400, "Bad request", str(exc), "bad-log-request", errors=errors)


def add_exception_handlers(
    app: FastAPI, handlers: Mapping[type[Exception], Callable[[Request, Exception], Response]]
) -> None:
    """Each error's handler: the API's problem+json here, the pages' HTML in api/web."""
    for error, handler in handlers.items():
        app.add_exception_handler(error, handler)


def install_problem_handlers(app: FastAPI) -> None:
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        document = build_openapi()  # built once and cached by FastAPI
        if "Problem" not in document.get("components", {}).get("schemas", {}):
            document_problems(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
    add_exception_handlers(
        app,
        {
            DomainError: _domain_error,
            AuthenticationError: _authentication_error,
            ForbiddenError: _forbidden_error,
            AuditUnavailableError: _audit_unavailable,
            ServiceUnavailableError: _unavailable,
            UnsupportedScanError: _scan_error,
            ScanTooLargeError: _scan_error,
            UploadFormError: _form_error,
            DeclaredContentError: _form_error,
            PackageError: _package_error,
            LogRequestError: _log_request_error,
            RequestValidationError: _validation_error,
            StarletteHTTPException: _http_error,
        },
    )
