"""The Merkle tree of the stored events, kept in SQL as C2SP tlog-tiles and appended in place.

Tables:

``hotich_tlog_tree``       one row: the tree's size and the notification id of its last leaf
``hotich_tlog_tiles``      (level, idx, width, hashes): tile ``idx`` of ``level``, its ``width``
                           32-byte hashes end to end; the rightmost tile of a level is rewritten
                           as it grows, every other tile is full (256 hashes), never changed
``hotich_tlog_leaf_runs``  (first_leaf, first_notification_id, leaves): runs of leaves whose
                           notification ids are consecutive. Ids are consecutive but where
                           PostgreSQL skipped some (rolled-back inserts), so a few rows map
                           every leaf index to its event, both ways

Appending a batch reads the rightmost tile of each level (one query), adds the new leaf hashes,
hashes each tile that fills into the level above and writes back only the tiles that changed:
nothing is recomputed whole. Any subtree hash comes from one tile (``tiles.subtree_span``), and
a proof's tiles are read in one query; full tiles never change, so a reader keeps them in
memory (bounded, least recently used first out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from infra.tlog import proofs
from infra.tlog.database import Connection, Sql
from infra.tlog.hashing import HASH_SIZE, leaf_hash
from infra.tlog.proofs import SubtreeKey
from infra.tlog.tiles import (
    FULL_TILE_BYTES,
    TILE_HEIGHT,
    TILE_WIDTH,
    TileTree,
    level_widths,
    subtree_span,
    tile_root,
)

Leaf = tuple[int, bytes]  # (notification id, the event's 32-byte hash: the leaf's data)
TileKey = tuple[int, int]  # (level, index)


class TreeSizeError(LookupError):
    """The tree does not (yet) hold the leaves that were asked for."""


class TreeAppendError(ValueError):
    """Leaves to append are out of order, already in the tree, or not 32-byte hashes."""


class TreeStateError(RuntimeError):
    """The stored tiles disagree with the stored size: the tables were changed by hand."""


@dataclass(frozen=True)
class TreeState:
    size: int
    last_notification_id: int  # 0 while the tree is empty


_TREE_DDL = (
    "CREATE TABLE IF NOT EXISTS hotich_tlog_tree ("
    "one SMALLINT PRIMARY KEY CHECK (one = 1), "
    "size BIGINT NOT NULL, last_notification_id BIGINT NOT NULL)"
)
_TREE_ROW = (
    "INSERT INTO hotich_tlog_tree (one, size, last_notification_id) VALUES (1, 0, 0) "
    "ON CONFLICT (one) DO NOTHING"
)
_TILES_DDL = {  # by whether the database is PostgreSQL
    False: "CREATE TABLE IF NOT EXISTS hotich_tlog_tiles ("
    "level SMALLINT NOT NULL, idx INTEGER NOT NULL, "
    "width SMALLINT NOT NULL CHECK (width BETWEEN 1 AND 256), "
    "hashes BLOB NOT NULL CHECK (length(hashes) = 32 * width), "
    "PRIMARY KEY (level, idx))",
    True: "CREATE TABLE IF NOT EXISTS hotich_tlog_tiles ("
    "level SMALLINT NOT NULL, idx BIGINT NOT NULL, "
    "width SMALLINT NOT NULL CHECK (width BETWEEN 1 AND 256), "
    "hashes BYTEA NOT NULL CHECK (octet_length(hashes) = 32 * width), "
    "PRIMARY KEY (level, idx))",
}
_RUNS_DDL = (
    "CREATE TABLE IF NOT EXISTS hotich_tlog_leaf_runs ("
    "first_leaf BIGINT PRIMARY KEY, "
    "first_notification_id BIGINT NOT NULL UNIQUE, "
    "leaves BIGINT NOT NULL CHECK (leaves > 0))"
)
_SELECT_STATE = "SELECT size, last_notification_id FROM hotich_tlog_tree"
_UPDATE_STATE = "UPDATE hotich_tlog_tree SET size = ?, last_notification_id = ?"
_UPSERT_TILE = (
    "INSERT INTO hotich_tlog_tiles (level, idx, width, hashes) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (level, idx) DO UPDATE SET width = excluded.width, hashes = excluded.hashes"
)
_SELECT_TILES = "SELECT level, idx, width, hashes FROM hotich_tlog_tiles WHERE "
_SELECT_LEAF_TILES = (
    "SELECT idx, hashes FROM hotich_tlog_tiles WHERE level = 0 AND idx BETWEEN ? AND ? ORDER BY idx"
)
_EXTEND_LAST_RUN = (
    "UPDATE hotich_tlog_leaf_runs SET leaves = leaves + ? "
    "WHERE first_leaf = (SELECT MAX(first_leaf) FROM hotich_tlog_leaf_runs)"
)
_INSERT_RUN = (
    "INSERT INTO hotich_tlog_leaf_runs (first_leaf, first_notification_id, leaves) VALUES (?, ?, ?)"
)
_RUN_OF_LEAF = (
    "SELECT first_leaf, first_notification_id, leaves FROM hotich_tlog_leaf_runs "
    "WHERE first_leaf <= ? ORDER BY first_leaf DESC LIMIT 1"
)
_RUN_OF_NOTIFICATION = (
    "SELECT first_leaf, first_notification_id, leaves FROM hotich_tlog_leaf_runs "
    "WHERE first_notification_id <= ? ORDER BY first_notification_id DESC LIMIT 1"
)


class TreeStore:
    """The tree's tables and the operations on them; every call runs on the caller's connection.

    ``cached_tiles`` > 0 makes a reader: it keeps up to that many full tiles in memory (one
    instance per process, shared by its readers) and refuses to append, since a tile read in
    a transaction that appends could be rolled back with it. A reader reads through
    connections that append nothing; the writer (the sequencer, or the transaction storing
    the events) has a store of its own, without a cache.
    """

    def __init__(self, *, cached_tiles: int = 0) -> None:
        if cached_tiles < 0:
            raise ValueError("cached_tiles is a count of tiles")
        self.cached_tiles = cached_tiles
        self._cache: OrderedDict[TileKey, TileTree] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- schema ------------------------------------------------------------------------------

    def create_tables(self, conn: Connection) -> None:
        """Create the tables if missing (idempotent); run once, at start-up."""
        sql = Sql(conn)
        sql.run(_TREE_DDL)
        sql.run(_TREE_ROW)
        sql.run(_TILES_DDL[sql.is_postgres])
        sql.run(_RUNS_DDL)

    # -- appending ---------------------------------------------------------------------------

    def state(self, conn: Connection, *, lock: bool = False) -> TreeState:
        """The tree's size and last notification id; ``lock``: hold the row until commit
        (PostgreSQL; SQLite's writer already holds the database)."""
        sql = Sql(conn)
        locking = lock and sql.is_postgres
        rows = sql.rows(_SELECT_STATE + " FOR UPDATE" if locking else _SELECT_STATE)
        if not rows:
            raise TreeStateError("hotich_tlog_tree is empty: create_tables was not run")
        size, last = rows[0]
        return TreeState(int(size), int(last))

    def append(self, conn: Connection, leaves: Sequence[Leaf]) -> int:
        """Add leaves (notification id, 32-byte event hash) after the last one; the new size.

        Runs in the caller's transaction and commits nothing: call it in the transaction that
        stores the events, or in a sequencer's own. Notification ids must increase and follow
        the tree's last one; the tree's row is locked first (PostgreSQL), so two appenders
        take turns.
        """
        if self.cached_tiles:
            raise TreeAppendError(
                "a store that caches tiles only reads: append with one that does not"
            )
        state = self.state(conn, lock=True)
        if not leaves:
            return state.size
        _check_leaves(leaves, state.last_notification_id)
        sql = Sql(conn)
        partial = self._rightmost_tiles(sql, state.size)
        writes = _grow(state.size, partial, [leaf_hash(digest) for _, digest in leaves])
        sql.run_many(
            _UPSERT_TILE,
            [(level, index, len(data) // HASH_SIZE, data) for (level, index), data in writes],
        )
        self._append_runs(sql, state, leaves)
        size = state.size + len(leaves)
        sql.run(_UPDATE_STATE, (size, leaves[-1][0]))
        return size

    def _rightmost_tiles(self, sql: Sql, size: int) -> dict[int, bytes]:
        """The partial tile of each level that has one, by level, checked against ``size``."""
        expected = {
            (level, size >> (TILE_HEIGHT * (level + 1))): width
            for level, width in enumerate(level_widths(size))
            if width
        }
        found = {
            (level, index): data for level, index, _, data in self._read_tiles(sql, [*expected])
        }
        partial: dict[int, bytes] = {}
        for (level, index), width in expected.items():
            data = found.get((level, index), b"")
            if len(data) != width * HASH_SIZE:
                raise TreeStateError(
                    f"tile {level}/{index} holds {len(data) // HASH_SIZE} hashes, "
                    f"a tree of size {size} needs {width}"
                )
            partial[level] = data
        return partial

    def _append_runs(self, sql: Sql, state: TreeState, leaves: Sequence[Leaf]) -> None:
        runs: list[list[int]] = []  # [first leaf, first notification id, leaves]
        leaf = state.size
        previous = state.last_notification_id
        for notification_id, _ in leaves:
            if runs and notification_id == previous + 1:
                runs[-1][2] += 1
            else:
                runs.append([leaf, notification_id, 1])
            previous = notification_id
            leaf += 1
        if state.size and leaves[0][0] == state.last_notification_id + 1:
            sql.run(_EXTEND_LAST_RUN, (runs[0][2],))  # the batch carries on the last run
            runs = runs[1:]
        sql.run_many(_INSERT_RUN, runs)

    # -- reading -----------------------------------------------------------------------------

    def size(self, conn: Connection) -> int:
        return self.state(conn).size

    def root(self, conn: Connection, size: int) -> bytes:
        """The root hash of the tree when it had ``size`` leaves (size <= the tree's size)."""
        return proofs.tree_root(size, self._reader(conn, size))

    def inclusion_proof(self, conn: Connection, index: int, size: int) -> list[bytes]:
        """The audit path of leaf ``index`` in the tree of ``size`` (RFC 9162 §2.1.3.1)."""
        return proofs.inclusion_proof(index, size, self._reader(conn, size))

    def consistency_proof(self, conn: Connection, old_size: int, new_size: int) -> list[bytes]:
        """The proof that the tree of ``new_size`` extends that of ``old_size`` (§2.1.4.1)."""
        return proofs.consistency_proof(old_size, new_size, self._reader(conn, new_size))

    def leaf_hash(self, conn: Connection, index: int) -> bytes:
        """The Merkle leaf hash of leaf ``index``: SHA-256(0x00 || the event's hash)."""
        if index < 0:
            raise TreeSizeError(f"the tree has no leaf {index}")
        return self._reader(conn, index + 1)([(0, index)])[0]

    def leaf(self, conn: Connection, index: int) -> int:
        """The notification id of the event at leaf ``index``."""
        rows = Sql(conn).rows(_RUN_OF_LEAF, (index,))
        if index < 0 or not rows or index >= rows[0][0] + rows[0][2]:
            raise TreeSizeError(f"the tree has no leaf {index}")
        first_leaf, first_id, _ = rows[0]
        return int(first_id + index - first_leaf)

    def leaf_index(self, conn: Connection, notification_id: int) -> int | None:
        """The leaf of the event with ``notification_id``; None if it is not in the tree."""
        rows = Sql(conn).rows(_RUN_OF_NOTIFICATION, (notification_id,))
        if not rows or notification_id >= rows[0][1] + rows[0][2]:
            return None
        first_leaf, first_id, _ = rows[0]
        return int(first_leaf + notification_id - first_id)

    def leaf_hashes(self, conn: Connection, start: int, end: int) -> bytes:
        """The Merkle leaf hashes of leaves ``[start, end)``, end to end (one query)."""
        if not 0 <= start <= end:
            raise TreeSizeError(f"no leaves [{start}, {end})")
        if start == end:
            return b""
        first, last = start // TILE_WIDTH, (end - 1) // TILE_WIDTH
        rows = Sql(conn).rows(_SELECT_LEAF_TILES, (first, last))
        data = b"".join(bytes(hashes) for _, hashes in rows)
        wanted = data[
            (start - first * TILE_WIDTH) * HASH_SIZE : (end - first * TILE_WIDTH) * HASH_SIZE
        ]
        if [int(idx) for idx, _ in rows] != list(range(first, last + 1)) or len(wanted) != (
            end - start
        ) * HASH_SIZE:
            raise TreeSizeError(f"the tree does not hold leaves [{start}, {end})")
        return wanted

    def subtree_hashes(
        self, conn: Connection, size: int, keys: Sequence[SubtreeKey]
    ) -> list[bytes]:
        """The hashes of complete subtrees (height, index) of the tree of ``size``."""
        return list(self._reader(conn, size)(keys)) if keys else []

    def tile(
        self, conn: Connection, level: int, index: int, width: int = TILE_WIDTH
    ) -> bytes | None:
        """A tile's bytes as tlog-tiles serves them: the first ``width`` hashes of tile
        (level, index); None if the tree does not hold that many yet."""
        if not 1 <= width <= TILE_WIDTH:
            return None
        with self._cache_lock:
            cached = self._cache.get((level, index))
        if cached is not None:
            return b"".join(cached.levels[0][:width])
        rows = self._read_tiles(Sql(conn), [(level, index)])
        if not rows or rows[0][2] < width:
            return None
        return bytes(rows[0][3][: width * HASH_SIZE])

    def _read_tiles(self, sql: Sql, keys: Sequence[TileKey]) -> list[tuple[int, int, int, bytes]]:
        if not keys:
            return []
        statement = _SELECT_TILES + " OR ".join(["(level = ? AND idx = ?)"] * len(keys))
        params = [value for key in keys for value in key]
        return [(int(a), int(b), int(c), bytes(d)) for a, b, c, d in sql.rows(statement, params)]

    def _reader(self, conn: Connection, size: int) -> proofs.HashReader:
        """Reads subtree hashes from the tiles holding them: cached full tiles, then one query.

        It reads the hash of leaf ``size - 1`` too (in a tile read anyway, mostly), so that it
        fails unless the tree holds ``size`` leaves: an audit path does not hold its leaf.
        """
        last_leaf = [subtree_span(0, size - 1)] if size > 0 else []

        def read(keys: Sequence[SubtreeKey]) -> list[bytes]:
            spans = [subtree_span(height, index) for height, index in keys]
            needed: dict[TileKey, int] = {}
            for span in spans + last_leaf:
                key = (span.level, span.index)
                needed[key] = max(needed.get(key, 0), span.offset + span.count)
            trees: dict[TileKey, TileTree] = {}
            with self._cache_lock:
                for key in needed:
                    cached = self._cache.get(key)
                    if cached is not None:
                        self._cache.move_to_end(key)
                        trees[key] = cached
            missing = [key for key in needed if key not in trees]
            for level, index, _, data in self._read_tiles(Sql(conn), missing):
                tree = trees[(level, index)] = TileTree(data)
                if len(data) == FULL_TILE_BYTES and self.cached_tiles:
                    self._remember(level, index, tree)
            for key, width in needed.items():
                if key not in trees or trees[key].width < width:
                    level, index = key
                    raise TreeSizeError(f"the tree does not hold tile {level}/{index} to {width}")
            return [trees[(s.level, s.index)].subtree(s.offset, s.count) for s in spans]

        return read

    def _remember(self, level: int, index: int, tree: TileTree) -> None:
        with self._cache_lock:
            self._cache[(level, index)] = tree
            while len(self._cache) > self.cached_tiles:
                self._cache.popitem(last=False)


def _check_leaves(leaves: Sequence[Leaf], last_notification_id: int) -> None:
    previous = last_notification_id
    for notification_id, digest in leaves:
        if notification_id <= previous:
            raise TreeAppendError(
                f"notification id {notification_id} does not follow {previous}: leaves are "
                "appended in notification order, each once"
            )
        if len(digest) != HASH_SIZE:
            raise TreeAppendError(f"leaf {notification_id}: an event hash is 32 bytes")
        previous = notification_id


def _grow(size: int, partial: dict[int, bytes], hashes: list[bytes]) -> list[tuple[TileKey, bytes]]:
    """The tiles (key, bytes) that change when leaf ``hashes`` are added to a tree of ``size``
    whose rightmost partial tiles are ``partial``: full ones as they fill, then the new partial
    ones."""
    writes: list[tuple[TileKey, bytes]] = []
    level = 0
    while hashes:
        entries = size >> (TILE_HEIGHT * level)  # this level's entries before the batch
        index, offset = divmod(entries, TILE_WIDTH)
        tile = bytearray(partial.get(level, b"") if offset else b"")
        up: list[bytes] = []  # the hashes of tiles that filled: entries of the level above
        for digest in hashes:
            tile += digest
            if len(tile) == FULL_TILE_BYTES:
                full = bytes(tile)
                writes.append(((level, index), full))
                up.append(tile_root(full))
                index += 1
                tile = bytearray()
        if tile:
            writes.append(((level, index), bytes(tile)))
        hashes = up
        level += 1
    return writes
