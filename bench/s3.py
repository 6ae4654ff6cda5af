"""The S3 server the upload benchmark compares hotich with: its settings (the HOTICH_TEST_S3_*
of services/s3.sh), which server it is, and uploads straight to it through the Minio
client, in buckets made for the run and removed after it."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException

from bench.workspace import required_env

ROOT = Path(__file__).resolve().parents[1]
S3_SCRIPT = ROOT / "services" / "s3.sh"
VERSITYGW = ROOT / ".services" / "bin" / "versitygw"
S3_ENV = ("HOTICH_TEST_S3_ENDPOINT", "HOTICH_TEST_S3_ACCESS_KEY", "HOTICH_TEST_S3_SECRET_KEY")
UPLOAD_PART_SIZE = 5 * 1024 * 1024  # what infra/blobs/minio.py uses (one part at a time)


@dataclass(frozen=True)
class S3:
    endpoint: str
    access_key: str
    secret_key: str

    def client(self) -> Minio:
        return Minio(self.endpoint, self.access_key, self.secret_key, secure=False)

    def server_env(self, bucket: str) -> dict[str, str]:
        """The settings of `hotich serve` keeping its scans in ``bucket`` of this server."""
        return {
            "HOTICH_S3_ENDPOINT": self.endpoint,
            "HOTICH_S3_ACCESS_KEY": self.access_key,
            "HOTICH_S3_SECRET_KEY": self.secret_key,
            "HOTICH_S3_BUCKET": bucket,
            "HOTICH_S3_SECURE": "false",  # the loopback test server speaks plain HTTP
            "HOTICH_RETENTION_MODE": "GOVERNANCE",  # the bench's buckets are thrown away
            "HOTICH_RETENTION_DAYS": "0",
        }


def s3_from_env() -> S3:
    hint = (
        "run `make bench`, or `bash services/s3.sh start` "
        "then `eval \"$(bash services/s3.sh env | sed 's/^/export /')\"`"
    )
    endpoint, access_key, secret_key = required_env(*S3_ENV, hint=hint)
    return S3(endpoint, access_key, secret_key)


def describe_s3(s3: S3) -> str:
    """Which S3 server answers at the endpoint: versitygw of s3.sh (with its version) or unknown."""
    status = subprocess.run(
        ["bash", str(S3_SCRIPT), "status"], capture_output=True, text=True, check=False
    )
    port = s3.endpoint.rsplit(":", 1)[-1]
    if status.returncode != 0 or f"127.0.0.1:{port}," not in status.stdout:
        return f"an S3 server at {s3.endpoint} (not the one services/s3.sh started)"
    version = "version unknown"
    with contextlib.suppress(OSError):
        # Go embeds the module versions in the binary (what `go version -m` prints).
        found = re.search(
            rb"\nmod\tgithub\.com/versity/versitygw\t(v[^\t\n]+)", VERSITYGW.read_bytes()
        )
        if found:
            version = found.group(1).decode()
    return f"versitygw {version} (services/s3.sh, posix backend) at {s3.endpoint}"


def fresh_name(what: str) -> str:
    return f"bench-{what}-{uuid.uuid4().hex[:16]}"


def make_locked_bucket(s3: Minio) -> str:
    bucket = fresh_name("direct")
    s3.make_bucket(bucket, object_lock=True)  # as the adapter does (object lock: versioning)
    return bucket


def put_direct(s3: Minio, bucket: str, path: Path) -> None:
    """`fput_object` of a scan as the adapter puts it (its part size, one part at a time)."""
    s3.fput_object(
        bucket,
        f"scans/{path.name}",
        str(path),
        content_type="image/tiff",
        part_size=UPLOAD_PART_SIZE,
        num_parallel_uploads=1,
    )


def purge_buckets(s3: Minio, buckets: list[str]) -> None:
    """Delete every object version and the buckets (the S3 data is throwaway; saves disk)."""
    for bucket in buckets:
        try:
            for _ in range(5):  # list first, then delete: listing while deleting skips some
                versions = {
                    (obj.object_name, obj.version_id)
                    for obj in s3.list_objects(bucket, recursive=True, include_version=True)
                    if obj.object_name is not None
                }
                if not versions:
                    break
                for name, version_id in versions:
                    s3.remove_object(bucket, name, version_id=version_id)
            s3.remove_bucket(bucket)
        except (MinioException, urllib3.exceptions.HTTPError, ValueError) as e:
            print(f"  (could not remove bucket {bucket}: {e})", file=sys.stderr)
