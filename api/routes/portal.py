"""The portal (Cổng dịch vụ công): published records by personal ID, by name, by book and
number, with their provenance and scan links (their evidence: api/routes/evidence.py). Every
answer is audited first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any
from uuid import UUID

import pydantic_core
from fastapi import APIRouter, Path, Query
from starlette.exceptions import HTTPException
from starlette.responses import Response

from api.cursor import decode_cursor, encode_cursor, fingerprint
from api.deps import Services, ServicesDep
from api.portal_shared import record_read
from api.routes.pages import VIEW_LINK_TTL
from api.schemas import (
    PortalRecordPage,
    PortalRecordPublic,
)
from api.security import CurrentUser
from digitization.errors import NotFoundError
from domain.access import ALL_DISTRICTS, Permission, User, require, require_in_district
from domain.errors import InvalidValueError
from domain.partial_date import PartialDate
from domain.person_name import accent_key, fold
from domain.personal_id import PersonalId
from domain.record_kind import RecordKind
from domain.rules import Code
from domain.sex import Sex
from projections.portal_answers import PortalAnswer
from projections.portal_audit import PortalAudit
from projections.portal_queries import (
    MAX_PAGE,
    IdKey,
    NameKey,
    PortalQueries,
    RecordFilter,
)

router = APIRouter(prefix="/portal", tags=["portal"])

AUDITED: dict[int | str, dict[str, Any]] = {
    503: {"description": "the read could not be audited, so it is not answered"}
}
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="records per page")]
Cursor = Annotated[
    str | None, Query(max_length=1000, description="`next` of the previous page, as given")
]


# ----- what every handler shares ------------------------------------------------------------
def _answer(body: bytes) -> Response:
    """The answer's bytes as they are. Portal answers are the documents the portal view stores
    with each record (projections/portal_answers.py: the shape of their response models in
    api/schemas.py, which document them; tests hold every answer to those models), with the
    links to their pages signed now: a request reads rows and writes their bytes."""
    return Response(body, media_type="application/json")


def portal_services(services: Services) -> tuple[PortalQueries, PortalAudit]:
    if services.portal is None or services.portal_audit is None:
        raise HTTPException(503, "the portal is not served by this instance")
    return services.portal, services.portal_audit


def _scope(user: User) -> frozenset[str] | None:
    return None if ALL_DISTRICTS in user.districts else user.districts


PROVENANCE = b',"provenance":'  # a document's last member (a key: never inside a JSON string)


def _public(services: Services, answers: Sequence[PortalAnswer]) -> list[bytes]:
    """The records as answered (PortalRecordPublic): each stored document with short-lived
    links to its scans."""
    blobs = services.app.blobs
    expires = pydantic_core.to_json(dt.datetime.now(dt.UTC) + VIEW_LINK_TTL)
    found: list[bytes] = []
    for a in answers:
        pages = [
            {
                "page": s.page_number,
                "sha256": s.sha256,
                "size": s.size,
                "media_type": s.media_type,
                "view_url": blobs.presigned_get(s.object_key, VIEW_LINK_TTL) if blobs else None,
            }
            for s in a.scans
        ]
        cut = a.document.rfind(PROVENANCE)  # the model's order: pages, links, provenance
        found.append(
            b"".join(
                (
                    a.document[:cut],
                    b',"pages":',
                    pydantic_core.to_json(pages),
                    b',"links_expire_at":',
                    expires,
                    a.document[cut:],
                )
            )
        )
    return found


def _page(items: list[bytes], after: str | None) -> bytes:
    """PortalRecordPage of the answers."""
    return b"".join(
        (b'{"items":[', b",".join(items), b'],"next":', pydantic_core.to_json(after), b"}")
    )


def one_record(
    user: User,
    services: Services,
    action: str,
    query: dict[str, Any],
    answer: PortalAnswer | None,
) -> bytes:
    """One record for the caller (PortalRecordPublic), audited; 404 if none is published or it
    is outside the caller's districts (answered alike, so ids leak nothing)."""
    _, audit = portal_services(services)
    if answer is not None and not user.works_in(answer.district):
        answer = None
    record_read(audit, user, action, query, [answer.id] if answer is not None else [])
    if answer is None:
        ident = query.get("entry_id") or (
            f"{query.get('entry_number')} in register {query.get('register_id')}"
        )
        raise NotFoundError("published record", ident)
    return _public(services, [answer])[0]


