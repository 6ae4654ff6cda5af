"""Transparency log timings: appending leaves in batches, signing a checkpoint, proofs.

Appends ``--leaves`` leaves (random 32-byte event hashes, notification ids with a gap every
1,000) in batches of ``--batch`` through the sequencer, one transaction a batch, on a fresh
SQLite file (and on PostgreSQL with ``--postgres URL``: its hotich_tlog_* tables are dropped
first). Then times signing a checkpoint at that size, inclusion proofs at random leaves (a
reader that caches full tiles, and one that does not) and consistency proofs; and, for
scale, checking 100,000 event hashes against a root (leaf hashes and the root from scratch)
against 100,000 Ed25519 verifications. Figures are printed, never asserted.

    python -m bench.tlog [--leaves 1000000] [--batch 500] [--postgres URL]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.tlog.checkpoint_store import Checkpoints
from infra.tlog.database import PostgresTransactions, SqliteTransactions
from infra.tlog.hashing import leaf_hash, merkle_root
from infra.tlog.note import Ed25519NoteSigner
from infra.tlog.sequencer import Sequencer
from infra.tlog.tree_store import Leaf, TreeStore

Transactions = SqliteTransactions | PostgresTransactions
TABLES = (
    "hotich_tlog_cosignatures",
    "hotich_tlog_checkpoints",
    "hotich_tlog_tree",
    "hotich_tlog_tiles",
    "hotich_tlog_leaf_runs",
)


def make_leaves(count: int) -> list[Leaf]:
    digests = os.urandom(32 * count)
    return [(n + 1 + n // 1000, digests[32 * n : 32 * n + 32]) for n in range(count)]


def timed_ms(action: Callable[[], object], times: int) -> list[float]:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        action()
        spent.append((time.perf_counter() - start) * 1000)
    return spent


def describe(spent: Sequence[float]) -> str:
    ordered = sorted(spent)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):.3f} ms, p99 {p99:.3f} ms, max {ordered[-1]:.3f} ms"


def bench(name: str, db: Transactions, leaves: list[Leaf], batch: int) -> None:
    writer = TreeStore()
    checkpoints = Checkpoints(writer, Ed25519NoteSigner.generate("hotich.example/bench"))
    with db.transaction() as conn:
        writer.create_tables(conn)
        checkpoints.create_tables(conn)

    def source(after: int, limit: int) -> list[Leaf]:
        start = next_leaf[0]
        assert start == 0 or leaves[start - 1][0] == after
        taken = leaves[start : start + limit]
        next_leaf[0] += len(taken)
        return taken

    next_leaf = [0]
    sequencer = Sequencer(writer, db.transaction, source, batch_size=batch)
    start = time.perf_counter()
    appended = sequencer.catch_up()
    spent = time.perf_counter() - start
    size = len(leaves)
    assert appended == size
    print(f"[{name}] append {size:,} leaves in batches of {batch}: {spent:.2f} s ", end="")
    print(f"({size / spent:,.0f} leaves/s, {spent / (size / batch) * 1000:.2f} ms a batch)")

    with db.transaction() as conn:
        checkpoints.tree.append(conn, [])
        start = time.perf_counter()
        first = checkpoints.sign_if_grown(conn)
        signing = (time.perf_counter() - start) * 1000
    assert first is not None
    print(f"[{name}] sign the checkpoint at {size:,} (root, signature, insert): {signing:.2f} ms")

    reader = TreeStore(cached_tiles=512)
    cold = TreeStore()
    rng = random.Random(1)
    with db.transaction() as conn:
        root = reader.root(conn, size)
        assert root == first.checkpoint.root
        roots = timed_ms(lambda: reader.root(conn, size), 200)
        print(f"[{name}] root at {size:,} (reader): {describe(roots)}")
        for label, store in [("reader, caching full tiles", reader), ("no cache", cold)]:

            def prove(store: TreeStore = store) -> object:
                return store.inclusion_proof(conn, rng.randrange(size), size)

            print(
                f"[{name}] inclusion proof at {size:,} ({label}): {describe(timed_ms(prove, 2000))}"
            )
        spent_ms = timed_ms(
            lambda: reader.consistency_proof(conn, rng.randrange(1, size), size), 1000
        )
        print(f"[{name}] consistency proof to {size:,} (reader): {describe(spent_ms)}")


def checking_scale(count: int = 100_000) -> None:
    digests = [os.urandom(32) for _ in range(count)]
    start = time.perf_counter()
    merkle_root([leaf_hash(d) for d in digests])
    by_root = time.perf_counter() - start
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    signatures = [key.sign(d) for d in digests[:10_000]]
    start = time.perf_counter()
    for digest, signature in zip(digests, signatures, strict=False):
        public.verify(signature, digest)
    per_signature = (time.perf_counter() - start) / len(signatures)
    print(
        f"check {count:,} event hashes by a root from scratch: {by_root:.3f} s; by one Ed25519 "
        f"verification each: {per_signature * count:.2f} s (from 10,000); ratio "
        f"{per_signature * count / by_root:.1f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--postgres", help="also on this PostgreSQL database (tables dropped)")
    args = parser.parse_args()
    leaves = make_leaves(args.leaves)
    with tempfile.TemporaryDirectory() as work:
        sqlite = SqliteTransactions(Path(work) / "tlog.sqlite")
        try:
            bench("sqlite", sqlite, leaves, args.batch)
        finally:
            sqlite.close()
    if args.postgres:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            for table in TABLES:
                conn.execute(
                    psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
                )
        postgres = PostgresTransactions(args.postgres)
        try:
            bench("postgres", postgres, leaves, args.batch)
        finally:
            postgres.close()
    checking_scale()


if __name__ == "__main__":
    main()
