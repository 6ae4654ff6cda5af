"""Signed checkpoints and witnesses' cosignatures kept beside the tree, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from infra.tlog.checkpoint import open_checkpoint
from infra.tlog.checkpoint_store import (
    Checkpoints,
    CheckpointSigningError,
    CosignatureError,
)
from infra.tlog.cosignature import Cosigner
from infra.tlog.database import Sql
from infra.tlog.hashing import EMPTY_ROOT, leaf_hash, merkle_root
from infra.tlog.note import Ed25519NoteSigner
from infra.tlog.tree_store import Leaf, TreeStore
from tests.integration.tlog_databases import Transactions, db

__all__ = ["db"]  # the fixture

ORIGIN = "hotich.example/ha-giang"


def leaves(first: int, count: int) -> list[Leaf]:
    return [(n, hashlib.sha256(b"event %d" % n).digest()) for n in range(first, first + count)]


def make_checkpoints(db: Transactions) -> tuple[Checkpoints, Ed25519NoteSigner]:
    """The checkpoints of a new log, signed a minute apart from 2026-01-01, and its key."""
    moments = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=m) for m in range(99))
    log = Ed25519NoteSigner.generate(ORIGIN)
    checkpoints = Checkpoints(TreeStore(), log, clock=lambda: next(moments))
    with db.transaction() as conn:
        checkpoints.create_tables(conn)
    return checkpoints, log


def test_a_checkpoint_is_signed_each_time_the_tree_grew_and_every_one_is_kept(
    db: Transactions,
) -> None:
    checkpoints, log = make_checkpoints(db)
    with db.transaction() as conn:
        empty = checkpoints.sign_if_grown(conn)
        assert empty is not None
        assert (empty.checkpoint.size, empty.checkpoint.root) == (0, EMPTY_ROOT)
        assert checkpoints.sign_if_grown(conn) is None  # not grown
    all_leaves = leaves(1, 700)
    hashes = [leaf_hash(digest) for _, digest in all_leaves]
    for first, count in [(0, 1), (1, 299), (300, 400)]:
        with db.transaction() as conn:
            checkpoints.tree.append(conn, all_leaves[first : first + count])
            stored = checkpoints.sign_if_grown(conn)
            assert stored is not None
            assert checkpoints.sign_if_grown(conn) is None
        assert stored.checkpoint.size == first + count
        assert stored.checkpoint.root == merkle_root(hashes[: first + count])
        opened, _, _ = open_checkpoint(stored.note, log.verifier())
        assert opened == stored.checkpoint
    with db.transaction() as conn:
        kept = checkpoints.after(conn)
        assert [c.checkpoint.size for c in kept] == [0, 1, 300, 700]
        assert [c.signed_at for c in kept] == [f"2026-01-01T00:0{m}:00+00:00" for m in range(4)]
        assert [c.checkpoint.size for c in checkpoints.after(conn, 1, limit=1)] == [300]
        latest = checkpoints.latest(conn)
        assert latest is not None
        assert latest == kept[-1]
        assert checkpoints.get(conn, 300) == kept[2]
        assert checkpoints.get(conn, 299) is None


def test_posted_cosignatures_are_checked_and_kept_beside_their_checkpoint(db: Transactions) -> None:
    checkpoints, log = make_checkpoints(db)
    w1 = Cosigner.generate("witness.example/w1")
    w2 = Cosigner.generate("witness.example/w2")
    stranger = Cosigner.generate("stranger.example")
    witnesses = [w1.verifier(), w2.verifier()]
    with db.transaction() as conn:
        checkpoints.tree.append(conn, leaves(1, 10))
        stored = checkpoints.sign_if_grown(conn)
    assert stored is not None
    body = stored.checkpoint.body()
    with db.transaction() as conn:
        assert checkpoints.add_cosignature(conn, 10, w1.cosign(body).line(), witnesses)
        assert not checkpoints.add_cosignature(conn, 10, w1.cosign(body).line(), witnesses)
        assert checkpoints.add_cosignature(conn, 10, w2.cosign(body).line(), witnesses)
        for size, line in [
            (10, stranger.cosign(body).line()),  # not a known witness
            (9, w1.cosign(body).line()),  # no such checkpoint
            (10, w1.cosign(body.replace("\n10\n", "\n11\n")).line()),  # another checkpoint's
            (10, "— witness.example/w1 nonsense"),
        ]:
            with pytest.raises(CosignatureError):
                checkpoints.add_cosignature(conn, size, line, witnesses)
        kept = checkpoints.get(conn, 10)
    assert kept is not None
    assert len(kept.cosignatures) == 2
    _, _, verified = open_checkpoint(kept.cosigned_note(), log.verifier(), witnesses)
    assert [s.name for s in verified] == [ORIGIN, w1.name, w2.name]


def test_no_checkpoint_is_signed_for_a_tree_that_does_not_extend_the_last(db: Transactions) -> None:
    checkpoints, _ = make_checkpoints(db)
    with db.transaction() as conn:
        checkpoints.tree.append(conn, leaves(1, 300))
        assert checkpoints.sign_if_grown(conn) is not None
        checkpoints.tree.append(conn, leaves(301, 5))
        # leaf hashes of the signed part (leaves 256-299, in the tree's rightmost tile) changed
        # behind the log's back
        Sql(conn).run(
            "UPDATE hotich_tlog_tiles SET hashes = ? WHERE level = 0 AND idx = 1",
            (b"\x07" * 32 * 49,),
        )
    with pytest.raises(CheckpointSigningError, match="does not extend"), db.transaction() as conn:
        checkpoints.sign_if_grown(conn)