# ----- lookups --------------------------------------------------------------------------------
@router.get("/records", response_model=PortalRecordPage, responses=AUDITED)
def find_by_personal_id(
    user: CurrentUser,
    services: ServicesDep,
    personal_id: Annotated[
        str, Query(min_length=1, max_length=40, description="12-digit số định danh cá nhân")
    ],
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Response:
    """Published records holding a personal ID: records about its holder first."""
    require(user, Permission.PORTAL_READ)
    portal, audit = portal_services(services)
    pid = PersonalId.parse(personal_id).value
    digest = fingerprint({"personal_id": pid})
    after = IdKey(*decode_cursor(cursor, digest, (int, str, int))) if cursor else None
    where = RecordFilter(districts=_scope(user))
    hits = portal.find_answers_by_personal_id_page(pid, where=where, after=after, limit=limit + 1)
    page = hits[:limit]
    answers = [h.answer for h in page]
    query = {"personal_id": pid, "cursor": cursor, "limit": limit}
    record_read(audit, user, "find_by_personal_id", query, [a.id for a in answers])
    after_page = encode_cursor(digest, page[-1].key) if len(hits) > limit else None
    return _answer(_page(_public(services, answers), after_page))


@router.get("/records/search", response_model=PortalRecordPage, responses=AUDITED)
def search_by_name(
    user: CurrentUser,
    services: ServicesDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=120,
            pattern=NO_CONTROL_CHARACTERS,
            description="a name or part of one; case, diacritics, NFC/NFD and tone-mark "
            "placement (hoà/hòa) do not matter",
        ),
    ],
    birth_year: Annotated[int | None, Query(ge=1800, le=2299)] = None,
    birth_date: Annotated[
        str | None,
        Query(max_length=40, description='"1990-03-12", "12/03/1990", "1990-03", "1990"'),
    ] = None,
    sex: Annotated[str | None, Query(max_length=10, description="male/female/nam/nữ")] = None,
    kind: RecordKind | None = None,
    district: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    commune: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    cursor: Cursor = None,
    limit: Limit = 20,
) -> Response:
    """Published records by name, best match first, with optional filters."""
    require(user, Permission.PORTAL_READ)
    if district is not None:
        require_in_district(user, Permission.PORTAL_READ, district)
    portal, audit = portal_services(services)
    folded = fold(q)
    if not any(c.isalnum() for c in folded):
        raise InvalidValueError("q", Code.LETTER_OR_DIGIT_REQUIRED, label_vi="họ và tên")
    born = PartialDate.parse(birth_date, field="birth_date") if birth_date else None
    if born is not None and birth_year is not None and born.year != birth_year:
        raise InvalidValueError("birth_year", Code.BIRTH_YEAR_MISMATCH, year=born.year)
    where = RecordFilter(
        birth_year=born.year if born is not None else birth_year,
        birth_month=born.month if born is not None else None,
        birth_day=born.day if born is not None else None,
        birth_lunar=born.lunar if born is not None else None,
        sex=Sex.parse(sex, field="sex").value if sex is not None else None,
        kind=kind.value if kind is not None else None,
        district=district,
        commune=commune,
        districts=_scope(user),
    )
    selection = {**vars(where), "districts": None, "folded": folded, "accent": accent_key(q)}
    digest = fingerprint(selection)
    after = NameKey(*decode_cursor(cursor, digest, (int, str, str, str, int))) if cursor else None
    found = portal.search_answers_page(q, where=where, after=after, limit=limit)
    answers = [h.answer for h in found.hits]
    query = {
        "q": q,
        "birth_year": birth_year,
        "birth_date": birth_date,
        "sex": sex,
        "kind": kind.value if kind is not None else None,
        "district": district,
        "commune": commune,
        "cursor": cursor,
        "limit": limit,
    }
    record_read(audit, user, "search_by_name", query, [a.id for a in answers])
    after_page = encode_cursor(digest, found.next) if found.next is not None else None
    return _answer(_page(_public(services, answers), after_page))


@router.get(
    "/registers/{register_id}/entries/{entry_number}",
    response_model=PortalRecordPublic,
    responses=AUDITED,
)
def get_by_register_and_number(
    register_id: UUID,
    entry_number: Annotated[int, Path(ge=1, le=1_000_000)],
    user: CurrentUser,
    services: ServicesDep,
) -> Response:
    """One published record by its book and entry number (số đăng ký)."""
    require(user, Permission.PORTAL_READ)
    portal, _ = portal_services(services)
    answer = portal.get_answer_by_register_and_number(register_id, entry_number)
    query = {"register_id": str(register_id), "entry_number": entry_number}
    return _answer(one_record(user, services, "get_by_register_and_number", query, answer))


@router.get("/records/{entry_id}", response_model=PortalRecordPublic, responses=AUDITED)
def get_record(entry_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    """One published record by its entry id."""
    require(user, Permission.PORTAL_READ)
    portal, _ = portal_services(services)
    answer = portal.get_answer(entry_id)
    return _answer(one_record(user, services, "get_record", {"entry_id": str(entry_id)}, answer))
