"""services/s3.sh: `start --keep-data` and `restart` serve the objects (and their retention)
the server held before; a plain `start` empties its directories. On a server of the test's own
(tests/integration/own_services.py), never the shared one."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator

import pytest
from minio import Minio
from minio.commonconfig import GOVERNANCE
from minio.error import S3Error
from minio.retention import Retention

from tests.integration.own_services import OwnService, own_s3
from tests.integration.s3 import fresh_bucket_name


@pytest.fixture(scope="module")
def s3() -> Iterator[OwnService]:
    server = own_s3()
    with server.held():
        yield server


def client(server: OwnService) -> Minio:
    endpoint = f"127.0.0.1:{server.env['HOTICH_S3_PORT']}"
    return Minio(endpoint, "hotich-test", "hotich-test-secret", secure=False)


def test_a_restart_on_the_same_data_keeps_objects_and_their_retention(s3: OwnService) -> None:
    s3.start()
    bucket, key, content = fresh_bucket_name(), "scans/026/page.tif", b"II*\x00 a scanned page"
    minio = client(s3)
    minio.make_bucket(bucket, object_lock=True)
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(microsecond=0)
    minio.put_object(
        bucket, key, io.BytesIO(content), len(content), retention=Retention(GOVERNANCE, until)
    )

    s3.stop()
    s3.start("--keep-data")
    minio = client(s3)
    assert minio.get_object(bucket, key).read() == content
    retention = minio.get_object_retention(bucket, key)
    assert retention is not None
    assert retention.mode == GOVERNANCE

    s3.run("restart")
    assert client(s3).get_object(bucket, key).read() == content

    s3.stop()
    s3.start()  # throwaway: empty directories
    with pytest.raises(S3Error) as gone:
        client(s3).stat_object(bucket, key)
    assert gone.value.code == "NoSuchBucket"
