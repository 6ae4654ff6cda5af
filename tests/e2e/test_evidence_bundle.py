"""An evidence bundle binds every member of it: served by a real stack (embedded, and PostgreSQL
with the real S3 server), each of its members edited (a character, a number, a boolean, a
null) or dropped, and a member added to each of its objects, makes docs/check_evidence.py fail
naming the member (or the event, key or proof it belongs to), with the keys pinned and without;
the bundle untouched passes. Each event's inclusion proof is the log's own answer, and the
README's commands (openssl, Go's logcheck) check the same checkpoint and proofs.

The stack's keeper signs once an hour here, so the test decides what the checkpoint holds: it
signs one itself, then publishes a correction, whose events the bundle must call not yet
checkpointed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import UUID

import pytest

from api.schemas import (
    EventProofPublic,
    EvidenceBundlePublic,
    EvidenceKeyPublic,
    EvidenceLogPublic,
    EvidenceRecordPublic,
    InclusionProofPublic,
    ProvenanceEventPublic,
)
from bootstrap.log import build_log
from projections.portal_records import PORTAL_HIDDEN_FIELDS
from tests import builders as build
from tests.e2e.served_process import ROOT
from tests.e2e.stack import Stack, running_stack
from tests.e2e.test_portal_http import CHECKER, PO, birth
from tests.logcheck import built_logcheck

README = ROOT / "README.md"
HEX = "0123456789abcdef"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
Path_ = tuple[str | int, ...]


def load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_evidence", CHECKER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_evidence"] = module  # dataclasses and annotations look it up
    spec.loader.exec_module(module)
    return module


checker = load_checker()


@dataclass
class Served:
    stack: Stack
    dir: Path
    bundles: dict[str, dict[str, Any]]  # by entry: plain, reconciled, corrected, pending
    published_keys: dict[str, Any]
    log_key: str

    def save(self, name: str, data: Any) -> Path:
        path = self.dir / name
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return path


@pytest.fixture(scope="module", params=["embedded", "production"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    home = tmp_path_factory.mktemp(f"evidence-{request.param}")
    with running_stack(request.param, home, log_interval=3600) as stack:
        app = stack.container.app
        register = build.catalogue_book(app, "E01").id
        page = home / "page-1.png"
        build.upload_png(app, register, 1, page, 60, size=(60, 80))
        entries = {
            "plain": build.published(app, register, 1, PO),  # with a clerk's note
            "reconciled": reconciled(stack, register),
            "corrected": build.published(app, register, 3, birth("Lò Văn An")),
            "pending": build.published(app, register, 4, birth("Sùng Thị Mai")),
        }
        correct_and_publish(stack, entries["corrected"], {"child.full_name": "Lò Văn Ân"})
        log = build_log(stack.container)  # signs as the keeper would, when the test says
        try:
            log.catch_up()
            assert log.sign_checkpoint() is not None
        finally:
            log.close()
        correct_and_publish(stack, entries["pending"], {"child.birth_date": "13/03/1991"})
        stack.wait_for_views()
        with stack.client("portal.dvc") as portal:
            bundles = {}
            for name, entry in entries.items():
                response = portal.get(f"/portal/records/{entry}/evidence")
                assert response.status_code == 200, response.text
                bundles[name] = response.json()
            published_keys = portal.get("/keys").json()
            log_key = portal.get("/log/key").text.strip()
        yield Served(stack, home, bundles, published_keys, log_key)


def reconciled(stack: Stack, register: UUID) -> UUID:
    """Entry 2, keyed twice with different sexes, reconciled, verified, published."""
    app = stack.container.app
    fields = birth("Vàng Thị Dung")
    entry = build.keyed(app, register, 2, fields)
    app.second_key_entry(actor=build.CLERK_2, entry_id=entry, fields={**fields, "child.sex": "nam"})
    app.reconcile_entry(actor=build.VERIFIER, entry_id=entry, resolutions={"child.sex": "nữ"})
    app.verify_entry(actor=build.VERIFIER, entry_id=entry)
    app.publish_entry(actor=build.VERIFIER, entry_id=entry)
    return entry


def correct_and_publish(stack: Stack, entry: UUID, changes: dict[str, Any]) -> None:
    app = stack.container.app
    build.correct(app, entry, changes, "Sửa lỗi nhập liệu")
    app.verify_entry(actor=build.VERIFIER, entry_id=entry)
    app.publish_entry(actor=build.VERIFIER, entry_id=entry)


def check(served: Served, bundle: Any, *args: str) -> subprocess.CompletedProcess[str]:
    path = served.save("bundle.json", bundle)
    command = [sys.executable, "-I", str(CHECKER), str(path), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def pinned(served: Served) -> list[str]:
    keys = served.save("keys.json", served.published_keys)
    return ["--keys", str(keys), "--log-key", served.log_key]


# ----- what a bundle holds --------------------------------------------------------------------
def test_a_served_bundle_checks_and_its_proofs_are_the_logs_answers(served: Served) -> None:
    with served.stack.client("portal.dvc") as portal, served.stack.client("admin.tinh") as admin:
        newest = portal.get("/log/checkpoint").text
        for name, bundle in served.bundles.items():
            EvidenceBundlePublic.model_validate(bundle)
            record, log = bundle["record"], bundle["log"]
            assert set(record) == set(EvidenceRecordPublic.model_fields)
            assert log["verifier_key"] == served.log_key
            assert log["checkpoint"] == newest  # no witness here: the note as the log signed it
            assert [p["version"] for p in log["proofs"]] == [e["version"] for e in bundle["events"]]
            for proof, event in zip(log["proofs"], bundle["events"], strict=True):
                if proof["not_yet_checkpointed"]:
                    assert proof["leaf_index"] is None
                    assert proof["inclusion_proof"] is None
                    continue
                index, size = proof["leaf_index"], proof["inclusion_proof"]["size"]
                answer = portal.get("/log/proof/inclusion", params={"index": index, "size": size})
                assert proof["inclusion_proof"] == answer.json()
                leaf = admin.get(f"/log/leaves/{index}").json()
                assert (leaf["aggregate_id"], leaf["version"]) == (record["id"], event["version"])
            result = check(served, bundle, *pinned(served))
            assert result.returncode == 0, (name, result.stdout + result.stderr)
            assert result.stdout.startswith(f"OK record {record['id']}: "), result.stdout
            assert "pass --keys" not in result.stdout
            assert "pass --log-key" not in result.stdout
    plain, corrected, pending = (served.bundles[n] for n in ("plain", "corrected", "pending"))
    assert "notes" not in plain["record"]["fields"]
    assert "notes" in plain["events"][0]["payload"]["fields"]
    assert corrected["record"]["publication_count"] == 2
    assert corrected["record"]["fields"]["child.full_name"] == "Lò Văn Ân"
    assert [p["not_yet_checkpointed"] for p in corrected["log"]["proofs"]] == [False] * 7
    assert [p["not_yet_checkpointed"] for p in pending["log"]["proofs"]] == [False] * 4 + [True] * 3
    names = [e["event_type"].rsplit(".")[-1] for e in served.bundles["reconciled"]["events"]]
    assert "DiscrepancyReconciled" in names


def test_events_not_yet_in_a_checkpoint_are_said_so_and_can_be_required(served: Served) -> None:
    pending = served.bundles["pending"]
    result = check(served, pending, *pinned(served))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 of 7 events proved" in result.stdout
    assert "versions 5, 6, 7 not yet in a signed checkpoint" in result.stdout
    strict = check(served, pending, *pinned(served), "--all-in-log")
    assert strict.returncode == 1
    assert "FAIL log: versions 5, 6, 7 are not yet in a signed checkpoint" in strict.stdout
    assert check(served, served.bundles["plain"], *pinned(served), "--all-in-log").returncode == 0

    before_any = json.loads(json.dumps(pending))  # as served before the log's first checkpoint
    before_any["log"]["checkpoint"] = None
    for proof in before_any["log"]["proofs"]:
        proof.update(leaf_index=None, inclusion_proof=None, not_yet_checkpointed=True)
    problems, summary = checker.check_bundle(before_any, served.published_keys, served.log_key)
    assert problems == []
    assert "no signed checkpoint yet" in summary
    problems, _ = checker.check_bundle(
        before_any, served.published_keys, served.log_key, all_in_log=True
    )
    assert problems == ["log: versions 1, 2, 3, 4, 5, 6, 7 are not yet in a signed checkpoint"]


def test_unpinned_keys_are_said_so_and_other_keys_fail(served: Served) -> None:
    plain = served.bundles["plain"]
    result = check(served, plain)
    assert result.returncode == 0
    assert "keys as given in the bundle: pass --keys" in result.stdout
    assert "log key as given in the bundle: pass --log-key" in result.stdout
    other = "hotich.example/other+" + served.log_key.split("+", 1)[1]
    wrong_log = check(served, plain, "--log-key", other)
    assert wrong_log.returncode == 1
    assert "FAIL log verifier_key " in wrong_log.stdout
    assert "is not the log key given (--log-key)" in wrong_log.stdout
    stranger = served.save("stranger.json", {"format": "hotich.keys/1", "keys": []})
    wrong_keys = check(served, plain, "--keys", str(stranger))
    assert wrong_keys.returncode == 1
    assert "not one of the published keys" in wrong_keys.stdout


# ----- every member bound -----------------------------------------------------------------------
def other_character(text: str, at: int, *, low_bit: bool = False) -> str:
    c = text[at]
    if low_bit:  # the last base64 digit before padding: its low bits may be unused
        new = B64[B64.index(c) ^ 1]
    elif c in HEX:
        new = HEX[(HEX.index(c) + 1) % 16]
    elif c in B64:
        new = B64[(B64.index(c) + 1) % 64]
    else:
        new = "x" if c != "x" else "y"
    return text[:at] + new + text[at + 1 :]


def edits(value: Any) -> list[Any]:
    """One-character, one-number, one-boolean changes of a JSON leaf."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1]
    if value is None:
        return [0, "x"]
    assert isinstance(value, str)
    if not value:
        return ["x"]
    changed = {other_character(value, at) for at in {0, len(value) // 2, len(value) - 1}}
    for at in range(len(value) - 1):  # before each base64 padding
        if value[at + 1] == "=" and value[at] in B64:
            changed.add(other_character(value, at, low_bit=True))
    return sorted(changed)


def nodes(value: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, value
    if isinstance(value, dict):
        for name, member in value.items():
            yield from nodes(member, (*path, name))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from nodes(item, (*path, i))


def named(path: Path_) -> tuple[str, ...]:
    """What a failure must name (every one of these words, in one line) for a change at path."""
    head = str(path[0])
    if head == "events":
        return (f"event version {int(path[1]) + 1}",) if len(path) > 1 else ("event",)
    if head == "keys":
        return ("keys",)
    if head == "log":
        if len(path) > 2 and path[1] == "proofs":
            return (f"log proof of version {int(path[2]) + 1}",)
        return ("log", *(str(p) for p in path[1:2]))
    if head == "record" and len(path) > 2 and path[1] == "fields":
        return (f"field {path[2]}",)
    if head == "record" and len(path) > 2 and path[1] == "provenance":
        return (f"provenance of version {int(path[2]) + 1}",)
    if head == "record":
        return ("record", *(str(p) for p in path[1:2]))
    return (head,)


def copy_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def at(bundle: Any, path: Path_) -> Any:
    for step in path:
        bundle = bundle[step]
    return bundle


def changes(bundle: dict[str, Any]) -> Iterator[tuple[str, tuple[str, ...], Any]]:
    """(what was done, what a failure must name, the changed bundle) for every member: each
    leaf edited, each object or list replaced by a number, each member dropped, a member
    added to each object."""
    for path, value in nodes(bundle):
        if isinstance(value, dict):
            grown = copy_json(bundle)
            at(grown, path)["zz"] = 1
            yield f"add zz to {path}", named((*path, "zz")), grown
        if not path:
            continue
        parent, last = path[:-1], path[-1]
        for edited in edits(value) if not isinstance(value, dict | list) else [0]:
            changed = copy_json(bundle)
            at(changed, parent)[last] = edited
            yield f"{path}: {value!r} -> {edited!r}", named(path), changed
        dropped = copy_json(bundle)
        del at(dropped, parent)[last]
        yield f"drop {path}", named(path if isinstance(last, str) else parent), dropped


@pytest.mark.parametrize("pins", ["pinned", "unpinned"])
def test_every_member_of_a_bundle_edited_or_dropped_fails_naming_it(
    served: Served, pins: str
) -> None:
    keys, log_key = (served.published_keys, served.log_key) if pins == "pinned" else (None, None)
    missed: list[str] = []
    tried = 0
    for name, bundle in served.bundles.items():
        problems, _ = checker.check_bundle(bundle, keys, log_key)
        assert problems == [], (name, problems)
        for what, words, changed in changes(bundle):
            tried += 1
            problems, _ = checker.check_bundle(changed, keys, log_key)
            if not any(all(w in p for w in words) for p in problems):
                missed.append(f"{name}: {what}: expected {words} in {problems}")
    assert tried > 1000
    assert not missed, "\n".join(missed[:40]) + f"\n({len(missed)} of {tried})"


def test_an_edited_bundle_fails_on_the_command_line_naming_what_changed(served: Served) -> None:
    bundle = copy_json(served.bundles["corrected"])
    bundle["record"]["provenance"][1]["actor"]["id"] = "clerk.026.9"
    bundle["log"]["proofs"][2]["inclusion_proof"]["hashes"][0] = "A" * 43 + "="
    result = check(served, bundle, *pinned(served))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("FAIL log proof of version 3: inclusion_proof does not lead from leaf")
        for line in lines
    ), lines
    bundle = copy_json(served.bundles["corrected"])
    bundle["record"]["provenance"][1]["actor"]["id"] = "clerk.026.9"
    result = check(served, bundle, *pinned(served))
    assert result.returncode == 1
    assert "provenance of version 2: actor is {'id': 'clerk.026.9'" in result.stdout


def test_the_checker_knows_the_bundle_format_the_service_serves() -> None:
    assert set(checker.PORTAL_HIDDEN_FIELDS) == set(PORTAL_HIDDEN_FIELDS)
    assert set(checker.BUNDLE_MEMBERS) == set(EvidenceBundlePublic.model_fields)
    assert set(checker.RECORD_MEMBERS) == set(EvidenceRecordPublic.model_fields)
    assert set(checker.PROVENANCE_MEMBERS) == set(ProvenanceEventPublic.model_fields)
    assert set(checker.KEY_MEMBERS) == set(EvidenceKeyPublic.model_fields)
    assert set(checker.LOG_MEMBERS) == set(EvidenceLogPublic.model_fields)
    assert set(checker.PROOF_MEMBERS) == set(EventProofPublic.model_fields)
    assert set(checker.INCLUSION_MEMBERS) == set(InclusionProofPublic.model_fields)


# ----- the README's commands --------------------------------------------------------------------
def readme_block(containing: str) -> str:
    """The README's shell block (section 'Checking an evidence bundle') holding ``containing``."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Checking an evidence bundle") :]
    section = section[: section.index("\n## ")]
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if containing in b]
    assert len(blocks) == 1, containing
    return blocks[0]


def run(script: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", "set -eu\n" + script],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", **env},
    )


def test_the_readmes_openssl_steps_check_the_checkpoint_and_each_inclusion(
    served: Served,
) -> None:
    script = readme_block("openssl pkeyutl -verify -pubin -keyform DER")
    bundle = served.bundles["corrected"]
    served.save("bundle.json", bundle)
    for i in range(len(bundle["events"])):
        step = script.replace("[1]", f"[{i}]")
        result = run(step, served.dir)
        assert result.returncode == 0, (i, result.stdout + result.stderr)
        assert result.stdout.splitlines() == [
            "Signature Verified Successfully",
            "in the log's tree",
        ]
    changed = copy_json(bundle)
    changed["events"][1]["hash"] = changed["events"][2]["hash"]  # another event's leaf
    served.save("bundle.json", changed)
    assert run(script, served.dir).returncode != 0
    changed = copy_json(bundle)
    changed["log"]["checkpoint"] = changed["log"]["checkpoint"].replace("\n", "\n\n", 1)
    served.save("bundle.json", changed)
    assert "Signature Verification Failure" in run(script, served.dir).stdout


@pytest.fixture(scope="module")
def logcheck() -> Path:
    return built_logcheck()


def test_the_readmes_logcheck_steps_check_the_bundle_with_go(
    served: Served, logcheck: Path
) -> None:
    script = readme_block("logcheck inclusion").replace("tools/logcheck/logcheck", str(logcheck))
    bundle = served.bundles["plain"]
    served.save("bundle.json", bundle)
    result = run(script, served.dir, HOTICH=served.stack.base_url)
    assert result.returncode == 0, result.stdout + result.stderr
    proof = bundle["log"]["proofs"][1]
    size = proof["inclusion_proof"]["size"]
    assert f"leaf {proof['leaf_index']} (leaf hash " in result.stdout
    assert f"is in the tree of size {size}" in result.stdout
    assert f"extends the tree of size {size}" in result.stdout

    def changed(edit: Callable[[dict[str, Any]], None]) -> int:
        other = copy_json(bundle)
        edit(other)
        served.save("bundle.json", other)
        return run(script, served.dir, HOTICH=served.stack.base_url).returncode

    def other_event(b: dict[str, Any]) -> None:
        b["events"][1]["hash"] = b["events"][0]["hash"]

    def other_root(b: dict[str, Any]) -> None:
        lines = b["log"]["checkpoint"].split("\n")
        lines[2] = other_character(lines[2], 0)
        b["log"]["checkpoint"] = "\n".join(lines)

    assert changed(other_event) == 1
    assert changed(other_root) == 1
