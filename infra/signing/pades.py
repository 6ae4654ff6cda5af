"""PadesExtractSigner: extracts signed PAdES (pyHanko) with the official's key on a token.

The certificate on the token is checked first (infra/signing/certificates.py); a refused one
signs nothing. The signature is PAdES-B-B (ETSI.CAdES.detached, the signing certificate in
the signed attributes); when revocation data for the whole path can be had (the CRLs
configured, or fetched), it is embedded in the document security store (DSS) with the chain,
so the extract can be validated later without the CA: the validation data of PAdES-B-LT
(with ``HOTICH_SIGNING_TSA_URL`` a signature timestamp too, which B-LT proper requires).
The signature is an invisible field added as an incremental update, which keeps PDF/A-2b.
"""

from __future__ import annotations

import io

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers, timestamps

from digitization.extract_ports import SignedPdf, Signer
from infra.signing.certificates import TrustSettings
from infra.signing.token import Pkcs11Token

FIELD_NAME = "ChuKyNguoiCoThamQuyen"  # "the competent official's signature"


class PadesExtractSigner:
    def __init__(
        self, token: Pkcs11Token, trust: TrustSettings, *, tsa_url: str | None = None
    ) -> None:
        self.token = token
        self.trust = trust
        self.tsa_url = tsa_url

    def probe(self) -> Signer:
        with self.token.signer(self.trust.intermediates) as pkcs11_signer:
            cert = pkcs11_signer.signing_cert
            return self.trust.check(cert)

    def sign(self, pdf: bytes, *, reason: str, location: str) -> SignedPdf:
        with self.token.signer(self.trust.intermediates) as pkcs11_signer:
            cert = pkcs11_signer.signing_cert
            signer = self.trust.check(cert)  # CertificateRefusedError: nothing is signed
            with_validation_data = bool(self.trust.crls) or self.trust.fetch_revocation
            meta = signers.PdfSignatureMetadata(
                field_name=FIELD_NAME,
                md_algorithm="sha256",
                subfilter=fields.SigSeedSubFilter.PADES,
                reason=reason,
                location=location,
                embed_validation_info=with_validation_data,
                validation_context=self.trust.context() if with_validation_data else None,
                use_pades_lta=False,
            )
            stamper = timestamps.HTTPTimeStamper(self.tsa_url) if self.tsa_url else None
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            out = signers.PdfSigner(meta, signer=pkcs11_signer, timestamper=stamper).sign_pdf(
                writer, in_place=False
            )
            assert isinstance(out, io.BytesIO)
            if with_validation_data and stamper is not None:
                level = "PAdES-B-LT"
            elif with_validation_data:
                level = "PAdES-B-B, validation data embedded"
            else:
                level = "PAdES-B-B"
            return SignedPdf(pdf=out.getvalue(), signer=signer, level=level)
