"""The portal over HTTP: lookups, folded-name search, provenance, scan links, the audit, and an
evidence bundle checked the way an outside party would (docs/check_evidence.py, openssl).

Each test runs against the embedded default (SQLite, local blobs) and against PostgreSQL with
the real S3 server, both served by uvicorn on loopback. Clerks and verifiers record through the
application itself; the portal sees what the in-process runners projected.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import itertools
import json
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from infra.service_db.portal_audit import SqlPortalAudit
from infra.store.mapper import SignedEnvelopeMapper
from tests.builders import (
    DONG_VAN_DECISION,
    VERIFIER,
    catalogue_book,
    correct,
    keyed,
    published,
    upload_png,
)
from tests.e2e.stack import Stack, running_stack

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "docs" / "check_evidence.py"
PROBLEM = "application/problem+json"
HOA_ID = "002191000123"
PO_ID = "002090004711"
MY_ID = "002168000815"
_books = itertools.count(1)


def birth(name: str, **more: Any) -> dict[str, Any]:
    return {
        "child.full_name": name,
        "child.sex": "nữ",
        "child.birth_date": "12/03/1991",
        "registration_date": "01/04/1991",
        **more,
    }


PO = {
    **birth("Giàng Seo Pó", **{"child.sex": "nam", "child.personal_id": PO_ID}),
    "child.birth_date": "12/03/1990",
    "registration_date": "01/04/1990",
    "mother.full_name": "Vừ Thị Mỷ",
    "mother.personal_id": MY_ID,
    "notes": "Ghi chú của cán bộ: bản gốc bị nhòe góc phải",
}


@dataclass
class Book:
    """A birth book of district 026 with two scanned pages, and its entries by name."""

    stack: Stack
    register: UUID
    scans: dict[int, bytes]
    entries: dict[str, UUID] = field(default_factory=dict)

    def client(self, user: str = "portal.dvc") -> httpx.Client:
        return self.stack.client(user)

    def key(self, number: int, fields: dict[str, Any], pages: list[int]) -> UUID:
        return keyed(self.stack.container.app, self.register, number, fields, pages)

    def publish_new(self, number: int, fields: dict[str, Any], pages: list[int]) -> UUID:
        return published(self.stack.container.app, self.register, number, fields, pages)

    def envelopes(self, entry_id: UUID) -> list[dict[str, Any]]:
        app = self.stack.container.app
        assert isinstance(app.mapper, SignedEnvelopeMapper)
        return [app.mapper.open_envelope(e) for e in app.recorder.select_events(entry_id)]


@pytest.fixture(scope="module", params=["embedded", "production"])
def book(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Book]:
    home = tmp_path_factory.mktemp(f"portal-{request.param}")
    with running_stack(request.param, home) as stack:
        app = stack.container.app
        register = catalogue_book(app, f"P{next(_books):02d}").id
        scans: dict[int, bytes] = {}
        for page, shade in ((1, 40), (2, 90)):
            path = home / f"page-{page}.png"
            upload_png(app, register, page, path, shade, size=(60, 80))
            scans[page] = path.read_bytes()
        b = Book(stack, register, scans)
        b.entries["hoa"] = b.publish_new(
            1, birth("Nguyễn Thị Hoà", **{"child.personal_id": HOA_ID}), pages=[1, 2]
        )
        b.entries["po"] = b.publish_new(2, PO, pages=[2])
        # corrected and verified, never published: the portal keeps the first version
        girl = {"child.full_name": "Giàng Thị Pó", "child.sex": "nữ", "child.personal_id": ""}
        correct(app, b.entries["po"], girl, "Cải chính họ tên và giới tính", DONG_VAN_DECISION)
        app.verify_entry(actor=VERIFIER, entry_id=b.entries["po"])
        b.entries["draft"] = b.key(3, birth("Nguyễn Thị Hòa Bình"), pages=[1])
        for number in range(10, 15):
            b.entries[f"an{number}"] = b.publish_new(number, birth("Lò Văn An"), pages=[1])
        stack.wait_for_views()
        yield b


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


# ----- finding records --------------------------------------------------------------------------
def test_a_published_record_is_found_by_its_name_however_it_is_written(book: Book) -> None:
    hoa = str(book.entries["hoa"])
    with book.client() as portal:
        for q in (
            "Nguyễn Thị Hoà",
            "Nguyễn Thị Hòa",
            unicodedata.normalize("NFD", "nguyễn thị hòa"),
            "NGUYỄN THỊ HOÀ",
            "nguyen thi hoa",
            "  nguyen   THI hoa ",
        ):
            response = portal.get("/portal/records/search", params={"q": q})
            assert response.status_code == 200, response.text
            assert ids(response.json())[0] == hoa, q
        filtered = portal.get(
            "/portal/records/search",
            params={
                "q": "nguyen thi hoa",
                "birth_date": "1991-03-12",
                "sex": "nữ",
                "kind": "birth",
            },
        ).json()
        assert ids(filtered) == [hoa]
        assert (
            ids(portal.get("/portal/records/search", params={"q": "hoa", "sex": "nam"}).json())
            == []
        )


def test_a_record_comes_with_its_provenance_and_links_to_its_scans(book: Book) -> None:
    entry = book.entries["hoa"]
    with book.client() as portal:
        by_id = portal.get(f"/portal/records/{entry}").json()
        by_number = portal.get(f"/portal/registers/{book.register}/entries/1").json()
        by_pid = portal.get("/portal/records", params={"personal_id": "0021 9100 0123"}).json()
        current = portal.get("/keys").json()["current"]
    links = copy.deepcopy(by_pid["items"][0]["pages"])
    for record in (by_id, by_number, *by_pid["items"]):
        record.pop("links_expire_at")  # the links are made for each answer
        for page in record["pages"]:
            page.pop("view_url")
    assert by_pid["items"] == [by_number]
    assert by_id == by_number
    assert by_id["subject_name"] == "Nguyễn Thị Hoà"
    assert by_id["fields"]["child.personal_id"] == HOA_ID
    stored = book.envelopes(entry)
    assert [(e["version"], e["event_type"], e["hash"], e["actor"]["id"]) for e in stored] == [
        (p["version"], p["event_type"], p["hash"], p["actor"]["id"]) for p in by_id["provenance"]
    ]
    assert [p["event_type"].rsplit(".")[-1] for p in by_id["provenance"]] == [
        "EntryKeyed",
        "EntrySecondKeyed",
        "EntryVerified",
        "EntryPublished",
    ]
    assert {p["key_id"] for p in by_id["provenance"]} == {current}
    assert [(p["page"], p["sha256"]) for p in links] == [
        (n, hashlib.sha256(book.scans[n]).hexdigest()) for n in (1, 2)
    ]
    for page in links:
        url = page["view_url"]
        served = httpx.get(url if url.startswith("http") else book.stack.base_url + url)
        assert served.content == book.scans[page["page"]]


def test_an_unpublished_entry_is_never_answered(book: Book) -> None:
    draft = book.entries["draft"]
    with book.client() as portal:
        for path in (
            f"/portal/records/{draft}",
            f"/portal/records/{draft}/evidence",
            f"/portal/registers/{book.register}/entries/3",
        ):
            response = portal.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"] == PROBLEM
        found = portal.get("/portal/records/search", params={"q": "hoa binh"}).json()
        assert found == {"items": [], "next": None}
        assert str(draft) not in ids(
            portal.get("/portal/records/search", params={"q": "hòa"}).json()
        )


def test_a_corrected_record_shows_its_published_version_until_the_correction_is(
    book: Book,
) -> None:
    po = book.entries["po"]
    with book.client() as portal:
        record = portal.get(f"/portal/records/{po}").json()
        assert record["subject_name"] == "Giàng Seo Pó"
        assert record["sex"] == "male"
        assert record["publication_count"] == 1
        assert [p["version"] for p in record["provenance"]] == list(
            range(1, record["published_version"] + 1)
        )  # not the correction and its verification
        assert ids(portal.get("/portal/records/search", params={"q": "giang thi po"}).json()) == []
        assert ids(portal.get("/portal/records/search", params={"q": "giang seo po"}).json()) == [
            str(po)
        ]
        # the mother's ID finds the record about her child
        assert ids(portal.get("/portal/records", params={"personal_id": MY_ID}).json()) == [str(po)]


def test_search_results_page_through_with_a_cursor(book: Book) -> None:
    expected = {str(book.entries[f"an{n}"]) for n in range(10, 15)}
    seen: list[str] = []
    params: dict[str, Any] = {"q": "lò văn an", "limit": 2, "birth_year": 1991}
    with book.client() as portal:
        while True:
            page = portal.get("/portal/records/search", params=params).json()
            seen += ids(page)
            if page["next"] is None:
                break
            params["cursor"] = page["next"]
        assert len(seen) == len(set(seen)) == 5
        assert set(seen) == expected
        refused = portal.get(
            "/portal/records/search", params={"q": "lò văn bình", "cursor": page["next"] or "x"}
        )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "cursor"


# ----- who may ----------------------------------------------------------------------------------
def test_only_the_portal_and_admins_read_the_portal_and_only_admins_the_audit(book: Book) -> None:
    entry = book.entries["hoa"]
    for user, portal_status, audit_status in (
        ("portal.dvc", 200, 403),
        ("admin.tinh", 200, 200),
        ("manager.tinh", 403, 403),
        ("clerk.026.1", 403, 403),
    ):
        with book.client(user) as client:
            assert client.get(f"/portal/records/{entry}").status_code == portal_status, user
            audit = client.get("/audit/portal")
            assert audit.status_code == audit_status, user
            if audit_status == 403:
                assert audit.headers["content-type"] == PROBLEM
    with book.stack.client(None) as anonymous:
        assert anonymous.get("/portal/records/search", params={"q": "hoa"}).status_code == 401
    with book.client() as portal:
        bad = portal.get("/portal/records/search", params={"q": "hoa", "limit": 500})
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "limit", "rule": "Input should be less than or equal to 100", "in": "query"}
    ]


def test_admins_see_who_read_which_record_and_when(book: Book) -> None:
    entry = book.entries["hoa"]
    with book.client() as portal:
        portal.get("/portal/records/search", params={"q": "Nguyễn Thị Hoà", "limit": 3})
        portal.get(f"/portal/records/{entry}")
    with book.client("admin.tinh") as admin:
        page = admin.get(
            "/audit/portal", params={"actor": "portal.dvc", "record": str(entry), "limit": 2}
        ).json()
        older = admin.get(
            "/audit/portal",
            params={"actor": "portal.dvc", "record": str(entry), "cursor": page["next"]},
        ).json()
        none_yet = admin.get("/audit/portal", params={"until": "2000-01-01T00:00:00Z"}).json()
    newest, before = page["items"]
    assert (newest["action"], newest["query"], newest["record_ids"]) == (
        "get_record",
        {"entry_id": str(entry)},
        [str(entry)],
    )
    assert before["action"] == "search_by_name"
    assert before["query"] == {"q": "Nguyễn Thị Hoà", "limit": 3}
    assert before["record_ids"][0] == str(entry)
    assert before["actor"] == {"id": "portal.dvc", "role": "portal"}
    assert newest["at"] >= before["at"]
    assert older["items"]
    assert all(str(entry) in item["record_ids"] for item in older["items"])
    assert none_yet == {"items": [], "next": None}


# ----- evidence ---------------------------------------------------------------------------------
def check(bundle: Path, keys: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = [
        sys.executable,
        "-I",
        str(CHECKER),
        str(bundle),
        *(["--keys", str(keys)] if keys else []),
    ]
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=bundle.parent)


def save(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def evidence(book: Book, name: str, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    with book.client() as portal:
        response = portal.get(f"/portal/records/{book.entries[name]}/evidence")
        assert response.status_code == 200, response.text
        keys = save(tmp_path / "keys.json", portal.get("/keys").json())
    return response.json(), keys


def test_an_evidence_bundle_checks_without_hotich(book: Book, tmp_path: Path) -> None:
    for name in ("hoa", "po"):
        bundle, keys = evidence(book, name, tmp_path)
        assert bundle["format"] == "hotich.evidence/2"
        record = bundle["record"]
        assert bundle["events"] == book.envelopes(book.entries[name])[: record["published_version"]]
        assert [k["key_id"] for k in bundle["keys"]["keys"]] == [
            bundle["events"][0]["signature"]["key_id"]
        ]
        path = save(tmp_path / f"{name}.json", bundle)
        result = check(path, keys)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith(f"OK record {record['id']}: ")
        assert f"published at version {record['published_version']}" in result.stdout
        without_keys = check(path)
        assert without_keys.returncode == 0
        assert "keys as given in the bundle: pass --keys" in without_keys.stdout
    assert "not shown on the portal: notes" in result.stdout  # po's clerk note


def tampered(bundle: dict[str, Any], change: Any) -> dict[str, Any]:
    other = copy.deepcopy(bundle)
    change(other)
    return other


def test_a_tampered_evidence_bundle_fails_naming_what_changed(book: Book, tmp_path: Path) -> None:
    bundle, keys = evidence(book, "po", tmp_path)

    def rename(b: dict[str, Any]) -> None:
        b["events"][0]["payload"]["fields"]["child.full_name"] = "Giàng Seo Páo"

    def forge_signature(b: dict[str, Any]) -> None:
        signature = b["events"][2]["signature"]
        signature["value"] = signature["value"][:-8] + "AAAAAAA="

    def drop_event(b: dict[str, Any]) -> None:
        del b["events"][1]

    def show_other_name(b: dict[str, Any]) -> None:
        b["record"]["fields"]["child.full_name"] = "Giàng Thị Pó"

    def foreign_key(b: dict[str, Any]) -> None:
        b["keys"]["keys"][0]["public_key"] = "A" * 43 + "="

    first = bundle["events"][0]["event_type"]
    cases = [
        (rename, f"FAIL event version 1 ({first}): hash does not match the content"),
        (forge_signature, "FAIL event version 3 (CivilRecord.EntryVerified): signature does not"),
        (drop_event, "FAIL event version 2 (CivilRecord.EntryVerified): version is 3, expected 2"),
        (show_other_name, "field child.full_name is 'Giàng Thị Pó'; published: 'Giàng Seo Pó'"),
        (foreign_key, "FAIL bundle keys: key "),
    ]
    for change, message in cases:
        path = save(tmp_path / "tampered.json", tampered(bundle, change))
        result = check(path, keys)
        assert result.returncode == 1, change.__name__
        assert message in result.stdout, (change.__name__, result.stdout)
    stranger = save(tmp_path / "stranger.json", {"format": "hotich.keys/1", "keys": []})
    result = check(save(tmp_path / "po.json", bundle), stranger)
    assert result.returncode == 1
    assert "not one of the published keys" in result.stdout


# the README's openssl commands, as given there (section "Checking an evidence bundle")
OPENSSL = r"""
set -eu
E='.events[1]'
jq -r --arg id "$(jq -r "$E.signature.key_id" bundle.json)" \
  '.keys.keys[] | select(.key_id == $id) | .public_key_pem' bundle.json > key.pem
