"""Use cases of extracts (trích lục) and of the verifier's own signature on publication.

An extract is issued from the entry's last published version: rendered as PDF/A-2b, signed
PAdES by the official's key on the token, stored (locked, under its SHA-256) with a small
sidecar naming its entry, and then recorded as ``ExtractIssued`` on the entry. Anything that
fails before the event (a refused certificate, a token that cannot sign, the blob store)
records nothing; a stored PDF without its event is never served.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from digitization.delivery.cells import cell_text
from digitization.errors import NotFoundError
from digitization.extract_ports import (
    CertificateRefusedError,
    ExtractContent,
    ExtractLine,
    ExtractRenderer,
    ExtractSigner,
    InvalidSignatureError,
    SignatureChecker,
    SigningUnavailableError,
)
from digitization.ports import BlobStore, BlobStoreError, ServiceUnavailableError
from digitization.service import DigitisationService, Principal
from domain.access import Permission, User
from domain.actor import Role
from domain.civil_record import CivilRecord
from domain.entry_fields import SCHEMAS
from domain.errors import InvalidStateError, InvalidValueError
from domain.extract import PURPOSE_MAX, extract_title, publication_statement
from domain.register import Register
from domain.rules import Code

PDF = "application/pdf"
SIDECAR = "application/json"
_NOT_SHOWN = frozenset({"notes"})  # the clerk's notes are not the book's words


@dataclass
class ExtractTools:
    """What issuing extracts takes; set by the composition root."""

    renderer: ExtractRenderer
    signer: ExtractSigner
    public_url: str  # where the record's evidence is, for the QR code


def extract_key(sha256: str) -> str:
    return f"extracts/{sha256}.pdf"


class ExtractCases(DigitisationService):
    extract_tools: ExtractTools | None = None
    signature_checker: SignatureChecker | None = None
    publication_signature_required: bool = False

    # ----- extracts -------------------------------------------------------------------------
    def issue_extract(self, *, actor: Principal, entry_id: UUID, purpose: str) -> dict[str, Any]:
        """Render, sign, store and record an extract of a published entry."""
        user = self._acting(actor, Permission.ISSUE_EXTRACT)
        entry = self._published_entry(user, entry_id)
        purpose = _purpose(purpose)
        tools, blobs = self._extract_ports()
        register = self._load(Register, "register", entry.register_id)
        content = self._content(entry, register, user, purpose, tools.public_url)
        pdf = tools.renderer.render(content)
        try:
            signed = tools.signer.sign(
                pdf, reason=f"{content.title}: {purpose}", location=content.place
            )
        except CertificateRefusedError as e:  # the service's signer cannot sign: nothing issued
            raise SigningUnavailableError(e.code, retry_after=3600, **e.params) from e
        sha256 = hashlib.sha256(signed.pdf).hexdigest()
        sidecar = json.dumps({"entry_id": str(entry.id), "district": entry.district}).encode()
        _store(blobs, extract_key(sha256), signed.pdf, PDF)
        _store(blobs, f"extracts/{sha256}.json", sidecar, SIDECAR)
        extract = {
            "sha256": sha256,
            "size": len(signed.pdf),
            "object_key": extract_key(sha256),
            "issued_at": content.issued_at.isoformat(),
            "published_version": entry.published_version,
            "purpose": purpose,
            "requester": {"id": user.id, "role": user.role.value},
            "signature_level": signed.level,
            "signer": signed.signer.to_json(),
        }
        entry.issue_extract(actor=user.actor, extract=extract)
        self._save_changes(entry, "entry")
        return extract

    def list_extracts(self, *, actor: Principal, entry_id: UUID) -> list[dict[str, Any]]:
        """The extracts issued of a published entry, oldest first."""
        user = self._acting(actor, Permission.ISSUE_EXTRACT)
        return list(self._published_entry(user, entry_id).extracts)

    def get_extract(
        self, *, actor: Principal, sha256: str
    ) -> tuple[CivilRecord, dict[str, Any], Iterator[bytes]]:
        """An issued extract's entry, record and bytes; not found unless its event exists and
        the caller may see its entry."""
        user = self._acting(actor, Permission.ISSUE_EXTRACT)
        _, blobs = self._extract_ports(need_tools=False)
        try:
            sidecar = json.loads(b"".join(blobs.read(f"extracts/{sha256}.json")))
            entry = self._published_entry(user, UUID(sidecar["entry_id"]))
        except (BlobStoreError, ValueError, KeyError, NotFoundError):
            raise NotFoundError("extract", sha256) from None
        issued = next((e for e in entry.extracts if e["sha256"] == sha256), None)
        if issued is None:
            raise NotFoundError("extract", sha256)
        return entry, issued, blobs.read(issued["object_key"])

    # ----- the verifier's signature on publication --------------------------------------------
    def get_publication_statement(self, *, actor: Principal, entry_id: UUID) -> str:
        """What the verifier signs to publish the entry as it stands (domain/extract.py)."""
        user = self._acting(actor, Permission.PUBLISH)
        return _statement(self._load(CivilRecord, "entry", entry_id, seen_by=user))

    def official_signature(
        self, entry: CivilRecord, signature: str | None
    ) -> dict[str, Any] | None:
        """The verifier's signature of ``entry``'s publication as the event keeps it, once
        checked; None when none is given and the province does not require one."""
        if signature is None:
            if self.publication_signature_required:
                raise InvalidStateError(
                    Code.PUBLICATION_SIGNATURE_REQUIRED, province=self.units.province.code
                )
            return None
        if self.signature_checker is None:
            raise ServiceUnavailableError("signature checker", "no trust roots are configured")
        try:
            cms = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidValueError(
                "official_signature", Code.SIGNATURE_INVALID, reason="not base64 of a CMS"
            ) from None
        statement = _statement(entry)
        try:
            signer = self.signature_checker.check_detached(statement.encode("utf-8"), cms)
        except (CertificateRefusedError, InvalidSignatureError) as e:
            raise InvalidValueError(
                "official_signature", e.code, label_vi="chữ ký số", **e.params
            ) from e
        return {
            "format": "cms-detached",
            "statement": statement,
            "cms": base64.b64encode(cms).decode("ascii"),
            "signer": signer.to_json(),
        }

    # ----- helpers ----------------------------------------------------------------------------
    def _published_entry(self, user: User, entry_id: UUID) -> CivilRecord:
        """The entry, published; the portal is told of no other (404), staff are told why."""
        entry = self._load(CivilRecord, "entry", entry_id, seen_by=user)
        if entry.published_fields is None:
            if user.role is Role.PORTAL:
                raise NotFoundError("published record", entry_id)
            raise InvalidStateError(Code.EXTRACT_ONLY_PUBLISHED, status=entry.status.value)
        return entry

    def _extract_ports(self, *, need_tools: bool = True) -> tuple[ExtractTools, BlobStore]:
        tools = self.extract_tools
        if (need_tools and tools is None) or self.blobs is None:
            raise ServiceUnavailableError("signing token", "extracts are not configured here")
        return tools, self.blobs  # type: ignore[return-value]

    def _content(
        self, entry: CivilRecord, register: Register, user: User, purpose: str, public_url: str
    ) -> ExtractContent:
        units = self.units
        commune = units.get(entry.commune_code)
        district = units.get(entry.district)
        fields = entry.published_fields or {}
        lines = [
            ExtractLine(
                spec.label_vi[:1].upper() + spec.label_vi[1:], cell_text(spec.type, fields[path])
            )
            for path, spec in SCHEMAS[entry.kind].items()
            if path in fields and path not in _NOT_SHOWN
        ]
        years = f"{register.year_from}-{register.year_to}"
        return ExtractContent(
            title=extract_title(entry.kind),
            issuer=f"ỦY BAN NHÂN DÂN {commune.name.upper()}",
            place=f"{district.name}, {units.province.name}",
            lines=lines,
            book=f"Quyển số {register.book_number} ({years})",
            entry_number=entry.entry_number,
            record_id=str(entry.id),
            register_id=str(entry.register_id),
            published_version=entry.published_version or 0,
            evidence_url=f"{public_url.rstrip('/')}/portal/records/{entry.id}/evidence",
            issued_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            purpose=purpose,
            requester=f"{user.name} ({user.role.value})",
        )


def _statement(entry: CivilRecord) -> str:
    return publication_statement(
        entry_id=str(entry.id),
        register_id=str(entry.register_id),
        entry_number=entry.entry_number,
        version=entry.version + 1,
        fields=entry.fields,
    )


def _purpose(purpose: str) -> str:
    text = " ".join((purpose or "").split())
    if not text:
        raise InvalidValueError("purpose", Code.REQUIRED, label_vi="mục đích")
    if len(text) > PURPOSE_MAX:
        raise InvalidValueError(
            "purpose", Code.MAX_CHARACTERS, label_vi="mục đích", limit=PURPOSE_MAX
        )
    return text


def _store(blobs: BlobStore, key: str, data: bytes, media_type: str) -> None:
    """Keep ``data`` under ``key`` (locked where the store locks); the same bytes twice: once."""
    upload = blobs.begin_upload(
        key, size=len(data), media_type=media_type, sha256=hashlib.sha256(data).hexdigest()
    )
    try:
        upload.write(data)
        upload.commit()
    except BaseException:
        upload.abort()
        raise
