"""The portal benchmark's baseline: the same queries asked of the portal view in this process,
one after the other (the page of stored answers each API answer reads)."""

from __future__ import annotations

import time

from bench.portal_queries import Query
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.portal import SqlPortalView
from projections.portal_queries import RecordFilter

PAGE = 20  # the API's default page size


def direct(backend: ReadStoreBackend, queries: list[Query]) -> list[float]:
    """The same queries asked of the views in-process, one after the other (seconds each)."""
    portal = SqlPortalView(backend.database("portal"))
    everyone = RecordFilter(districts=None)
    latencies: list[float] = []
    try:
        for query in queries:
            started = time.perf_counter()
            if query.kind == "id":
                portal.find_answers_by_personal_id_page(
                    query.value, where=everyone, after=None, limit=PAGE + 1
                )
            else:
                portal.search_answers_page(query.value, where=everyone, after=None, limit=PAGE)
            latencies.append(time.perf_counter() - started)
    finally:
        portal.close()
    return latencies
