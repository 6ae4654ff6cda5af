"""The in-process runner with the seal checks in a worker process (``SealedEnvelopes(workers=1)``):
the next batch is checked while the runner applies the current one, and the views come out as
when every envelope is checked in the runner's own thread; a tampered stored event is
quarantined by the worker with its reason, and not applied."""

from __future__ import annotations

from pathlib import Path

from infra.bootstrap import Container
from infra.envelope_check import SealedEnvelopes
from infra.projection_runner import PollingProjectionRunner
from infra.store.mapper import SignedEnvelopeMapper
from tests.integration.raw_store import RawStore
from tests.integration.test_projections_kafka import (
    make_views,
    projections,
    record_workflow,
    snapshot,
)
from tests.integration.test_relay_kafka import container  # noqa: F401 - the fixture


def test_views_checked_by_a_worker_equal_views_checked_in_the_runners_thread(
    container: Container,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    keys = container.keyring.public_keys()
    entries = record_workflow(container) + record_workflow(container)
    in_thread = make_views(tmp_path / "in-thread")
    reference = PollingProjectionRunner(
        app, projections(in_thread), decode=SealedEnvelopes(app.mapper, keys), batch=7
    )
    reference.catch_up()
    checked = SealedEnvelopes(app.mapper, keys, workers=1)
    try:
        by_worker = make_views(tmp_path / "by-worker")
        runner = PollingProjectionRunner(app, projections(by_worker), decode=checked, batch=7)
        assert runner.catch_up() == app.recorder.max_notification_id()  # many batches
        assert snapshot(by_worker, entries) == snapshot(in_thread, entries)

        entries += record_workflow(container)
        assert runner.catch_up() == reference.catch_up() > 0  # from where the views are
        assert snapshot(by_worker, entries) == snapshot(in_thread, entries)
        assert runner.applied == reference.applied == app.recorder.max_notification_id()
        assert checked.quarantined == []
    finally:
        checked.close()


def test_a_tampered_event_is_quarantined_by_the_worker_and_not_applied(
    container: Container,  # noqa: F811
    tmp_path: Path,
) -> None:
    app = container.app
    assert isinstance(app.mapper, SignedEnvelopeMapper)
    entries = record_workflow(container)
    raw = RawStore(container.settings)
    cipher = app.mapper.cipher
    assert cipher is not None  # the store is encrypted at rest
    # a changed event, encrypted again: its hash fails
    _, state = raw.row(entries[0], 2)
    plain = cipher.decrypt(state)
    changed = plain.replace(b'"occurred_at":"2', b'"occurred_at":"1', 1)
    assert changed != plain
    raw.set_state(entries[0], 2, cipher.encrypt(changed))
    # changed ciphertext: it does not decrypt
    _, state = raw.row(entries[1], 1)
    raw.set_state(entries[1], 1, state[:-1] + bytes([state[-1] ^ 1]))

    checked = SealedEnvelopes(app.mapper, container.keyring.public_keys(), workers=1)
    try:
        views = make_views(tmp_path)
        runner = PollingProjectionRunner(app, projections(views), decode=checked, batch=5)
        total = app.recorder.max_notification_id()
        assert runner.catch_up() == total
    finally:
        checked.close()
    assert runner.applied == total - 2
    reasons = [reason for _, reason in checked.quarantined]
    assert len(reasons) == 2
    assert "hash does not match" in reasons[0]
    assert "cannot open the envelope" in reasons[1]
    _, _, history = views
    assert 2 not in [item.version for item in history.history(entries[0])]
    assert 1 not in [item.version for item in history.history(entries[1])]
