"""The portal API's paged queries on the portal view, as rows: by personal ID and by name,
each row with the columns asked for (the whole record, or its answer)."""

from __future__ import annotations

from domain.person_name import accent_key, fold
from infra.read_store.database import Reader, Row
from infra.read_store.portal_search import (
    AFTER_ID,
    DENSE_WINDOW,
    ID_PAGE,
    INSIDE_NAMES,
    INSIDE_STEP,
    STEPS,
    UPPER,
    dense_inside_sql,
    filter_sql,
    name_key_of_row,
    step_sql,
)
from infra.read_store.portal_words import inside_candidates
from projections.portal_queries import IdKey, NameKey, RecordFilter


def id_page(
    db: Reader,
    personal_id: str,
    columns: str,
    *,
    where: RecordFilter,
    after: IdKey | None,
    limit: int,
) -> list[tuple[IdKey, Row]]:
    """Published records holding the ID, records about its holder first, then by book and
    entry number, after ``after``, filtered; at most ``limit``."""
    pid = "".join(personal_id.split())
    if len(pid) != 12 or not pid.isascii() or not pid.isdigit() or limit < 1:
        return []
    conditions, params = filter_sql(where)
    conditions.insert(0, "i.personal_id = :pid")
    params.update(pid=pid, limit=limit)
    if after is not None:
        conditions.append(AFTER_ID)
        params.update(
            after_subject=after.is_subject,
            after_register=after.register_id,
            after_number=after.entry_number,
        )
    sql = ID_PAGE.format(columns=columns, conditions=" AND ".join(conditions))
    return [
        (IdKey(int(r["hit_subject"]), r["register_id"], r["entry_number"]), r)
        for r in db.query(sql, params)
    ]


def name_page(
    db: Reader,
    query: str,
    columns: str,
    *,
    where: RecordFilter,
    after: NameKey | None,
    limit: int,
) -> tuple[list[tuple[NameKey, Row]], NameKey | None]:
    """Published records by name, ranked (projections/portal_records.py), after ``after``,
    filtered; at most ``limit``, and where the next page starts (None: none).

    The steps run in rank order, each asked for what the page still lacks (and one more:
    is there a next page?). Names holding the query inside are read only on a page of
    their own: once the better steps gave this page a match, the page ends there and its
    ``next`` starts at that step, so a search whose name is found costs index reads only;
    that step first reads the next few thousand subjects' names in order, which answer the
    page when its query is common (infra/read_store/portal_search.py: DENSE_WINDOW), and
    otherwise the names the word index gives (infra/read_store/portal_words.py).
    """
    folded = fold(query)
    if not folded or limit < 1:
        return [], None
    filters, params = filter_sql(where)
    params.update(folded=folded, accent=accent_key(query), upper=folded + UPPER)
    if after is not None:
        params.update(
            after_rank=after.rank,
            after_name=after.matched,
            after_key=after.name_key,
            after_register=after.register_id,
            after_number=after.entry_number,
        )
    hits: list[tuple[NameKey, Row]] = []
    for step in STEPS:
        if after is not None and after.rank > step.last_rank:
            continue  # the cursor is past this step
        if step.rank == INSIDE_STEP and hits:
            return hits, INSIDE_NAMES
        params["limit"] = limit + 1 - len(hits)
        conditions = filters
        if step.rank == INSIDE_STEP and (after is None or after.rank == INSIDE_STEP):
            resume = after if after is not None and after.matched else None
            sql = dense_inside_sql(filters, resume, columns)
            found = db.query(sql, {**params, "window": DENSE_WINDOW})
            if len(found) > limit:  # the rank's first names are all within the window
                hits = [(name_key_of_row(r), r) for r in found]
                return hits[:limit], hits[limit - 1][0]
        if step.rank == INSIDE_STEP:
            candidates = inside_candidates(db, folded, UPPER)
            if candidates is not None:
                conditions = [*filters, candidates.condition()]
                params.update(candidates.params())
        sql = step_sql(step, conditions, after, columns)
        hits += [(name_key_of_row(r), r) for r in db.query(sql, params)]
        if len(hits) > limit:
            return hits[:limit], hits[limit - 1][0]
    return hits, None
