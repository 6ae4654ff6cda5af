"""The first API, served by uvicorn on a loopback port, on a store holding the demo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bootstrap.container import bootstrap, init_home
from bootstrap.settings import Settings
from bootstrap.web import build_web
from demo.load import load_demo
from domain.actor import Role
from tests.e2e.server import serve_in_thread

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    settings = Settings(home=Path(tmp_path_factory.mktemp("home")))
    init_home(settings)
    container = bootstrap(settings)
    load_demo(container.app)
    container.users.add_user(
        "manager.tinh", name="Quản lý tỉnh", role=Role.MANAGER, districts=["*"], created_by="test"
    )
    token = container.users.issue_token("manager.tinh")
    web = build_web(container, poll_interval=0.05)
    with (
        serve_in_thread(web.api) as base_url,
        httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client,
    ):
        yield client
    container.close()


def test_health_reports_the_stored_events(client: httpx.Client) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok"
    assert body["events"] > 1000


def test_keys_publishes_the_current_public_key(client: httpx.Client) -> None:
    body = client.get("/keys").json()
    assert body["format"] == "hotich.keys/1"
    assert [k["key_id"] for k in body["keys"]] == [body["current"]]
    assert body["keys"][0]["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


def test_openapi_page_and_schema_are_served(client: httpx.Client) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/keys", "/entries/{entry_id}", "/districts/{district}/entries"} <= set(
        paths
    )


def test_demo_has_all_eleven_districts(client: httpx.Client) -> None:
    codes = [d["code"] for d in client.get("/districts").json()]
    assert codes == ["024", *[f"0{n}" for n in range(26, 36)]]


def test_entries_of_a_district_page_through_without_overlap(client: httpx.Client) -> None:
    seen: list[str] = []
    cursor = None
    total = None
    while True:
        params = {"limit": 7, **({"after": cursor} if cursor else {})}
        page = client.get("/districts/026/entries", params=params).json()
        total = page["total"]
        seen += [item["id"] for item in page["items"]]
        assert all(item["district"] == "026" for item in page["items"])
        cursor = page["next"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == total > 7


def test_entry_by_id_shows_the_event_store_state(client: httpx.Client) -> None:
    page = client.get("/districts/030/entries", params={"status": "corrected", "limit": 1}).json()
    if not page["items"]:
        page = client.get(
            "/districts/031/entries", params={"status": "corrected", "limit": 1}
        ).json()
    summary = page["items"][0]
    entry = client.get(f"/entries/{summary['id']}").json()
    assert entry["status"] == "corrected"
    assert entry["version"] == summary["version"]
    # the pending correction does not change what the portal sees
    [correction] = entry["corrections"]
    for path, change in correction["changes"].items():
        assert entry["fields"][path] == change["new"]
        assert entry["published_fields"][path] == change["old"]


def test_register_by_id_and_registers_of_a_district(client: httpx.Client) -> None:
    page = client.get("/districts/024/registers", params={"limit": 100}).json()
    assert page["items"], page
    first = page["items"][0]
    one = client.get(f"/registers/{first['id']}").json()
    assert one == first
    assert one["commune_code"].startswith("00")


def test_completed_district_has_only_published_entries(client: httpx.Client) -> None:
    everything = client.get("/districts/024/entries", params={"limit": 500}).json()
    published = client.get(
        "/districts/024/entries", params={"status": "published", "limit": 500}
    ).json()
    assert everything["total"] == published["total"] > 0


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/districts/999/entries", 422, "district"),
        ("/districts/02/entries", 422, "district"),
        ("/districts/026/entries?limit=0", 422, "limit"),
        ("/districts/026/entries?status=lost", 422, "status"),
        ("/districts/026/entries?after=nonsense", 422, "after"),
        ("/entries/not-a-uuid", 422, "entry_id"),
    ],
)
def test_bad_requests_get_problem_json_naming_the_field(
    client: httpx.Client, path: str, status: int, field: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert field in [e["field"] for e in body["errors"]]


def test_unknown_entry_is_a_404_problem(client: httpx.Client) -> None:
    response = client.get("/entries/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["title"] == "Not found"


def test_the_province_headline_of_the_demo(client: httpx.Client) -> None:
    body = client.get("/progress", params={"today": "2023-06-01", "year": 2023}).json()
    assert body["districts_total"] == 11
    assert body["districts_done"] == 2
    assert body["remaining_for_year"] == 9
    assert body["targeted_for_year"] == 5
    assert body["headline_en"].startswith("2 of 11 districts complete")
    statuses = {d["district"]: d["status"] for d in body["districts"]}
    assert statuses["024"] == statuses["034"] == "done"
    assert statuses["030"] == "on_track"


def test_a_district_drills_down_to_its_stages(client: httpx.Client) -> None:
    body = client.get("/progress/districts/026", params={"today": "2025-01-15"}).json()
    assert body["name"] == "Huyện Đồng Văn"
    assert body["status"] == "late"  # targeted for 2024, not done
    stages = body["stages"]
    assert stages["entries_keyed"] >= stages["entries_verified"] >= stages["entries_published"]
    assert 0 < stages["pages_scanned"] <= stages["pages_expected"]


def test_positions_and_metrics_show_every_view_caught_up(client: httpx.Client) -> None:
    import time

    deadline = time.monotonic() + 10
    while True:
        body = client.get("/positions").json()
        if all(lag == 0 for lag in body["view_lag"].values()) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert set(body["views"]) == {"catalogue", "progress", "portal", "history"}
    assert body["view_lag"] == dict.fromkeys(body["views"], 0)
    assert body["relay_position"] is None  # no Kafka configured: nothing is relayed
    assert body["quarantined"] == 0
    metrics = client.get("/metrics").text
    assert f"hotich_log_head {float(body['log_head'])}" in metrics
    assert 'hotich_view_lag_events{view="portal"} 0.0' in metrics
