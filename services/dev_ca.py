"""The development CA and SoftHSM2 token of the extracts' and officials' signatures.

    python services/dev_ca.py DIR      (services/extracts.sh ca runs it into .services/dev-ca)

For tests and the demo only: a province points hotich at its real token and trust roots instead
(README, "Signed extracts"). It makes, in DIR:

- ``softhsm2.conf`` and ``tokens/``: a SoftHSM2 token labelled ``hotich-dev`` (user PIN in
  ``user-pin``); every official's RSA key is generated *on* the token (sensitive, not
  extractable) and only its public half leaves it, to be certified; the certificate is then
  stored on the token beside the key, under the same label and id;
- ``root.pem`` (the root to trust), ``intermediate.pem``, ``chain.pem`` (both), and
  ``crls/root.crl``, ``crls/intermediate.crl`` (DER): the CA's revocation lists;
- the officials, each a key on the token and ``certs/<label>.pem``:
  ``official`` (signs extracts), ``verifier.026`` (signs publications), and the refused ones:
  ``official-expired``, ``official-revoked`` (on the intermediate's CRL),
  ``official-unchained`` (issued by ``other-root.pem``, which no one trusts) and
  ``official-no-signing`` (key usage: key encipherment only);
- ``nssdb/``: an NSS database trusting the root, for ``pdfsig -nssdir sql:DIR/nssdb``;
- ``env``: the HOTICH_SIGNING_* settings that point hotich at all this.

The certificates name their CRLs at http://127.0.0.1:18089/ (HOTICH_DEV_CA_CRL_PORT), where
the tests serve ``crls/`` while tools that fetch revocation data check an extract.

The CA's own keys are files (``*.key``): a development CA, never a production one.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pkcs11
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pkcs11 import Attribute, CertificateType, KeyType, ObjectClass

MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)
TOKEN_LABEL = "hotich-dev"
USER_PIN = "2468"  # a development token's PIN, written to DIR/user-pin
SO_PIN = "135791"
# named in the certificates: the tests serve DIR/crls there while `pyhanko sign validate` runs
CRL_PORT = int(os.environ.get("HOTICH_DEV_CA_CRL_PORT", "18089"))
CRL_URL = "http://127.0.0.1:" + str(CRL_PORT) + "/{name}.crl"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
YEAR = dt.timedelta(days=365)
CRL_FILES = ("root.crl", "intermediate.crl")


def name(
    common: str, *, title: str | None = None, org: str = "Sở Tư pháp tỉnh Hà Giang"
) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Hà Giang"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
    ]
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, title))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common))
    return x509.Name(attributes)


class Authority:
    """A CA of the development hierarchy: its certificate and its key (a file)."""

    def __init__(self, cert: x509.Certificate, key: rsa.RSAPrivateKey) -> None:
        self.cert = cert
        self.key = key
        self.revoked: list[x509.Certificate] = []

    def issue(
        self,
        subject: x509.Name,
        public_key: rsa.RSAPublicKey,
        *,
        ca: bool = False,
        usage: str = "signing",
        not_before: dt.datetime = NOW - dt.timedelta(days=1),
        not_after: dt.datetime = NOW + 5 * YEAR,
    ) -> x509.Certificate:
        signing = usage == "signing"
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(self.cert.subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=signing and not ca,
                    content_commitment=signing and not ca,
                    key_encipherment=not signing,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ca,
                    crl_sign=ca,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
            .add_extension(
                x509.CRLDistributionPoints(
                    [
                        x509.DistributionPoint(
                            [x509.UniformResourceIdentifier(CRL_URL.format(name=self.slug))],
                            None,
                            None,
                            None,
                        )
                    ]
                ),
                False,
            )
        )
        return builder.sign(self.key, hashes.SHA256())

    @property
    def slug(self) -> str:
        return "root" if self.cert.issuer == self.cert.subject else "intermediate"

    def crl(self) -> x509.CertificateRevocationList:
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(NOW - dt.timedelta(hours=1))
            .next_update(NOW + dt.timedelta(days=30))
            .add_extension(x509.CRLNumber(1), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), False
            )
        )
        for cert in self.revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(cert.serial_number)
                .revocation_date(NOW - dt.timedelta(hours=2))
                .build()
            )
        return builder.sign(self.key, hashes.SHA256())


def root_authority(common: str) -> Authority:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = name(common, org="Hotich development CA")
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + 20 * YEAR)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return Authority(cert, key)


def intermediate_of(root: Authority) -> Authority:
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = name("Hotich dev CA chuyên dùng (trung gian)", org="Hotich development CA")
    cert = root.issue(subject, key.public_key(), ca=True, not_after=NOW + 10 * YEAR)
    return Authority(cert, key)


def write_pem(path: Path, *items: x509.Certificate) -> None:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in items))


def write_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


def softhsm_module() -> str:
    for candidate in MODULE_CANDIDATES:
        if Path(candidate).exists():
            return candidate
    sys.exit("dev_ca.py: libsofthsm2.so not found (apt-get install softhsm2)")


def init_token(out: Path) -> str:
    conf = out / "softhsm2.conf"
    (out / "tokens").mkdir()
    conf.write_text(
        f"directories.tokendir = {out / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            "softhsm2-util",
            "--init-token",
            "--free",
            "--label",
            TOKEN_LABEL,
            "--so-pin",
            SO_PIN,
            "--pin",
            USER_PIN,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (out / "user-pin").write_text(USER_PIN + "\n")
    return str(conf)


def key_on_token(session: pkcs11.Session, label: str, ident: bytes) -> rsa.RSAPublicKey:
    """A new RSA key pair generated on the token; only its public half comes out."""
    public, _ = session.generate_keypair(
        KeyType.RSA,
        2048,
        store=True,
        label=label,
        id=ident,
        private_template={Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False},
    )
    numbers = rsa.RSAPublicNumbers(
        int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
        int.from_bytes(public[Attribute.MODULUS], "big"),
    )
    return numbers.public_key()


def cert_on_token(
    session: pkcs11.Session, label: str, ident: bytes, cert: x509.Certificate
) -> None:
    session.create_object(
        {
            Attribute.CLASS: ObjectClass.CERTIFICATE,
            Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
            Attribute.TOKEN: True,
            Attribute.LABEL: label,
            Attribute.ID: ident,
            Attribute.SUBJECT: cert.subject.public_bytes(),
            Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
        }
    )


def nss_db(out: Path) -> None:
    """An NSS database trusting the dev root, for poppler's pdfsig (``-nssdir sql:DIR/nssdb``)."""
    db = f"sql:{out / 'nssdb'}"
    (out / "nssdb").mkdir()
    run = ["certutil", "-d", db]
    subprocess.run([*run, "-N", "--empty-password"], check=True)
    subprocess.run(
        [*run, "-A", "-n", "hotich-dev-root", "-t", "CT,C,C", "-i", str(out / "root.pem")],
        check=True,
    )


