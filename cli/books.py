"""hotich books: deliver a book to the national database (the Ministry's package), import a
contractor's package into a book, read a book's numbering; over the HTTP API."""

from __future__ import annotations

import base64
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from rich.table import Table

from cli.client import ApiError, HotichClient
from cli.console import console, fail
from cli.entries import ApiUrl, Token, open_client

books_app = typer.Typer(
    help="Books (sổ) for the national database: export, import, numbering.",
    no_args_is_help=True,
)
Register = Annotated[UUID, typer.Argument(help="register (sổ) id")]


def _numbering_table(report: dict[str, Any]) -> Table:
    def runs(items: list[dict[str, int]]) -> str:
        return ", ".join(
            str(r["first"]) if r["first"] == r["last"] else f"{r['first']}-{r['last']}"
            for r in items
        )

    table = Table("year", "entries", "numbers", "gaps", "unexplained", "duplicates", "out of order")
    for year in report["years"]:
        table.add_row(
            str(year["year"]),
            str(year["count"]),
            f"{year['first']}-{year['last']}",
            runs(year["gaps"]) or "-",
            runs(year["unexplained_gaps"]) or "-",
            ", ".join(str(d["number"]) for d in year["duplicates"]) or "-",
            ", ".join(str(o["number"]) for o in year["out_of_order"]) or "-",
        )
    return table


@books_app.command()
def numbering(
    register: Register, api: ApiUrl = "http://127.0.0.1:8000", token: Token = None
) -> None:
    """A book's numbering year by year: gaps, duplicates, numbers out of order."""
    client = open_client(api, token)
    try:
        report = client.request("GET", f"/registers/{register}/numbering")
    except ApiError as e:
        fail(e, 1)
    finally:
        client.close()
    console.print(_numbering_table(report))


def _extract(package: Path, out: Path) -> list[str]:
    """The package's files into ``out`` (flat names only)."""
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        for name in names:
            if "/" in name or "\\" in name or name in ("", ".", ".."):
                fail(f"the package holds a path: {name!r}", 1)
            (out / name).write_bytes(archive.read(name))
    return names


@books_app.command("export")
def export(
    register: Register,
    out: Annotated[Path, typer.Option("--out", help="folder for the package's files")],
    accept_gaps: Annotated[
        str | None,
        typer.Option("--accept-gaps", help="accept the numbering's gaps for this reason first"),
    ] = None,
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
) -> None:
    """Export a verified book: its workbook, the ZIP of one PDF per entry, the signed manifest."""
    client = open_client(api, token)
    try:
        if accept_gaps is not None:
            path = f"/registers/{register}/numbering/acceptances"
            client.request("POST", path, json={"reason": accept_gaps})
            console.print(f"gaps accepted: {accept_gaps}")
        with tempfile.TemporaryDirectory(prefix="hotich-export-") as tmp:
            package = Path(tmp) / "delivery.zip"
            with package.open("wb") as target:
                client.download(f"/registers/{register}/delivery.zip", target)
            names = _extract(package, out)
    except ApiError as e:
        fail(e, 1)
    finally:
        client.close()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    for name in names:
        console.print(f"{out / name}")
    console.print(
        f"{len(manifest['entries'])} entries; manifest {manifest['hash']} signed by key "
        f"{manifest['signature']['key_id']}"
    )


def _import(client: HotichClient, register: UUID, workbook: Path, pdfs: Path | None) -> Any:
    with workbook.open("rb") as book:
        files: list[tuple[str, tuple[str, Any, str]]] = [
            ("workbook", (workbook.name, book, "application/octet-stream"))
        ]
        if pdfs is None:
            return client.request("POST", f"/registers/{register}/imports", files=files)
        with pdfs.open("rb") as zipped:
            files.append(("pdfs", (pdfs.name, zipped, "application/zip")))
            return client.request("POST", f"/registers/{register}/imports", files=files)


@books_app.command("import")
def import_(
    register: Register,
    workbook: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the .xlsx")],
    pdfs: Annotated[
        Path | None, typer.Option("--pdfs", exists=True, dir_okay=False, help="ZIP of PDFs")
    ] = None,
    annotated: Annotated[
        Path | None, typer.Option(help="where the annotated workbook goes; default beside it")
    ] = None,
    api: ApiUrl = "http://127.0.0.1:8000",
    token: Token = None,
) -> None:
    """Import a contractor's package: valid rows keyed, their PDFs' pages scanned; the
    workbook comes back annotated. Exits 1 when a row was refused."""
    client = open_client(api, token)
    client.retries = 0  # a refused body is not sent again
    try:
        report = _import(client, register, workbook, pdfs)
    except ApiError as e:
        fail(e, 1)
    finally:
        client.close()
    target = annotated or workbook.with_name(f"{workbook.stem}.hotich.xlsx")
    target.write_bytes(base64.b64decode(report["annotated_workbook"]))
    console.print(
        f"accepted {len(report['accepted'])}, already present {len(report['present'])}, "
        f"refused {len(report['refused'])}; pages recorded {len(report['pages_recorded'])}"
    )
    for row in report["refused"]:
        console.print(f"row {row['row']}: " + "; ".join(row["errors"]))
    console.print(f"annotated workbook: {target}")
    if report["refused"]:
        raise typer.Exit(1)
