"""The tree kept in SQL, on SQLite and on the real PostgreSQL server: appended in batches of odd
sizes, it has the roots, proofs and tiles of the same tree computed from scratch."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from infra.tlog.hashing import HASH_SIZE, leaf_hash, merkle_root
from infra.tlog.proofs import verify_consistency, verify_inclusion
from infra.tlog.sequencer import Sequencer
from infra.tlog.tiles import TILE_WIDTH, tiles_of
from infra.tlog.tree_store import (
    Leaf,
    TreeAppendError,
    TreeSizeError,
    TreeStore,
)
from tests.integration.conftest import postgres_url
from tests.integration.tlog_databases import Transactions, db, drop_tlog_tables

__all__ = ["db"]  # the fixture


def event_hash(notification_id: int) -> bytes:
    return hashlib.sha256(b"event %d" % notification_id).digest()


def leaves_with_gaps(count: int, start: int = 1) -> list[Leaf]:
    """Notification ids as PostgreSQL hands them out: consecutive but for skipped ones."""
    leaves: list[Leaf] = []
    notification_id = start
    for i in range(count):
        leaves.append((notification_id, event_hash(notification_id)))
        notification_id += 3 if i % 97 == 96 else 1
    return leaves


def expected_tile(leaf_hashes: list[bytes], level: int, index: int, width: int) -> bytes:
    """Tile bytes by the spec's definition: entry i is MTH of its 256^level leaves."""
    span = TILE_WIDTH**level
    first = index * TILE_WIDTH
    return b"".join(
        merkle_root(leaf_hashes[(first + i) * span : (first + i + 1) * span]) for i in range(width)
    )


