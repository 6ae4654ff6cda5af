"""The page of one entry: blind second keying, the field-by-field discrepancy view, verify,
reject, publish, rekey.

Handlers parse the form, call the use cases (``Digitisation``), and redirect
(post/redirect/get) or show the page again with the refusal translated."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import Services, ServicesDep
from api.web.entry_forms import (
    FIELD_PREFIX,
    form_fields,
    posted_fields,
    posted_pages,
    scan_pages,
    shown_value,
)
from api.web.routes.shared import book_context, posted_form, refusal_status
from api.web.session import PREFIX, WebUser, check_csrf
from api.web.templating import render, translator
from domain.access import Permission, User
from domain.civil_record import VERIFIABLE, CivilRecord, EntryStatus
from domain.entry_fields import SCHEMAS
from domain.errors import DomainError, InvalidValueError
from domain.numbers import small_number

router = APIRouter()


# ----- one entry: second keying, reconciliation, verification ---------------------------------
def _mode(entry: CivilRecord, user: User, requested: str | None) -> str:
    """What the page offers this user now."""
    involved = (
        user.id in entry.keyed_by
        or user.id in entry.second_keyed_by
        or user.id in entry.corrected_by
    )
    status = entry.status
    can_second_key = (
        status is EntryStatus.KEYED
        and user.may(Permission.SECOND_KEY)
        and user.id not in entry.keyed_by
    )
    can_check = status in VERIFIABLE and user.may(Permission.VERIFY) and not involved
    if can_second_key and not (requested == "check" and can_check):
        return "second_key"
    if status is EntryStatus.DISCREPANCIES_FOUND and user.may(Permission.RECONCILE):
        return "four_eyes" if involved else "reconcile"
    if can_check:
        return "check"
    if status is EntryStatus.REJECTED and user.may(Permission.KEY):
        return "rekey"
    if status is EntryStatus.VERIFIED and user.may(Permission.PUBLISH):
        return "publish"
    if involved and status in VERIFIABLE and user.may(Permission.VERIFY):
        return "four_eyes"
    return "read"


def _entry_page(
    request: Request,
    user: User,
    services: Services,
    entry: CivilRecord,
    *,
    mode: str | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    error: DomainError | None = None,
    done: str | None = None,
) -> HTMLResponse:
    t = translator(request)
    register = services.app.get_register(entry.register_id)
    chosen = _mode(entry, user, mode)
    blind = chosen == "second_key"
    shown = {} if blind else entry.fields
    typed = values if values is not None else ({} if blind else entry.fields)
    schema = SCHEMAS[entry.kind]
    rows = [
        (path, t.label(path), shown_value(shown.get(path), t.lang, t("entry.empty")))
        for path in schema
        if path in shown
    ]
    discrepancies = [
        {
            "path": path,
            "label": t.label(path),
            "id": path.replace(".", "-"),
            "first": shown_value(d.get("first"), t.lang, t("entry.empty")),
            "second": shown_value(d.get("second"), t.lang, t("entry.empty")),
            "resolved": d.get("resolved", False),
            "value": shown_value(d.get("value"), t.lang, t("entry.empty")),
            "type": schema[path].type.value,
        }
        for path, d in entry.discrepancies.items()
    ]
    return render(
        request,
        "entry.html",
        user=user,
        status=status,
        entry=entry,
        mode=chosen,
        can_check_instead=chosen == "second_key" and _mode(entry, user, "check") == "check",
        rows=rows,
        discrepancies=discrepancies,
        fields=form_fields(entry.kind, typed),
        scans=scan_pages(services.app, register),
        start_page=entry.pages[0] if entry.pages else 1,
        pages=" ".join(str(p) for p in entry.pages),
        error=t.error(error) if error else None,
        error_field=error.field if isinstance(error, InvalidValueError) else None,
        done=done,
        discrepancy_count=sum(1 for d in entry.discrepancies.values() if not d["resolved"]),
        **book_context(services, register),
    )


@router.get("/entries/{entry_id}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    entry_id: UUID,
    user: WebUser,
    services: ServicesDep,
    mode: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    """An entry beside its scan, with what this user may do to it now."""
    entry = services.app.get_entry(entry_id, actor=user)
    return _entry_page(request, user, services, entry, mode=mode, done=done)


FormArguments = Callable[[CivilRecord, dict[str, str]], dict[str, Any]]

# The actions on an entry's page: (path, the use case of Digitisation, who may, what the page
# says afterwards, the use case's arguments from the posted form).
ACTIONS: list[tuple[str, str, Permission, str, FormArguments]] = [
    (
        "second-keying",
        "second_key_entry",
        Permission.SECOND_KEY,
        "second_keyed",
        lambda entry, form: {"fields": posted_fields(entry.kind, form)},
    ),
    (
        "rekeying",
        "rekey_entry",
        Permission.KEY,
        "rekeyed",
        lambda entry, form: {
            "pages": posted_pages(form.get("pages", "")),
            "fields": posted_fields(entry.kind, form),
        },
    ),
    (
        "reconciliation",
        "reconcile_entry",
        Permission.RECONCILE,
        "reconciled",
        lambda entry, form: {"resolutions": resolutions(entry, form)},
    ),
    ("verification", "verify_entry", Permission.VERIFY, "verified", lambda entry, form: {}),
    (
        "rejection",
        "reject_entry",
        Permission.VERIFY,
        "rejected",
        lambda entry, form: {"reason": form.get("reason", "")},
    ),
    ("publication", "publish_entry", Permission.PUBLISH, "published", lambda entry, form: {}),
]


async def _act(
    request: Request,
    entry_id: UUID,
    user: User,
    services: Services,
    action: tuple[str, str, Permission, str, FormArguments],
) -> Response:
    """Check the form's CSRF token, role and district; run the use case with the version the
    page showed; redirect to the entry, or show the page again with the refusal."""
    _, use_case, permission, done, arguments = action
    form = await posted_form(request)
    check_csrf(request, form.get("csrf_token"))
    entry = services.app.get_entry(entry_id, actor=user, purpose=permission)
    expected = small_number(form.get("expected_version", ""))
    try:
        call = getattr(services.app, use_case)
        call(actor=user, entry_id=entry.id, expected_version=expected, **arguments(entry, form))
    except DomainError as e:
        typed = (
            posted_fields(entry.kind, form)
            if any(k.startswith(FIELD_PREFIX) for k in form)
            else None
        )
        current = services.app.get_entry(entry_id)
        return _entry_page(
            request,
            user,
            services,
            current,
            mode=form.get("mode"),
            values=typed,
            status=refusal_status(e),
            error=e,
        )
    return RedirectResponse(f"{PREFIX}/entries/{entry_id}?done={done}", status_code=303)


def resolutions(entry: CivilRecord, form: dict[str, str]) -> dict[str, Any]:
    """The verifier's choice for each open discrepancy: the first keying's value, the
    second's, or another value typed in (blank: the field is empty)."""
    chosen: dict[str, Any] = {}
    for path, d in entry.discrepancies.items():
        if d["resolved"]:
            continue
        choice = form.get(f"choice.{path}")
        if choice == "first":
            chosen[path] = d["first"]
        elif choice == "second":
            chosen[path] = d["second"]
        elif choice == "other":
            chosen[path] = form.get(f"other.{path}", "").strip() or None
    return chosen


def _action_route(action: tuple[str, str, Permission, str, FormArguments]) -> None:
    async def endpoint(
        request: Request, entry_id: UUID, user: WebUser, services: ServicesDep
    ) -> Response:
        return await _act(request, entry_id, user, services, action)

    path, use_case = action[0], action[1]
    router.add_api_route(
        f"/entries/{{entry_id}}/{path}",
        endpoint,
        methods=["POST"],
        name=f"page_{use_case}",
        response_class=HTMLResponse,
    )


for page_action in ACTIONS:
    _action_route(page_action)
