"""What a witness asks a hotich log over HTTP (``<log>/checkpoint``, ``<log>/proof/consistency``)
and what it sends it (``<log>/cosignatures``), with the log's failures told apart from its
refusals."""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging

import httpx

from infra.tlog.hashing import HASH_SIZE

log = logging.getLogger(__name__)

USER_AGENT = "hotich-witness/1"


class LogUnavailableError(RuntimeError):
    """The log could not be asked (no answer, a server error): nothing was decided."""


class ProofRefusedError(ValueError):
    """The log gave no usable consistency proof (a refusal or a malformed answer)."""


class WitnessLogClient:
    """One log (``log_url``: its URL prefix, e.g. ``http://host:8000/log``), asked through
    ``http`` (a client whose base URL is ``log_url``)."""

    def __init__(self, log_url: str, http: httpx.Client, token: str | None) -> None:
        self.log_url = log_url
        self.http = http
        self.token = token
        self.delivered: set[int] = set()  # sizes whose cosignature the log took

    def _get(self, path: str, params: dict[str, int] | None = None) -> httpx.Response:
        try:
            response = self.http.get(path, params=params)
        except httpx.HTTPError as e:
            raise LogUnavailableError(f"cannot reach {self.log_url}{path}: {e}") from None
        if response.status_code >= 500:
            raise LogUnavailableError(
                f"{self.log_url}{path}: {response.status_code} {_detail(response)}"
            )
        return response

    def checkpoint_note(self, *, have_one: bool) -> str | None:
        """The served checkpoint note; None if the log has none yet (404 before any was
        accepted; after one was, a 404 is the log being away, not a decision)."""
        response = self._get("/checkpoint")
        if response.status_code == 404 and not have_one:
            return None
        if response.status_code != 200:
            raise LogUnavailableError(
                f"{self.log_url}/checkpoint: {response.status_code} {_detail(response)}"
            )
        try:
            return response.content.decode("utf-8")
        except UnicodeDecodeError:
            return response.content.decode("utf-8", errors="replace")  # refused as unsigned

    def consistency_proof(self, old: int, new: int) -> list[bytes]:
        if old == 0:
            return []  # every tree extends the empty one; the log proves nothing from size 0
        response = self._get("/proof/consistency", {"from": old, "to": new})
        if response.status_code != 200:
            raise ProofRefusedError(f"the log answered {response.status_code} {_detail(response)}")
        try:
            body = response.json()
            if not isinstance(body, dict) or (body.get("from"), body.get("to")) != (old, new):
                raise ProofRefusedError(f"the proof served is not from {old} to {new}")
            hashes = body["hashes"]
            if not isinstance(hashes, list) or len(hashes) > 128:
                raise ProofRefusedError("the proof's hashes are not a list of hashes")
            proof = [base64.b64decode(str(h), validate=True) for h in hashes]
        except (ValueError, KeyError, binascii.Error) as e:
            raise ProofRefusedError(f"a malformed proof ({e})") from None
        if any(len(h) != HASH_SIZE for h in proof):
            raise ProofRefusedError("a proof hash is not 32 bytes")
        return proof

    def post(self, size: int, cosigned: str) -> bool | None:
        """Post the cosigned note with the witness's token (None: no token, nothing sent)."""
        if not self.token:
            return None
        try:
            response = self.http.post(
                "/cosignatures",
                content=cosigned.encode("utf-8"),
                headers={
                    "Content-Type": "text/plain; charset=utf-8",
                    "Authorization": f"Bearer {self.token}",
                },
            )
        except httpx.HTTPError as e:
            log.warning("the cosignature of size %d was not delivered: %s", size, e)
            return False
        if response.status_code != 200:
            log.warning(
                "the log refused the cosignature of size %d: %d %s",
                size,
                response.status_code,
                _detail(response),
            )
            return False
        self.delivered.add(size)
        kept: object = None
        with contextlib.suppress(ValueError, AttributeError):
            kept = response.json().get("kept")
        if not kept:
            log.warning(
                "the log kept no cosignature of size %d: is this witness's key in its "
                "HOTICH_LOG_WITNESSES? (hotich witness key)",
                size,
            )
        return True


def _detail(response: httpx.Response) -> str:
    """A problem's detail, or the start of the body."""
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict) and "detail" in body:
            return str(body["detail"])[:300]
    return response.text[:300]