jq -j "$E.hash" bundle.json | xxd -r -p > hash.bin
jq -j "$E.signature.value" bundle.json | base64 -d > sig.bin
openssl pkeyutl -verify -pubin -inkey key.pem -rawin -in hash.bin -sigfile sig.bin
jq -cjS "$E | del(.hash, .signature)" bundle.json | openssl dgst -sha256 -r
jq -j "$E.hash" bundle.json
"""


def test_one_event_of_a_bundle_checks_with_openssl(book: Book, tmp_path: Path) -> None:
    bundle, _ = evidence(book, "po", tmp_path)
    save(tmp_path / "bundle.json", bundle)
    result = subprocess.run(
        ["bash", "-c", OPENSSL], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verified, digest, expected = result.stdout.splitlines()
    assert verified == "Signature Verified Successfully"
    assert digest.split()[0] == expected == bundle["events"][1]["hash"]

    bundle["events"][1]["hash"] = bundle["events"][2]["hash"]  # a hash the signature is not of
    save(tmp_path / "bundle.json", bundle)
    result = subprocess.run(
        ["bash", "-c", OPENSSL], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "Signature Verification Failure" in result.stdout + result.stderr


def test_the_checker_needs_nothing_but_python_and_cryptography() -> None:
    # the checker and the modules beside it that it imports (docs/evidence_*.py)
    imported: set[str] = set()
    files, siblings = [CHECKER], set()
    while files:
        tree = ast.parse(files.pop().read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for alias in node.names:
                    name = (
                        (node.module or "").split(".")[0]
                        if isinstance(node, ast.ImportFrom)
                        else alias.name
                    )
                    imported.add(name)
                    sibling = CHECKER.parent / f"{name}.py"
                    if sibling.is_file() and name not in siblings:
                        siblings.add(name)
                        files.append(sibling)
    modules = imported - siblings
    assert modules - set(sys.stdlib_module_names) == {"cryptography"}


# ----- no answer without its audit --------------------------------------------------------------
def test_a_read_that_cannot_be_audited_is_refused(book: Book) -> None:
    db = book.stack.container.db
    db.execute("ALTER TABLE hotich_portal_reads RENAME TO hotich_portal_reads_away")
    try:
        with book.client() as portal:
            for path, params in (
                ("/portal/records/search", {"q": "nguyen thi hoa"}),
                ("/portal/records", {"personal_id": HOA_ID}),
                (f"/portal/records/{book.entries['hoa']}", {}),
                (f"/portal/records/{book.entries['hoa']}/evidence", {}),
            ):
                response = portal.get(path, params=params)
                assert response.status_code == 503, path
                assert response.headers["content-type"] == PROBLEM
                assert response.json()["type"].endswith("/audit-unavailable")
                assert "Nguyễn" not in response.text
    finally:
        db.execute("ALTER TABLE hotich_portal_reads_away RENAME TO hotich_portal_reads")
    SqlPortalAudit(db)
    with book.client() as portal:
        assert portal.get(f"/portal/records/{book.entries['hoa']}").status_code == 200
