"""The portal's pages (Cổng DVC): look a published record up by its id or a personal ID, read
it with the extracts issued of it, issue a signed extract (trích lục) and download it.

The record comes from the portal's view, as ``GET /portal/records/{id}`` reads it; the extracts
go through the same use cases as the JSON API (``Digitisation.list_extracts``,
``issue_extract``, ``get_extract``), and every read is stored in the portal's read audit before
it is answered, as the API's are. A record that is not published, or is of a district the user
does not work in, is the same 404 page as an id that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from api.deps import Services, ServicesDep
from api.portal_shared import (
    SHA256_PATTERN,
    extract_download,
    record_extract_request,
    record_read,
)
from api.web.entry_forms import shown_value
from api.web.i18n import Translator
from api.web.routes.shared import refusal_status
from api.web.session import PREFIX, WebUser, allow, check_csrf
from api.web.templating import render, translator
from digitization.errors import NotFoundError
from digitization.extract_ports import SigningUnavailableError
from digitization.ports import ServiceUnavailableError
from domain.access import ALL_DISTRICTS, Permission, User
from domain.entry_fields import SCHEMAS
from domain.errors import DomainError
from domain.extract import PURPOSE_MAX
from domain.personal_id import PersonalId
from domain.record_kind import RecordKind
from projections.portal_audit import PortalAudit
from projections.portal_model import PortalRecord
from projections.portal_queries import PortalQueries, RecordFilter

router = APIRouter()

MAX_FOUND = 20  # records listed for a personal ID
Sha256 = Annotated[str, Path(pattern=SHA256_PATTERN)]
_CN = re.compile(r"(?:^|,)CN=((?:[^,\\]|\\.)*)")


def _portal(services: Services) -> tuple[PortalQueries, PortalAudit]:
    if services.portal is None or services.portal_audit is None:
        raise ServiceUnavailableError("portal", "the portal is not served by this instance")
    return services.portal, services.portal_audit


def _when(stamp: dt.datetime | str, lang: str) -> str:
    """A moment as the page shows it: 12/03/2026 08:15 UTC (2026-03-12 08:15 UTC in English)."""
    moment = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    moment = moment.astimezone(dt.UTC)
    return moment.strftime("%d/%m/%Y %H:%M UTC" if lang == "vi" else "%Y-%m-%d %H:%M UTC")


def common_name(subject: str) -> str:
    """The CN of an RFC 4514 subject ("CN=Lò Văn Páo,O=…" -> "Lò Văn Páo"); else the subject."""
    found = _CN.search(subject)
    return re.sub(r"\\(.)", r"\1", found.group(1)) if found else subject


def _place(services: Services, record: PortalRecord) -> str:
    units = services.app.units
    return f"{units.commune(record.commune_code).name}, {units.district(record.district).name}"


def _book(t: Translator, record: PortalRecord) -> str:
    years = f"{record.year_from}–{record.year_to}"
    return t("book.title", kind=t.kind(record.kind), number=record.book_number, years=years)


def _extract_rows(t: Translator, extracts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The extracts issued, newest first, as the page lists them."""
    return [
        {
            "sha256": e["sha256"],
            "issued_at": _when(e["issued_at"], t.lang),
            "purpose": e["purpose"],
            "signer": common_name(e["signer"]["subject"]),
            "signer_subject": e["signer"]["subject"],
            "level": e["signature_level"],
            "size_kb": max(1, round(e["size"] / 1024)),
            "url": f"{PREFIX}/extracts/{e['sha256']}.pdf",
        }
        for e in reversed(extracts)
    ]


