"""hotich's own check of an extract: its PAdES signature intact and valid (pyHanko), nothing
but validation data added after it, and its signer's certificate as the signer checks it."""

from __future__ import annotations

import io

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature

from digitization.extract_ports import InvalidSignatureError, Signer
from domain.rules import Code
from infra.signing.certificates import TrustSettings

ALLOWED_AFTER_SIGNING = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


def check_extract(pdf: bytes, trust: TrustSettings) -> Signer:
    """The signer of ``pdf`` once every check passed; InvalidSignatureError or
    CertificateRefusedError otherwise."""
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception as e:  # a PDF that does not parse is no extract of ours
        raise InvalidSignatureError(Code.SIGNATURE_INVALID, reason=f"not a PDF ({e})") from None
    if len(signatures) != 1:
        raise InvalidSignatureError(
            Code.SIGNATURE_INVALID, reason=f"{len(signatures)} signatures, not one"
        )
    embedded = signatures[0]
    try:
        status = validate_pdf_signature(embedded, signer_validation_context=trust.context())
    except Exception as e:  # pyHanko's errors of a damaged signature or document
        raise InvalidSignatureError(Code.SIGNATURE_INVALID, reason=str(e)[:200]) from None
    if not status.intact or not status.valid:
        raise InvalidSignatureError(Code.SIGNATURE_INVALID, reason="the signed bytes were changed")
    if status.modification_level not in ALLOWED_AFTER_SIGNING or not status.docmdp_ok:
        raise InvalidSignatureError(
            Code.SIGNATURE_INVALID, reason="content was added after the signature"
        )
    return trust.check(embedded.signer_cert)
