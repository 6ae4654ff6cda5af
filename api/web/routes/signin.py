"""Sign in with a bearer token (kept in an HttpOnly, SameSite=Strict cookie) and sign out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.web.session import (
    COOKIE,
    PREFIX,
    WebUser,
    check_csrf,
    check_origin,
    safe_next,
)
from api.web.templating import render

router = APIRouter()


@router.get("/signin", response_class=HTMLResponse)
def signin_page(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return render(request, "signin.html", next=safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    token: str = Form(""),
    next: str = Form(f"{PREFIX}/"),
) -> Response:
    """Check the pasted token; on success keep it in the session cookie."""
    check_origin(request)
    token = token.strip()
    user = request.app.state.services.users.authenticate(token) if token else None
    if user is None:
        return render(request, "signin.html", status=401, next=safe_next(next), refused=True)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@router.post("/signout")
def signout(request: Request, user: WebUser, csrf_token: str = Form("")) -> Response:
    """Forget the session cookie."""
    check_csrf(request, csrf_token)
    response = RedirectResponse(f"{PREFIX}/signin?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