def main(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / "certs").mkdir()
    (out / "crls").mkdir()
    root = root_authority("Hotich dev Root CA")
    intermediate = intermediate_of(root)
    other = root_authority("Untrusted dev Root CA")
    conf = init_token(out)
    lib = pkcs11.lib(softhsm_module())
    token = lib.get_token(token_label=TOKEN_LABEL)
    officials = [
        # label, issuer, subject, options
        ("official", intermediate, name("Lò Văn Páo", title="Chủ tịch UBND huyện Đồng Văn"), {}),
        (
            "verifier.026",
            intermediate,
            name("Vàng Thị Mỷ", title="Công chức tư pháp - hộ tịch"),
            {},
        ),
        (
            "official-expired",
            intermediate,
            name("Sùng Mí Chá", title="Phó Chủ tịch UBND xã Lũng Cú"),
            {"not_before": NOW - 3 * YEAR, "not_after": NOW - YEAR},
        ),
        ("official-revoked", intermediate, name("Ly Thị Sở", title="Nguyên Chủ tịch UBND xã"), {}),
        ("official-unchained", other, name("Giàng Seo Hử", title="Chủ tịch (CA lạ)"), {}),
        (
            "official-no-signing",
            intermediate,
            name("Hoàng Văn Đức", title="Văn thư"),
            {"usage": "encipher"},
        ),
    ]
    with token.open(rw=True, user_pin=USER_PIN) as session:
        for number, (label, issuer, subject, options) in enumerate(officials, start=1):
            ident = bytes([number])
            cert = issuer.issue(subject, key_on_token(session, label, ident), **options)
            cert_on_token(session, label, ident, cert)
            write_pem(out / "certs" / f"{label}.pem", cert)
            if label == "official-revoked":
                intermediate.revoked.append(cert)
    write_pem(out / "root.pem", root.cert)
    write_pem(out / "intermediate.pem", intermediate.cert)
    write_pem(out / "chain.pem", intermediate.cert, root.cert)
    write_pem(out / "other-root.pem", other.cert)
    write_key(out / "root.key", root.key)
    write_key(out / "intermediate.key", intermediate.key)
    for authority in (root, intermediate):
        crl = authority.crl().public_bytes(serialization.Encoding.DER)
        (out / "crls" / f"{authority.slug}.crl").write_bytes(crl)
    nss_db(out)
    (out / "env").write_text(
        "\n".join(
            [
                f"SOFTHSM2_CONF={conf}",
                f"HOTICH_SIGNING_PKCS11_MODULE={softhsm_module()}",
                f"HOTICH_SIGNING_TOKEN_LABEL={TOKEN_LABEL}",
                f"HOTICH_SIGNING_PIN_FILE={out / 'user-pin'}",
                "HOTICH_SIGNING_KEY_LABEL=official",
                f"HOTICH_SIGNING_TRUST_ROOTS={out / 'root.pem'}",
                f"HOTICH_SIGNING_INTERMEDIATES={out / 'intermediate.pem'}",
                "HOTICH_SIGNING_CRLS=" + ",".join(str(out / "crls" / f) for f in CRL_FILES),
                "",
            ]
        )
    )
    print(f"dev_ca.py: dev CA and SoftHSM2 token {TOKEN_LABEL!r} in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]).resolve())
