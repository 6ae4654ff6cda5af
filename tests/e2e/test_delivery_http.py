"""Delivering books to the national database over HTTP, on the embedded default and on
PostgreSQL with the S3 server: a verified book exports as the Ministry's package (the workbook
opens in openpyxl and LibreOffice, every PDF in pdfinfo, the manifest checks), exporting then
importing into an empty book reproduces the fields, bad packages are refused with nothing
recorded, and the numbering report finds planted gaps and duplicates."""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from openpyxl import load_workbook

from domain.civil_record import EntryStatus
from tests.e2e.delivery_books import (
    Book,
    empty_book,
    entry_of,
    million_rows,
    published_book,
    workbook,
    zipped,
)
from tests.e2e.server import caught_up
from tests.e2e.stack import Stack, running_stack

ROOT = Path(__file__).resolve().parents[2]
DAYS = {1: "02/01/1990", 2: "15/01/1990", 3: "03/1990", 4: "1990"}


@pytest.fixture(scope="module", params=["embedded", "production"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    with running_stack(request.param, tmp_path_factory.mktemp("home")) as s:
        yield s


def client(stack: Stack, user: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {stack.tokens[user]}"}
    return httpx.Client(base_url=stack.base_url, headers=headers, timeout=120)


@pytest.fixture(scope="module")
def manager(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack, "manager.tinh") as api:
        yield api


@pytest.fixture(scope="module")
def clerk(stack: Stack) -> Iterator[httpx.Client]:
    with client(stack, "clerk.026.1") as api:
        yield api


@pytest.fixture(scope="module")
def book(stack: Stack, manager: httpx.Client) -> Book:
    made = published_book(stack, DAYS)
    caught_up(manager)
    return made


@pytest.fixture(scope="module")
def package(book: Book, manager: httpx.Client, tmp_path_factory: pytest.TempPathFactory) -> Path:
    response = manager.get(f"/registers/{book.id}/delivery.zip")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    folder = tmp_path_factory.mktemp("package")
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        archive.extractall(folder)
    return folder


def files(folder: Path) -> tuple[Path, Path, dict[str, object]]:
    xlsx = next(folder.glob("*.xlsx"))
    pdfs = next(folder.glob("*-pdf.zip"))
    return xlsx, pdfs, json.loads((folder / "manifest.json").read_text("utf-8"))


# ----- export ---------------------------------------------------------------------------
def test_the_workbook_opens_in_openpyxl_with_a_row_per_published_entry(package: Path) -> None:
    xlsx, _, _ = files(package)
    sheet = load_workbook(xlsx)["Khai sinh"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:5] == ("Số", "Quyển số", "Trang", "Tệp PDF", "Ngày đăng ký")
    by = {name: i for i, name in enumerate(header)}
    assert [r[0] for r in rows[1:]] == [1, 2, 3, 4]
    first = rows[1]
    assert first[by["Trang"]] == "1, 2"
    assert first[by["Tệp PDF"]] == "1.pdf"
    assert first[by["Họ, chữ đệm, tên người được khai sinh"]] == "Giàng Seo Pó A"
    assert first[by["Giới tính"]] == "Nam"
    assert first[by["Ghi chú"]] == "Ghi chú bên lề: đã cấp bản sao"
    # dates as the book wrote them: a day, a month, a year
    assert [r[by["Ngày đăng ký"]] for r in rows[1:]] == [
        "02/01/1990",
        "15/01/1990",
        "03/1990",
        "1990",
    ]
    # the unit that kept the book, and the 2025 commune that files it
    assert (first[by["Mã xã lưu sổ"]], first[by["Xã lưu sổ"]]) == ("00718", "Xã Má Lé")
    assert (first[by["Mã xã (từ 01/7/2025)"]], first[by["Xã (từ 01/7/2025)"]]) == (
        "00715",
        "Xã Lũng Cú",
    )


def test_the_workbook_opens_in_libreoffice_with_the_same_rows(
    package: Path, tmp_path: Path
) -> None:
    xlsx, _, _ = files(package)
    subprocess.run(
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(tmp_path),
            str(xlsx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    with (tmp_path / f"{xlsx.stem}.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["Số", "Quyển số", "Trang", "Tệp PDF", "Ngày đăng ký"]
    assert [(r[0], r[3], r[4]) for r in rows[1:]] == [
        ("1", "1.pdf", "02/01/1990"),
        ("2", "2.pdf", "15/01/1990"),
        ("3", "3.pdf", "03/1990"),
        ("4", "4.pdf", "1990"),
    ]


def test_every_pdf_opens_in_pdfinfo_with_its_pages(package: Path, tmp_path: Path) -> None:
    _, pdfs, manifest = files(package)
    listed = {m["name"]: m["pages"] for m in manifest["files"][1]["members"]}  # type: ignore[index]
    with zipfile.ZipFile(pdfs) as archive:
        assert sorted(archive.namelist()) == ["1.pdf", "2.pdf", "3.pdf", "4.pdf"]
        archive.extractall(tmp_path)
    for name, pages in listed.items():
        info = subprocess.run(
            ["pdfinfo", str(tmp_path / name)], check=True, capture_output=True, text=True
        ).stdout
        assert f"Pages:           {pages}" in info
    # entry 1 lies on a JPEG page and a TIFF page
    assert listed == {"1.pdf": 2, "2.pdf": 1, "3.pdf": 1, "4.pdf": 1}


def test_the_manifest_checks_against_the_published_keys(
    package: Path, manager: httpx.Client, book: Book, tmp_path: Path
) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(manager.get("/keys").text, "utf-8")
    checker = [
        sys.executable,
        str(ROOT / "docs" / "check_delivery.py"),
        str(package),
        "--keys",
        str(keys),
    ]
    done = subprocess.run(checker, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    _, _, manifest = files(package)
    entries = manifest["entries"]  # type: ignore[index]
    assert [e["number"] for e in entries] == book.numbers
    assert all(
        len(e["event_hashes"]) == 4 for e in entries
    )  # keyed, second-keyed, verified, published
    # a changed byte anywhere fails the check
    tampered = tmp_path / "tampered"
    tampered.mkdir()
    for path in package.iterdir():
        (tampered / path.name).write_bytes(path.read_bytes())
    text = (tampered / "manifest.json").read_text("utf-8").replace('"1.pdf"', '"9.pdf"', 1)
    (tampered / "manifest.json").write_text(text, "utf-8")
    failed = subprocess.run(
        [*checker[:2], str(tampered), "--keys", str(keys)], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert "hash does not match" in failed.stdout


def test_only_managers_verifiers_and_admins_export(
    stack: Stack, book: Book, clerk: httpx.Client
) -> None:
    refused = clerk.get(f"/registers/{book.id}/delivery.zip")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    with client(stack, "manager.026") as district_manager:
        assert district_manager.get(f"/registers/{book.id}/delivery.zip").status_code == 200
    with client(stack, "verifier.027.1") as other_district:
        assert other_district.get(f"/registers/{book.id}/delivery.zip").status_code == 404


def test_a_book_with_an_entry_never_published_is_not_exported(
    stack: Stack, manager: httpx.Client
) -> None:
    unfinished = published_book(stack, {1: "1991", 2: "1991"}, publish=False)
    caught_up(manager)
    refused = manager.get(f"/registers/{unfinished.id}/delivery.zip")
    assert refused.status_code == 409
    assert refused.json()["code"] == "delivery_unpublished"


# ----- import -----------------------------------------------------------------------------
def import_package(
    api: httpx.Client, register_id: UUID, xlsx: bytes, pdfs: bytes | None
) -> httpx.Response:
    parts = {"workbook": ("book.xlsx", xlsx)}
    if pdfs is not None:
        parts["pdfs"] = ("pdfs.zip", pdfs)
    return api.post(f"/registers/{register_id}/imports", files=parts)


def test_export_then_import_into_an_empty_book_reproduces_the_fields(
    stack: Stack, package: Path, book: Book, clerk: httpx.Client
) -> None:
    xlsx, pdfs, _ = files(package)
    target = empty_book(stack)
    answer = import_package(clerk, target, xlsx.read_bytes(), pdfs.read_bytes())
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["accepted"], report["present"], report["refused"]) == ([1, 2, 3, 4], [], [])
    assert report["pages_recorded"] == [1, 2, 3, 4, 5]
    for number in book.numbers:
        original = entry_of(stack, book.id, number)
        imported = entry_of(stack, target, number)
        assert imported.fields == original.published_fields
        assert imported.status is EntryStatus.KEYED
        assert imported.keyed_by == ["clerk.026.1"]
        assert imported.pages == original.pages
    register = stack.container.app.get_register(target)
    [package_event] = register.imported_packages.values()
    assert package_event["entries"] == [1, 2, 3, 4]
    # the JPEG page comes back byte for byte
    source = stack.container.app.get_register(book.id)
    assert register.pages[1]["sha256"] == source.pages[1]["sha256"]
    # and the same package again records nothing
    again = import_package(clerk, target, xlsx.read_bytes(), pdfs.read_bytes())
    assert again.status_code == 200
    assert (again.json()["accepted"], again.json()["present"]) == ([], [1, 2, 3, 4])
    assert stack.container.app.get_register(target).version == register.version


def test_a_row_that_breaks_a_rule_is_refused_alone_and_marked_in_the_workbook(
    stack: Stack, clerk: httpx.Client
) -> None:
    target = empty_book(stack)
    rows = [
        [
            "Số",
            "Trang",
            "Ngày đăng ký",
            "Họ, chữ đệm, tên người được khai sinh",
            "Giới tính",
            "Ngày sinh",
        ],
        [1, "1", "02/01/1990", "Lầu Thị Hoa", "Nữ", "1989"],
        [2, "2", "31/02/1990", "Lầu Văn Páo", "Trai", "1989"],
        [3, "3", "05/01/1990", "Lầu Văn Sử", "Nam", "1989"],
    ]
    answer = import_package(clerk, target, workbook(rows), None)
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert report["accepted"] == [1, 3]
    [refused] = report["refused"]
    assert (refused["row"], refused["number"]) == (3, 2)
    assert len(refused["errors"]) == 2  # each field's own rule, not the first alone
    assert "Ngày đăng ký" in refused["errors"][0]
    annotated = load_workbook(io.BytesIO(base64.b64decode(report["annotated_workbook"])))
    sheet = annotated["Khai sinh"]
    assert sheet["C3"].comment is not None
    assert "ngày phải từ 1 đến 28" in sheet["C3"].comment.text
    assert sheet["E3"].comment is not None  # the sex, too
    assert sheet["G1"].value == "Kết quả kiểm tra (hotich)"
    assert sheet["G2"].value == "Đã nhận"
    assert str(sheet["G3"].value).startswith("Không nhận")
    assert stack.container.app.get_register(target).imported_packages


def formula_book() -> bytes:
    rows: list[list[object]] = [["Số", "Trang"], [1, "1"]]
    rows += [[f"=REPT(A{n - 1}&A{n - 1},99)", "1"] for n in range(3, 40)]
    return workbook(rows)


BAD = {
    "not a workbook": (lambda: b"PK\x03\x04 not really a zip", None, 415, "import_not_a_zip"),
    "a formula bomb": (formula_book, None, 422, "import_formula"),
    "1,000,000 rows": (million_rows, None, 413, "import_too_many_rows"),
    "a ZIP bomb": (
        lambda: workbook([["Số", "Trang"], [1, "1"]]),
        lambda: zipped({"1.pdf": b"\0" * (64 << 20)}),
        413,
        "import_zip_ratio",
    ),
    "a path in a ZIP entry name": (
        lambda: workbook([["Số", "Trang"], [1, "1"]]),
        lambda: zipped({"../../1.pdf": b"%PDF-1.4"}),
        422,
        "import_zip_path",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_malformed_package_is_refused_with_nothing_recorded(
    stack: Stack, clerk: httpx.Client, case: str
) -> None:
    make_book, make_pdfs, status, code = BAD[case]
    target = empty_book(stack)
    version = stack.container.app.get_register(target).version
    answer = import_package(clerk, target, make_book(), make_pdfs() if make_pdfs else None)
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["code"] == code
    assert stack.container.app.get_register(target).version == version
    assert not stack.container.app.repository.__contains__(
        entry_of.__globals__["CivilRecord"].create_id(str(target), 1)
    )


def test_only_those_who_key_may_import(stack: Stack, manager: httpx.Client) -> None:
    target = empty_book(stack)
    refused = import_package(manager, target, workbook([["Số", "Trang"], [1, "1"]]), None)
    assert refused.status_code == 403


# ----- numbering ----------------------------------------------------------------------------
def test_the_numbering_report_finds_planted_gaps_and_duplicates(
    stack: Stack, manager: httpx.Client
) -> None:
    first = published_book(
        stack, {1: "1995", 2: "1995", 3: "1995"}, year_from=1995, book_number="01"
    )
    second = published_book(
        stack, {3: "1995", 4: "1995", 7: "1995", 9: "1995"}, year_from=1995, book_number="02"
    )
    caught_up(manager)
    report = manager.get(f"/registers/{second.id}/numbering").json()
    [year] = report["years"]
    assert (year["year"], year["continues_book"], year["continues_from"]) == (1995, "01", 3)
    assert year["gaps"] == [{"first": 5, "last": 6}, {"first": 8, "last": 8}]
    assert year["duplicates"] == [{"number": 3, "other_books": ["01"]}]
    assert [o["number"] for o in year["out_of_order"]] == [3]
    assert manager.get(f"/registers/{first.id}/numbering").json()["gaps"] == 0
    # the gaps stop the export until a reason accepts them, recorded as an event
    refused = manager.get(f"/registers/{second.id}/delivery.zip")
    assert refused.status_code == 409
    assert refused.json()["code"] == "numbering_gaps_unexplained"
    accepted = manager.post(
        f"/registers/{second.id}/numbering/acceptances", json={"reason": "Trang 5-6, 8 bị rách"}
    )
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["unexplained_gaps"] == 0
    register = stack.container.app.get_register(second.id)
    assert register.accepted_gaps[0]["reason"] == "Trang 5-6, 8 bị rách"
    assert manager.get(f"/registers/{second.id}/delivery.zip").status_code == 200
    nothing = manager.post(f"/registers/{second.id}/numbering/acceptances", json={"reason": "x"})
    assert nothing.status_code == 422
    assert nothing.json()["errors"][0]["code"] == "no_gaps_to_accept"
