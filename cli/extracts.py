"""`hotich extracts`: issue a signed extract of a published record and check one; `hotich sign
publication`: publish an entry with the verifier's own signature, made on their token."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer

from bootstrap.signing import SigningSettings
from cli.client import ApiError
from cli.console import console, err
from cli.entries import ApiUrl, Token, open_client

extracts_app = typer.Typer(
    help="Signed extracts (trích lục) of published records.", no_args_is_help=True
)
sign_app = typer.Typer(help="Officials' own signatures, made on their token.", no_args_is_help=True)


@extracts_app.command("issue")
def issue(
    record_id: UUID,
    api: ApiUrl,
    token: Token = None,
    purpose: Annotated[str, typer.Option(help="why it is asked for (mục đích)")] = "Theo yêu cầu",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="where to save the PDF")
    ] = None,
) -> None:
    """Issue a signed extract of a published record and save the PDF."""
    client = open_client(api, token)
    try:
        extract = client.request(
            "POST", f"/portal/records/{record_id}/extracts", json={"purpose": purpose}
        )
        response = client._http.get(extract["url"])
        response.raise_for_status()
    except ApiError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    path = output or Path(f"trich-luc-{extract['sha256'][:12]}.pdf")
    path.write_bytes(response.content)
    console.print(f"{path}: sha256 {extract['sha256']}, {extract['signature_level']}")
    console.print(f"signed by {extract['signer']['subject']}")


@extracts_app.command("check")
def check(pdf: Path) -> None:
    """Check an extract's signature and its signer's certificate (HOTICH_SIGNING_TRUST_ROOTS,
    _INTERMEDIATES, _CRLS); exit 1 if it fails."""
    from digitization.extract_ports import CertificateRefusedError, InvalidSignatureError
    from infra.signing.pades_check import check_extract

    try:
        signer = check_extract(pdf.read_bytes(), SigningSettings().trust())
    except (InvalidSignatureError, CertificateRefusedError) as e:
        err.print(f"[red]FAIL {pdf}: {e}[/red]")
        raise typer.Exit(1) from None
    console.print(f"OK {pdf}: signed by {signer.subject} (certificate {signer.fingerprint_sha256})")


@sign_app.command("publication")
def publication(
    entry_id: UUID,
    api: ApiUrl,
    token: Token = None,
    key_label: Annotated[
        str | None, typer.Option(help="your key's label on the token (HOTICH_SIGNING_KEY_LABEL)")
    ] = None,
) -> None:
    """Publish a verified entry with your own signature: the entry's publication statement is
    signed on your token (HOTICH_SIGNING_PKCS11_MODULE, _TOKEN_LABEL, _PIN_FILE)."""
    from digitization.extract_ports import CertificateRefusedError, SigningUnavailableError
    from infra.signing.cms import sign_detached

    settings = SigningSettings()
    client = open_client(api, token)
    try:
        statement = client._http.get(f"/entries/{entry_id}/publication-statement")
        if statement.status_code != 200:
            raise ApiError(statement.status_code, statement.text)
        cms = sign_detached(settings.token(key_label), statement.content, settings.trust())
        body = {"official_signature": base64.b64encode(cms).decode("ascii")}
        entry = client.request(
            "POST",
            f"/entries/{entry_id}/publication",
            json=body,
            headers={"Idempotency-Key": f"cli:{uuid.uuid4()}"},
        )
    except (ApiError, CertificateRefusedError, SigningUnavailableError) as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        client.close()
    console.print(f"published {entry_id} at version {entry['version']}, signed by you")
