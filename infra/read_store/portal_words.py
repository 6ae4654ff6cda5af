"""The word index of the portal's names: which names a search "inside a name" need read.

A name holds the query inside it only if each word of the query is found in one of its words:
with one word, inside any word; with several, the first ends a word, the last starts one and
those between are words. ``portal_vocabulary`` lists each word once, with about how many names
hold it, so the words each query word may be are read from it (a few thousand rows at most),
and the query word held by the fewest names chooses the names read: a range of
``portal_words`` per word it may be. The step's own conditions then rank exactly what it
answered before, on those names only.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.read_store.database import Reader

MAX_WORDS = 2_000  # words a query word may be, beyond which reading every name costs as much
_INSIDE = "SELECT word, names FROM portal_vocabulary WHERE instr(word, ?) > 0"
_STARTING = "SELECT word, names FROM portal_vocabulary WHERE word >= ? AND word < ?"
_EXACT = "SELECT word, names FROM portal_vocabulary WHERE word = ?"


@dataclass(frozen=True)
class Candidates:
    """The words whose names a search inside names reads (none: no name holds the query)."""

    words: tuple[str, ...]

    def condition(self) -> str:
        """SQL on ``n`` (portal_names): the name holds one of the words; parameters
        ``:w0, :w1, ...`` (:meth:`params`)."""
        if not self.words:
            return "1 = 0"
        marks = ", ".join(f":w{i}" for i in range(len(self.words)))
        return (
            "(n.entry_id, n.seq) IN (SELECT w.entry_id, w.seq FROM portal_words AS w "  # noqa: S608
            f"WHERE w.word IN ({marks}))"
        )

    def params(self) -> dict[str, str]:
        return {f"w{i}": word for i, word in enumerate(self.words)}


def inside_candidates(db: Reader, folded: str, upper: str) -> Candidates | None:
    """The words to read for a search of ``folded`` inside names; None: read every name."""
    terms = folded.split(" ")
    best: tuple[int, list[str]] | None = None
    for i, term in enumerate(terms):
        if len(terms) == 1:
            rows = [(r[0], r[1]) for r in db.query(_INSIDE, (term,))]
        elif i == 0:
            rows = [(r[0], r[1]) for r in db.query(_INSIDE, (term,)) if r[0].endswith(term)]
        elif i == len(terms) - 1:
            rows = [(r[0], r[1]) for r in db.query(_STARTING, (term, term + upper))]
        else:
            rows = [(r[0], r[1]) for r in db.query(_EXACT, (term,))]
        names = sum(count for _, count in rows)
        if best is None or names < best[0]:
            best = (names, [word for word, _ in rows])
        if not rows:
            break  # no name holds this word: nothing is inside
    assert best is not None  # folded is not empty
    if len(best[1]) > MAX_WORDS:
        return None
    return Candidates(tuple(best[1]))
