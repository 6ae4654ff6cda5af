"""How `hotich upload` groups a folder's files into requests."""

from __future__ import annotations

from pathlib import Path

from cli.upload import BATCH_BYTES, ScanFile, batches
from digitization.intake import HOLD_BYTES


def files(*sizes: int) -> list[ScanFile]:
    return [ScanFile(Path(f"{n:04d}.tif"), size, f"{n:064x}") for n, size in enumerate(sizes)]


def sizes(groups: list[list[ScanFile]]) -> list[list[int]]:
    return [[f.size for f in group] for group in groups]


def test_pages_go_ten_to_a_request() -> None:
    assert sizes(list(batches(iter(files(*[500_000] * 23)), 10))) == [
        [500_000] * 10,
        [500_000] * 10,
        [500_000] * 3,
    ]


def test_a_request_holds_no_more_than_batch_bytes() -> None:
    page = BATCH_BYTES // 3
    assert sizes(list(batches(iter(files(page, page, page, page)), 10))) == [
        [page, page, page],
        [page],
    ]


def test_a_file_the_server_would_not_hold_goes_alone_to_be_streamed() -> None:
    big = HOLD_BYTES + 1
    assert sizes(list(batches(iter(files(10, 20, big, 30)), 10))) == [[10, 20], [big], [30]]
