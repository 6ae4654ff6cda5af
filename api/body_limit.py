"""Bounded request bodies: a body over its route's limit is refused with 413 problem+json while
it streams in, before anything parses it.

Commands and page forms are small (JSON or urlencoded, 1 MB at most). Scan uploads
(``POST …/registers/{id}/pages``) are not limited here: their receiver streams each file to
disk and refuses one over the byte limit, too many files, or a form field over its limit.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_COMMAND_BYTES = 1 << 20
UPLOADS = re.compile(r"^(/ui)?/registers/[^/]+/pages$")
IMPORTS = re.compile(r"^/registers/[^/]+/imports$")  # a contractor's package: its workbook
MAX_IMPORT_BYTES = 8 << 30  # and the ZIP of a book's PDFs, each checked as it is unpacked
TYPE = "https://hotich.example/problems/payload-too-large"


class BodyTooLargeError(Exception):
    """The body passed its limit while streaming in."""


def _limit(scope: Scope) -> int | None:
    if scope["method"] == "POST" and UPLOADS.match(scope["path"]):
        return None
    if scope["method"] == "POST" and IMPORTS.match(scope["path"]):
        return MAX_IMPORT_BYTES
    return MAX_COMMAND_BYTES


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": TYPE,
            "title": "Payload too large",
            "status": 413,
            "detail": f"body: a request body here is at most {limit} bytes",
            "errors": [{"field": "body", "rule": f"at most {limit} bytes"}],
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the rest of the body is not read
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = _limit(scope) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, limit)
            return
        received = 0
        started = refused = False

        async def counted() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started and not refused:
                        refused = True
                        await _refuse(send, limit)
                    raise BodyTooLargeError()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if refused:  # the 413 went out; whatever the app makes of the error does not
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLargeError:
            if not refused:
                raise
