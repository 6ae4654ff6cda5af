"""Clerks and verifiers: catalogue books, key, check, verify, correct and publish entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse, Response

from api.commands import (
    CatalogueCommand,
    CorrectCommand,
    KeyCommand,
    ReconcileCommand,
    RejectCommand,
    RekeyCommand,
    SecondKeyCommand,
    Versioned,
)
from api.deps import Services, ServicesDep
from api.idempotency import idempotent
from api.problems import domain_problem
from api.routes.extracts import PublishCommand
from api.schemas import EntryPublic, RegisterPublic
from api.security import CurrentUser
from domain.access import User
from domain.civil_record import CivilRecord
from domain.errors import DomainError, InvalidValueError
from domain.numbers import small_number
from domain.rules import Code

router = APIRouter(tags=["keying and checking"])

IfMatch = Annotated[
    str | None,
    Header(description='the version you read, e.g. "3" (the ETag of the entry); stale: 409'),
]
WRITE_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"description": "no valid bearer token"},
    403: {"description": "role or district not allowed, or four-eyes rule"},
    404: {"description": "no such entry or register"},
    409: {"description": "stale version, or the entry's state does not allow it"},
    422: {"description": "a field breaks a rule (named in the problem)"},
}


def expected_version(if_match: str | None, body_version: int | None) -> int | None:
    if if_match is None:
        return body_version
    tag = small_number(if_match.strip().removeprefix("W/").strip('"'))
    if tag is None:
        raise InvalidValueError("If-Match", Code.IF_MATCH_FORMAT)
    if body_version is not None and body_version != tag:
        raise InvalidValueError("expected_version", Code.VERSION_DIFFERS_FROM_IF_MATCH)
    return tag


def entry_response(entry: CivilRecord, status: int = 200) -> JSONResponse:
    body = EntryPublic.of(entry).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{entry.version}"'})


def run_command(
    request: Request,
    services: Services,
    user: User,
    payload: object,
    action: Callable[[], JSONResponse],
) -> Response:
    """Run a command once per Idempotency-Key (``payload`` tells requests apart); a refused
    command answers its problem, which a retry with the key gets again."""

    def run() -> JSONResponse:
        try:
            return action()
        except DomainError as e:
            return domain_problem(e)

    return idempotent(request, services.once, user.id, json.dumps(payload), run)


def entry_command(
    request: Request,
    services: Services,
    user: User,
    entry_id: UUID,
    command: Versioned,
    if_match: str | None,
    call: Callable[[int | None], CivilRecord],
) -> Response:
    """A command on an entry, at the version the caller read (If-Match or expected_version)."""

    def action() -> JSONResponse:
        return entry_response(call(expected_version(if_match, command.expected_version)))

    payload = [str(entry_id), command.model_dump(mode="json"), if_match]
    return run_command(request, services, user, payload, action)


@router.post(
    "/registers", status_code=201, response_model=RegisterPublic, responses=WRITE_RESPONSES
)
def catalogue_register(
    command: CatalogueCommand, request: Request, user: CurrentUser, services: ServicesDep
) -> Response:
    """Catalogue a book (quyển sổ) of a commune."""

    def action() -> JSONResponse:
        register = services.app.catalogue_register(actor=user, **command.model_dump())
        body = RegisterPublic.of(register).model_dump(mode="json")
        return JSONResponse(
            body, status_code=201, headers={"Location": f"/registers/{register.id}"}
        )

    return run_command(request, services, user, command.model_dump(mode="json"), action)


@router.post(
    "/registers/{register_id}/entries",
    status_code=201,
    response_model=EntryPublic,
    responses=WRITE_RESPONSES,
)
def key_entry(
    register_id: UUID,
    command: KeyCommand,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
) -> Response:
    """Key a new entry of a book from its page(s)."""

    def action() -> JSONResponse:
        entry = services.app.key_entry(actor=user, register_id=register_id, **command.model_dump())
        response = entry_response(entry, 201)
        response.headers["Location"] = f"/entries/{entry.id}"
        return response

    payload = [str(register_id), command.model_dump(mode="json")]
    return run_command(request, services, user, payload, action)


# The commands on an entry: (path, request body, use case of Digitisation, what it does). Each
# body's fields are the use case's arguments besides the caller, the entry and its version.
ENTRY_COMMANDS: list[tuple[str, type[Versioned], str, str]] = [
    ("rekeying", RekeyCommand, "rekey_entry", "Key a rejected entry again."),
    (
        "second-keying",
        SecondKeyCommand,
        "second_key_entry",
        "Key the entry a second time; differences are recorded field by field.",
    ),
    (
        "reconciliation",
        ReconcileCommand,
        "reconcile_entry",
        "Settle discrepancies field by field with the values the book says.",
    ),
    (
        "verification",
        Versioned,
        "verify_entry",
        "Verify the entry (four eyes: not by anyone who keyed it).",
    ),
    (
        "rejection",
        RejectCommand,
        "reject_entry",
        "Reject the entry with a reason (back to keying, or a correction undone).",
    ),
    (
        "corrections",
        CorrectCommand,
        "correct_entry",
        "Correct a verified or published entry: a transcription fix, or a cải chính by decision.",
    ),
    (
        "publication",
        PublishCommand,
        "publish_entry",
        "Publish a verified entry to the portal (with the verifier's own signature, if given).",
    ),
]


def _entry_route(path: str, body: type[Versioned], use_case: str, doc: str) -> None:
    def endpoint(
        entry_id: UUID,
        command: Versioned,
        request: Request,
        user: CurrentUser,
        services: ServicesDep,
        if_match: IfMatch = None,
    ) -> Response:
        call = getattr(services.app, use_case)
        arguments = command.model_dump(exclude={"expected_version"})
        return entry_command(
            request,
            services,
            user,
            entry_id,
            command,
            if_match,
            lambda v: call(actor=user, entry_id=entry_id, expected_version=v, **arguments),
        )

    endpoint.__annotations__ = {**endpoint.__annotations__, "command": body}  # FastAPI reads it
    router.add_api_route(
        f"/entries/{{entry_id}}/{path}",
        endpoint,
        methods=["POST"],
        name=use_case,
        description=doc,
        response_model=EntryPublic,
        responses=WRITE_RESPONSES,
    )


for command_route in ENTRY_COMMANDS:
    _entry_route(*command_route)
