"""Officials' signatures: the token and trust settings (HOTICH_SIGNING_*), and the extracts'
renderer, signer and checker built from them (README, "Signed extracts").

Nothing is configured by default: without a PKCS#11 module, issuing an extract answers 503
(the token is absent), and without trust roots a publication signature cannot be checked.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from digitization.application import Digitisation
from digitization.extracts import ExtractTools
from infra.extracts.render import DEFAULT_BOLD_FONT, DEFAULT_FONT, FpdfExtractRenderer
from infra.signing.certificates import SIGNING_USAGES, TrustSettings
from infra.signing.token import Pkcs11Token, TokenSettings


class SigningSettings(BaseSettings):
    """HOTICH_SIGNING_*, HOTICH_EXTRACT_*, HOTICH_PUBLIC_URL, HOTICH_PUBLICATION_*."""

    model_config = SettingsConfigDict(env_prefix="HOTICH_", extra="ignore")

    signing_pkcs11_module: Path | None = Field(
        None, description="the token's PKCS#11 module (.so); unset: no extracts are issued"
    )
    signing_token_label: str = Field("hotich", description="the token's label")
    signing_pin: str | None = Field(None, description="the token's user PIN")
    signing_pin_file: Path | None = Field(None, description="a file holding the user PIN")
    signing_key_label: str = Field(
        "official", description="label of the official's key and certificate on the token"
    )
    signing_trust_roots: str = Field(
        "", description="PEM/DER files of the trusted roots, comma-separated"
    )
    signing_intermediates: str = Field("", description="intermediate CA certificates' files")
    signing_crls: str = Field("", description="CRL files (DER or PEM), comma-separated")
    signing_fetch_revocation: bool = Field(
        False, description="fetch CRLs/OCSP named in the certificates (the real CA's)"
    )
    signing_key_usage: str = Field(
        ",".join(sorted(SIGNING_USAGES)), description="key usages a signing certificate must allow"
    )
    signing_tsa_url: str | None = Field(None, description="an RFC 3161 time-stamping authority")
    extract_font: Path = DEFAULT_FONT
    extract_bold_font: Path = DEFAULT_BOLD_FONT
    public_url: str = Field(
        "http://127.0.0.1:8000", description="hotich's address as the portal's users reach it"
    )
    publication_signature_required: bool = Field(
        False, description="refuse a publication without the verifier's own signature"
    )

    def trust(self) -> TrustSettings:
        return TrustSettings.from_files(
            _paths(self.signing_trust_roots),
            _paths(self.signing_intermediates),
            _paths(self.signing_crls),
            fetch_revocation=self.signing_fetch_revocation,
            key_usage=frozenset(_items(self.signing_key_usage)),
        )

    def token(self, key_label: str | None = None) -> Pkcs11Token:
        return Pkcs11Token(
            TokenSettings.with_pin_file(
                self.signing_pkcs11_module,
                self.signing_token_label,
                self.signing_pin_file,
                self.signing_pin,
                key_label or self.signing_key_label,
            )
        )


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _paths(text: str) -> list[Path]:
    return [Path(item) for item in _items(text)]


def install_signing(app: Digitisation, settings: SigningSettings | None = None) -> None:
    """Give the application its extract tools and publication-signature checker."""
    # imported here: pyHanko is ~0.3 s and ~25 MB of every process, which only signers need
    from infra.signing.cms import CmsSignatureChecker
    from infra.signing.pades import PadesExtractSigner

    settings = settings or SigningSettings()
    trust = settings.trust()
    app.extract_tools = ExtractTools(
        renderer=FpdfExtractRenderer(settings.extract_font, settings.extract_bold_font),
        signer=PadesExtractSigner(settings.token(), trust, tsa_url=settings.signing_tsa_url),
        public_url=settings.public_url,
    )
    app.signature_checker = CmsSignatureChecker(trust) if trust.roots else None
    app.publication_signature_required = settings.publication_signature_required
