"""The portal's pages over HTTP on the demo: where a portal user starts, the lookup by record id
and personal ID, a published record with its extracts in both languages, issuing an extract
(the same use case and events as the API; CSRF, purpose and token refusals record nothing),
downloading it, the read audit, and the same 404 page for an unknown id, a record not
published and one of another district."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import httpx
import pytest

from bootstrap.signing import install_signing
from domain.actor import Role
from domain.civil_record import CivilRecord
from domain.personal_id import PersonalId
from domain.sex import Sex
from tests.demo_stack import DemoServer, serve_demo
from tests.e2e.signing_env import signing_settings
from tests.e2e.web_site import csrf_of

PURPOSE = "Làm hộ chiếu"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    with serve_demo(tmp_path_factory, "web-portal") as server:
        users = server.container.users
        users.add_user(
            "portal.029",
            name="Cổng DVC Quản Bạ",
            role=Role.PORTAL,
            districts=["029"],
            created_by="t",
        )
        server.tokens["portal.029"] = users.issue_token("portal.029")
        install_signing(server.container.app, signing_settings())
        yield server


@contextmanager
def browser(demo: DemoServer, user: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.base_url, timeout=60) as client:
        signed = client.post("/ui/signin", data={"token": demo.tokens[user], "next": "/ui/"})
        assert signed.status_code == 303, signed.text
        yield client


@pytest.fixture(scope="module")
def record(demo: DemoServer) -> dict[str, Any]:
    """A published birth record of the demo holding its child's personal ID (not in 029)."""
    with demo.client("admin.tinh") as admin, demo.client("portal.dvc") as portal:
        for district in admin.get("/districts").json():
            if district["code"] == "029":
                continue
            entries = admin.get(
                f"/districts/{district['code']}/entries", params={"status": "published"}
            ).json()["items"]
            for entry in entries:
                found = portal.get(f"/portal/records/{entry['id']}").json()
                if found["kind"] == "birth" and found["subject_personal_id"]:
                    return dict(found)
    raise AssertionError("no published birth record with a personal ID in the demo")


def unpublished(demo: DemoServer) -> str:
    with demo.client("admin.tinh") as admin:
        keyed = admin.get("/districts/026/entries", params={"status": "keyed"}).json()["items"]
        return str(keyed[0]["id"])


def events(demo: DemoServer, entry_id: str) -> int:
    return demo.container.app.repository.get(UUID(entry_id)).version  # type: ignore[no-any-return]


def issue(client: httpx.Client, entry_id: str, purpose: str, csrf: str | None) -> httpx.Response:
    data = {"purpose": purpose} | ({"csrf_token": csrf} if csrf is not None else {})
    return client.post(f"/ui/portal/records/{entry_id}/extracts", data=data)


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_a_portal_user_starts_at_the_lookup_and_a_manager_at_the_dashboard(
    demo: DemoServer,
) -> None:
    with browser(demo, "portal.dvc") as portal:
        start = portal.get("/ui/")
        assert start.headers["location"] == "/ui/portal"
        page = portal.get("/ui/portal")
        assert page.status_code == 200
        assert 'id="nav-portal"' in page.text
        assert 'id="nav-dashboard"' not in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
    with browser(demo, "manager.tinh") as manager:
        assert manager.get("/ui/").headers["location"] == "/ui/dashboard"
        assert manager.get("/ui/portal").status_code == 403  # managers do not read the portal


def test_the_lookup_opens_a_record_by_id_and_lists_records_by_personal_id(
    demo: DemoServer, record: dict[str, Any]
) -> None:
    with browser(demo, "portal.dvc") as portal:
        by_id = portal.get("/ui/portal", params={"q": f" {record['id']} "})
        assert by_id.status_code == 303
        assert by_id.headers["location"] == f"/ui/portal/records/{record['id']}"
        pid = record["subject_personal_id"]
        spaced = f"{pid[:3]} {pid[3:6]} {pid[6:]}"
        listed = portal.get("/ui/portal", params={"q": spaced})
        assert listed.status_code == 200
        assert f'id="found-{record["id"]}"' in listed.text
        assert f'href="/ui/portal/records/{record["id"]}"' in listed.text
        wrong = portal.get("/ui/portal", params={"q": "Mã Thị"})
        assert wrong.status_code == 422
        assert 'id="lookup-error"' in wrong.text
        nobody = PersonalId.build(province_code=2, sex=Sex.MALE, birth_year=1901, serial=999_999)
        none = portal.get("/ui/portal", params={"q": nobody.value})
        assert 'id="none-found"' in none.text


