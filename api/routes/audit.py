"""Admins: who read or searched what on the portal, and which records they were given."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from starlette.exceptions import HTTPException

from api.cursor import decode_cursor, encode_cursor, fingerprint
from api.deps import ServicesDep
from api.schemas import ActorPublic, PortalAuditPage, PortalReadPublic
from api.security import CurrentUser
from domain.access import Permission, require
from domain.errors import InvalidValueError
from domain.rules import Code
from projections.portal_audit import AuditFilter, AuditKey
from projections.portal_queries import MAX_PAGE

router = APIRouter(prefix="/audit", tags=["audit"])

When = Annotated[
    str | None,
    Query(
        max_length=40,
        pattern=r"^\d{4}-\d{2}-\d{2}",
        description="ISO 8601 (2026-11-28, 2026-11-28T09:30:00+07:00); without a zone: UTC",
        examples=["2026-11-28T02:00:00Z"],
    ),
]


def _utc(text: str | None, field: str) -> dt.datetime | None:
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
    except ValueError:
        raise InvalidValueError(field, Code.ISO_DATE_TIME) from None
    except OverflowError:
        raise InvalidValueError(field, Code.TIME_OUT_OF_RANGE) from None


@router.get(
    "/portal",
    response_model=PortalAuditPage,
    responses={503: {"description": "the audit trail could not be read"}},
)
def list_portal_reads(
    user: CurrentUser,
    services: ServicesDep,
    actor: Annotated[
        str | None,
        Query(
            min_length=1, max_length=100, pattern=r"^[^\s\x00-\x1f\x7f]+$", description="user id"
        ),
    ] = None,
    since: When = None,
    until: When = None,
    record: Annotated[UUID | None, Query(description="reads that returned this record")] = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> PortalAuditPage:
    """The portal's reads and searches, newest first (since inclusive, until exclusive)."""
    require(user, Permission.ADMIN)
    if services.portal_audit is None:
        raise HTTPException(503, "the portal audit is not served by this instance")
    where = AuditFilter(
        actor=actor, since=_utc(since, "since"), until=_utc(until, "until"), record=record
    )
    if where.since and where.until and where.until <= where.since:
        raise InvalidValueError("until", Code.LATER_THAN, other="since")
    digest = fingerprint(vars(where))
    after = AuditKey(*decode_cursor(cursor, digest, (str, str))) if cursor else None
    found = services.portal_audit.list_reads(where, after=after, limit=limit + 1)
    page = found[:limit]
    return PortalAuditPage(
        items=[
            PortalReadPublic(
                request_id=read.request_id,
                at=read.at,
                actor=ActorPublic(id=read.actor_id, role=read.actor_role),
                action=read.action,
                query=read.query,
                record_ids=list(read.record_ids),
            )
            for _, read in page
        ],
        next=encode_cursor(digest, page[-1][0]) if len(found) > limit else None,
    )
