"""Idempotency-Key on the write routes: the HTTP side of :mod:`digitization.idempotency`."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from api.problems import problem
from digitization.idempotency import (
    Answer,
    InvalidKeyError,
    KeyReusedError,
    Once,
    RequestInProgressError,
)

REPLAYED_HEADERS = ("etag", "location", "content-type")


def fingerprint(request: Request, payload: str) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n{payload}".encode())
    return digest.hexdigest()


def idempotent(
    request: Request, once: Once, user_id: str, payload: str, run: Callable[[], JSONResponse]
) -> Response:
    """Run the write once per Idempotency-Key; a retry with the same key gets the first answer."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return run()

    produced: list[JSONResponse] = []

    def command() -> Answer:
        response = run()
        produced.append(response)
        headers = {k: v for k, v in response.headers.items() if k.lower() in REPLAYED_HEADERS}
        return Answer(response.status_code, bytes(response.body).decode("utf-8"), headers)

    try:
        answer, replayed = once.run(user_id, key, fingerprint(request, payload), command)
    except InvalidKeyError as e:
        return problem(400, "Invalid Idempotency-Key", str(e), "invalid-idempotency-key")
    except KeyReusedError as e:
        return problem(422, "Idempotency-Key reused", str(e), "idempotency-key-reused")
    except RequestInProgressError as e:
        response = problem(409, "Request in progress", str(e), "idempotency-in-progress")
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    if not replayed:
        return produced[0]
    sent = Response(answer.body, status_code=answer.status, headers=answer.headers)
    sent.headers["idempotent-replayed"] = "true"
    return sent
