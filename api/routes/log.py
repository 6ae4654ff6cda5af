"""The verifiable log: signed checkpoints, hash tiles and proofs (public: hashes only).

Formats are the C2SP ones (tlog-checkpoint as a signed note, tlog-tiles, tlog-cosignature), so
that tools no one here wrote (Go's sumdb note and tlog packages, transparency-dev) check them.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException

from api.deps import Services, ServicesDep
from api.security import CurrentUser
from digitization.errors import NotFoundError
from digitization.ports import LogRequestError, VerifiableLog
from domain.access import Permission, require

router = APIRouter(prefix="/log", tags=["verifiable log"])
TEXT = "text/plain; charset=utf-8"
FOREVER = "public, max-age=31536000, immutable"  # a full tile never changes
_NUMBER = re.compile(r"[0-9]{1,18}")
BAD_REQUEST: dict[int | str, dict[str, Any]] = {
    400: {"description": "not a question the log answers"}
}
Number = Annotated[str, Query(max_length=40, description="a whole number, 0 or more")]


def _log(services: Services) -> VerifiableLog:
    if services.log is None:
        raise HTTPException(503, "the verifiable log is not served by this instance")
    return services.log


def _number(field: str, text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise LogRequestError(field, "must be a whole number, 0 or more")
    return int(text)


@router.get(
    "/checkpoint",
    response_class=PlainTextResponse,
    responses={404: {"description": "the log has not signed a checkpoint yet"}},
)
def checkpoint(services: ServicesDep) -> PlainTextResponse:
    """The newest signed checkpoint (C2SP tlog-checkpoint as a signed note), with the
    witnesses' cosignatures."""
    note = _log(services).checkpoint_note()
    if note is None:
        raise NotFoundError("checkpoint", "yet: the log has not signed one")
    return PlainTextResponse(note, media_type=TEXT, headers={"Cache-Control": "no-cache"})


@router.get("/key", response_class=PlainTextResponse)
def key(services: ServicesDep) -> PlainTextResponse:
    """The log's verifier key, as Go's golang.org/x/mod/sumdb/note.NewVerifier reads it."""
    return PlainTextResponse(_log(services).verifier_key() + "\n", media_type=TEXT)


@router.get("/tile/{path:path}", responses=BAD_REQUEST)
def tile(path: Annotated[str, Path(max_length=200)], services: ServicesDep) -> Response:
    """A hash tile at its C2SP tlog-tiles path (``<L>/<N>[.p/<W>]``); a full one never changes."""
    hashes, full = _log(services).tile(f"tile/{path}")
    cache = FOREVER if full else "no-cache"
    return Response(hashes, media_type="application/octet-stream", headers={"Cache-Control": cache})


@router.get("/proof/inclusion", responses=BAD_REQUEST)
def inclusion(index: Number, size: Number, services: ServicesDep) -> dict[str, Any]:
    """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    return _log(services).inclusion_proof(_number("index", index), _number("size", size))


@router.get("/proof/consistency", responses=BAD_REQUEST)
def consistency(
    services: ServicesDep,
    old: Annotated[str, Query(alias="from", max_length=40)],
    new: Annotated[str, Query(alias="to", max_length=40)],
) -> dict[str, Any]:
    """The RFC 9162 consistency proof from the tree of ``from`` leaves to that of ``to``."""
    return _log(services).consistency_proof(_number("from", old), _number("to", new))


@router.get("/leaves/{index}", responses=BAD_REQUEST)
def leaf(
    index: Annotated[str, Path(max_length=40)], user: CurrentUser, services: ServicesDep
) -> dict[str, Any]:
    """Which event a leaf is (aggregate and version), for a user who may read that event."""
    event = _log(services).leaf_event(_number("index", index))
    services.app.get_aggregate(event.aggregate_id, actor=user)  # 404 unless they may see it
    return {
        "index": event.index,
        "aggregate_id": str(event.aggregate_id),
        "version": event.version,
    }


@router.post("/cosignatures", responses=BAD_REQUEST)
def cosignatures(
    note: Annotated[str, Body(media_type="text/plain", max_length=20_000)],
    user: CurrentUser,
    services: ServicesDep,
) -> dict[str, int]:
    """A witness's cosigned checkpoint (the note with its tlog-cosignature lines); the known
    witnesses' cosignatures are kept and served with the checkpoint."""
    require(user, Permission.COSIGN)
    return {"kept": _log(services).add_cosignatures(note)}
