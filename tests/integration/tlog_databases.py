"""The transparency log's tables on a fresh SQLite file or on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from infra.tlog.database import PostgresTransactions, SqliteTransactions
from infra.tlog.tree_store import TreeStore
from tests.integration.conftest import postgres_url

Transactions = SqliteTransactions | PostgresTransactions
TABLES = (  # dependents first
    "hotich_tlog_cosignatures",
    "hotich_tlog_checkpoints",
    "hotich_tlog_tree",
    "hotich_tlog_tiles",
    "hotich_tlog_leaf_runs",
)


def drop_tlog_tables(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
            )


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Transactions]:
    """Transactions on an empty tree's tables."""
    transactions: Transactions
    if request.param == "postgres":
        url = postgres_url()
        drop_tlog_tables(url)
        transactions = PostgresTransactions(url)
    else:
        transactions = SqliteTransactions(tmp_path / "tlog.sqlite")
    with transactions.transaction() as conn:
        TreeStore().create_tables(conn)
    yield transactions
    transactions.close()
