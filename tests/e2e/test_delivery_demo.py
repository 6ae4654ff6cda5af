"""A demo book delivered from the command line (its synthetic numbering's gaps accepted for a
reason), imported again into an empty book, and the pages: a book's numbering, and progress
grouped by the 2025 communes that now file the books."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from domain.actor import Actor, Role
from domain.record_kind import RecordKind
from tests.demo_stack import DemoServer, serve_demo
from tests.e2e.server import caught_up
from tests.e2e.web_site import signed_in

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory, "delivery-demo") as server:
        with server.client("manager.tinh") as api:
            caught_up(api, timeout=30)
        yield server


def run(demo: DemoServer, user: str, *args: str) -> tuple[int, str]:
    env = {"HOTICH_API_URL": demo.base_url, "HOTICH_TOKEN": demo.tokens[user], "COLUMNS": "200"}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output + (result.stderr or "")


def a_done_book(demo: DemoServer, kind: str = "birth") -> str:
    """A book of Thành phố Hà Giang (024), whose entries the demo published in 2022."""
    with demo.client("manager.tinh") as api:
        books = api.get("/districts/024/registers", params={"limit": 50}).json()["items"]
    return next(b["id"] for b in books if b["kind"] == kind)


def test_a_demo_book_exports_with_its_gaps_accepted_and_imports_again(
    demo: DemoServer, tmp_path: Path
) -> None:
    book = a_done_book(demo)
    out = tmp_path / "package"
    code, output = run(demo, "manager.tinh", "books", "export", book, "--out", str(out))
    assert code == 1
    assert "unexplained gaps" in output
    code, output = run(
        demo,
        "manager.tinh",
        "books",
        "export",
        book,
        "--out",
        str(out),
        "--accept-gaps",
        "Sổ mẫu: số thứ tự do chương trình tạo",
    )
    assert code == 0, output
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["numbering"]["accepted"][0]["reason"] == "Sổ mẫu: số thứ tự do chương trình tạo"
    keys = tmp_path / "keys.json"
    with demo.client("manager.tinh") as api:
        keys.write_text(api.get("/keys").text, "utf-8")
    checked = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "check_delivery.py"), str(out), "--keys", str(keys)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout
    # into an empty book of the same kind, by a clerk of Đồng Văn
    empty = demo.container.app.catalogue_register(
        actor=Actor("clerk.026.1", Role.CLERK),
        commune_code="00718",
        kind=RecordKind.BIRTH,
        year_from=manifest["book"]["year_from"],
        year_to=manifest["book"]["year_to"],
        book_number="nhap-lai",
        page_count=manifest["book"]["page_count"],
        estimated_entries=len(manifest["entries"]),
    )
    xlsx = next(out.glob("*.xlsx"))
    pdfs = next(out.glob("*-pdf.zip"))
    args = ["books", "import", str(empty.id), str(xlsx), "--pdfs", str(pdfs)]
    code, output = run(demo, "clerk.026.1", *args)
    assert code == 0, output
    assert f"accepted {len(manifest['entries'])}, already present 0, refused 0" in output
    assert xlsx.with_name(f"{xlsx.stem}.hotich.xlsx").exists()
    code, output = run(demo, "clerk.026.1", *args)
    assert f"accepted 0, already present {len(manifest['entries'])}" in output
    code, output = run(demo, "manager.tinh", "books", "numbering", str(empty.id))
    assert code == 0, output


def test_the_book_page_shows_its_numbering(demo: DemoServer) -> None:
    book = a_done_book(demo, "death")
    with signed_in(demo.base_url, demo.tokens["manager.tinh"]) as browser:
        page = browser.get(f"/ui/registers/{book}")
        assert page.status_code == 200
        assert f'hx-get="/ui/registers/{book}/numbering"' in page.text
        section = browser.get(f"/ui/registers/{book}/numbering")
    assert section.status_code == 200
    assert 'id="numbering"' in section.text
    assert "Số thứ tự theo năm" in section.text
    assert "numbering-" in section.text  # a row per year


def test_progress_is_grouped_by_the_2025_communes_as_well_as_by_old_districts(
    demo: DemoServer,
) -> None:
    with signed_in(demo.base_url, demo.tokens["manager.tinh"]) as browser:
        dashboard = browser.get("/ui/dashboard")
        assert 'href="/ui/dashboard/communes-2025"' in dashboard.text
        page = browser.get("/ui/dashboard/communes-2025")
    assert page.status_code == 200
    # Phường Quang Trung's books are filed by Phường Hà Giang 2 (the rest of it went to Hà Giang 1)
    row = page.text.split('id="commune-2025-00691"', 1)[1].split("</tr>", 1)[0]
    assert "Phường Hà Giang 2" in row
    assert "Phường Quang Trung (Thành phố Hà Giang)" in row
    registers = [
        int(cell.split(">", 1)[1].split("<", 1)[0])
        for cell in page.text.split('data-stage="registers"')[1:]
    ]
    with demo.client("manager.tinh") as api:
        totals = api.get("/progress").json()["totals"]
    assert sum(registers) == totals["registers"]  # every book, once
