"""Managers' dashboard: the province headline, each district's stages and plan status, the
trend, drill-down to communes and books, CSV and XLSX exports. Read-only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import ServicesDep
from api.web import exports
from api.web.charts import TREND_SERIES, stage_chart, trend_chart
from api.web.figures import Dashboard, communes, dashboard, stages_of
from api.web.session import PREFIX, WebUser, allow, session_token
from api.web.templating import render, translator
from digitization.errors import NotFoundError
from domain.access import Permission
from domain.admin_units import AdminUnit
from domain.errors import InvalidValueError

router = APIRouter()
REFRESH_SECONDS = 5

Today = Annotated[dt.date | None, Query(description="judge the plan as of this day")]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="plan year")]
DistrictCode = Annotated[str, Path(pattern=r"^\d{3}$")]
CommuneCode = Annotated[str, Path(pattern=r"^\d{5}$")]


def _board(
    services: ServicesDep, user: WebUser, today: dt.date | None, year: int | None
) -> Dashboard:
    allow(user, Permission.READ)
    return dashboard(services, user, today or dt.datetime.now(dt.UTC).date(), year)


def _context(board: Dashboard, today: dt.date | None) -> dict[str, Any]:
    most = max((r.stages["registers"] for r in board.rows), default=0)
    return {
        "board": board,
        "charts": {r.code: stage_chart(r.stages, most) for r in board.rows},
        "trend": trend_chart(board.trend) if board.trend else None,
        "trend_series": TREND_SERIES,
        "refresh": REFRESH_SECONDS,
        "fixed_today": today,
        "now": dt.datetime.now(dt.UTC).strftime("%H:%M:%S UTC"),
    }


def _query(board: Dashboard, today: dt.date | None, lang: str) -> str:
    day = f"&today={today.isoformat()}" if today else ""
    return f"?year={board.year}{day}&lang={lang}"


def _unit(services: ServicesDep, code: str, level: str) -> AdminUnit:
    """A district or commune of the province named in the path; else 404."""
    units = services.app.units
    try:
        return units.district(code) if level == "district" else units.commune(code)
    except InvalidValueError:
        raise NotFoundError(level, code) from None


@router.get("/", include_in_schema=False)
def home(request: Request) -> RedirectResponse:
    """Where a signed-in user starts: the portal's lookup for the portal, else the dashboard
    (which sends anyone else to the sign-in form)."""
    token = session_token(request)
    user = request.app.state.services.users.authenticate(token) if token else None
    portal = user is not None and not user.may(Permission.READ) and user.may(Permission.PORTAL_READ)
    return RedirectResponse(f"{PREFIX}/{'portal' if portal else 'dashboard'}", status_code=303)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, user: WebUser, services: ServicesDep, today: Today = None, year: Year = None
) -> HTMLResponse:
    """The province's progress; the figures refresh themselves every few seconds."""
    return _render_board(request, user, services, today, year, "dashboard.html")


@router.get("/dashboard/figures", response_class=HTMLResponse)
def dashboard_figures(
    request: Request, user: WebUser, services: ServicesDep, today: Today = None, year: Year = None
) -> HTMLResponse:
    """The figures part of the dashboard (what the page polls)."""
    return _render_board(request, user, services, today, year, "_figures.html")


def _render_board(
    request: Request,
    user: WebUser,
    services: ServicesDep,
    today: dt.date | None,
    year: int | None,
    template: str,
) -> HTMLResponse:
    board = _board(services, user, today, year)
    return render(
        request,
        template,
        user=user,
        query=_query(board, today, translator(request).lang),
        **_context(board, today),
    )


@router.get("/dashboard/export.csv")
def export_csv(
    request: Request, user: WebUser, services: ServicesDep, today: Today = None, year: Year = None
) -> Response:
    """The dashboard's figures as CSV (UTF-8)."""
    board = _board(services, user, today, year)
    return _download(board, exports.to_csv(board, translator(request)), "csv", exports.CSV_TYPE)


@router.get("/dashboard/export.xlsx")
def export_xlsx(
    request: Request, user: WebUser, services: ServicesDep, today: Today = None, year: Year = None
) -> Response:
    """The dashboard's figures as an Excel workbook."""
    board = _board(services, user, today, year)
    body = exports.to_xlsx(board, translator(request))
    return _download(board, body, "xlsx", exports.XLSX_TYPE)


def _download(board: Dashboard, body: bytes | str, extension: str, media_type: str) -> Response:
    name = f"hotich-tien-do-{board.today.isoformat()}.{extension}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/districts/{district}", response_class=HTMLResponse)
def district_page(
    request: Request,
    district: DistrictCode,
    user: WebUser,
    services: ServicesDep,
    today: Today = None,
) -> HTMLResponse:
    """A district: its stages, plan status and communes."""
    unit = _unit(services, district, "district")
    allow(user, Permission.READ, district)
    day = today or dt.datetime.now(dt.UTC).date()
    progress = services.progress.district_progress(district, day)
    figures = communes(services, district)
    most = max((c.stages["registers"] for c in figures), default=0)
    return render(
        request,
        "district.html",
        user=user,
        district=unit,
        progress=progress,
        chart=stage_chart(stages_of(progress), progress.registers),
        communes=figures,
        commune_charts={c.code: stage_chart(c.stages, most) for c in figures},
    )


@router.get("/districts/{district}/communes/{commune}", response_class=HTMLResponse)
def commune_page(
    request: Request,
    district: DistrictCode,
    commune: CommuneCode,
    user: WebUser,
    services: ServicesDep,
) -> HTMLResponse:
    """A commune's books with their figures."""
    unit = _unit(services, district, "district")
    allow(user, Permission.READ, district)
    place = _unit(services, commune, "commune")
    if services.app.units.district_of(commune).code != district:
        return render(request, "error.html", user=user, status=404, message_key="error.not_found")
    figures = next(c for c in communes(services, district) if c.code == place.code)
    most = max((b.stages["registers"] for b in figures.books), default=1)
    return render(
        request,
        "commune.html",
        user=user,
        district=unit,
        commune=figures,
        charts={str(b.id): stage_chart(b.stages, most) for b in figures.books},
    )
