"""Officials' certificates checked against the province's trust roots (pyhanko-certvalidator).

A signing certificate must chain to a configured root, be valid now, not be revoked (by the
CRLs configured, or fetched from the certificates' distribution points when fetching is on)
and allow the key usages configured (digital signature and non-repudiation by default).
Anything else is a :class:`CertificateRefusedError` naming the rule.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.x509.oid import NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import (
    ExpiredError,
    InsufficientRevinfoError,
    InvalidCertificateError,
    NotYetValidError,
    PathBuildingError,
    PathValidationError,
    RevokedError,
    ValidationError,
)

from digitization.extract_ports import CertificateRefusedError, Signer
from domain.rules import Code

SIGNING_USAGES = frozenset({"digital_signature", "non_repudiation"})
_SHORT_NAMES = {NameOID.TITLE: "T", NameOID.SERIAL_NUMBER: "SERIALNUMBER"}


def load_certificates(paths: Iterable[Path]) -> list[asn1_x509.Certificate]:
    """Every certificate of the PEM (one or more) or DER files."""
    return [asn1_x509.Certificate.load(der) for path in paths for der in _ders(path)]


def load_crls(paths: Iterable[Path]) -> list[asn1_crl.CertificateList]:
    return [asn1_crl.CertificateList.load(der) for path in paths for der in _ders(path)]


def _ders(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if pem.detect(data):
        return [der for _, _, der in pem.unarmor(data, multiple=True)]
    return [data]


def signer_of(cert: asn1_x509.Certificate) -> Signer:
    """Who the certificate names; names as RFC 4514 text (``CN=Lò Văn Páo,T=…,C=VN``)."""
    parsed = x509.load_der_x509_certificate(cert.dump())
    return Signer(
        subject=parsed.subject.rfc4514_string(_SHORT_NAMES),
        issuer=parsed.issuer.rfc4514_string(_SHORT_NAMES),
        serial=format(cert.serial_number, "x"),
        fingerprint_sha256=hashlib.sha256(cert.dump()).hexdigest(),
        not_after=cert.not_valid_after,
    )


@dataclass
class TrustSettings:
    """The province's trust: roots, intermediates to build paths with, revocation lists."""

    roots: list[asn1_x509.Certificate]
    intermediates: list[asn1_x509.Certificate] = field(default_factory=list)
    crls: list[asn1_crl.CertificateList] = field(default_factory=list)
    fetch_revocation: bool = False  # fetch CRLs/OCSP named in the certificates (production)
    key_usage: frozenset[str] = SIGNING_USAGES

    @classmethod
    def from_files(
        cls,
        roots: Sequence[Path],
        intermediates: Sequence[Path] = (),
        crls: Sequence[Path] = (),
        *,
        fetch_revocation: bool = False,
        key_usage: frozenset[str] = SIGNING_USAGES,
    ) -> TrustSettings:
        return cls(
            roots=load_certificates(roots),
            intermediates=load_certificates(intermediates),
            crls=load_crls(crls),
            fetch_revocation=fetch_revocation,
            key_usage=key_usage,
        )

    def context(self, extra: Sequence[asn1_x509.Certificate] = ()) -> ValidationContext:
        """A validation context: revocation must be known (hard-fail) for every certificate
        of the path, from the CRLs given or, when fetching is on, fetched."""
        return ValidationContext(
            trust_roots=self.roots,
            other_certs=[*self.intermediates, *extra],
            crls=self.crls,
            allow_fetching=self.fetch_revocation,
            revocation_mode="hard-fail",
        )

    def check(
        self, cert: asn1_x509.Certificate, extra: Sequence[asn1_x509.Certificate] = ()
    ) -> Signer:
        """The signer, once its certificate passed every check (CertificateRefusedError)."""
        signer = signer_of(cert)
        if not self.roots:
            raise CertificateRefusedError(
                Code.CERTIFICATE_NOT_TRUSTED,
                subject=signer.subject,
                reason="no trust root is configured (HOTICH_SIGNING_TRUST_ROOTS)",
            )
        validator = CertificateValidator(
            cert,
            intermediate_certs=[*self.intermediates, *extra],
            validation_context=self.context(extra),
        )
        try:
            asyncio.run(validator.async_validate_usage(key_usage=set(self.key_usage)))  # type: ignore[no-untyped-call]
        except ValidationError as e:
            raise refusal(signer, e, self.key_usage) from e
        except PathBuildingError as e:
            raise CertificateRefusedError(
                Code.CERTIFICATE_NOT_TRUSTED, subject=signer.subject, reason=_first_line(e)
            ) from e
        return signer


def refusal(signer: Signer, error: Exception, usages: Iterable[str]) -> CertificateRefusedError:
    """The rule a certificate broke, from certvalidator's error."""
    subject = signer.subject
    if isinstance(error, ExpiredError):
        return CertificateRefusedError(
            Code.CERTIFICATE_EXPIRED, subject=subject, not_after=signer.not_after.date().isoformat()
        )
    if isinstance(error, NotYetValidError):
        return CertificateRefusedError(
            Code.CERTIFICATE_NOT_YET_VALID, subject=subject, not_before=_first_line(error)
        )
    if isinstance(error, RevokedError):
        when = error.revocation_dt.isoformat() if error.revocation_dt else "?"
        return CertificateRefusedError(Code.CERTIFICATE_REVOKED, subject=subject, revoked_at=when)
    if isinstance(error, InsufficientRevinfoError):
        return CertificateRefusedError(
            Code.CERTIFICATE_REVOCATION_UNKNOWN, subject=subject, reason=_first_line(error)
        )
    if isinstance(error, InvalidCertificateError) and "purpose" in str(error):
        return CertificateRefusedError(
            Code.CERTIFICATE_KEY_USAGE, subject=subject, required=", ".join(sorted(usages))
        )
    if isinstance(error, PathValidationError | InvalidCertificateError):
        return CertificateRefusedError(
            Code.CERTIFICATE_NOT_TRUSTED, subject=subject, reason=_first_line(error)
        )
    return CertificateRefusedError(
        Code.CERTIFICATE_NOT_TRUSTED, subject=subject, reason=_first_line(error)
    )


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__
