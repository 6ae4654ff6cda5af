"""Signed extracts over HTTP, on a real stack (embedded, and PostgreSQL with the S3 server):
issued from the SoftHSM2 token of the dev CA, checked by tools no one here wrote (pdfsig,
`pyhanko sign validate`, veraPDF, openssl), recorded on the record, refused (and nothing
recorded) when the record is not published, the token absent or locked, or the certificate
expired, revoked, untrusted or not for signing; and the verifier's own signature on
publication."""

from __future__ import annotations

import base64
import hashlib
import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from bootstrap.signing import install_signing
from infra.signing.cms import sign_detached
from infra.signing.pades_check import check_extract
from infra.store.mapper import SignedEnvelopeMapper
from tests.builders import catalogue_book, keyed, published, verified
from tests.e2e.signing_env import (
    dev_ca,
    fingerprint,
    pdfsig,
    pyhanko_validate,
    signing_settings,
    verapdf,
)
from tests.e2e.stack import Stack, running_stack
from tests.e2e.test_portal_http import PO

PROBLEM = "application/problem+json"
_books = itertools.count(1)


@dataclass
class Served:
    stack: Stack
    dir: Path
    po: UUID  # published
    draft: UUID  # keyed only
    ready: UUID  # verified, to be published with a signature

    def events(self, entry_id: UUID) -> list[dict[str, Any]]:
        app = self.stack.container.app
        assert isinstance(app.mapper, SignedEnvelopeMapper)
        return [app.mapper.open_envelope(e) for e in app.recorder.select_events(entry_id)]

    def sign_with(self, **different: object) -> None:
        install_signing(self.stack.container.app, signing_settings(**different))


