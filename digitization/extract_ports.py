"""Ports of extracts (trích lục) and officials' signatures; infra implements them.

    ExtractRenderer      an extract's content -> PDF/A-2b bytes
    ExtractSigner        PDF bytes -> the same PDF signed PAdES by the official's key on a token
    SignatureChecker     a detached CMS signature over a statement -> who signed it, once checked

Errors (the HTTP mapping is api/routes/extracts.py's):

    SigningUnavailableError   (a ServiceUnavailableError) the token is absent, locked or
                              refuses: 503 with the reason; nothing was issued or recorded
    CertificateRefusedError   (a RuleViolationError) the signer's certificate is expired,
                              revoked, not chained to a configured root or not for signing
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Protocol

from digitization.ports import ServiceUnavailableError
from domain.errors import RuleViolationError
from domain.rules import Code, check_params, render


@dataclass(frozen=True)
class Signer:
    """Who signed: the certificate's subject, issuer, serial and SHA-256 fingerprint (hex)."""

    subject: str
    issuer: str
    serial: str
    fingerprint_sha256: str
    not_after: dt.datetime

    def to_json(self) -> dict[str, str]:
        return {**asdict(self), "not_after": self.not_after.isoformat()}


@dataclass(frozen=True)
class ExtractLine:
    label: str
    value: str


@dataclass(frozen=True)
class ExtractContent:
    """What an extract says, worded already (Vietnamese); the renderer only lays it out."""

    title: str  # "TRÍCH LỤC KHAI SINH"
    issuer: str  # "ỦY BAN NHÂN DÂN XÃ LŨNG CÚ", the commune whose book holds the entry
    place: str  # "Đồng Văn, Hà Giang"
    lines: list[ExtractLine]
    book: str  # "Quyển số 01 (1990-1992)"
    entry_number: int
    record_id: str
    register_id: str
    published_version: int
    evidence_url: str  # where the record's evidence is (also in the QR code)
    issued_at: dt.datetime
    purpose: str
    requester: str
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SignedPdf:
    pdf: bytes
    signer: Signer
    level: str  # "PAdES-B-B", or "PAdES-B-LT" with validation data embedded


class ExtractRenderer(Protocol):
    def render(self, content: ExtractContent) -> bytes:
        """The extract as a PDF/A-2b document, fonts embedded."""
        ...


class ExtractSigner(Protocol):
    def sign(self, pdf: bytes, *, reason: str, location: str) -> SignedPdf:
        """Sign ``pdf`` with the official's key on the token, after checking the certificate
        (CertificateRefusedError); SigningUnavailableError when the token cannot sign."""
        ...

    def probe(self) -> Signer:
        """The signing certificate, checked as for signing, without signing anything."""
        ...


class SignatureChecker(Protocol):
    def check_detached(self, content: bytes, cms_der: bytes) -> Signer:
        """The signer of a detached CMS signature over ``content``, once the signature and the
        certificate are checked (CertificateRefusedError, InvalidSignatureError)."""
        ...


class SigningUnavailableError(ServiceUnavailableError):
    """The signing token cannot be used now (absent, locked, refusing): nothing was done."""

    def __init__(self, code: Code, /, *, retry_after: int = 30, **params: object) -> None:
        self.code = code
        self.params = check_params(code, params)
        super().__init__("signing token", render(code, self.params), retry_after=retry_after)


class CertificateRefusedError(RuleViolationError):
    """The signer's certificate may not sign: expired, revoked, untrusted, wrong key usage."""


class InvalidSignatureError(RuleViolationError):
    """A signature does not verify over what it claims to sign, or cannot be read."""
