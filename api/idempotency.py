"""Idempotency-Key: a retried write returns the first answer and records nothing twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request
from fastapi.responses import JSONResponse

from api.problems import problem

MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class StoredAnswer:
    fingerprint: str
    status: int | None  # None while the first request is still being processed
    body: str | None
    headers: dict[str, str]


class IdempotencyStore(Protocol):
    def claim(self, user_id: str, key: str, fingerprint: str) -> StoredAnswer | None:
        """Claim the key for this request; None if claimed now, else what is stored for it."""
        ...

    def answer(
        self, user_id: str, key: str, status: int, body: str, headers: dict[str, str]
    ) -> None: ...

    def release(self, user_id: str, key: str) -> None:
        """Forget a claim whose request failed unexpectedly, so a retry can run it."""
        ...


def fingerprint(request: Request, payload: str) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n{payload}".encode())
    return digest.hexdigest()


def idempotent(
    request: Request,
    user_id: str,
    payload: str,
    run: Callable[[], JSONResponse],
) -> JSONResponse:
    """Run the write once per Idempotency-Key; a retry with the same key gets the first answer."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return run()
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        return problem(
            400,
            "Invalid Idempotency-Key",
            f"Idempotency-Key: must be 1 to {MAX_KEY_LENGTH} characters",
            "invalid-idempotency-key",
        )
    store: IdempotencyStore = request.app.state.services.idempotency
    mine = fingerprint(request, payload)
    stored = store.claim(user_id, key, mine)
    if stored is not None:
        if stored.fingerprint != mine:
            return problem(
                422,
                "Idempotency-Key reused",
                "Idempotency-Key: was used for a different request; use a new key per request",
                "idempotency-key-reused",
            )
        if stored.status is None or stored.body is None:
            return problem(
                409,
                "Request in progress",
                "Idempotency-Key: the first request with this key is still being processed",
                "idempotency-in-progress",
            )
        return _replay(stored)
    try:
        response = run()
    except BaseException:
        store.release(user_id, key)
        raise
    if response.status_code >= 500:
        store.release(user_id, key)
        return response
    headers = {
        k: v
        for k, v in response.headers.items()
        if k.lower() in ("etag", "location", "content-type")
    }
    store.answer(user_id, key, response.status_code, bytes(response.body).decode("utf-8"), headers)
    return response


def _replay(stored: StoredAnswer) -> JSONResponse:
    response = JSONResponse(content=None, status_code=stored.status or 200)
    response.body = (stored.body or "").encode("utf-8")
    response.headers["content-length"] = str(len(response.body))
    for name, value in stored.headers.items():
        response.headers[name] = value
    response.headers["idempotent-replayed"] = "true"
    return response
