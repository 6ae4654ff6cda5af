"""The independent Go verifier (tools/logcheck) accepts the checkpoints, cosignatures, proofs and
tiles hotich makes, and rejects each of them with one byte changed.

The verifier is built here from its sources; a failed build fails these tests (nothing is
skipped for want of Go)."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from infra.tlog.checkpoint_store import Checkpoints, StoredCheckpoint
from infra.tlog.cosignature import Cosigner
from infra.tlog.hashing import leaf_hash
from infra.tlog.note import Ed25519NoteSigner
from infra.tlog.proofs import consistency_proof_json, inclusion_proof_json
from infra.tlog.tiles import TilePathError, parse_tile_path
from infra.tlog.tree_store import Leaf, TreeStore
from tests.logcheck import built_logcheck

ORIGIN = "hotich.example/ha-giang"
SIZES = [1, 2, 7, 256, 257, 700, 1000]  # a checkpoint signed at each


@pytest.fixture(scope="module")
def logcheck() -> Path:
    return built_logcheck()


@dataclass
class Log:
    dir: Path
    conn: sqlite3.Connection
    store: TreeStore
    signer: Ed25519NoteSigner
    witnesses: list[Cosigner]
    leaves: list[Leaf]
    checkpoints: dict[int, StoredCheckpoint]

    @property
    def vkey(self) -> str:
        return self.signer.verifier_key()

    def args(self, command: str, *flags: str) -> list[str]:
        """logcheck ``command`` with this log's key, then ``flags``."""
        return [command, "--key", self.vkey, *flags]

    def write(self, name: str, content: str | bytes | dict[str, object]) -> str:
        path = self.dir / name
        if isinstance(content, dict):
            content = json.dumps(content)
        if isinstance(content, str):
            content = content.encode()
        path.write_bytes(content)
        return str(path)

    def checkpoint_file(self, size: int, *, cosigned: bool = False) -> str:
        stored = self.checkpoints[size]
        return self.write(f"checkpoint-{size}", stored.cosigned_note() if cosigned else stored.note)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Log]:
    """A log of 1,000 events (ids with gaps) with checkpoints at SIZES, cosigned by two
    witnesses."""
    directory = tmp_path_factory.mktemp("log")
    conn = sqlite3.connect(directory / "tlog.sqlite", isolation_level=None, check_same_thread=False)
    store = TreeStore()
    signer = Ed25519NoteSigner.generate(ORIGIN)
    checkpoints = Checkpoints(store, signer)
    store.create_tables(conn)
    checkpoints.create_tables(conn)
    leaves = [(n + n // 100, hashlib.sha256(b"event %d" % n).digest()) for n in range(1, 1001)]
    witnesses = [Cosigner.generate("witness.example/w1"), Cosigner.generate("witness.example/w2")]
    signed: dict[int, StoredCheckpoint] = {}
    for size in [0, *SIZES]:
        store.append(conn, leaves[store.size(conn) : size])
        stored = checkpoints.sign_if_grown(conn)
        assert stored is not None
        for witness in witnesses:
            line = witness.cosign(stored.checkpoint.body()).line()
            checkpoints.add_cosignature(conn, size, line, [w.verifier() for w in witnesses])
        signed[size] = checkpoints.get(conn, size)  # type: ignore[assignment]
    yield Log(directory, conn, store, signer, witnesses, leaves, signed)
    conn.close()


def run(logcheck: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(logcheck), *args], capture_output=True, text=True, timeout=60, check=False
    )


def accepted(logcheck: Path, *args: str) -> str:
    done = run(logcheck, *args)
    assert done.returncode == 0, f"logcheck refused: {done.stderr}"
    return done.stdout


def rejected(logcheck: Path, *args: str) -> str:
    done = run(logcheck, *args)
    assert done.returncode == 1, f"logcheck did not reject ({done.returncode}): {done.stdout}"
    assert done.stderr.startswith("logcheck ")  # says why
    return done.stderr


def flip_byte(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def flip_base64(text: str, at: int = 0) -> str:
    return base64.b64encode(flip_byte(base64.b64decode(text), at)).decode()


# -- checkpoints -----------------------------------------------------------------------------------


def test_checkpoints_and_cosignatures_are_accepted(logcheck: Path, log: Log) -> None:
    for size in [0, *SIZES]:
        stored = log.checkpoints[size]
        out = accepted(logcheck, *log.args("checkpoint", log.checkpoint_file(size)))
        root = base64.b64encode(stored.checkpoint.root).decode()
        assert out == f"origin {ORIGIN}\nsize {size}\nroot {root}\n"
        witnessed = ["--witness", log.witnesses[0].verifier_key()]
        witnessed += ["--witness", log.witnesses[1].verifier_key()]
        cosigned = log.checkpoint_file(size, cosigned=True)
        assert accepted(logcheck, *log.args("checkpoint", *witnessed, cosigned)) == out


def test_a_changed_checkpoint_is_rejected(logcheck: Path, log: Log) -> None:
    note = log.checkpoints[700].note
    body, signature_line = note.split("\n\n")
    origin, size, root = body.split("\n")
    prefix, _, signature = signature_line.rstrip("\n").rpartition(" ")
    changed = {
        "signature": f"{body}\n\n{prefix} {flip_base64(signature, 10)}\n",
        "key id": f"{body}\n\n{prefix} {flip_base64(signature, 0)}\n",
        "root": f"{origin}\n{size}\n{flip_base64(root, 31)}\n\n{signature_line}",
        "size": f"{origin}\n701\n{root}\n\n{signature_line}",
        "size with a leading zero": f"{origin}\n0700\n{root}\n\n{signature_line}",
        "origin": f"hotich.example/ha-giang2\n{size}\n{root}\n\n{signature_line}",
    }
    for what, text in changed.items():
        path = log.write("changed-checkpoint", text)
        assert rejected(logcheck, *log.args("checkpoint", path)), what
    other = Ed25519NoteSigner.generate(ORIGIN).verifier_key()  # same name, another key
    rejected(logcheck, "checkpoint", "--key", other, log.checkpoint_file(700))


def test_a_missing_or_changed_cosignature_is_rejected(logcheck: Path, log: Log) -> None:
    stranger = Cosigner.generate("witness.example/w3").verifier_key()
    error = rejected(
        logcheck,
        *log.args("checkpoint", "--witness", stranger, log.checkpoint_file(700, cosigned=True)),
    )
    assert "witness.example/w3" in error
    note = log.checkpoints[700].cosigned_note()
    last = note.rstrip("\n").rsplit("\n", 1)[1]
    prefix, _, signature = last.rpartition(" ")
    for at in (5, 20):  # the timestamp, the signature
        path = log.write(
            "changed-cosigned", note.replace(last, f"{prefix} {flip_base64(signature, at)}")
        )
        rejected(
            logcheck, *log.args("checkpoint", "--witness", log.witnesses[1].verifier_key(), path)
        )


# -- inclusion proofs ------------------------------------------------------------------------------


def inclusion_args(log: Log, index: int, size: int, proof: dict[str, object]) -> list[str]:
    return log.args(
        "inclusion",
        "--checkpoint",
        log.checkpoint_file(size),
        "--index",
        str(index),
        "--event-hash",
        log.leaves[index][1].hex(),
        "--proof",
        log.write(f"inclusion-{index}-{size}.json", proof),
    )


def make_inclusion(log: Log, index: int, size: int) -> dict[str, object]:
    hashes = log.store.inclusion_proof(log.conn, index, size)
    return inclusion_proof_json(index, size, log.store.leaf_hash(log.conn, index), hashes)


def test_inclusion_proofs_are_accepted(logcheck: Path, log: Log) -> None:
    for size in SIZES:
        for index in sorted({0, 1, size // 2, size - 2, size - 1} & set(range(size))):
            accepted(logcheck, *inclusion_args(log, index, size, make_inclusion(log, index, size)))
    leaf = leaf_hash(log.leaves[300][1]).hex()
    args = inclusion_args(log, 300, 1000, make_inclusion(log, 300, 1000))
    at = args.index("--event-hash")
    args[at : at + 2] = ["--leaf-hash-hex", leaf]
    accepted(logcheck, *args)


def test_a_changed_inclusion_proof_is_rejected(logcheck: Path, log: Log) -> None:
    index, size = 300, 1000
    proof = make_inclusion(log, index, size)
    hashes = proof["hashes"]
    assert isinstance(hashes, list)
    for at in range(len(hashes)):  # each hash of the path
        changed = [*hashes[:at], flip_base64(hashes[at], 7), *hashes[at + 1 :]]
        rejected(logcheck, *inclusion_args(log, index, size, {**proof, "hashes": changed}))
    rejected(logcheck, *inclusion_args(log, index, size, {**proof, "hashes": hashes[:-1]}))
    # the leaf: another event's hash on the command line, or in the proof, or in both
    args = inclusion_args(log, index, size, proof)
    at = args.index("--event-hash") + 1
    args[at] = flip_byte(log.leaves[index][1], 3).hex()
    rejected(logcheck, *args)
    leaf = proof["leaf_hash"]
    assert isinstance(leaf, str)
    rejected(logcheck, *inclusion_args(log, index, size, {**proof, "leaf_hash": flip_base64(leaf)}))
    other_leaf = base64.b64encode(leaf_hash(bytes.fromhex(args[at]))).decode()
    rejected(logcheck, *args[:-1], log.write("other-leaf.json", {**proof, "leaf_hash": other_leaf}))
    # the index, the size
    rejected(logcheck, *inclusion_args(log, index, size, {**proof, "index": 301}))
    wrong_index = inclusion_args(log, 301, size, {**proof, "index": 301})
    wrong_index[wrong_index.index("--event-hash") + 1] = log.leaves[index][1].hex()
    rejected(logcheck, *wrong_index)
    rejected(logcheck, *inclusion_args(log, index, size, {**proof, "size": 999}))
    rejected(logcheck, *inclusion_args(log, index, 700, proof))  # an older checkpoint


# -- consistency proofs ----------------------------------------------------------------------------


def consistency_args(log: Log, old: int, new: int, proof: dict[str, object]) -> list[str]:
    return log.args(
        "consistency",
        "--old",
        log.checkpoint_file(old),
        "--new",
        log.checkpoint_file(new),
        "--proof",
        log.write(f"consistency-{old}-{new}.json", proof),
    )


def make_consistency(log: Log, old: int, new: int) -> dict[str, object]:
    return consistency_proof_json(old, new, log.store.consistency_proof(log.conn, old, new))


def test_consistency_proofs_are_accepted(logcheck: Path, log: Log) -> None:
    sizes = [0, *SIZES]
    for old in sizes:
        for new in sizes:
            if old <= new:
                accepted(
                    logcheck, *consistency_args(log, old, new, make_consistency(log, old, new))
                )


def test_a_changed_consistency_proof_is_rejected(logcheck: Path, log: Log) -> None:
    old, new = 257, 1000
    proof = make_consistency(log, old, new)
    hashes = proof["hashes"]
    assert isinstance(hashes, list)
    for at in range(len(hashes)):
        changed = [*hashes[:at], flip_base64(hashes[at], 31), *hashes[at + 1 :]]
        rejected(logcheck, *consistency_args(log, old, new, {**proof, "hashes": changed}))
    rejected(logcheck, *consistency_args(log, old, new, {**proof, "hashes": hashes[1:]}))
    rejected(logcheck, *consistency_args(log, new, old, {"from": new, "to": old, "hashes": hashes}))
    rejected(logcheck, *consistency_args(log, old, 700, {**proof, "to": 700}))
    rejected(logcheck, *consistency_args(log, 256, new, {**proof, "from": 256}))


# -- tiles over HTTP -------------------------------------------------------------------------------


@pytest.fixture
def tile_server(log: Log) -> Iterator[tuple[str, dict[str, bytes]]]:
    """Serves the log at http://127.0.0.1:<port>/log/ (tlog-tiles paths); a response can be
    replaced by putting its path in the returned dict."""
    replaced: dict[str, bytes] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.removeprefix("/log/")
            body: bytes | None = replaced.get(path)
            if body is None and path == "checkpoint":
                body = log.checkpoints[1000].note.encode()
            elif body is None:
                try:
                    level, index, width = parse_tile_path(path)
                except TilePathError:
                    body = None
                else:
                    with lock:
                        body = log.store.tile(log.conn, level, index, width)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/log/", replaced
    server.shutdown()
    server.server_close()


def test_tiles_served_make_the_checkpoints_tree(
    logcheck: Path, log: Log, tile_server: tuple[str, dict[str, bytes]]
) -> None:
    url, _ = tile_server
    out = accepted(logcheck, *log.args("tiles", "--url", url))
    assert "size 1000" in out
    accepted(
        logcheck,
        *log.args("tiles", "--url", url, "--checkpoint", log.checkpoint_file(257)),
        *("--index", "256", "--event-hash", log.leaves[256][1].hex()),
    )


def test_a_changed_tile_is_rejected(
    logcheck: Path, log: Log, tile_server: tuple[str, dict[str, bytes]]
) -> None:
    url, replaced = tile_server
    full = log.store.tile(log.conn, 0, 1)
    assert full is not None
    replaced["tile/0/001"] = flip_byte(full, 100)
    args = log.args("tiles", "--url", url, "--index", "259", "--event-hash")
    rejected(logcheck, *args, log.leaves[259][1].hex())
    replaced.clear()
    accepted(logcheck, *args, log.leaves[259][1].hex())
    rejected(logcheck, *args, log.leaves[258][1].hex())  # not that leaf's event
    partial = log.store.tile(log.conn, 0, 3, 1000 - 3 * 256)
    assert partial is not None
    replaced["tile/0/003.p/232"] = flip_byte(partial, 0)
    rejected(logcheck, *log.args("tiles", "--url", url))
