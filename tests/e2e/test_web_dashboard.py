"""The managers' dashboard over HTTP on the demo: sign-in, both languages, the same figures as
GET /progress on the page and in the CSV and XLSX exports, drill-down, scopes, CSRF, and
assets served locally."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import httpx
import pytest
from openpyxl import load_workbook

from api.web.figures import STAGES
from tests.e2e.server import caught_up
from tests.e2e.web_site import Site, csrf_of, demo_site

DAY = {"today": "2023-06-01", "year": "2023"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with demo_site(tmp_path_factory.mktemp("home")) as running:
        with running.api("manager.tinh") as api:
            caught_up(api)
        yield running


@pytest.fixture(scope="module")
def manager(site: Site) -> Iterator[httpx.Client]:
    with site.browser("manager.tinh") as client:
        yield client


def progress(site: Site, user: str = "manager.tinh") -> dict[str, object]:
    with site.api(user) as api:
        body: dict[str, object] = api.get("/progress", params=DAY).json()
        return body


def test_pages_send_an_unsigned_visitor_to_the_sign_in_form(site: Site) -> None:
    with site.anonymous() as browser:
        response = browser.get("/ui/dashboard", params=DAY)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/ui/signin?next=/ui/dashboard")
        form = browser.get(response.headers["location"])
        assert form.status_code == 200
        assert 'id="signin-token"' in form.text
        assert "Đăng nhập" in form.text
        polled = browser.get("/ui/dashboard/figures", headers={"HX-Request": "true"})
        assert polled.status_code == 401
        assert polled.headers["HX-Redirect"].startswith("/ui/signin")


def test_a_wrong_token_is_refused_and_a_good_one_kept_in_a_strict_httponly_cookie(
    site: Site,
) -> None:
    with site.anonymous() as browser:
        refused = browser.post("/ui/signin", data={"token": "hotich_nonsense"})
        assert refused.status_code == 401
        assert 'id="signin-error"' in refused.text
        assert "hotich_session" not in browser.cookies
        token = site.tokens["manager.tinh"]
        signed = browser.post("/ui/signin", data={"token": token, "next": "/ui/districts/026"})
        assert signed.status_code == 303
        assert signed.headers["location"] == "/ui/districts/026"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert browser.get("/ui/districts/026").status_code == 200
        # an open redirect is not possible through next
        again = browser.post("/ui/signin", data={"token": token, "next": "https://evil.example/"})
        assert again.headers["location"] == "/ui/"


def test_sign_in_from_another_site_is_refused(site: Site) -> None:
    with site.anonymous() as browser:
        response = browser.post(
            "/ui/signin",
            data={"token": site.tokens["manager.tinh"]},
            headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        )
        assert response.status_code == 403
        assert "hotich_session" not in response.headers.get("set-cookie", "")


def test_the_dashboard_shows_the_province_headline_in_vietnamese_and_english(
    site: Site, manager: httpx.Client
) -> None:
    body = progress(site)
    vi = manager.get("/ui/dashboard", params={**DAY, "lang": "vi"})
    assert vi.status_code == 200
    assert '<html lang="vi">' in vi.text
    assert body["headline_vi"] in vi.text
    assert "2/11 huyện đã hoàn thành; kế hoạch năm 2023: 5 trong 9 huyện còn lại" in vi.text
    en = manager.get("/ui/dashboard", params={**DAY, "lang": "en"})
    assert '<html lang="en">' in en.text
    assert body["headline_en"] in en.text
    assert "2 of 11 districts complete; 5 of the 9 remaining targeted for 2023" in en.text
    assert "hotich_lang=en" in en.headers["set-cookie"]
    # the language is remembered, and the switch leads back
    again = manager.get("/ui/dashboard", params=DAY)
    assert '<html lang="en">' in again.text
    assert 'id="lang-switch"' in again.text
    manager.get("/ui/dashboard", params={"lang": "vi"})


def test_the_default_plan_year_is_the_oldest_one_still_open(
    site: Site, manager: httpx.Client
) -> None:
    page = manager.get("/ui/dashboard", params={"today": "2026-01-10", "lang": "en"})
    assert "5 of the 9 remaining targeted for 2023" in page.text  # 2023's districts are late
    manager.get("/ui/dashboard", params={"lang": "vi"})
    with site.api("manager.tinh") as api:  # GET /progress without a year: the same plan year
        body = api.get("/progress", params={"today": "2026-01-10"}).json()
    assert (body["plan_year"], body["remaining_for_year"], body["targeted_for_year"]) == (
        2023,
        9,
        5,
    )
    assert body["headline_en"].startswith(
        "2 of 11 districts complete; 5 of the 9 remaining targeted for 2023"
    )


def test_every_district_has_its_stages_plan_status_and_a_chart(
    site: Site, manager: httpx.Client
) -> None:
    body = progress(site)
    page = manager.get("/ui/dashboard", params=DAY).text
    districts = body["districts"]
    assert isinstance(districts, list)
    for d in districts:
        card = re.search(rf'id="district-{d["district"]}"[^>]*data-status="(\w+)"', page)
        assert card, d["district"]
        assert card.group(1) == d["status"]
        assert f'id="chart-{d["district"]}"' in page
        row = page[page.index(f'id="row-{d["district"]}"') :]
        row = row[: row.index("</tr>")]
        cells = dict(re.findall(r'data-stage="(\w+)">([\d.]+)<', row))
        for stage in STAGES:
            assert int(cells[stage]) == d["stages"][stage], (d["district"], stage)
    assert 'data-status="done"' in page
    assert 'data-status="on_track"' in page


def test_the_figures_fragment_is_polled_every_few_seconds(manager: httpx.Client) -> None:
    page = manager.get("/ui/dashboard", params=DAY).text
    assert 'hx-trigger="every 5s"' in page
    fragment = manager.get("/ui/dashboard/figures", params=DAY, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="figures"')
    assert "<html" not in fragment.text


def test_the_trend_follows_the_events_day_by_day(manager: httpx.Client) -> None:
    page = manager.get("/ui/dashboard", params=DAY).text
    assert 'id="trend-chart"' in page
    assert re.search(r'data-stage="entries_keyed" data-last="(\d+)"', page)


def test_csv_export_has_the_same_figures_as_progress(site: Site, manager: httpx.Client) -> None:
    body = progress(site)
    response = manager.get("/ui/dashboard/export.csv", params={**DAY, "lang": "en"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header, lines = rows[0], rows[1:]
    assert header[:3] == ["Code", "District", "Books catalogued"]
    by_code = {line[0]: line for line in lines[:-1]}
    for d in body["districts"]:  # type: ignore[attr-defined]
        line = by_code[d["district"]]
        assert line[1] == d["name"]
        assert [int(v) for v in line[2 : 2 + len(STAGES)]] == [d["stages"][s] for s in STAGES]
        assert float(line[2 + len(STAGES)]) == d["completion_percent"]
    totals = lines[-1]
    assert totals[1] == "Province"
    assert [int(v) for v in totals[2 : 2 + len(STAGES)]] == [
        body["totals"][s]  # type: ignore[index]
        for s in STAGES
    ]
    vi = manager.get("/ui/dashboard/export.csv", params={**DAY, "lang": "vi"})
    assert vi.content.decode("utf-8-sig").startswith("Mã,Huyện,Sổ đã lập danh mục")


def test_xlsx_export_has_the_same_figures_as_progress(site: Site, manager: httpx.Client) -> None:
    body = progress(site)
    response = manager.get("/ui/dashboard/export.xlsx", params=DAY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    by_code = {r[0]: r for r in rows[1:-1]}
    for d in body["districts"]:  # type: ignore[attr-defined]
        row = by_code[d["district"]]
        assert list(row[2 : 2 + len(STAGES)]) == [d["stages"][s] for s in STAGES]
    assert list(rows[-1][2 : 2 + len(STAGES)]) == [body["totals"][s] for s in STAGES]  # type: ignore[index]
    summary = [r[0] for r in book.worksheets[1].iter_rows(values_only=True)]
    assert body["headline_vi"] in summary


def test_a_district_manager_sees_and_exports_only_their_district(site: Site) -> None:
    with site.browser("manager.026") as browser:
        page = browser.get("/ui/dashboard", params=DAY).text
        assert 'id="district-026"' in page
        assert 'id="district-024"' not in page
        lines = browser.get("/ui/dashboard/export.csv", params=DAY).content.decode("utf-8-sig")
        codes = [r[0] for r in csv.reader(io.StringIO(lines))][1:]
        assert codes == ["026", "02"]  # the district, then the totals of what they see
        refused = browser.get("/ui/districts/030")
        assert refused.status_code == 403
        assert 'id="error-page"' in refused.text


def test_the_portal_may_not_read_the_dashboard(site: Site) -> None:
    with site.browser("portal.dvc") as browser:
        assert browser.get("/ui/dashboard").status_code == 403


def test_drill_down_from_district_to_communes_to_books(site: Site, manager: httpx.Client) -> None:
    district = manager.get("/ui/districts/026")
    assert district.status_code == 200
    assert "Huyện Đồng Văn" in district.text
    communes = re.findall(r'id="commune-(\d{5})"[^>]*data-books="(\d+)"', district.text)
    assert len(communes) == len(site.container.units.communes_of("026"))
    with_books = [code for code, books in communes if int(books) > 0]
    assert len(with_books) == 3
    commune = manager.get(f"/ui/districts/026/communes/{with_books[0]}")
    assert commune.status_code == 200
    books = set(re.findall(r'<article[^>]* id="book-([0-9a-f-]{36})"', commune.text))
    assert len(books) == 3  # a birth, a death and a marriage book
    assert manager.get("/ui/districts/026/communes/00688").status_code == 404  # another district
    assert manager.get("/ui/districts/999").status_code == 404


def test_sign_out_needs_the_csrf_token(site: Site) -> None:
    with site.browser("manager.tinh") as browser:
        page = browser.get("/ui/dashboard", params=DAY).text
        token = csrf_of(page)
        missing = browser.post("/ui/signout")
        assert missing.status_code == 403
        assert 'id="error-page"' in missing.text
        wrong = browser.post("/ui/signout", data={"csrf_token": token[:-2] + "xx"})
        assert wrong.status_code == 403
        cross = browser.post(
            "/ui/signout", data={"csrf_token": token}, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403
        assert browser.get("/ui/dashboard").status_code == 200  # still signed in
        out = browser.post("/ui/signout", data={"csrf_token": token})
        assert out.status_code == 303
        assert browser.get("/ui/dashboard").status_code == 303


def test_docs_and_pages_load_every_asset_from_hotich_itself(
    site: Site, manager: httpx.Client
) -> None:
    with site.anonymous() as anyone:
        docs = anyone.get("/docs")
        assert docs.status_code == 200
        pages = [
            docs.text,
            manager.get("/ui/dashboard", params=DAY).text,
            manager.get("/ui/districts/026").text,
            anyone.get("/ui/signin").text,
        ]
        for html in pages:
            assets = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', html)
            assert assets
            external = [a for a in assets if re.match(r"^(https?:)?//", a)]
            assert external == []
            for asset in assets:
                if asset.startswith("/static/"):
                    assert anyone.get(asset).status_code == 200, asset
        csp = manager.get("/ui/dashboard").headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
        assert "cdn" not in docs.text
        htmx = anyone.get("/static/vendor/htmx/htmx.min.js")
        assert htmx.status_code == 200
        assert len(htmx.content) > 40_000
