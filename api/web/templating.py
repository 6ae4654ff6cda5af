"""Render a page: Jinja2 templates (autoescaped) with the translator, the user and the CSRF
token in every context, and the language remembered in a cookie when ``?lang=`` chose it."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web.i18n import LANGS, Translator, negotiate
from api.web.session import LANG_COOKIE, PREFIX, csrf_token, session_token
from domain.access import Permission, User

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["PREFIX"] = PREFIX
TEMPLATES.env.filters["asdict"] = dataclasses.asdict


def translator(request: Request) -> Translator:
    return Translator(negotiate(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)))


def lang_url(request: Request, lang: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', lang)])}"


def render(
    request: Request,
    template: str,
    *,
    user: User | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    t = translator(request)
    token = session_token(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "t": t,
            "lang": t.lang,
            "user": user,
            "csrf": csrf_token(token) if token and user else "",
            "may_read": user is not None and user.may(Permission.READ),
            "may_portal": user is not None and user.may(Permission.PORTAL_READ),
            "switch_url": lang_url(request, t.other),
            **context,
        },
        status_code=status,
        headers=headers,
    )
    chosen = request.query_params.get("lang")
    if chosen in LANGS and chosen != request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax")
    return response
