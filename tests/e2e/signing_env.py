"""The development CA and SoftHSM2 token of the signing tests (services/extracts.sh ca), the
settings that point hotich at them, and the tools no one here wrote that check the results."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from bootstrap.signing import SigningSettings

ROOT = Path(__file__).resolve().parents[2]
CRL_PORT = int(os.environ.get("HOTICH_DEV_CA_CRL_PORT", "18089"))
SOFTHSM = "/usr/lib/softhsm/libsofthsm2.so"


def dev_ca() -> Path:
    """The dev CA's folder; the tests fail (never skip) without it."""
    path = Path(os.environ.get("HOTICH_TEST_DEV_CA", ROOT / ".services" / "dev-ca"))
    if not (path / "env").is_file():
        pytest.fail(f"no dev CA in {path}: run `bash services/extracts.sh ca` (make test does)")
    os.environ["SOFTHSM2_CONF"] = str(path / "softhsm2.conf")  # where SoftHSM2 finds the token
    return path


def signing_settings(**different: object) -> SigningSettings:
    """Settings of the dev token and CA; ``different`` overrides some."""
    ca = dev_ca()
    values: dict[str, object] = {
        "signing_pkcs11_module": SOFTHSM,
        "signing_token_label": "hotich-dev",
        "signing_pin_file": ca / "user-pin",
        "signing_key_label": "official",
        "signing_trust_roots": str(ca / "root.pem"),
        "signing_intermediates": str(ca / "intermediate.pem"),
        "signing_crls": f"{ca / 'crls' / 'root.crl'},{ca / 'crls' / 'intermediate.crl'}",
        **different,
    }
    return SigningSettings(**values)  # type: ignore[arg-type]


def fingerprint(label: str) -> str:
    pem = (dev_ca() / "certs" / f"{label}.pem").read_bytes()
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).hexdigest()


@contextmanager
def crls_served() -> Iterator[None]:
    """The CA's CRLs at the address its certificates name, for tools that fetch them."""
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(dev_ca() / "crls")
    )
    handler.log_message = lambda *args: None  # type: ignore[assignment]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", CRL_PORT), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def pdfsig(pdf: Path) -> subprocess.CompletedProcess[str]:
    """poppler's pdfsig, trusting the dev root (its NSS database)."""
    db = f"sql:{dev_ca() / 'nssdb'}"
    return subprocess.run(
        ["pdfsig", "-nssdir", db, str(pdf)], capture_output=True, text=True, check=False
    )


def pyhanko_validate(pdf: Path) -> subprocess.CompletedProcess[str]:
    """`pyhanko sign validate`, trusting the dev root only and fetching its CRLs."""
    ca = dev_ca()
    with crls_served():
        return subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "pyhanko"),
                "sign",
                "validate",
                "--executive-summary",
                "--trust",
                str(ca / "root.pem"),
                "--trust-replace",
                "--other-certs",
                str(ca / "intermediate.pem"),
                str(pdf),
            ],
            capture_output=True,
            text=True,
            check=False,
        )


def verapdf(pdf: Path) -> subprocess.CompletedProcess[str]:
    """veraPDF's PDF/A-2b validation (services/extracts.sh verapdf fetches it)."""
    libs = Path(os.environ.get("HOTICH_TEST_VERAPDF", ROOT / ".services" / "verapdf" / "libs"))
    if not any(libs.glob("greenfield-apps-*.jar")):
        pytest.fail(f"no veraPDF in {libs}: run `bash services/extracts.sh verapdf`")
    return subprocess.run(
        [
            "java",
            "-cp",
            f"{libs}/*",
            "org.verapdf.apps.GreenfieldCliWrapper",
            "-f",
            "2b",
            "--format",
            "text",
            str(pdf),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
