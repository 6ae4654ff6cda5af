"""The portal benchmark's baseline: the same queries asked of the views in this process, one
after the other (the portal's page query and the provenance query each API answer makes)."""

from __future__ import annotations

import time

from bench.portal_queries import Query
from infra.read_store.backend import ReadStoreBackend
from infra.read_store.history import SqlHistoryView
from infra.read_store.portal import SqlPortalView
from projections.portal_queries import RecordFilter

PAGE = 20  # the API's default page size


def direct(backend: ReadStoreBackend, queries: list[Query]) -> list[float]:
    """The same queries asked of the views in-process, one after the other (seconds each)."""
    portal = SqlPortalView(backend.database("portal"))
    history = SqlHistoryView(backend.database("history"))
    everyone = RecordFilter(districts=None)
    latencies: list[float] = []
    try:
        for query in queries:
            started = time.perf_counter()
            if query.kind == "id":
                hits = portal.find_by_personal_id_page(
                    query.value, where=everyone, after=None, limit=PAGE + 1
                )
                records = [h.record for h in hits[:PAGE]]
            else:
                page = portal.search_by_name_page(
                    query.value, where=everyone, after=None, limit=PAGE
                )
                records = [h.record for h in page.hits]
            if records:
                history.histories([r.id for r in records])
            latencies.append(time.perf_counter() - started)
    finally:
        portal.close()
        history.close()
    return latencies
