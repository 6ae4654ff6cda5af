"""The test S3 server (versitygw, started by ``make test`` through services/s3.sh)."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest

ENV_VARS = ("HOTICH_TEST_S3_ENDPOINT", "HOTICH_TEST_S3_ACCESS_KEY", "HOTICH_TEST_S3_SECRET_KEY")


@dataclass(frozen=True)
class S3Server:
    """Where the test S3 server listens (``host:port``, plain HTTP) and its root credentials."""

    endpoint: str
    access_key: str
    secret_key: str


def s3_server() -> S3Server:
    """The server's settings from the environment; fails the test (never skips) without them."""
    missing = [name for name in ENV_VARS if not os.environ.get(name)]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} not set: run the suite with `make test`, which starts the S3 "
            "server (the S3 tests never skip). By hand: `bash services/s3.sh start` then "
            "`eval $(bash services/s3.sh env | sed 's/^/export /')`"
        )
    return S3Server(
        endpoint=os.environ["HOTICH_TEST_S3_ENDPOINT"],
        access_key=os.environ["HOTICH_TEST_S3_ACCESS_KEY"],
        secret_key=os.environ["HOTICH_TEST_S3_SECRET_KEY"],
    )


def fresh_bucket_name() -> str:
    """A bucket name no earlier test used (S3 rules: 3-63 lower-case letters, digits, '-')."""
    return f"hotich-test-{uuid.uuid4().hex[:20]}"
