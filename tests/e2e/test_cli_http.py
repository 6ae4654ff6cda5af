"""The CLI against a running hotich: folder upload with resume and retries, and keying."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app as cli
from tests.e2e.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack("embedded", tmp_path_factory.mktemp("home")) as s:
        yield s


def run(stack: Stack, user: str, *args: str) -> tuple[int, str]:
    env = {"HOTICH_API_URL": stack.base_url, "HOTICH_TOKEN": stack.tokens[user], "COLUMNS": "200"}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output + (result.stderr or "")


def scans(folder: Path, numbers: range, shade: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        buffer = io.BytesIO()
        Image.new("L", (400, 500), color=(shade + n * 7) % 256).save(buffer, format="TIFF")
        (folder / f"{n:04d}.tif").write_bytes(buffer.getvalue())


def catalogue(stack: Stack, book: str) -> str:
    code, output = run(
        stack,
        "clerk.026.1",
        "registers",
        "catalogue",
        "--commune",
        "00718",
        "--kind",
        "birth",
        "--year-from",
        "1995",
        "--year-to",
        "1996",
        "--book",
        book,
        "--pages",
        "50",
        "--entries",
        "10",
    )
    assert code == 0, output
    match = re.search(r"register ([0-9a-f-]{36})", output)
    assert match, output
    return match.group(1)


def test_upload_of_a_folder_resumes_after_an_interruption(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_id = catalogue(stack, "cli-1")
    folder = tmp_path / "scans"
    scans(folder, range(1, 7))
    calls = {"n": 0}
    real_request = httpx.Client.request

    def interrupted(self: httpx.Client, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 4:  # the listing, two batches of two pages, then the power goes out
            raise KeyboardInterrupt
        return real_request(self, method, url, **kwargs)

    monkeypatch.setattr(httpx.Client, "request", interrupted)
    args = ("upload", str(folder), "--register", register_id, "--batch", "2")
    code, _ = run(stack, "clerk.026.1", *args)
    assert code != 0
    monkeypatch.setattr(httpx.Client, "request", real_request)
    assert len(stack.container.app.get_register(UUID(register_id)).pages) == 4

    code, output = run(stack, "clerk.026.1", *args)
    assert code == 0, output
    assert "uploaded 2, already stored 4, failed 0" in output
    assert sorted(stack.container.app.get_register(UUID(register_id)).pages) == [1, 2, 3, 4, 5, 6]


def test_upload_retries_a_lost_connection_and_records_each_page_once(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register_id = catalogue(stack, "cli-2")
    folder = tmp_path / "scans"
    scans(folder, range(1, 3), shade=100)
    real_request = httpx.Client.request
    failed: list[str] = []

    def flaky(self: httpx.Client, method: str, url: Any, **kwargs: Any) -> httpx.Response:
        if method == "POST" and str(url) not in failed:
            failed.append(str(url))
            real_request(self, method, url, **kwargs)  # the server records the page...
            raise httpx.ReadError("connection reset")  # ...but the answer is lost
        return real_request(self, method, url, **kwargs)

    monkeypatch.setattr(httpx.Client, "request", flaky)
    monkeypatch.setattr("cli.client.time.sleep", lambda _: None)
    code, output = run(stack, "clerk.026.1", "upload", str(folder), "--register", register_id)
    assert code == 0, output
    register = stack.container.app.get_register(UUID(register_id))
    assert sorted(register.pages) == [1, 2]
    assert register.version == 3  # catalogued + two pages, nothing twice


def test_a_folder_with_a_file_that_is_no_scan_reports_it_and_fails(
    stack: Stack, tmp_path: Path
) -> None:
    register_id = catalogue(stack, "cli-3")
    folder = tmp_path / "scans"
    scans(folder, range(1, 3), shade=200)
    (folder / "0003.tif").write_text("not a scan")
    code, output = run(stack, "clerk.026.1", "upload", str(folder), "--register", register_id)
    assert code == 1
    assert "0003.tif" in output
    assert "uploaded 2, already stored 0, failed 1" in output


def _entry_id(output: str) -> str:
    match = re.search(r"entry ([0-9a-f-]{36})", output)
    assert match, output
    return match.group(1)


def test_the_keying_workflow_from_the_command_line(stack: Stack) -> None:
    register_id = catalogue(stack, "cli-4")
    code, output = run(
        stack,
        "clerk.026.1",
        "entries",
        "key",
        "--register",
        register_id,
        "--number",
        "1",
        "--pages",
        "1",
        "--set",
        "child.full_name=Sùng Thị Mỷ",
        "--set",
        "child.sex=nữ",
        "--set",
        "child.birth_date=3/1995",
        "--set",
        "registration_date=1995-05-02",
    )
    assert code == 0, output
    assert "keyed" in output
    entry_id = _entry_id(output)
    code, output = run(
        stack,
        "clerk.026.2",
        "entries",
        "second-key",
        entry_id,
        "--fields",
        '{"child.full_name": "Sùng Thị Mỹ", "child.sex": "female", '
        '"child.birth_date": "1995-03", "registration_date": "02/05/1995"}',
    )
    assert "discrepancies_found" in output
    assert "discrepancy child.full_name" in output
    code, output = run(
        stack,
        "verifier.026.1",
        "entries",
        "reconcile",
        entry_id,
        "--set",
        "child.full_name=Sùng Thị Mỷ",
    )
    assert "reconciled" in output, output
    code, output = run(stack, "clerk.026.1", "entries", "verify", entry_id)
    assert code == 1  # a clerk may not verify
    assert "403" in output
    code, output = run(
        stack, "verifier.026.1", "entries", "verify", entry_id, "--expected-version", "1"
    )
    assert code == 1
    assert "409" in output
    code, output = run(stack, "verifier.026.1", "entries", "verify", entry_id)
    assert "verified" in output, output
    code, output = run(stack, "verifier.026.1", "entries", "publish", entry_id)
    assert code == 0, output
    assert "published" in output
    assert stack.container.app.get_entry(UUID(entry_id)).published_fields is not None


def test_fixity_command_passes_then_names_a_damaged_scan(stack: Stack, tmp_path: Path) -> None:
    register_id = catalogue(stack, "cli-5")
    folder = tmp_path / "scans"
    scans(folder, range(1, 3), shade=50)
    assert run(stack, "clerk.026.1", "upload", str(folder), "--register", register_id)[0] == 0
    env = {"HOTICH_HOME": str(stack.container.settings.home), "COLUMNS": "250"}
    result = CliRunner().invoke(cli, ["fixity", "--register", register_id], env=env)
    assert result.exit_code == 0, result.output
    assert "pass" in result.output

    from infra.blobs.local import LocalDirBlobStore

    blobs = stack.container.app.blobs
    assert isinstance(blobs, LocalDirBlobStore)
    key = stack.container.app.get_register(UUID(register_id)).pages[2]["object_key"]
    blobs.path_of(key).chmod(0o644)
    blobs.path_of(key).write_bytes(b"II*\x00 damaged")
    result = CliRunner().invoke(cli, ["fixity", "--register", register_id], env=env)
    assert result.exit_code == 1
    assert key in result.output
    assert "FAIL" in result.output
