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
from projections.portal_audit import PortalAudit
from projections.portal_model import PortalRecord
from projections.portal_queries import (
    MAX_PAGE,
    HistoriesReader,
    IdKey,
    NameKey,
    PortalQueries,
    RecordFilter,
)
from projections.record_history import HistoryItem

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
def _answer(content: dict[str, Any]) -> Response:
    """The answer, serialised as it is (pydantic's encoder: UUIDs, times as the models write
    them). Portal answers are built in the shape of their response models (api/schemas.py),
    which document them; tests hold every answer to those models. Building dicts and encoding
    them costs about half of building the models, validating and encoding them (a page of 20
    records with their provenance and links), and the models would check our own rows only."""
    return Response(pydantic_core.to_json(content), media_type="application/json")


def portal_services(services: Services) -> tuple[PortalQueries, HistoriesReader, PortalAudit]:
    if services.portal is None or services.history is None or services.portal_audit is None:
        raise HTTPException(503, "the portal is not served by this instance")
    return services.portal, services.history, services.portal_audit


def _scope(user: User) -> frozenset[str] | None:
    return None if ALL_DISTRICTS in user.districts else user.districts


def _audit(
    audit: PortalAudit,
    user: User,
    action: str,
    query: dict[str, Any],
    records: Sequence[PortalRecord],
) -> None:
    """Store who asked what and which records the answer holds (raises if it cannot)."""
    record_read(audit, user, action, query, [r.id for r in records])


def _provenance(record: PortalRecord, items: list[HistoryItem]) -> list[dict[str, Any]]:
    """ProvenanceEventPublic, for each event up to the published version (a pending correction
    is not published)."""
    return [
        {
            "version": i.version,
            "event_type": i.event_type,
            "actor": {"id": i.actor_id, "role": i.actor_role},
            "occurred_at": i.occurred_at,
            "hash": i.hash,
            "key_id": i.key_id,
        }
        for i in items
        if i.version <= record.published_version
    ]


def _public(
    services: Services, records: Sequence[PortalRecord], history: HistoriesReader
) -> list[dict[str, Any]]:
    """The records as answered (PortalRecordPublic): with provenance and short-lived links to
    their scans."""
    histories = history.histories([r.id for r in records]) if records else {}
    blobs = services.app.blobs
    expires = dt.datetime.now(dt.UTC) + VIEW_LINK_TTL
    return [
        {
            "id": r.id,
            "register_id": r.register_id,
            "entry_number": r.entry_number,
            "kind": r.kind,
            "district": r.district,
            "commune_code": r.commune_code,
            "book_number": r.book_number,
            "year_from": r.year_from,
            "year_to": r.year_to,
            "subject_name": r.subject_name,
            "subject_personal_id": r.subject_personal_id,
            "sex": r.sex,
            "birth_year": r.birth_year,
            "birth_month": r.birth_month,
            "birth_day": r.birth_day,
            "birth_date_lunar": r.birth_date_lunar,
            "other_names": r.other_names,
            "personal_ids": r.personal_ids,
            "fields": r.fields,
            "published_at": r.published_at,
            "published_version": r.published_version,
            "publication_count": r.publication_count,
            "pages": [
                {
                    "page": s.page_number,
                    "sha256": s.sha256,
                    "size": s.size,
                    "media_type": s.media_type,
                    "view_url": (
                        blobs.presigned_get(s.object_key, VIEW_LINK_TTL) if blobs else None
                    ),
                }
                for s in r.scans
            ],
            "links_expire_at": expires,
            "provenance": _provenance(r, histories.get(r.id, [])),
        }
        for r in records
    ]


def one_record(
    user: User,
    services: Services,
    action: str,
    query: dict[str, Any],
    record: PortalRecord | None,
) -> dict[str, Any]:
    """One record for the caller (PortalRecordPublic), audited; 404 if none is published or it
    is outside the caller's districts (answered alike, so ids leak nothing)."""
    _, history, audit = portal_services(services)
    if record is not None and not user.works_in(record.district):
        record = None
    _audit(audit, user, action, query, [record] if record is not None else [])
    if record is None:
        ident = query.get("entry_id") or (
            f"{query.get('entry_number')} in register {query.get('register_id')}"
        )
        raise NotFoundError("published record", ident)
    return _public(services, [record], history)[0]


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
    portal, history, audit = portal_services(services)
    pid = PersonalId.parse(personal_id).value
    digest = fingerprint({"personal_id": pid})
    after = IdKey(*decode_cursor(cursor, digest, (int, str, int))) if cursor else None
    where = RecordFilter(districts=_scope(user))
    hits = portal.find_by_personal_id_page(pid, where=where, after=after, limit=limit + 1)
    page = hits[:limit]
    records = [h.record for h in page]
    query = {"personal_id": pid, "cursor": cursor, "limit": limit}
    _audit(audit, user, "find_by_personal_id", query, records)
    return _answer(
        {
            "items": _public(services, records, history),
            "next": encode_cursor(digest, page[-1].key) if len(hits) > limit else None,
        }
    )


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
    portal, history, audit = portal_services(services)
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
    found = portal.search_by_name_page(q, where=where, after=after, limit=limit)
    records = [h.record for h in found.hits]
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
    _audit(audit, user, "search_by_name", query, records)
    return _answer(
        {
            "items": _public(services, records, history),
            "next": encode_cursor(digest, found.next) if found.next is not None else None,
        }
    )


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
    portal, _, _ = portal_services(services)
    record = portal.get_by_register_and_number(register_id, entry_number)
    query = {"register_id": str(register_id), "entry_number": entry_number}
    return _answer(one_record(user, services, "get_by_register_and_number", query, record))


@router.get("/records/{entry_id}", response_model=PortalRecordPublic, responses=AUDITED)
def get_record(entry_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    """One published record by its entry id."""
    require(user, Permission.PORTAL_READ)
    portal, _, _ = portal_services(services)
    record = portal.get_record(entry_id)
    return _answer(one_record(user, services, "get_record", {"entry_id": str(entry_id)}, record))