def _record_page(
    request: Request,
    user: User,
    services: Services,
    entry_id: UUID,
    *,
    issued: str | None = None,
    error: str | None = None,
    purpose: str = "",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The published record, the extracts issued of it and the form to issue one; 404 unless
    it is published in a district the user works in."""
    allow(user, Permission.PORTAL_READ)
    portal, audit = _portal(services)
    record = portal.get_record(entry_id)
    if record is not None and not user.works_in(record.district):
        record = None
    seen = [record.id] if record is not None else []
    record_read(audit, user, "get_record", {"entry_id": str(entry_id)}, seen)
    if record is None:
        raise NotFoundError("published record", entry_id)
    may_issue = user.may(Permission.ISSUE_EXTRACT)
    extracts: list[dict[str, Any]] = []
    if may_issue:
        extracts = services.app.list_extracts(actor=user, entry_id=entry_id)
        query = {"entry_id": str(entry_id)}
        record_extract_request(services, user, "list_extracts", query, [entry_id])
    t = translator(request)
    rows = [
        (path, t.label(path), shown_value(record.fields[path], t.lang, t("entry.empty")))
        for path in SCHEMAS[RecordKind(record.kind)]
        if path in record.fields
    ]
    return render(
        request,
        "portal_record.html",
        user=user,
        status=status,
        headers=headers,
        record=record,
        book=_book(t, record),
        place=_place(services, record),
        published_at=_when(record.published_at, t.lang),
        rows=rows,
        extracts=_extract_rows(t, extracts),
        may_issue=may_issue,
        issued=issued if any(e["sha256"] == issued for e in extracts) else None,
        error=error,
        purpose=purpose,
        purpose_max=PURPOSE_MAX,
    )


# ----- the lookup ---------------------------------------------------------------------------
@router.get("/portal", response_class=HTMLResponse)
def portal_page(
    request: Request,
    user: WebUser,
    services: ServicesDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Look a published record up: its id opens it, a personal ID lists the records holding it
    (records about its holder first)."""
    allow(user, Permission.PORTAL_READ)
    text = (q or "").strip()
    if not text:
        return render(request, "portal.html", user=user, q="")
    try:
        return RedirectResponse(f"{PREFIX}/portal/records/{UUID(text)}", status_code=303)
    except ValueError:
        pass
    portal, audit = _portal(services)
    t = translator(request)
    try:
        pid = PersonalId.parse(text).value
    except DomainError as e:
        return render(request, "portal.html", user=user, q=text, error=t.error(e), status=422)
    scope = None if ALL_DISTRICTS in user.districts else user.districts
    hits = portal.find_by_personal_id_page(
        pid, where=RecordFilter(districts=scope), after=None, limit=MAX_FOUND + 1
    )
    records = [h.record for h in hits[:MAX_FOUND]]
    query = {"personal_id": pid, "limit": MAX_FOUND}
    record_read(audit, user, "find_by_personal_id", query, [r.id for r in records])
    found = [
        {
            "record": r,
            "kind": t.kind(r.kind),
            "book": _book(t, r),
            "place": _place(services, r),
        }
        for r in records
    ]
    return render(
        request,
        "portal.html",
        user=user,
        q=text,
        personal_id=pid,
        found=found,
        more=len(hits) > MAX_FOUND,
        max_found=MAX_FOUND,
    )


# ----- one record and its extracts ------------------------------------------------------------
@router.get("/portal/records/{entry_id}", response_class=HTMLResponse)
def record_page(
    request: Request,
    entry_id: UUID,
    user: WebUser,
    services: ServicesDep,
    issued: Annotated[str | None, Query(pattern=SHA256_PATTERN)] = None,
) -> HTMLResponse:
    """A published record with the extracts issued of it, and the form to issue one."""
    return _record_page(request, user, services, entry_id, issued=issued)


@router.post("/portal/records/{entry_id}/extracts", response_class=HTMLResponse)
def issue_extract(
    request: Request,
    entry_id: UUID,
    user: WebUser,
    services: ServicesDep,
    purpose: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Issue a signed extract (the use case of ``POST /portal/records/{id}/extracts``), then
    show the record with it; a refusal shows the page again saying why. (A plain function:
    FastAPI runs it in a worker thread, as the API's, so signing may run its own event loop.)"""
    check_csrf(request, csrf_token)
    allow(user, Permission.ISSUE_EXTRACT)
    t = translator(request)
    try:
        extract = services.app.issue_extract(actor=user, entry_id=entry_id, purpose=purpose)
    except SigningUnavailableError as e:  # the token cannot sign now: nothing was issued
        reason = t("portal.signing_unavailable", reason=t.rule(e.code, e.params).rstrip("."))
        retry = {"Retry-After": str(e.retry_after)}
        return _record_page(
            request,
            user,
            services,
            entry_id,
            error=reason,
            purpose=purpose,
            status=503,
            headers=retry,
        )
    except DomainError as e:
        if isinstance(e, NotFoundError):
            raise
        return _record_page(
            request,
            user,
            services,
            entry_id,
            error=t.error(e),
            purpose=purpose,
            status=refusal_status(e),
        )
    query = {"entry_id": str(entry_id), "purpose": extract["purpose"], "sha256": extract["sha256"]}
    record_extract_request(services, user, "issue_extract", query, [entry_id])
    target = f"{PREFIX}/portal/records/{entry_id}?issued={extract['sha256']}"
    return RedirectResponse(target, status_code=303)


@router.get("/extracts/{sha256}.pdf", response_class=StreamingResponse)
def download_extract(sha256: Sha256, user: WebUser, services: ServicesDep) -> StreamingResponse:
    """An issued extract (the signed PDF), to those who may see its record."""
    entry, issued, chunks = services.app.get_extract(actor=user, sha256=sha256)
    record_extract_request(services, user, "get_extract", {"sha256": sha256}, [entry.id])
    return extract_download(entry.entry_number, sha256, issued["size"], chunks)
