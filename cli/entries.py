"""hotich registers / entries: the keying workflow over the HTTP API, for scripts and clerks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from cli.client import ApiError, HotichClient, send_command
from domain.civil_record import CorrectionKind
from domain.record_kind import RecordKind

console = Console()
err = Console(stderr=True, soft_wrap=True)

registers_app = typer.Typer(help="Registers (sổ): catalogue a book.", no_args_is_help=True)
entries_app = typer.Typer(
    help="Entries (bản ghi): key, second-key, reconcile, verify, reject, correct, publish.",
    no_args_is_help=True,
)

ApiUrl = Annotated[str, typer.Option(envvar="HOTICH_API_URL", help="the hotich API")]
Token = Annotated[str | None, typer.Option(envvar="HOTICH_TOKEN", help="bearer token")]
Expected = Annotated[
    int | None, typer.Option("--expected-version", help="the version you read; stale: 409")
]
Sets = Annotated[
    list[str] | None, typer.Option("--set", help="field=value, repeatable (e.g. child.sex=nam)")
]
FieldsOption = Annotated[
    str | None, typer.Option("--fields", help="JSON object of fields, or @file.json")
]


def _fields(fields: str | None, sets: list[str] | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if fields:
        text = Path(fields[1:]).read_text("utf-8") if fields.startswith("@") else fields
        try:
            loaded = json.loads(text)
        except ValueError as e:
            raise typer.BadParameter(f"--fields: not JSON ({e})") from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter("--fields: must be a JSON object")
        result.update(loaded)
    for item in sets or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"--set {item!r}: must be field=value")
        result[name.strip()] = value if value != "" else None
    return result


def open_client(api: str, token: str | None) -> HotichClient:
    """The API client, or exit 2 with the reason (no token)."""
    try:
        return HotichClient(api, token)
    except ApiError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None


def _send(api: str, token: str | None, name: str, body: dict[str, Any], **ids: object) -> Any:
    """One command over the API (cli/client.py's COMMANDS); a refusal exits 1."""
    client = open_client(api, token)
    try:
        return send_command(client, name, body, **ids)
    except ApiError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        client.close()


def _show(entry: dict[str, Any]) -> None:
    console.print(
        f"entry {entry['id']}  số {entry['entry_number']}  [bold]{entry['status']}[/bold]  "
        f"version {entry['version']}"
    )
    table = Table("field", "value", "published", box=None)
    published = entry.get("published_fields") or {}
    for name in sorted(set(entry["fields"]) | set(published)):
        table.add_row(name, _text(entry["fields"].get(name)), _text(published.get(name)))
    console.print(table)
    for name, d in entry.get("discrepancies", {}).items():
        state = "reconciled" if d.get("resolved") else "open"
        console.print(f"  discrepancy {name}: {_text(d['first'])} | {_text(d['second'])} ({state})")


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict) and "year" in value:
        parts = [str(value["year"]), *(f"{value[k]:02d}" for k in ("month", "day") if value.get(k))]
        return "-".join(parts) + (" (âm lịch)" if value.get("lunar") else "")
    return str(value)


@registers_app.command("catalogue")
def catalogue(
    commune: Annotated[str, typer.Option(help="commune code (mã xã), 5 digits")],
    kind: Annotated[RecordKind, typer.Option(help="kind of act")],
    year_from: Annotated[int, typer.Option(help="first year (từ năm)")],
    year_to: Annotated[int, typer.Option(help="last year (đến năm)")],
    book: Annotated[str, typer.Option(help="book number (quyển số)")],
    pages: Annotated[int, typer.Option(help="page count (số trang)")],
    entries: Annotated[int, typer.Option(help="estimated entries")],
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
) -> None:
    """Catalogue a book; prints its id."""
    register = _send(
        api,
        token,
        "catalogue",
        {
            "commune_code": commune,
            "kind": kind.value,
            "year_from": year_from,
            "year_to": year_to,
            "book_number": book,
            "page_count": pages,
            "estimated_entries": entries,
        },
    )
    console.print(f"register {register['id']} (district {register['district']})")


