"""Detached CMS signatures of officials: made on their token (the CLI), checked by the server.

A verifier publishing an entry signs its publication statement (domain/extract.py) on their own
token; the server checks the signature over the statement it computes itself, then the
certificate as for extracts (chain, validity, CRL, key usage). ``openssl cms -verify -binary
-inform DER -in sig.der -content statement.txt -CAfile root.pem`` checks the same.
"""

from __future__ import annotations

import asyncio

from asn1crypto import cms
from pyhanko.sign.validation import async_validate_detached_cms

from digitization.extract_ports import InvalidSignatureError, Signer
from domain.rules import Code
from infra.signing.certificates import TrustSettings
from infra.signing.token import Pkcs11Token


class CmsSignatureChecker:
    def __init__(self, trust: TrustSettings) -> None:
        self.trust = trust

    def check_detached(self, content: bytes, cms_der: bytes) -> Signer:
        try:
            info = cms.ContentInfo.load(cms_der)
            signed = info["content"]
            if info["content_type"].native != "signed_data" or not isinstance(
                signed, cms.SignedData
            ):
                raise ValueError("not CMS SignedData")
            signer_info = signed["signer_infos"][0]
            sid = signer_info["sid"]
            certs = [c.chosen for c in signed["certificates"] if c.name == "certificate"]
            cert = next(c for c in certs if _identifies(sid, c))
        except (ValueError, TypeError, KeyError, IndexError, StopIteration) as e:
            raise InvalidSignatureError(
                Code.SIGNATURE_INVALID,
                reason=f"not a CMS signature with its signer's certificate ({e})",
            ) from None
        others = [c for c in certs if c is not cert]
        status = asyncio.run(
            async_validate_detached_cms(
                content, signed, signer_validation_context=self.trust.context(others)
            )
        )
        if not status.intact or not status.valid:
            raise InvalidSignatureError(
                Code.SIGNATURE_INVALID, reason="it was not made over this statement"
            )
        return self.trust.check(cert, extra=others)


def _identifies(sid: cms.SignerIdentifier, cert: object) -> bool:
    chosen = sid.chosen
    if sid.name == "issuer_and_serial_number":
        return bool(
            chosen["issuer"] == cert.issuer  # type: ignore[attr-defined]
            and chosen["serial_number"].native == cert.serial_number  # type: ignore[attr-defined]
        )
    return bool(chosen.native == cert.key_identifier)  # type: ignore[attr-defined]


def sign_detached(token: Pkcs11Token, content: bytes, trust: TrustSettings) -> bytes:
    """A detached CMS signature (DER) of ``content`` by the key on ``token`` (its
    certificate checked first: CertificateRefusedError)."""
    with token.signer(trust.intermediates) as signer:
        trust.check(signer.signing_cert)
        signed = asyncio.run(
            signer.async_sign_general_data(content, digest_algorithm="sha256", detached=True)
        )
        return bytes(signed.dump())
