"""A small HTTP client of the hotich API for the CLI: bearer token, retries, problem+json errors."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, BinaryIO

import httpx

RETRY_STATUSES = frozenset({502, 503, 504})
IN_PROGRESS = "/idempotency-in-progress"  # 409: a request with this key may still be running
MAX_WAIT = 65.0  # seconds, the most a Retry-After is honoured for


class ApiError(Exception):
    """The API refused (a problem+json answer) or could not be reached."""

    def __init__(self, status: int | None, detail: str) -> None:
        self.status = status
        self.detail = detail
        super().__init__(f"{status or 'no answer'}: {detail}")


class HotichClient:
    def __init__(self, base_url: str, token: str | None, *, retries: int = 4, timeout: float = 120):
        if not token:
            raise ApiError(
                None, "a token is required: --token or HOTICH_TOKEN (hotich users token ID)"
            )
        self.retries = retries
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def download(self, path: str, target: BinaryIO) -> None:
        """GET ``path`` into ``target`` as it arrives (a package, not JSON); ApiError when
        refused."""
        try:
            with self._http.stream("GET", path) as response:
                if response.status_code >= 400:
                    response.read()
                    _result(response)
                for chunk in response.iter_bytes(1 << 20):
                    target.write(chunk)
        except httpx.TransportError as e:
            raise ApiError(None, f"cannot reach {self._http.base_url}: {e}") from e

    def request(
        self,
        method: str,
        path: str,
        make: Callable[[], dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send with retries on connection errors and 502/503/504; ``make`` rebuilds the body."""
        delay = 0.5
        for attempt in range(self.retries + 1):
            extra = make() if make else {}
            try:
                response = self._http.request(method, path, **kwargs, **extra)
            except httpx.TransportError as e:
                if attempt == self.retries:
                    raise ApiError(None, f"cannot reach {self._http.base_url}: {e}") from e
            else:
                if not _retryable(response) or attempt == self.retries:
                    return _result(response)
                wait = _retry_after(response)
                delay = max(delay, wait) if wait is not None else delay
            finally:
                for _, upload in extra.get("files", []):
                    upload[1].close()
            time.sleep(min(delay, MAX_WAIT))
            delay = min(delay * 2, 8)
        raise AssertionError("unreachable")


def _retryable(response: httpx.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    if response.status_code != 409:
        return False
    try:
        return str(response.json().get("type", "")).endswith(IN_PROGRESS)
    except ValueError:
        return False


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None


def _result(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body = response.json()
            detail = body.get("detail") or body.get("title") or response.text
        except ValueError:
            detail = response.text
        raise ApiError(response.status_code, str(detail))
    return response.json() if response.content else None


# Every command of the API the CLI sends: name -> (method, path with {placeholders}).
COMMANDS: dict[str, tuple[str, str]] = {
    "catalogue": ("POST", "/registers"),
    "key": ("POST", "/registers/{register}/entries"),
    "rekey": ("POST", "/entries/{entry}/rekeying"),
    "second-key": ("POST", "/entries/{entry}/second-keying"),
    "reconcile": ("POST", "/entries/{entry}/reconciliation"),
    "verify": ("POST", "/entries/{entry}/verification"),
    "reject": ("POST", "/entries/{entry}/rejection"),
    "correct": ("POST", "/entries/{entry}/corrections"),
    "publish": ("POST", "/entries/{entry}/publication"),
}


def send_command(client: HotichClient, name: str, body: dict[str, Any], **ids: object) -> Any:
    """Send command ``name`` with the same Idempotency-Key on every retry, so nothing is
    recorded twice; the answer, or ApiError."""
    method, path = COMMANDS[name]
    key = f"cli:{uuid.uuid4()}"
    return client.request(method, path.format(**ids), json=body, headers={"Idempotency-Key": key})
