"""The web pages: the managers' dashboard, the clerks' and verifiers' data-entry pages, and the
portal's lookup and signed extracts.

Server-rendered Jinja2 templates with a little JavaScript (htmx for partial refresh and the
upload form, a few lines of plain JS for the scan viewer and keyboard shortcuts); charts are
SVG drawn on the server. Every asset is served by hotich from ``static/`` (``/static/…``),
including Swagger UI for ``/docs``: nothing is fetched from the internet at run time.

The pages are a sub-application mounted at ``/ui`` (outside the OpenAPI schema, with HTML
error pages of their own); handlers are thin and call the same use cases as the JSON API.
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import add_exception_handlers
from api.routes import include_routers
from api.web.routes import book, dashboard, entry, portal, signin, units_2025
from api.web.session import PREFIX, PageForbiddenError, SignInRequiredError, signin_url
from api.web.templating import render, translator
from digitization.errors import NotFoundError
from digitization.ports import InsufficientStorageError, ServiceUnavailableError
from domain.access import ForbiddenError
from domain.errors import DomainError
from projections.portal_audit import AuditUnavailableError

STATIC = Path(__file__).parent / "static"
# Scripts, styles and requests only from hotich itself (no inline script; htmx's eval is off);
# scan images may come from the S3 server's short-lived links.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: http: https:; object-src 'none'; "
        b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every response of the pages (plain ASGI: uploads stream)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


SWAGGER = "/static/vendor/swagger-ui"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)


def docs_security_headers(page: bytes) -> dict[str, str]:
    """The pages' headers for /docs, whose one inline script (Swagger UI's start) is allowed by
    its hash, nothing else inline."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
    headers["content-security-policy"] = (
        f"default-src 'self'; script-src 'self' {hashes}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
    return headers


def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequiredError)
    target = signin_url(exc.next_url)
    if request.headers.get("hx-request"):  # htmx: the whole page goes to the sign-in form
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _forbidden(request: Request, exc: Exception) -> Response:
    csrf = isinstance(exc, PageForbiddenError) and exc.csrf
    return render(
        request,
        "error.html",
        status=403,
        message_key="error.csrf" if csrf else "error.forbidden",
        detail=str(exc),
    )


def _not_found(request: Request, exc: Exception) -> Response:
    return render(request, "error.html", status=404, message_key="error.not_found")


def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotFoundError):
        return _not_found(request, exc)
    return render(request, "error.html", status=400, domain_error=exc)


def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    detail = "; ".join(
        ".".join(str(p) for p in e["loc"][1:]) + ": " + str(e["msg"]) for e in exc.errors()
    )
    return render(
        request, "error.html", status=422, message_key="error.invalid_request", detail=detail
    )


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        return _not_found(request, exc)
    return render(request, "error.html", status=exc.status_code, detail=str(exc.detail))


def _unavailable(request: Request, exc: Exception) -> Response:
    """503 (507: a disk is full) with Retry-After: nothing was done, retry later."""
    assert isinstance(exc, ServiceUnavailableError)
    full = isinstance(exc, InsufficientStorageError)
    return render(
        request,
        "error.html",
        status=507 if full else 503,
        message_key="error.storage_full" if full else "error.unavailable",
        detail=exc.dependency,
        headers={"Retry-After": str(exc.retry_after)},
    )


def _audit_unavailable(request: Request, exc: Exception) -> Response:
    """A portal read whose audit entry cannot be stored is not answered (503, as the API)."""
    return render(
        request,
        "error.html",
        status=503,
        message_key="error.unavailable",
        detail=translator(request)("portal.audit_unavailable"),
        headers={"Retry-After": "5"},
    )


def web_app() -> FastAPI:
    """The pages under /ui, with HTML error pages (the API keeps problem+json)."""
    pages = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    include_routers(
        pages,
        signin.router,
        dashboard.router,
        units_2025.router,
        book.router,
        entry.router,
        portal.router,
    )
    add_exception_handlers(
        pages,
        {
            SignInRequiredError: _sign_in,
            ForbiddenError: _forbidden,
            PageForbiddenError: _forbidden,
            DomainError: _domain,
            RequestValidationError: _invalid,
            StarletteHTTPException: _http,
            ServiceUnavailableError: _unavailable,
            AuditUnavailableError: _audit_unavailable,
        },
    )
    pages.add_middleware(SecurityHeaders)
    return pages


def install_web(app: FastAPI) -> None:
    """Mount the pages at /ui and the assets at /static, and serve /docs from local assets."""
    pages = web_app()
    pages.state.services = app.state.services
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount(PREFIX, pages, name="ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI for the OpenAPI schema, from hotich's own copy of swagger-ui-dist."""
        page = get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
            swagger_ui_parameters={"validatorUrl": None},
        )
        page.headers.update(docs_security_headers(bytes(page.body)))
        return page

    @app.get("/ui", include_in_schema=False)
    def ui_root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=303)