@entries_app.command("key")
def key(
    register: Annotated[UUID, typer.Option(help="register (sổ) id")],
    number: Annotated[int, typer.Option(help="entry number (số)")],
    pages: Annotated[str, typer.Option(help="page(s) the entry lies on, e.g. 12 or 12,13")],
    fields: FieldsOption = None,
    set_: Sets = None,
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
) -> None:
    """Key a new entry."""
    page_numbers = [int(p) for p in pages.replace(",", " ").split()]
    body = {"entry_number": number, "pages": page_numbers, "fields": _fields(fields, set_)}
    _show(_send(api, token, "key", body, register=register))


@entries_app.command("show")
def show(entry: UUID, api: ApiUrl = "http://127.0.0.1:8000", token: Token = None) -> None:
    """Show an entry as the event store has it."""
    client = open_client(api, token)
    try:
        _show(client.request("GET", f"/entries/{entry}"))
    except ApiError as e:
        err.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None
    finally:
        client.close()


def _on_field_map(name: str, member: str, doc: str) -> None:
    """A command that sends a map of fields (--fields and --set together) under ``member``
    and the entry's version (second-key, reconcile)."""

    def command(
        entry: UUID,
        fields: FieldsOption = None,
        set_: Sets = None,
        expected_version: Expected = None,
        api: ApiUrl = "http://127.0.0.1:8000",
        token: Token = None,
    ) -> None:
        body = {member: _fields(fields, set_), "expected_version": expected_version}
        _show(_send(api, token, name, body, entry=entry))

    command.__doc__ = doc
    entries_app.command(name)(command)


_on_field_map(
    "second-key",
    "fields",
    "Key the entry a second time (by someone else); discrepancies are listed.",
)
_on_field_map(
    "reconcile",
    "resolutions",
    "Settle discrepancies: --set field=value (empty value: the field is empty), or --fields.",
)


@entries_app.command("reject")
def reject(
    entry: UUID,
    reason: Annotated[str, typer.Option(help="why (lý do)")],
    expected_version: Expected = None,
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
) -> None:
    """Reject the entry with a reason."""
    body = {"reason": reason, "expected_version": expected_version}
    _show(_send(api, token, "reject", body, entry=entry))


@entries_app.command("correct")
def correct(
    entry: UUID,
    kind: Annotated[CorrectionKind, typer.Option(help="transcription_fix or cai_chinh")],
    reason: Annotated[str, typer.Option(help="why (lý do)")],
    set_: Sets = None,
    decision_number: Annotated[str | None, typer.Option(help="cải chính: số quyết định")] = None,
    decision_date: Annotated[str | None, typer.Option(help="cải chính: ngày quyết định")] = None,
    decision_issuer: Annotated[str | None, typer.Option(help="cải chính: cơ quan ra QĐ")] = None,
    expected_version: Expected = None,
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
) -> None:
    """Correct a verified or published entry; it goes back to verification."""
    body = {
        "kind": kind.value,
        "changes": _fields(None, set_),
        "reason": reason,
        "decision_number": decision_number,
        "decision_date": decision_date,
        "decision_issuer": decision_issuer,
        "expected_version": expected_version,
    }
    _show(_send(api, token, "correct", body, entry=entry))


def _on_version_only(name: str, doc: str) -> None:
    """A command that sends the entry's version only (verify, publish)."""

    def command(
        entry: UUID,
        expected_version: Expected = None,
        api: ApiUrl = "http://127.0.0.1:8000",
        token: Token = None,
    ) -> None:
        _show(_send(api, token, name, {"expected_version": expected_version}, entry=entry))

    command.__doc__ = doc
    entries_app.command(name)(command)


_on_version_only("verify", "Verify the entry (not by anyone who keyed it).")
_on_version_only("publish", "Publish a verified entry to the portal.")
