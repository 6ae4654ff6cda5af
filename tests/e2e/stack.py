"""A running hotich for end-to-end tests: embedded (SQLite, local blobs) or production-like
(PostgreSQL and the real S3 server), served by uvicorn on a loopback port, with users."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from bootstrap.container import Container, bootstrap, init_home
from bootstrap.settings import Settings
from bootstrap.web import build_web
from domain.actor import Role
from tests.e2e.server import serve_in_thread
from tests.integration.read_stores import drop_service_views
from tests.integration.s3 import fresh_bucket_name, s3_server

USERS: dict[str, tuple[Role, list[str]]] = {
    "clerk.026.1": (Role.CLERK, ["026"]),
    "clerk.026.2": (Role.CLERK, ["026"]),
    "verifier.026.1": (Role.VERIFIER, ["026"]),
    "verifier.026.2": (Role.VERIFIER, ["026"]),
    "clerk.027.1": (Role.CLERK, ["027"]),
    "verifier.027.1": (Role.VERIFIER, ["027"]),
    "manager.tinh": (Role.MANAGER, ["*"]),
    "manager.026": (Role.MANAGER, ["026"]),
    "portal.dvc": (Role.PORTAL, ["*"]),
    "admin.tinh": (Role.ADMIN, ["*"]),
}
PG_TABLES = (
    "digitisation_events",
    "hotich_users",
    "hotich_tokens",
    "hotich_idempotency",
    "hotich_portal_reads",
    "hotich_portal_read_records",
    "hotich_portal_audit",
    "hotich_portal_audit_v1",
    # the verifiable log of the events dropped above (dependents first)
    "hotich_tlog_cosignatures",
    "hotich_tlog_checkpoints",
    "hotich_tlog_tree",
    "hotich_tlog_tiles",
    "hotich_tlog_leaf_runs",
)


@dataclass
class Stack:
    kind: str
    base_url: str
    container: Container
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[user]}"} if user else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60)

    def wait_for_views(self) -> None:
        """Until the portal and history views have applied every stored event."""
        with self.client("manager.tinh") as manager:
            for _ in range(400):
                body = manager.get("/positions").json()
                if all(body["views"][v] >= body["log_head"] for v in ("portal", "history")):
                    return
                time.sleep(0.05)
        pytest.fail(f"the views did not catch up: {body}")


def add_users(container: Container, users: dict[str, tuple[Role, list[str]]]) -> dict[str, str]:
    """The users (id: role and districts) added to the container's store; a token for each."""
    tokens = {}
    for user_id, (role, districts) in users.items():
        container.users.add_user(
            user_id, name=user_id, role=role, districts=districts, created_by="test"
        )
        tokens[user_id] = container.users.issue_token(user_id)
    return tokens


def reset_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for table in PG_TABLES:
            conn.execute(
                psycopg.sql.SQL("DROP TABLE IF EXISTS {}").format(psycopg.sql.Identifier(table))
            )
    drop_service_views(url)  # the views follow the event store into its database


@contextmanager
def running_stack(kind: str, home: Path, **overrides: object) -> Iterator[Stack]:
    values: dict[str, object] = {"home": home, "demo": False, **overrides}
    if kind == "production":
        url = os.environ.get("HOTICH_TEST_DATABASE_URL")
        if not url:
            pytest.fail("HOTICH_TEST_DATABASE_URL is not set: run `make test`")
        reset_postgres(url)
        s3 = s3_server()
        values.update(
            database_url=url,
            s3_endpoint=s3.endpoint,
            s3_access_key=s3.access_key,
            s3_secret_key=s3.secret_key,
            s3_bucket=fresh_bucket_name(),
            s3_secure=False,  # the loopback test server speaks plain HTTP
            retention_mode="GOVERNANCE",
            retention_days=1,
            cipher_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        )
    settings = Settings(**values)  # type: ignore[arg-type]
    init_home(settings)
    container = bootstrap(settings)
    stack_tokens = add_users(container, USERS)
    web = build_web(container, poll_interval=0.05)
    with serve_in_thread(web.api) as base_url:
        yield Stack(kind=kind, base_url=base_url, container=container, tokens=stack_tokens)
    web.close()  # the runners have stopped with the server
    container.close()
