"""The witness's decisions, against a log served through httpx.MockTransport: real trees,
signed checkpoints and proofs (infra/tlog), the witness's state in a temporary directory.

It cosigns a log that grows and nothing else: a smaller tree, another root at the size it
accepted, a larger tree whose proof fails (or that the log cannot prove), a note the log's key
did not sign are alarms, recorded once each, and its last good checkpoint stays."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from infra.tlog.checkpoint import open_checkpoint
from infra.tlog.checkpoint_store import Checkpoints
from infra.tlog.cosignature import CosignatureVerifier, Cosigner
from infra.tlog.note import Ed25519NoteSigner, Note, NoteKeyError, parse_note
from infra.tlog.proofs import consistency_proof_json
from infra.tlog.tree_store import TreeStore
from infra.tlog.witness import AlarmKind, Outcome, Poll, Witness
from infra.tlog.witness_state import (
    ALARMS_FILE,
    CHECKPOINT_FILE,
    KEY_FILE,
    LOG_KEY_FILE,
    WitnessSetupError,
    WitnessState,
    load_cosigner,
)

ORIGIN = "hotich.example/ha-giang"
NAME = "stp.example/witness"
URL = "http://log.test/log"
TOKEN = "witness-token"


class FakeLog:
    """A log's tree and checkpoints in memory; ``leaves`` are made from ``seed``, so two logs
    of one key and different seeds are a fork."""

    def __init__(self, signer: Ed25519NoteSigner, seed: str = "a") -> None:
        self.seed = seed
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.tree = TreeStore()
        self.checkpoints = Checkpoints(self.tree, signer)
        self.tree.create_tables(self.conn)
        self.checkpoints.create_tables(self.conn)

    def grow(self, to: int) -> None:
        size = self.tree.size(self.conn)
        leaves = [
            (n, hashlib.sha256(f"{self.seed} {n}".encode()).digest())
            for n in range(size + 1, to + 1)
        ]
        self.tree.append(self.conn, leaves)
        self.checkpoints.sign_if_grown(self.conn)

    def note(self) -> str:
        stored = self.checkpoints.latest(self.conn)
        assert stored is not None
        return stored.cosigned_note()

    def proof(self, old: int, new: int) -> dict[str, object]:
        return consistency_proof_json(old, new, self.tree.consistency_proof(self.conn, old, new))


@dataclass
class Server:
    """What the mock transport answers: the current log, or replies put in ``replies``."""

    log: FakeLog
    witnesses: list[CosignatureVerifier]
    replies: dict[str, httpx.Response] = field(default_factory=dict)
    posted: list[str] = field(default_factory=list)
    served_note: str | None = None  # served instead of the log's checkpoint

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/log")
        if path in self.replies:
            return self.replies[path]
        if path == "/checkpoint":
            return httpx.Response(200, text=self.served_note or self.log.note())
        if path == "/proof/consistency":
            old, new = int(request.url.params["from"]), int(request.url.params["to"])
            if not 0 < old <= new <= self.log.tree.size(self.log.conn):
                return httpx.Response(400, json={"detail": "size out of range"})
            return httpx.Response(200, json=self.log.proof(old, new))
        if path == "/cosignatures":
            assert request.headers["authorization"] == f"Bearer {TOKEN}"
            body = request.content.decode()
            self.posted.append(body)
            note = parse_note(body)
            size = int(note.text.split("\n")[1])
            for signature in note.signatures:
                if any(w.key_id == signature.key_id for w in self.witnesses):
                    self.log.checkpoints.add_cosignature(
                        self.log.conn, size, signature.line(), self.witnesses
                    )
            return httpx.Response(200, json={"kept": 1})
        return httpx.Response(404)


@dataclass
class Setup:
    signer: Ed25519NoteSigner
    server: Server
    state_dir: Path
    witnesses: list[Witness] = field(default_factory=list)

    def witness(self, token: str | None = TOKEN) -> Witness:
        """The witness, opened afresh (as each `hotich witness --once` run is)."""
        for old in self.witnesses:
            old.close()
        state = WitnessState.open(self.state_dir, log_key=self.signer.verifier_key(), name=NAME)
        http = httpx.Client(base_url=URL, transport=httpx.MockTransport(self.server.handle))
        witness = Witness(state, URL, token=token, http=http)
        self.witnesses = [witness]
        return witness

    def poll(self) -> Poll:
        return self.witness().poll()

    def kept(self) -> str:
        return (self.state_dir / CHECKPOINT_FILE).read_text()

    def alarms(self) -> list[dict[str, object]]:
        path = self.state_dir / ALARMS_FILE
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    signer = Ed25519NoteSigner.generate(ORIGIN)
    state_dir = tmp_path / "witness"
    key = Cosigner.from_signer_key(_make_key(state_dir))
    made = Setup(signer, Server(FakeLog(signer), [key.verifier()]), state_dir)
    yield made
    for witness in made.witnesses:
        witness.close()


def _make_key(state_dir: Path) -> str:
    return load_cosigner(state_dir / KEY_FILE, NAME).signer_key()


def test_a_growing_log_is_cosigned_each_time_and_the_cosignature_posted(setup: Setup) -> None:
    setup.server.log.grow(0)  # the empty tree the keeper signs first
    first = setup.poll()
    assert (first.outcome, first.size, first.posted) == (Outcome.COSIGNED, 0, True)
    for size in (1, 2, 7, 8, 300):
        setup.server.log.grow(size)
        poll = setup.poll()
        assert (poll.outcome, poll.size, poll.posted) == (Outcome.COSIGNED, size, True), poll
        kept, _, verified = open_checkpoint(
            setup.kept(), setup.signer.verifier(), setup.server.witnesses
        )
        assert kept.size == size
        assert [s.name for s in verified] == [ORIGIN, NAME]
        assert setup.server.posted[-1] == setup.kept()  # the note it keeps is the one posted
    assert setup.poll().outcome is Outcome.UNCHANGED  # its cosignature is served: no post
    assert len(setup.server.posted) == 6
    assert setup.alarms() == []


def test_a_witness_without_a_token_keeps_its_copy_and_posts_nothing(setup: Setup) -> None:
    setup.server.log.grow(5)
    poll = setup.witness(token=None).poll()
    assert (poll.outcome, poll.posted) == (Outcome.COSIGNED, None)
    assert setup.server.posted == []
    assert open_checkpoint(setup.kept(), setup.signer.verifier())[0].size == 5


def test_a_cosignature_the_log_did_not_take_is_posted_again_later(setup: Setup) -> None:
    setup.server.log.grow(5)
    setup.server.replies["/cosignatures"] = httpx.Response(503, json={"detail": "away"})
    assert setup.poll().posted is False
    del setup.server.replies["/cosignatures"]
    again = setup.poll()
    assert (again.outcome, again.posted) == (Outcome.UNCHANGED, True)
    assert NAME in setup.server.log.note()
    assert setup.poll().posted is None  # served with it now


def assert_refused(setup: Setup, poll: Poll, kind: AlarmKind, kept: str) -> None:
    assert (poll.outcome, poll.alarm) == (Outcome.ALARM, kind), poll
    assert setup.kept() == kept  # the last good checkpoint stays
    assert setup.alarms()[-1]["kind"] == kind.value


def test_a_smaller_tree_is_refused_and_the_alarm_recorded_once(setup: Setup) -> None:
    setup.server.log.grow(10)
    setup.poll()
    kept = setup.kept()
    posted = len(setup.server.posted)
    rolled_back = FakeLog(setup.signer)  # an earlier copy of the same log
    rolled_back.grow(6)
    setup.server.log = rolled_back
    polls = [setup.poll() for _ in range(3)]
    for poll in polls:
        assert_refused(setup, poll, AlarmKind.SMALLER, kept)
    assert [poll.recorded for poll in polls] == [True, False, False]
    [alarm] = setup.alarms()  # the same served checkpoint: one record
    assert alarm["served"] == rolled_back.note()
    assert alarm["last_good"] == {
        "size": 10,
        "root": open_checkpoint(kept, setup.signer.verifier())[0].body().split("\n")[2],
        "note": kept,
    }
    rolled_back.grow(8)  # still smaller, another checkpoint: another record
    assert_refused(setup, setup.poll(), AlarmKind.SMALLER, kept)
    assert len(setup.alarms()) == 2
    assert len(setup.server.posted) == posted  # nothing refused was cosigned


def test_another_root_at_the_size_accepted_is_a_fork(setup: Setup) -> None:
    setup.server.log.grow(10)
    setup.poll()
    kept = setup.kept()
    forked = FakeLog(setup.signer, seed="b")
    forked.grow(10)
    setup.server.log = forked
    assert_refused(setup, setup.poll(), AlarmKind.FORK, kept)
    forked.grow(12)  # and past it: the proof from 10 cannot hold
    poll = setup.poll()
    assert_refused(setup, poll, AlarmKind.INCONSISTENT, kept)
    assert "does not extend" in poll.message
    assert setup.alarms()[-1]["proof"]  # the proof that failed is kept with the alarm
    setup.server.log = forked_back = FakeLog(setup.signer)  # the honest log again
    forked_back.grow(15)
    assert setup.poll().outcome is Outcome.COSIGNED  # it extends the last good one


def test_a_proof_that_fails_or_is_refused_is_an_alarm_a_server_error_is_not(setup: Setup) -> None:
    setup.server.log.grow(10)
    setup.poll()
    kept = setup.kept()
    setup.server.log.grow(20)
    proof = setup.server.log.proof(10, 20)
    hashes = list(proof["hashes"])  # type: ignore[call-overload]
    hashes[0] = hashes[1]
    setup.server.replies["/proof/consistency"] = httpx.Response(
        200, json={**proof, "hashes": hashes}
    )
    assert_refused(setup, setup.poll(), AlarmKind.INCONSISTENT, kept)
    setup.server.replies["/proof/consistency"] = httpx.Response(200, json={**proof, "from": 9})
    assert_refused(setup, setup.poll(), AlarmKind.INCONSISTENT, kept)
    setup.server.replies["/proof/consistency"] = httpx.Response(200, text="not json")
    assert_refused(setup, setup.poll(), AlarmKind.INCONSISTENT, kept)
    setup.server.replies["/proof/consistency"] = httpx.Response(400, json={"detail": "no"})
    assert_refused(setup, setup.poll(), AlarmKind.INCONSISTENT, kept)
    alarms = len(setup.alarms())
    setup.server.replies["/proof/consistency"] = httpx.Response(503, json={"detail": "busy"})
    assert setup.poll().outcome is Outcome.UNAVAILABLE
    setup.server.replies["/checkpoint"] = httpx.Response(502)
    assert setup.poll().outcome is Outcome.UNAVAILABLE
    setup.server.replies["/checkpoint"] = httpx.Response(404)  # after one was accepted
    assert setup.poll().outcome is Outcome.UNAVAILABLE
    assert len(setup.alarms()) == alarms  # no answer is not an alarm
    assert setup.kept() == kept
    setup.server.replies.clear()
    assert setup.poll().outcome is Outcome.COSIGNED


def test_a_checkpoint_the_log_did_not_sign_is_refused(setup: Setup) -> None:
    setup.server.log.grow(3)
    setup.poll()
    kept = setup.kept()
    setup.server.log.grow(4)
    impostor = FakeLog(Ed25519NoteSigner.generate(ORIGIN))  # the log's name, another key
    impostor.grow(4)
    setup.server.served_note = impostor.note()
    assert_refused(setup, setup.poll(), AlarmKind.SIGNATURE, kept)
    note = parse_note(setup.server.log.note())
    changed = note.text.replace("\n4\n", "\n5\n")
    setup.server.served_note = Note(changed, note.signatures).encode()
    assert_refused(setup, setup.poll(), AlarmKind.SIGNATURE, kept)
    setup.server.served_note = "<html>not a note</html>"
    assert_refused(setup, setup.poll(), AlarmKind.SIGNATURE, kept)


def test_no_checkpoint_yet_is_nothing_new(setup: Setup) -> None:
    setup.server.replies["/checkpoint"] = httpx.Response(404)
    assert setup.poll().outcome is Outcome.EMPTY
    assert not (setup.state_dir / CHECKPOINT_FILE).exists()


def test_the_state_keys_and_lock(setup: Setup, tmp_path: Path) -> None:
    key_file = setup.state_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    witness = setup.witness()
    assert (setup.state_dir / LOG_KEY_FILE).read_text().strip() == setup.signer.verifier_key()
    with pytest.raises(WitnessSetupError, match="another witness process"):
        WitnessState.open(setup.state_dir, log_key=None)
    witness.close()
    setup.witnesses = []
    WitnessState.open(setup.state_dir, log_key=None).close()  # the log's key is pinned
    other_log = Ed25519NoteSigner.generate("another.example/log").verifier_key()
    with pytest.raises(WitnessSetupError, match="witnesses the log of key"):
        WitnessState.open(setup.state_dir, log_key=other_log)
    with pytest.raises(WitnessSetupError, match="not 'someone-else'"):
        WitnessState.open(setup.state_dir, log_key=None, name="someone-else")
    with pytest.raises(WitnessSetupError, match="give --name"):
        WitnessState.open(tmp_path / "new", log_key=setup.signer.verifier_key())
    with pytest.raises(WitnessSetupError, match="give --log-key"):
        WitnessState.open(tmp_path / "new", log_key=None, name=NAME)
    vkey_file = tmp_path / "log.pub"
    vkey_file.write_text(setup.signer.verifier_key() + "\n")
    WitnessState.open(tmp_path / "from-file", log_key=str(vkey_file), name=NAME).close()
    # a checkpoint file changed by hand is refused rather than trusted
    setup.server.log.grow(2)
    setup.poll()
    setup.witnesses[0].close()
    setup.witnesses = []
    served = parse_note(setup.server.log.note())
    (setup.state_dir / CHECKPOINT_FILE).write_text(
        Note(served.text, served.signatures[:1]).encode()
    )
    with pytest.raises(WitnessSetupError, match="does not carry this witness's cosignature"):
        WitnessState.open(setup.state_dir, log_key=None)


def test_a_witness_key_reads_as_go_writes_it() -> None:
    """Type 0x04 as written here, or an Ed25519 note key (0x01); the key id must match."""
    cosigner = Cosigner.generate(NAME)
    again = Cosigner.from_signer_key(cosigner.signer_key())
    assert again.verifier_key() == cosigner.verifier_key()
    note_key = Ed25519NoteSigner(NAME, cosigner.private_key).signer_key()
    assert Cosigner.from_signer_key(note_key).verifier_key() == cosigner.verifier_key()
    wrong_id = cosigner.signer_key().replace(f"+{cosigner.key_id:08x}+", "+00000000+")
    with pytest.raises(NoteKeyError, match="does not match"):
        Cosigner.from_signer_key(wrong_id)
    with pytest.raises(NoteKeyError):
        Cosigner.from_signer_key("PRIVATE+KEY+name+-1234567+AAAA")
