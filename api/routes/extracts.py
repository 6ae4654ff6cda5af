"""Signed extracts (trích lục) of published records, and what a verifier signs to publish.

The portal, verifiers and admins issue extracts; each is signed PAdES by the official's key
on the token and recorded as an event on the record (README, "Signed extracts"). Portal users'
requests are audited as their reads are.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.commands import Versioned
from api.deps import ServicesDep
from api.portal_shared import SHA256_PATTERN, extract_download, record_extract_request
from api.problems import rule_code, unavailable_problem
from api.security import CurrentUser
from digitization.extract_ports import SigningUnavailableError

router = APIRouter(tags=["extracts"])

SHA256 = Annotated[str, Path(pattern=SHA256_PATTERN, description="the PDF's SHA-256, hex")]
EXTRACT_PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"description": "(staff) the entry is not published"},
    422: {"description": "the purpose breaks a rule"},
    503: {"description": "the signing token is absent, locked or its certificate refused"},
}


class ExtractRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(
        min_length=1, max_length=200, examples=["Bổ sung hồ sơ nhập học"], description="mục đích"
    )


class PublishCommand(Versioned):
    official_signature: str | None = Field(
        None,
        max_length=64_000,
        description="base64 of the verifier's detached CMS signature (DER) over "
        "GET /entries/{id}/publication-statement; required where the province says so",
    )


class SignerPublic(BaseModel):
    subject: str
    issuer: str
    serial: str
    fingerprint_sha256: str
    not_after: str


class ExtractPublic(BaseModel):
    sha256: str
    size: int
    url: str = Field(description="GET it (a PDF/A-2b document signed PAdES)")
    issued_at: str
    published_version: int
    purpose: str
    requester: dict[str, str]
    signature_level: str
    signer: SignerPublic


class ExtractList(BaseModel):
    items: list[ExtractPublic]


def _public(extract: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: v for k, v in extract.items() if k != "object_key"},
        "url": f"/extracts/{extract['sha256']}.pdf",
    }


@router.post(
    "/portal/records/{entry_id}/extracts",
    status_code=201,
    response_model=ExtractPublic,
    responses=EXTRACT_PROBLEMS,
)
def issue_extract(
    entry_id: UUID, body: ExtractRequest, user: CurrentUser, services: ServicesDep
) -> JSONResponse:
    """Issue a signed extract of a published record (portal, verifiers, admins)."""
    extract = services.app.issue_extract(actor=user, entry_id=entry_id, purpose=body.purpose)
    query = {"entry_id": str(entry_id), "purpose": body.purpose, "sha256": extract["sha256"]}
    record_extract_request(services, user, "issue_extract", query, [entry_id])
    public = _public(extract)
    return JSONResponse(public, status_code=201, headers={"Location": public["url"]})


@router.get(
    "/portal/records/{entry_id}/extracts", response_model=ExtractList, responses=EXTRACT_PROBLEMS
)
def list_extracts(entry_id: UUID, user: CurrentUser, services: ServicesDep) -> ExtractList:
    """The extracts issued of a published record: who asked, when, why, who signed."""
    extracts = services.app.list_extracts(actor=user, entry_id=entry_id)
    record_extract_request(services, user, "list_extracts", {"entry_id": str(entry_id)}, [entry_id])
    return ExtractList.model_validate({"items": [_public(e) for e in extracts]})


@router.get(
    "/extracts/{sha256}.pdf",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/pdf": {}}, "description": "the signed extract"}},
)
def get_extract(sha256: SHA256, user: CurrentUser, services: ServicesDep) -> StreamingResponse:
    """An issued extract, to those who may see its record."""
    entry, issued, chunks = services.app.get_extract(actor=user, sha256=sha256)
    record_extract_request(services, user, "get_extract", {"sha256": sha256}, [entry.id])
    return extract_download(entry.entry_number, sha256, issued["size"], chunks)


@router.get(
    "/entries/{entry_id}/publication-statement",
    response_class=PlainTextResponse,
    tags=["keying and checking"],
    responses={200: {"content": {"text/plain": {}}, "description": "the text to sign"}},
)
def get_publication_statement(entry_id: UUID, user: CurrentUser, services: ServicesDep) -> Response:
    """What a verifier signs (detached CMS) to publish the entry as it stands."""
    text = services.app.get_publication_statement(actor=user, entry_id=entry_id)
    return PlainTextResponse(text)


def _signing_unavailable(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SigningUnavailableError)
    return unavailable_problem(
        exc.dependency,
        exc.detail,
        retry_after=exc.retry_after,
        **rule_code(exc),  # type: ignore[arg-type]
    )


def install_extracts(app: FastAPI) -> None:
    app.include_router(router)
    app.add_exception_handler(SigningUnavailableError, _signing_unavailable)
