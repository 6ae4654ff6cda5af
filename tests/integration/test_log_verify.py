"""`hotich verify` holds the store to the verifiable log, and to checkpoints kept elsewhere: a
store that lost its newest events, a whole aggregate, or was put back to an earlier copy of
itself fails, naming what is missing, even when the intruder also dropped the log's tables.
On SQLite and a real PostgreSQL server, with encryption at rest on."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from typer.testing import CliRunner

from bootstrap.container import Container, bootstrap
from bootstrap.log import build_log
from bootstrap.settings import Settings
from bootstrap.verify import verify_log
from cli.main import app as cli
from domain.record_kind import RecordKind
from infra.tlog.log import LogIntegrityError
from tests.builders import catalogue_book
from tests.integration.raw_store import RawStore
from tests.integration.test_verify_tamper import build_store


def signed_checkpoint(container: Container, where: Path) -> Path:
    """The log brought up to the store and signed; its checkpoint kept in a file elsewhere."""
    log = build_log(container)
    try:
        log.catch_up()
        stored = log.sign_checkpoint()
        assert stored is not None
        where.write_text(stored.note, "utf-8")
    finally:
        log.close()
    return where


def check(settings: Settings, kept: Path) -> list[str]:
    return verify_log(settings, against=[kept], log_key=None).problems


@pytest.fixture
def kept(container: Container, tmp_path: Path) -> Path:
    """The store of ``build_store``, the log signed over it and the checkpoint kept in a file
    elsewhere; the container closed, the store left to the test to tamper with."""
    build_store(container)
    kept = signed_checkpoint(container, tmp_path / "checkpoint.txt")
    container.close()
    return kept


def test_an_untouched_store_checks_against_its_checkpoints(settings: Settings, kept: Path) -> None:
    audit = verify_log(settings, against=[kept], log_key=None)
    assert audit.ok, audit.problems
    assert (audit.events, audit.tree_size, audit.checkpoints) == (13, 13, 1)
    result = CliRunner().invoke(cli, ["verify", "--no-progress", "--against", str(kept)])
    assert result.exit_code == 0, result.output


def test_the_newest_events_deleted_are_caught_even_with_the_log_dropped(
    settings: Settings, kept: Path
) -> None:
    raw = RawStore(settings)
    raw.delete_newest(2)
    assert any("2 events are missing from the store" in p for p in check(settings, kept))
    raw.wipe_log()
    [problem] = check(settings, kept)
    assert "checkpoint kept elsewhere of size 13" in problem
    assert "the store holds only 11 events, 2 of the events it covered are missing" in problem
    result = CliRunner().invoke(cli, ["verify", "--no-progress", "--against", str(kept)])
    assert result.exit_code == 1
    assert "2 of the events it covered are missing" in result.output + (result.stderr or "")


def test_a_deleted_aggregate_is_caught_even_with_the_log_dropped(
    container: Container, settings: Settings, tmp_path: Path
) -> None:
    entry_id: UUID = build_store(container)
    kept = signed_checkpoint(container, tmp_path / "checkpoint.txt")
    container.close()
    raw = RawStore(settings)
    raw.delete_aggregate(entry_id)
    problems = check(settings, kept)
    assert any("which the store no longer holds" in p for p in problems), problems
    raw.wipe_log()
    [problem] = check(settings, kept)
    assert "the store holds only 9 events, 4 of the events it covered are missing" in problem


def another_book(container: Container, number: str) -> None:
    catalogue_book(
        container.app,
        number,
        kind=RecordKind.DEATH,
        year_to=1991,
        page_count=10,
        estimated_entries=5,
    )


def test_a_store_put_back_to_an_earlier_copy_is_caught(
    container: Container, settings: Settings, tmp_path: Path
) -> None:
    build_store(container)
    signed_checkpoint(container, tmp_path / "early.txt")
    container.close()
    raw = RawStore(settings)
    raw.snapshot()  # a backup; the service goes on after it
    later = bootstrap(settings)
    another_book(later, "02")
    kept = signed_checkpoint(later, tmp_path / "late.txt")  # a witness keeps this one
    later.close()
    raw.restore()  # the store is put back to the backup: its own log agrees with it
    assert verify_log(settings, against=[], log_key=None).ok
    [problem] = check(settings, kept)
    assert "size 14: the store holds only 13 events, 1 of the events it covered" in problem
    again = bootstrap(settings)  # and goes on from there, with other events
    another_book(again, "03")
    signed_checkpoint(again, tmp_path / "now.txt")
    again.close()
    [problem] = check(settings, kept)
    assert "size 14: its root is not that of the store's first 14 events" in problem


def test_the_keeper_takes_no_event_once_the_store_lost_events_the_log_holds(
    container: Container, settings: Settings
) -> None:
    """The newest events deleted (SQLite then gives their ids to the next ones): the keeper
    refuses to go on, naming why, rather than skip events or hide the gap."""
    build_store(container)
    log = build_log(container)
    try:
        log.catch_up()
        RawStore(settings).delete_newest(2)
        another_book(container, "07")
        with pytest.raises(LogIntegrityError, match="events were deleted from the store"):
            log.catch_up()
    finally:
        log.close()