def test_the_record_page_shows_the_published_fields_in_both_languages(
    demo: DemoServer, record: dict[str, Any]
) -> None:
    with browser(demo, "portal.dvc") as portal:
        vi = portal.get(f"/ui/portal/records/{record['id']}", params={"lang": "vi"})
        assert vi.status_code == 200
        assert "Họ, chữ đệm, tên người được khai sinh" in vi.text
        assert record["subject_name"] in vi.text
        assert f"quyển {record['book_number']}" in vi.text
        assert 'data-field="notes"' not in vi.text
        assert 'id="issue-form"' in vi.text
        en = portal.get(f"/ui/portal/records/{record['id']}", params={"lang": "en"})
        assert "Child: full name" in en.text
        assert "Extracts issued" in en.text


def test_unknown_unpublished_and_other_district_records_are_the_same_404_page(
    demo: DemoServer, record: dict[str, Any]
) -> None:
    draft = unpublished(demo)
    before = events(demo, draft)
    with browser(demo, "portal.dvc") as portal, browser(demo, "portal.029") as other:
        unknown = portal.get("/ui/portal/records/00000000-0000-4000-8000-000000000000")
        not_published = portal.get(f"/ui/portal/records/{draft}")
        elsewhere = other.get(f"/ui/portal/records/{record['id']}")
        pages = {main_of(r.text) for r in (unknown, not_published, elsewhere)}
        assert [r.status_code for r in (unknown, not_published, elsewhere)] == [404] * 3
        assert len(pages) == 1
        csrf = csrf_of(portal.get("/ui/portal").text)
        refused = issue(portal, draft, PURPOSE, csrf)
        assert refused.status_code == 404
        assert main_of(refused.text) in pages
        csrf_other = csrf_of(other.get("/ui/portal").text)
        assert issue(other, record["id"], PURPOSE, csrf_other).status_code == 404
    assert events(demo, draft) == before


def test_refusals_show_the_page_again_and_record_nothing(
    demo: DemoServer, record: dict[str, Any]
) -> None:
    before = events(demo, record["id"])
    with browser(demo, "portal.dvc") as portal:
        page = portal.get(f"/ui/portal/records/{record['id']}").text
        csrf = csrf_of(page)
        assert issue(portal, record["id"], PURPOSE, None).status_code == 403
        assert issue(portal, record["id"], PURPOSE, csrf[:-2] + "xx").status_code == 403
        blank = issue(portal, record["id"], "   ", csrf)
        assert blank.status_code == 422
        assert "Mục đích (purpose)" in blank.text
        try:
            install_signing(demo.container.app, signing_settings(signing_token_label="nope"))
            absent = issue(portal, record["id"], PURPOSE, csrf)
        finally:
            install_signing(demo.container.app, signing_settings())
        assert absent.status_code == 503
        assert absent.headers["retry-after"]
        assert "Không có thiết bị ký số (token) nope" in absent.text
        assert f'value="{PURPOSE}"' in absent.text  # what was typed is kept
    assert events(demo, record["id"]) == before


def test_an_extract_issued_from_the_page_is_the_apis_and_downloads_as_listed(
    demo: DemoServer, record: dict[str, Any]
) -> None:
    with browser(demo, "portal.dvc") as portal:
        csrf = csrf_of(portal.get(f"/ui/portal/records/{record['id']}").text)
        issued = issue(portal, record["id"], f"  {PURPOSE} ", csrf)
        assert issued.status_code == 303, issued.text
        location = issued.headers["location"]
        sha256 = location.rsplit("issued=", 1)[1]
        assert location == f"/ui/portal/records/{record['id']}?issued={sha256}"
        page = portal.get(location).text
        assert f'id="extract-{sha256}"' in page
        assert 'data-new="true"' in page
        assert re.search(rf'href="/ui/extracts/{sha256}.pdf"', page)
        pdf = portal.get(f"/ui/extracts/{sha256}.pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"].startswith("attachment;")
        assert hashlib.sha256(pdf.content).hexdigest() == sha256
    with browser(demo, "portal.029") as other:
        assert other.get(f"/ui/extracts/{sha256}.pdf").status_code == 404
    with demo.client("portal.dvc") as api:
        listed = api.get(f"/portal/records/{record['id']}/extracts").json()["items"]
        assert [e["purpose"] for e in listed if e["sha256"] == sha256] == [PURPOSE]
        assert api.get(f"/extracts/{sha256}.pdf").content == pdf.content
    entry = demo.container.app.repository.get(UUID(record["id"]))
    assert isinstance(entry, CivilRecord)
    assert entry.extracts[-1]["sha256"] == sha256
    with demo.client("admin.tinh") as admin:
        reads = admin.get(
            "/audit/portal", params={"actor": "portal.dvc", "record": record["id"]}
        ).json()["items"]
    actions = {r["action"] for r in reads}
    assert {"get_record", "list_extracts", "issue_extract", "get_extract"} <= actions
    assert any(r["query"].get("sha256") == sha256 for r in reads if r["action"] == "get_extract")