@pytest.fixture(scope="module", params=["embedded", "production"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    home = tmp_path_factory.mktemp(f"extracts-{request.param}")
    with running_stack(request.param, home) as stack:
        app = stack.container.app
        install_signing(app, signing_settings())
        register = catalogue_book(app, f"X{next(_books):02d}").id
        po = published(app, register, 2, PO)
        draft = keyed(app, register, 3, {**PO, "child.full_name": "Lò Thị Dung"})
        ready = verified(app, register, 4, {**PO, "child.full_name": "Vàng Thị Mỷ"})
        yield Served(stack, home, po, draft, ready)


@pytest.fixture(autouse=True)
def default_signer(served: Served) -> None:
    served.sign_with()


def issue(served: Served, user: str, entry: UUID, purpose: str = "Bổ sung hồ sơ nhập học") -> Any:
    with served.stack.client(user) as client:
        return client.post(f"/portal/records/{entry}/extracts", json={"purpose": purpose})


def test_a_portal_user_gets_an_extract_signed_on_the_token_that_other_tools_validate(
    served: Served,
) -> None:
    answer = issue(served, "portal.dvc", served.po)
    assert answer.status_code == 201, answer.text
    extract = answer.json()
    with served.stack.client("portal.dvc") as portal:
        pdf = portal.get(extract["url"])
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == extract["sha256"]
    path = served.dir / "extract.pdf"
    path.write_bytes(pdf.content)

    sig = pdfsig(path)
    assert "Signature is Valid." in sig.stdout, sig.stdout + sig.stderr
    assert "Certificate is Trusted." in sig.stdout, sig.stdout
    assert "Signer Certificate Common Name: Lò Văn Páo" in sig.stdout
    hanko = pyhanko_validate(path)
    assert hanko.returncode == 0, hanko.stdout + hanko.stderr
    assert ":VALID" in hanko.stdout, hanko.stdout
    vera = verapdf(path)
    assert f"PASS {path} 2b" in vera.stdout, vera.stdout + vera.stderr
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for words in ("TRÍCH LỤC KHAI SINH", "Giàng Seo Pó", "Vừ Thị Mỷ", "12/03/1990", "Đồng Văn"):
        assert words in text
    assert "bản gốc bị nhòe" not in text  # the clerk's notes are not the book's words
    assert "male" not in text  # sex as the books print it (Nam, Nữ), not the stored code
    assert f"/portal/records/{served.po}/evidence" in text
    signer = check_extract(pdf.content, signing_settings().trust())
    assert signer.fingerprint_sha256 == fingerprint("official")


def test_an_issued_extract_is_an_event_of_the_record_and_in_the_read_audit(
    served: Served,
) -> None:
    extract = issue(served, "verifier.026.1", served.po, "Cấp lại bản sao").json()
    issued = [e for e in served.events(served.po) if e["event_type"].endswith("ExtractIssued")]
    payload = issued[-1]["payload"]["extract"]
    assert payload["sha256"] == extract["sha256"]
    assert payload["signer"]["fingerprint_sha256"] == fingerprint("official")
    assert payload["signer"]["subject"].startswith("CN=Lò Văn Páo")
    assert payload["purpose"] == "Cấp lại bản sao"
    assert payload["requester"] == {"id": "verifier.026.1", "role": "verifier"}
    assert issued[-1]["actor"] == {"id": "verifier.026.1", "role": "verifier"}
    with served.stack.client("portal.dvc") as portal:
        listed = portal.get(f"/portal/records/{served.po}/extracts").json()["items"]
    assert extract["sha256"] in [e["sha256"] for e in listed]
    issue(served, "portal.dvc", served.po)
    with served.stack.client("admin.tinh") as admin:
        reads = admin.get("/audit/portal", params={"record": str(served.po)}).json()
    actions = {item["action"] for item in reads["items"]}
    assert {"issue_extract", "list_extracts"} <= actions


def test_a_record_not_published_is_not_found_by_the_portal_and_refused_to_staff(
    served: Served,
) -> None:
    assert issue(served, "portal.dvc", served.draft).status_code == 404
    staff = issue(served, "verifier.026.1", served.draft)
    assert staff.status_code == 409
    assert staff.json()["code"] == "extract_only_published"
    assert issue(served, "clerk.026.1", served.po).status_code == 403  # clerks issue none
    assert issue(served, "verifier.027.1", served.po).status_code == 404  # another district


@pytest.mark.parametrize(
    ("different", "code"),
    [
        ({"signing_pkcs11_module": "/nonexistent/libsofthsm2.so"}, "signing_token_absent"),
        ({"signing_token_label": "no-such-token"}, "signing_token_absent"),
        ({"signing_pin_file": None, "signing_pin": "0000"}, "signing_token_locked"),
        ({"signing_key_label": "nobody"}, "signing_key_absent"),
        ({"signing_key_label": "official-expired"}, "certificate_expired"),
        ({"signing_key_label": "official-revoked"}, "certificate_revoked"),
        ({"signing_key_label": "official-unchained"}, "certificate_not_trusted"),
        ({"signing_key_label": "official-no-signing"}, "certificate_key_usage"),
    ],
)
def test_a_token_or_certificate_that_cannot_sign_is_a_503_naming_why_and_nothing_is_recorded(
    served: Served, different: dict[str, object], code: str
) -> None:
    before = len(served.events(served.po))
    served.sign_with(**different)
    answer = issue(served, "portal.dvc", served.po)
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == code
    assert answer.headers["retry-after"]
    assert len(served.events(served.po)) == before


def test_a_tampered_extract_fails_pdfsig_and_hotichs_own_check(served: Served) -> None:
    extract = issue(served, "portal.dvc", served.po).json()
    with served.stack.client("portal.dvc") as portal:
        pdf = bytearray(portal.get(extract["url"]).content)
    pdf[2000] ^= 0x01  # a byte of the signed content
    path = served.dir / "tampered.pdf"
    path.write_bytes(pdf)
    assert "Signature is Valid." not in pdfsig(path).stdout
    completed = subprocess.run(
        [str(Path(".venv/bin/hotich").resolve()), "extracts", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, **_trust_env()},
    )
    assert completed.returncode == 1, completed.stdout
    assert "FAIL" in completed.stderr


def _trust_env() -> dict[str, str]:
    s = signing_settings()
    return {
        "HOTICH_SIGNING_TRUST_ROOTS": s.signing_trust_roots,
        "HOTICH_SIGNING_INTERMEDIATES": s.signing_intermediates,
        "HOTICH_SIGNING_CRLS": s.signing_crls,
    }


def test_a_verifier_signs_the_publication_and_openssl_checks_it_against_the_dev_ca(
    served: Served,
) -> None:
    served.sign_with(publication_signature_required=True)
    with served.stack.client("verifier.026.2") as verifier:
        refused = verifier.post(f"/entries/{served.ready}/publication", json={})
        assert refused.status_code == 409
        assert refused.json()["code"] == "publication_signature_required"
        statement = verifier.get(f"/entries/{served.ready}/publication-statement").content
        settings = signing_settings(signing_key_label="verifier.026")
        wrong = sign_detached(settings.token(), statement + b"x", settings.trust())
        bad = verifier.post(
            f"/entries/{served.ready}/publication",
            json={"official_signature": base64.b64encode(wrong).decode()},
        )
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["code"] == "signature_invalid"
        cms = sign_detached(settings.token(), statement, settings.trust())
        done = verifier.post(
            f"/entries/{served.ready}/publication",
            json={"official_signature": base64.b64encode(cms).decode()},
        )
    assert done.status_code == 200, done.text
    published_event = served.events(served.ready)[-1]
    kept = published_event["payload"]["official_signature"]
    assert kept["signer"]["fingerprint_sha256"] == fingerprint("verifier.026")
    assert kept["statement"].encode() == statement
    served.stack.wait_for_views()
    with served.stack.client("portal.dvc") as portal:
        bundle = portal.get(f"/portal/records/{served.ready}/evidence").json()
    shown = bundle["events"][-1]["payload"]["official_signature"]
    (served.dir / "statement.txt").write_text(shown["statement"], encoding="utf-8")
    (served.dir / "publication.der").write_bytes(base64.b64decode(shown["cms"]))
    ca = dev_ca()
    checked = subprocess.run(
        [
            "openssl", "cms", "-verify", "-binary", "-inform", "DER",
            "-in", str(served.dir / "publication.der"),
            "-content", str(served.dir / "statement.txt"),
            "-CAfile", str(ca / "root.pem"), "-certfile", str(ca / "intermediate.pem"),
            "-out", "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Verification successful" in checked.stderr
