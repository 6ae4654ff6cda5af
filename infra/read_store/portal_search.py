"""The portal's name and personal-ID searches as SQL: ranks, steps in index order, filters.

See infra/read_store/portal.py for the tables and their indexes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from infra.read_store.database import Row
from projections.portal_queries import NameKey, RecordFilter

# The rank of a name ``n`` for a query (NULL: no match), best first; the subject's name ranks
# before another person's of the same kind of match (``1 - is_subject``):
# 0/1 the same name with the same accents; 2/3 the same name folded; 4/5 a name starting with
# the query; 6/7 the query at the start of a later word; 8/9 anywhere else inside.
UPPER = "\U0010ffff"  # sorts after every character: "abc" <= x < "abc" + UPPER is a prefix


def _rank(n: str) -> str:
    return (
        f"(CASE WHEN {n}.folded = :folded THEN CASE WHEN {n}.accent = :accent THEN 0 ELSE 2 END "
        f"WHEN {n}.folded > :folded AND {n}.folded < :upper THEN 4 "
        f"WHEN instr(' ' || {n}.folded, ' ' || :folded) > 0 THEN 6 "
        f"WHEN instr({n}.folded, :folded) > 1 THEN 8 END + 1 - {n}.is_subject)"
    )


@dataclass(frozen=True)
class _Step:
    """One rank (or, inside names, ranks 6-9) of a name search, as one ordered query.

    A record is answered once, at its best name: ``(rank, folded name, seq)``, least first;
    each step leaves out a name when another name of its record is better. The order in a
    step is (folded name that matched, the subject's folded name, book, entry number): the
    order of an index for every step but the last, so a step reads what it answers. In the
    exact steps the folded name that matched is the query's.
    """

    rank: int  # the step's rank (the first of them for the inside step)
    last_rank: int
    matches: str  # which names of ``n`` the step answers
    exact: bool  # the names match the query's folded name exactly
    better_possible: bool = True  # False: no other name of a record can rank before these

    @property
    def rank_sql(self) -> str:
        return str(self.rank) if self.rank == self.last_rank else _rank("n")

    @property
    def matched_sql(self) -> str:
        return ":folded" if self.exact else "n.folded"


# the order of a step's names, and the cursor's parameter each is compared with
_ORDER = (
    ("n.folded", ":after_name"),
    ("n.subject_key", ":after_key"),
    ("n.register_id", ":after_register"),
    ("n.entry_number", ":after_number"),
)
STEPS = (
    # the same accents: index portal_names_by_accent_order
    _Step(0, 0, "n.accent = :accent AND n.is_subject = 1", exact=True, better_possible=False),
    _Step(1, 1, "n.accent = :accent AND n.is_subject = 0", exact=True),
    # the same name folded, other accents; then prefixes: index portal_names_by_folded_order
    _Step(2, 2, "n.is_subject = 1 AND n.folded = :folded AND n.accent <> :accent", exact=True),
    _Step(3, 3, "n.is_subject = 0 AND n.folded = :folded AND n.accent <> :accent", exact=True),
    _Step(4, 4, "n.is_subject = 1 AND n.folded > :folded AND n.folded < :upper", exact=False),
    _Step(5, 5, "n.is_subject = 0 AND n.folded > :folded AND n.folded < :upper", exact=False),
    # inside a name: every name is read (no index serves it)
    _Step(6, 9, "instr(n.folded, :folded) > 1", exact=False),
)
INSIDE_STEP = 6  # its first rank: a page that stops before it goes on from there
INSIDE_NAMES = NameKey(INSIDE_STEP, "", "", "", 0)
_BETTER_NAME = (
    "NOT EXISTS (SELECT 1 FROM portal_names AS e WHERE e.entry_id = n.entry_id "  # noqa: S608
    f"AND e.seq <> n.seq AND ({_rank('e')}, e.folded, e.seq) < ({{rank}}, {{matched}}, n.seq))"
)
_SEARCH_STEP = (
    "SELECT {rank} AS hit_rank, {matched} AS hit_name, {columns} FROM portal_names AS n "
    "CROSS JOIN portal_records AS p WHERE p.id = n.entry_id AND {conditions} "
    "ORDER BY {order} LIMIT :limit"
)


_SORTED_THEN_READ = (
    "SELECT h.hit_rank, h.hit_name, {columns} FROM (SELECT {rank} AS hit_rank, "
    "{matched} AS hit_name, n.entry_id AS hit_id, {keys} FROM portal_names AS n{records} "
    "WHERE {conditions} ORDER BY {order} LIMIT :limit) AS h CROSS JOIN portal_records AS p "
    "WHERE p.id = h.hit_id ORDER BY {outer}"
)
_ON_RECORD = re.compile(r"\bp\.")  # a condition on the record (a filter), not the name


def step_sql(step: _Step, filters: list[str], after: NameKey | None, columns: str = "p.*") -> str:
    """The query of one step: its names, at their best, filtered, after ``after``; each with
    ``columns`` of its record."""
    rank = step.rank_sql
    conditions = [step.matches, *filters]
    if step.better_possible:
        conditions.append(_BETTER_NAME.format(rank=rank, matched=step.matched_sql))
    order = list(_ORDER[1:] if step.exact else _ORDER)  # exact: one folded name, the query's
    if step.rank != step.last_rank:
        order.insert(0, (rank, ":after_rank"))
    keys = ", ".join(column for column, _ in order)
    if after is not None and after.rank >= step.rank:
        conditions.append(f"({keys}) > ({', '.join(value for _, value in order)})")
    if step.rank == step.last_rank:  # reads about as many names as it answers
        return _SEARCH_STEP.format(
            rank=rank,
            matched=step.matched_sql,
            columns=columns,
            conditions=" AND ".join(conditions),
            order=keys,
        )
    # many names matched, a few answered: sort the matches' keys, then read those records
    aliased = ", ".join(f"{column} AS o{i}" for i, (column, _) in enumerate(order))
    if any(_ON_RECORD.search(c) for c in conditions):
        records = " CROSS JOIN portal_records AS p"
        conditions.insert(0, "p.id = n.entry_id")
    else:
        records = ""  # the names alone decide: no record is read but those answered
    return _SORTED_THEN_READ.format(
        records=records,
        rank=rank,
        matched=step.matched_sql,
        keys=aliased,
        conditions=" AND ".join(conditions),
        order=keys,
        columns=columns,
        outer=", ".join(f"h.o{i}" for i in range(len(order))),
    )


# A search inside names whose query is common ("thị hoà": one subject's name in a few dozen)
# first walks the subjects' names in order, where its first rank (6) is found: the first
# DENSE_WINDOW names after the cursor. If they hold more matches than the page needs, those
# are the page (every later name sorts after them); if not, the word index answers (above).
DENSE_WINDOW = 4_000
_DENSE_INSIDE = (
    "SELECT 6 AS hit_rank, n.folded AS hit_name, {columns} FROM (SELECT * FROM portal_names "
    "AS n WHERE n.is_subject = 1{after} ORDER BY n.folded, n.subject_key, n.register_id, "
    "n.entry_number LIMIT :window) AS n CROSS JOIN portal_records AS p WHERE p.id = n.entry_id "
    "AND {conditions} ORDER BY n.folded, n.subject_key, n.register_id, n.entry_number "
    "LIMIT :limit"
)


def dense_inside_sql(filters: list[str], after: NameKey | None, columns: str = "p.*") -> str:
    """The query of the first rank of the inside step (the subject's name, the query at the
    start of a later word), read from the next DENSE_WINDOW subjects' names only; the caller
    knows the rank is done only if it answered more than the page needs."""
    conditions = [
        "instr(n.folded, :folded) > 1",
        "instr(' ' || n.folded, ' ' || :folded) > 0",
        *filters,
        _BETTER_NAME.format(rank=INSIDE_STEP, matched="n.folded"),
    ]
    keys = ", ".join(column for column, _ in _ORDER)
    resume = f" AND ({keys}) > ({', '.join(value for _, value in _ORDER)})" if after else ""
    return _DENSE_INSIDE.format(columns=columns, after=resume, conditions=" AND ".join(conditions))


ID_PAGE = (
    "SELECT i.is_subject AS hit_subject, {columns} FROM portal_personal_ids AS i "
    "JOIN portal_records AS p ON p.id = i.entry_id WHERE {conditions} "
    "ORDER BY i.is_subject DESC, p.register_id, p.entry_number LIMIT :limit"
)
AFTER_ID = (
    "(i.is_subject < :after_subject OR (i.is_subject = :after_subject AND "
    "(p.register_id, p.entry_number) > (:after_register, :after_number)))"
)


def filter_sql(where: RecordFilter) -> tuple[list[str], dict[str, Any]]:
    """SQL conditions on ``p`` (portal_records) for a filter, and their parameters."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    columns = (
        ("birth_year", "p.birth_year", where.birth_year),
        ("birth_month", "p.birth_month", where.birth_month),
        ("birth_day", "p.birth_day", where.birth_day),
        (
            "birth_lunar",
            "p.birth_date_lunar",
            None if where.birth_lunar is None else int(where.birth_lunar),
        ),
        ("sex", "p.sex", where.sex),
        ("kind", "p.kind", where.kind),
        ("district", "p.district", where.district),
        ("commune", "p.commune_code", where.commune),
    )
    for name, column, value in columns:
        if value is not None:
            conditions.append(f"{column} = :{name}")
            params[name] = value
    if where.districts is not None:  # the caller's districts; none: nothing
        scope = {f"scope{i}": d for i, d in enumerate(sorted(where.districts))}
        marks = ", ".join(f":{name}" for name in scope)
        conditions.append(f"p.district IN ({marks})" if scope else "1 = 0")
        params.update(scope)
    return conditions, params


def name_key_of_row(row: Row) -> NameKey:
    return NameKey(
        int(row["hit_rank"]),
        row["hit_name"],
        row["search_key"] or "",
        row["register_id"],
        row["entry_number"],
    )