def check_tree(store: TreeStore, db: Transactions, leaves: list[Leaf], sizes: list[int]) -> None:
    hashes = [leaf_hash(digest) for _, digest in leaves]
    size = len(leaves)
    with db.transaction() as conn:
        assert store.size(conn) == size
        assert store.state(conn).last_notification_id == (leaves[-1][0] if leaves else 0)
        roots = {n: merkle_root(hashes[:n]) for n in {*sizes, size}}
        for n, root in roots.items():
            assert store.root(conn, n) == root, n
        indexes = sorted({0, 1, 255, 256, 257, size // 2, size - 2, size - 1} & set(range(size)))
        for index in indexes:
            for n in sorted({index + 1, size, *[s for s in sizes if s > index]}):
                proof = store.inclusion_proof(conn, index, n)
                assert verify_inclusion(
                    hashes[index], index, n, proof, roots.get(n) or merkle_root(hashes[:n])
                )
            assert store.leaf_hash(conn, index) == hashes[index]
            assert store.leaf(conn, index) == leaves[index][0]
            assert store.leaf_index(conn, leaves[index][0]) == index
        for old in sizes:
            for new in sizes:
                if old <= new:
                    proof = store.consistency_proof(conn, old, new)
                    assert verify_consistency(old, new, roots[old], roots[new], proof)
        for level, index, width in tiles_of(size):
            tile = store.tile(conn, level, index, width)
            assert tile == expected_tile(hashes, level, index, width), (level, index, width)
            assert store.tile(conn, level, index, 1) == tile[:HASH_SIZE]  # .p/1 of any tile
            if width < TILE_WIDTH:
                assert store.tile(conn, level, index, width + 1) is None
                assert store.tile(conn, level, index) is None  # not full yet
        assert store.tile(conn, 0, size // TILE_WIDTH + 1) is None
        with pytest.raises(TreeSizeError):
            store.root(conn, size + 1)
        with pytest.raises(TreeSizeError):
            store.inclusion_proof(conn, size, size + 1)
        with pytest.raises(TreeSizeError):
            store.leaf(conn, size)


def test_batches_of_odd_sizes_make_the_tree_computed_from_scratch(db: Transactions) -> None:
    store = TreeStore()
    leaves = leaves_with_gaps(70_000)
    sizes = [0]
    for batch in [1, 2, 252, 1, 256, 300, 1, 65_535, 3_652]:  # crosses level 1 and 2 tiles
        first = sizes[-1]
        with db.transaction() as conn:
            assert store.append(conn, leaves[first : first + batch]) == first + batch
        sizes.append(first + batch)
    assert sizes[-1] == len(leaves)
    check_tree(store, db, leaves, sizes)
    reader = TreeStore(cached_tiles=8)  # small: tiles are evicted, then read again
    check_tree(reader, db, leaves, sizes)
    check_tree(reader, db, leaves, sizes)  # from the cache, where it kept them
    with pytest.raises(TreeAppendError, match="only reads"), db.transaction() as conn:
        reader.append(conn, leaves_with_gaps(1, start=leaves[-1][0] + 1))
    with db.transaction() as conn:  # exactly the spec's tiles are stored, no other
        tile_rows = conn.execute("SELECT level, idx, width FROM hotich_tlog_tiles").fetchall()
        runs = conn.execute("SELECT COUNT(*) FROM hotich_tlog_leaf_runs").fetchall()
    assert sorted(tuple(row) for row in tile_rows) == sorted(tiles_of(len(leaves)))
    assert runs[0][0] == 1 + (len(leaves) - 1) // 97  # one run per gap in the ids, not per leaf
    with db.transaction() as conn:
        assert store.leaf_index(conn, leaves[96][0] + 1) is None  # a skipped id has no leaf
        assert store.leaf_index(conn, leaves[-1][0] + 1) is None
        assert store.leaf_index(conn, 0) is None


def test_an_append_rewrites_only_the_rightmost_tiles(tmp_path: Path) -> None:
    store = TreeStore()
    conn = sqlite3.connect(tmp_path / "tlog.sqlite", isolation_level=None)
    store.create_tables(conn)
    leaves = leaves_with_gaps(66_092)
    store.append(conn, leaves[:65_892])
    written: list[str] = []
    conn.set_trace_callback(written.append)
    store.append(conn, leaves[65_892:])
    conn.set_trace_callback(None)
    tiles = [s.split("VALUES (")[1].split(",")[:3] for s in written if "hotich_tlog_tiles (" in s]
    # 65,892 = 257·256 + 100 leaves, then 200 more: level 0's partial tile 257 fills and 258
    # starts (44 hashes); level 1's partial tile 1 gets tile 257's hash; level 2's tile 0 (one
    # hash, level 1's tile 0) stays as it was, and so does every full tile
    assert [(int(level), int(idx), int(width)) for level, idx, width in tiles] == [
        (0, 257, 256),
        (0, 258, 44),
        (1, 1, 2),
    ]
    conn.close()


def test_the_sequencer_appends_what_the_source_has_in_batches(db: Transactions) -> None:
    leaves = leaves_with_gaps(1_000, start=5)
    asked: list[tuple[int, int]] = []

    def source(after: int, limit: int) -> list[Leaf]:
        asked.append((after, limit))
        return [leaf for leaf in leaves[:available] if leaf[0] > after][:limit]

    store = TreeStore()
    sequencer = Sequencer(store, db.transaction, source, batch_size=7)
    available = 600
    assert sequencer.catch_up() == 600
    assert asked[0] == (0, 7)
    assert asked[1] == (leaves[6][0], 7)
    assert sequencer.catch_up() == 0
    available = 1_000
    assert sequencer.catch_up() == 400
    check_tree(store, db, leaves, [0, 600, 1_000])


def test_leaves_out_of_order_or_twice_are_refused_and_nothing_is_kept(db: Transactions) -> None:
    store = TreeStore()
    leaves = leaves_with_gaps(10)
    with db.transaction() as conn:
        store.append(conn, leaves[:5])
    for wrong in (
        leaves[4:6],  # the last one again
        [leaves[6], leaves[5]],  # out of order
        [(leaves[5][0], b"\x00" * 31)],  # not a 32-byte hash
    ):
        with pytest.raises(TreeAppendError), db.transaction() as conn:
            store.append(conn, wrong)
    with db.transaction() as conn:
        assert store.append(conn, []) == 5
    check_tree(store, db, leaves[:5], [0, 5])


def test_an_append_rolled_back_with_its_events_leaves_no_trace(db: Transactions) -> None:
    """Appended in the caller's transaction, the tree rolls back with the events; what was read
    inside that transaction is not served once other events take those places."""
    store = TreeStore()
    leaves = leaves_with_gaps(300)
    with db.transaction() as conn:
        store.append(conn, leaves[:200])

    class EventsRolledBackError(Exception):
        pass

    other = [(nid, hashlib.sha256(b"rolled back %d" % nid).digest()) for nid, _ in leaves[200:]]

    def store_events_then_fail() -> None:
        with db.transaction() as conn:
            store.append(conn, other)
            store.inclusion_proof(conn, 10, 300)  # reads tile 0/0, full in this transaction only
            raise EventsRolledBackError

    with pytest.raises(EventsRolledBackError):
        store_events_then_fail()
    with db.transaction() as conn:
        assert store.size(conn) == 200
        with pytest.raises(TreeSizeError):
            store.root(conn, 201)
        store.append(conn, leaves[200:])
    check_tree(store, db, leaves, [0, 200, 300])
    check_tree(TreeStore(cached_tiles=100), db, leaves, [0, 200, 300])


def test_append_through_cursors_shaped_as_eventsourcing_hands_them(tmp_path: Path) -> None:
    """eventsourcing's recorders hold a cursor inside their transaction: on SQLite rows are
    sqlite3.Row, on PostgreSQL dicts and the connection is in pipeline mode."""
    leaves = leaves_with_gaps(600)
    hashes = [leaf_hash(digest) for _, digest in leaves]
    store = TreeStore()

    lite = sqlite3.connect(tmp_path / "es.sqlite", isolation_level=None)
    lite.row_factory = sqlite3.Row
    store.create_tables(lite)
    cursor = lite.cursor()
    cursor.execute("BEGIN")
    store.append(cursor, leaves[:300])
    store.append(cursor, leaves[300:])
    cursor.execute("COMMIT")
    assert store.root(lite.cursor(), 600) == merkle_root(hashes)
    lite.close()

    url = postgres_url()
    drop_tlog_tables(url)
    with psycopg.connect(url, row_factory=dict_row) as conn:
        store.create_tables(conn)
        conn.commit()
        with conn.pipeline(), conn.transaction(), conn.cursor() as curs:
            store.append(curs, leaves[:300])
            store.append(curs, leaves[300:])
        with conn.cursor() as curs:
            assert store.root(curs, 600) == merkle_root(hashes)
            proof = store.inclusion_proof(curs, 299, 600)
            assert verify_inclusion(hashes[299], 299, 600, proof, merkle_root(hashes))
