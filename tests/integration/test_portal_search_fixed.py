"""The portal's name search answers a fixed set of queries on a fixed world with the same
records in the same order as the search it replaced (portal_search_expected.json, written by
that search: whole names, other accents, starts of names, words inside names, several words,
parts of words, filters and page sizes), on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.read_store import portal_pages
from infra.read_store.portal import SqlPortalView
from infra.read_store.portal_search import INSIDE_NAMES
from projections.portal_queries import NameKey, RecordFilter
from projections.rows import evolve
from tests.integration.portal_search_world import FILTERS, QUERIES, fill, record_key
from tests.integration.read_stores import ReadStores

EVERYONE = RecordFilter()
EXPECTED = Path(__file__).with_name("portal_search_expected.json")


@pytest.fixture
def portal(read_store: ReadStores) -> Iterator[SqlPortalView]:
    view = SqlPortalView(read_store.database("portal_fixed"))
    fill(view)
    yield view
    view.close()


def answers(view: SqlPortalView) -> dict[str, list[str]]:
    """Each query's records, page after page, as ``book:number``."""
    found: dict[str, list[str]] = {}
    for query, filter_name, limit in QUERIES:
        keys: list[str] = []
        after: NameKey | None = None
        while True:
            page = view.search_by_name_page(
                query, where=FILTERS[filter_name], after=after, limit=limit
            )
            assert len(page.hits) <= limit
            keys += [record_key(h.record.id) for h in page.hits]
            if page.next is None:
                break
            assert after is None or page.next > after
            after = page.next
        found[f"{query} | {filter_name} | {limit}"] = keys
    return found


def test_a_fixed_set_of_name_searches_finds_the_same_records_in_the_same_order(
    portal: SqlPortalView,
) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    found = answers(portal)
    assert found.keys() == expected.keys()
    for query, keys in expected.items():
        assert found[query] == keys, query
    assert any(len(keys) > 20 for keys in expected.values())  # the world is big enough


@pytest.mark.parametrize("window", [1, 30, portal_pages.DENSE_WINDOW])
def test_searches_inside_names_answer_the_same_when_the_first_names_in_order_are_read_first(
    portal: SqlPortalView, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    """A common query inside names is answered from the next ``window`` subjects' names when
    they hold more than a page; whatever the window, every page is the same."""
    monkeypatch.setattr(portal_pages, "DENSE_WINDOW", window)
    answered_by_window: list[int] = []
    query = portal_pages.dense_inside_sql

    def counted(*args: object) -> str:
        answered_by_window.append(1)
        return query(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(portal_pages, "dense_inside_sql", counted)
    assert answers(portal) == json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert answered_by_window  # the window was tried


def test_a_record_published_again_under_another_name_is_found_inside_names_by_it_alone(
    portal: SqlPortalView,
) -> None:
    def inside(query: str) -> list[str]:
        page = portal.search_by_name_page(query, where=EVERYONE, after=INSIDE_NAMES, limit=100)
        return [record_key(h.record.id) for h in page.hits]

    record = portal.search_by_name("Sùng Lò Văn Hoà", limit=1)[0]
    assert record_key(record.id) in inside("van hoa")
    renamed = evolve(record, subject_name="Sùng Seo Quýnh", search_key="sung seo quynh")
    portal.save(2, records=[renamed])
    assert record_key(record.id) not in inside("van hoa")
    assert inside("eo quynh") == [record_key(record.id)]
