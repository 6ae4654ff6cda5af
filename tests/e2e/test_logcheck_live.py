"""The independent Go verifier (tools/logcheck, no hotich code in it) against a live server: the
checkpoint hotich serves at /log/checkpoint with its /log/key, an inclusion proof of an
event's hash taken from the store, a consistency proof between two checkpoints served at
different times, and the tiles served; and a changed byte in each (the checkpoint's signature,
its root, the proof, the leaf) rejected. On the embedded default (SQLite) and on PostgreSQL
with the S3 server."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest

from infra.store.evidence import stored_envelopes
from tests.e2e.stack import Stack, running_stack
from tests.logcheck import accepted, built_logcheck, rejected

_books = itertools.count(1)


@pytest.fixture(scope="module", params=["embedded", "production"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    built_logcheck()  # before the server starts: a failed build fails here
    home = tmp_path_factory.mktemp(f"logcheck-{request.param}")
    with running_stack(request.param, home, log_interval=0.1) as s:
        yield s


def catalogue(stack: Stack, count: int) -> list[str]:
    """``count`` new registers (one event each), by a clerk over HTTP."""
    ids = []
    with stack.client("clerk.026.1") as clerk:
        for _ in range(count):
            response = clerk.post(
                "/registers",
                json={
                    "commune_code": "00718",
                    "kind": "birth",
                    "year_from": 1990,
                    "year_to": 1992,
                    "book_number": f"lc{next(_books):03d}",
                    "page_count": 10,
                    "estimated_entries": 10,
                },
            )
            assert response.status_code == 201, response.text
            ids.append(str(response.json()["id"]))
    return ids


def served_checkpoint(base_url: str, size: int, timeout: float = 30) -> str:
    """GET /log/checkpoint, once the keeper has signed the tree of ``size`` leaves."""
    deadline = time.monotonic() + timeout
    while True:
        response = httpx.get(f"{base_url}/log/checkpoint", timeout=10)
        if response.status_code == 200 and response.text.split("\n")[1] == str(size):
            assert response.headers["content-type"].startswith("text/plain")
            return response.text
        assert time.monotonic() < deadline, f"no checkpoint of size {size}: {response.text}"
        time.sleep(0.05)


def flip_base64(text: str, at: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def test_the_go_verifier_checks_what_a_live_hotich_serves(stack: Stack, tmp_path: Path) -> None:
    def write(name: str, content: str | dict[str, object]) -> str:
        path = tmp_path / name
        path.write_text(json.dumps(content) if isinstance(content, dict) else content)
        return str(path)

    catalogue(stack, 5)
    old_note = served_checkpoint(stack.base_url, 5)
    key = httpx.get(f"{stack.base_url}/log/key").text.strip()
    old = write("old.txt", old_note)
    out = accepted("checkpoint", "--key", key, old)
    assert out.startswith("origin hotich.example/ha-giang\nsize 5\nroot ")

    catalogue(stack, 4)  # the log grows; a second checkpoint, served later
    new_note = served_checkpoint(stack.base_url, 9)
    new = write("new.txt", new_note)
    accepted("checkpoint", "--key", key, new)

    # an event's hash, from the store, and its leaf's inclusion proof, from the server
    index = 6
    with stack.client("admin.tinh") as admin:
        leaf = admin.get(f"/log/leaves/{index}").json()
    aggregate_id, version = UUID(leaf["aggregate_id"]), int(leaf["version"])
    envelope = stored_envelopes(stack.container.app, aggregate_id, version)[-1]
    event_hash = envelope["hash"]
    proof = httpx.get(f"{stack.base_url}/log/proof/inclusion?index={index}&size=9").json()
    inclusion = ["inclusion", "--key", key, "--checkpoint", new, "--index", str(index)]
    accepted(*inclusion, "--event-hash", event_hash, "--proof", write("incl.json", proof))
    consistency = httpx.get(f"{stack.base_url}/log/proof/consistency?from=5&to=9").json()
    between = ["consistency", "--key", key, "--old", old, "--new", new]
    out = accepted(*between, "--proof", write("cons.json", consistency))
    assert out == "the tree of size 9 extends the tree of size 5\n"
    tiles = ["tiles", "--key", key, "--url", f"{stack.base_url}/log", "--checkpoint", new]
    accepted(*tiles, "--index", str(index), "--event-hash", event_hash)

    # a changed byte in each: the checkpoint's signature and root, the proofs, the leaf
    body, signature_line = new_note.split("\n\n")
    origin, size, root = body.split("\n")
    prefix, _, signature = signature_line.rstrip("\n").rpartition(" ")
    bad_signature = write("bad-sig.txt", f"{body}\n\n{prefix} {flip_base64(signature, 40)}\n")
    bad_root = write(
        "bad-root.txt", f"{origin}\n{size}\n{flip_base64(root, 0)}\n\n{signature_line}"
    )
    for changed in (bad_signature, bad_root):
        rejected("checkpoint", "--key", key, changed)
        rejected(*between[:-1], changed, "--proof", write("cons.json", consistency))
    incl_args = [*inclusion, "--event-hash", event_hash, "--proof"]
    at_root = [*incl_args[:4], bad_root, *incl_args[5:]]  # the checkpoint with its root changed
    rejected(*at_root, write("i.json", proof))
    for at, hashed in enumerate(proof["hashes"]):
        hashes = [*proof["hashes"][:at], flip_base64(hashed, 31), *proof["hashes"][at + 1 :]]
        rejected(*incl_args, write("i.json", {**proof, "hashes": hashes}))
    changed_event = bytearray(bytes.fromhex(event_hash))
    changed_event[0] ^= 0x01
    rejected(*inclusion, "--event-hash", changed_event.hex(), "--proof", write("i.json", proof))
    changed_leaf = {**proof, "leaf_hash": flip_base64(proof["leaf_hash"], 5)}
    rejected(*incl_args, write("i.json", changed_leaf))
    for at, hashed in enumerate(consistency["hashes"]):
        hashes = [
            *consistency["hashes"][:at],
            flip_base64(hashed, 0),
            *consistency["hashes"][at + 1 :],
        ]
        rejected(*between, "--proof", write("c.json", {**consistency, "hashes": hashes}))
    assert proof["hashes"]
    assert consistency["hashes"]
