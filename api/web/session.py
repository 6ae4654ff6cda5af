"""Browser sessions: the bearer token in a cookie, and the CSRF check of every form post.

**The cookie holds the token itself**, not a signed session: the token is already an
unguessable secret that the user store checks on every request (so an expired or revoked token
stops working at once, as on the API), and there is no server-side secret that every API
replica would have to share. The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict``
(no other site's page sends it), ``Secure`` on HTTPS, ``Path=/``, and lives as long as the
browser session.

**CSRF**: besides SameSite=Strict, every POST must carry the session's CSRF token (a hidden
``csrf_token`` field, or the ``X-CSRF-Token`` header that htmx sends), and a browser's
``Sec-Fetch-Site``/``Origin`` must say same-origin. The CSRF token is derived from the session
token (SHA-256 over a fixed prefix and the token): unguessable without the token, the same on
every replica, and it changes when the user signs in with another token. The sign-in form
itself (no session yet) is checked by origin only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request

from domain.access import ForbiddenError, Permission, User, require, require_in_district

COOKIE = "hotich_session"
LANG_COOKIE = "hotich_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PREFIX = "/ui"


class SignInRequiredError(Exception):
    """No valid session cookie: the browser is sent to the sign-in page."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in first")
        self.next_url = next_url


class PageForbiddenError(Exception):
    """Role, district or CSRF check refused a page (an HTML 403, not problem+json)."""

    def __init__(self, message: str, *, csrf: bool = False) -> None:
        super().__init__(message)
        self.csrf = csrf


def csrf_token(session_token: str) -> str:
    digest = hashlib.sha256(b"hotich-csrf/1\x00" + session_token.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def web_user(request: Request) -> User:
    """The signed-in user, from the session cookie (else: to the sign-in page)."""
    token = session_token(request)
    user: User | None = request.app.state.services.users.authenticate(token) if token else None
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequiredError(target)
    return user


WebUser = Annotated[User, Depends(web_user)]


def allow(user: User, permission: Permission, district: str | None = None) -> None:
    """``require`` for pages: a refusal renders an HTML 403."""
    try:
        if district is None:
            require(user, permission)
        else:
            require_in_district(user, permission, district)
    except ForbiddenError as e:
        raise PageForbiddenError(str(e)) from None


def check_origin(request: Request) -> None:
    """Refuse a post that a browser says came from another site."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise PageForbiddenError(f"cross-site post (Sec-Fetch-Site: {site})", csrf=True)
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise PageForbiddenError(f"post from another origin ({origin})", csrf=True)


def check_csrf(request: Request, submitted: str | None) -> None:
    """The post carries this session's CSRF token and comes from this site."""
    check_origin(request)
    token = session_token(request)
    given = submitted or request.headers.get(CSRF_HEADER)
    if not token or not given or not hmac.compare_digest(given, csrf_token(token)):
        raise PageForbiddenError("missing or wrong CSRF token", csrf=True)


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of the web pages only (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//"):
        return target
    return PREFIX + "/"


def signin_url(next_url: str) -> str:
    return f"{PREFIX}/signin?next={quote(next_url, safe='/')}"
