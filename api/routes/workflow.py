"""Clerks and verifiers: catalogue books, key, check, verify, correct and publish entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

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
from api.deps import ServicesDep
from api.idempotency import idempotent
from api.problems import domain_problem
from api.schemas import EntryPublic, RegisterPublic
from api.security import CurrentUser, Permission, User, require
from domain.civil_record import CivilRecord
from domain.errors import DomainError, InvalidValueError

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
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise InvalidValueError.legacy("If-Match", 'must be an entry version in quotes, e.g. "3"')
    if body_version is not None and body_version != int(tag):
        raise InvalidValueError.legacy("expected_version", "differs from If-Match")
    return int(tag)


def entry_response(entry: CivilRecord, status: int = 200) -> JSONResponse:
    body = EntryPublic.of(entry).model_dump(mode="json")
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{entry.version}"'})


def _run(action: Callable[[], JSONResponse]) -> JSONResponse:
    try:
        return action()
    except DomainError as e:
        return domain_problem(e)


def entry_command(
    request: Request,
    user: User,
    services: ServicesDep,
    entry_id: UUID,
    permission: Permission,
    payload: Versioned,
    if_match: str | None,
    action: Callable[[int | None], CivilRecord],
) -> JSONResponse:
    require(user, permission)
    entry = services.app.get_entry(entry_id)
    require(user, permission, entry.district)
    expected = expected_version(if_match, payload.expected_version)
    fingerprint = json.dumps([str(entry_id), payload.model_dump(mode="json"), expected])
    return idempotent(
        request, user.id, fingerprint, lambda: _run(lambda: entry_response(action(expected)))
    )


@router.post(
    "/registers", status_code=201, response_model=RegisterPublic, responses=WRITE_RESPONSES
)
def catalogue_register(
    command: CatalogueCommand, request: Request, user: CurrentUser, services: ServicesDep
) -> JSONResponse:
    """Catalogue a book (quyển sổ) of a commune."""
    require(user, Permission.CATALOGUE)
    district = services.app.units.district_of(command.commune_code).code
    require(user, Permission.CATALOGUE, district)

    def run() -> JSONResponse:
        register = services.app.catalogue_register(actor=user.actor, **command.model_dump())
        body = RegisterPublic.of(register).model_dump(mode="json")
        return JSONResponse(
            body, status_code=201, headers={"Location": f"/registers/{register.id}"}
        )

    return idempotent(request, user.id, command.model_dump_json(), lambda: _run(run))


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
) -> JSONResponse:
    """Key a new entry of a book from its page(s)."""
    require(user, Permission.KEY)
    register = services.app.get_register(register_id)
    require(user, Permission.KEY, register.district)

    def run() -> JSONResponse:
        entry = services.app.key_entry(
            actor=user.actor, register_id=register_id, **command.model_dump()
        )
        response = entry_response(entry, 201)
        response.headers["Location"] = f"/entries/{entry.id}"
        return response

    payload = json.dumps([str(register_id), command.model_dump(mode="json")])
    return idempotent(request, user.id, payload, lambda: _run(run))


@router.post("/entries/{entry_id}/rekeying", response_model=EntryPublic, responses=WRITE_RESPONSES)
def rekey_entry(
    entry_id: UUID,
    command: RekeyCommand,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Key a rejected entry again."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.KEY,
        command,
        if_match,
        lambda v: services.app.rekey_entry(
            actor=user.actor,
            entry_id=entry_id,
            pages=command.pages,
            fields=command.fields,
            expected_version=v,
        ),
    )


@router.post(
    "/entries/{entry_id}/second-keying", response_model=EntryPublic, responses=WRITE_RESPONSES
)
def second_key_entry(
    entry_id: UUID,
    command: SecondKeyCommand,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Key the entry a second time; differences are recorded field by field."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.SECOND_KEY,
        command,
        if_match,
        lambda v: services.app.second_key_entry(
            actor=user.actor, entry_id=entry_id, fields=command.fields, expected_version=v
        ),
    )


@router.post(
    "/entries/{entry_id}/reconciliation", response_model=EntryPublic, responses=WRITE_RESPONSES
)
def reconcile_entry(
    entry_id: UUID,
    command: ReconcileCommand,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Settle discrepancies field by field with the values the book says."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.RECONCILE,
        command,
        if_match,
        lambda v: services.app.reconcile_entry(
            actor=user.actor, entry_id=entry_id, resolutions=command.resolutions, expected_version=v
        ),
    )


@router.post(
    "/entries/{entry_id}/verification", response_model=EntryPublic, responses=WRITE_RESPONSES
)
def verify_entry(
    entry_id: UUID,
    command: Versioned,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Verify the entry (four eyes: not by anyone who keyed it)."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.VERIFY,
        command,
        if_match,
        lambda v: services.app.verify_entry(
            actor=user.actor, entry_id=entry_id, expected_version=v
        ),
    )


@router.post("/entries/{entry_id}/rejection", response_model=EntryPublic, responses=WRITE_RESPONSES)
def reject_entry(
    entry_id: UUID,
    command: RejectCommand,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Reject the entry with a reason (back to keying, or a correction undone)."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.VERIFY,
        command,
        if_match,
        lambda v: services.app.reject_entry(
            actor=user.actor, entry_id=entry_id, reason=command.reason, expected_version=v
        ),
    )


@router.post(
    "/entries/{entry_id}/corrections", response_model=EntryPublic, responses=WRITE_RESPONSES
)
def correct_entry(
    entry_id: UUID,
    command: CorrectCommand,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Correct a verified or published entry: a transcription fix, or a cải chính by decision."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.CORRECT,
        command,
        if_match,
        lambda v: services.app.correct_entry(
            actor=user.actor,
            entry_id=entry_id,
            kind=command.kind,
            changes=command.changes,
            reason=command.reason,
            decision_number=command.decision_number,
            decision_date=command.decision_date,
            decision_issuer=command.decision_issuer,
            expected_version=v,
        ),
    )


@router.post(
    "/entries/{entry_id}/publication", response_model=EntryPublic, responses=WRITE_RESPONSES
)
def publish_entry(
    entry_id: UUID,
    command: Versioned,
    request: Request,
    user: CurrentUser,
    services: ServicesDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Publish a verified entry to the portal."""
    return entry_command(
        request,
        user,
        services,
        entry_id,
        Permission.PUBLISH,
        command,
        if_match,
        lambda v: services.app.publish_entry(
            actor=user.actor, entry_id=entry_id, expected_version=v
        ),
    )
