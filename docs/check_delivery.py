#!/usr/bin/env python3
"""Check a book delivered by hotich without hotich: Python 3.9+, `cryptography`, and the
evidence checker's modules beside this file (evidence_json.py: RFC 8785 and the event hash;
evidence_keys.py: the published keys).

    python3 check_delivery.py FOLDER --keys keys.json

FOLDER holds what ``hotich books export`` (or ``GET /registers/{id}/delivery.zip``) gave: the
workbook, the ZIP of PDFs and ``manifest.json``. Checked:

1. the manifest's ``hash`` is SHA-256 (hex) of the RFC 8785 canonical JSON of the manifest
   without ``hash`` and ``signature``, and ``signature`` an Ed25519 signature of those 32 bytes
   by a key of ``--keys`` (the service's ``GET /keys`` or ``hotich keys export``, obtained
   separately), as for an event;
2. every file the manifest lists is in FOLDER with that SHA-256 and size, and every PDF in
   the ZIP is listed with its SHA-256 and size; no other file is in the ZIP;
3. each entry names a PDF the ZIP holds, and its event hashes end with the published event's.

Exit status: 0 when everything checks, 1 when something does not, 2 when a file is unreadable.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

sys.path.insert(0, str(Path(__file__).resolve().parent))
from evidence_json import content_hash
from evidence_keys import published_keys

SPEC = "hotich.delivery/1"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_seal(manifest: dict[str, Any], keys: dict[str, bytes]) -> list[str]:
    digest = content_hash(manifest)  # as an event's: without hash and signature
    if manifest.get("hash") != digest:
        return ["manifest: hash does not match its content (it was changed)"]
    signature = manifest.get("signature") or {}
    key = keys.get(signature.get("key_id"))
    if key is None:
        return [f"manifest: signed by key {signature.get('key_id')!r}, which is not published"]
    try:
        value = base64.b64decode(signature.get("value", ""), validate=True)
        Ed25519PublicKey.from_public_bytes(key).verify(value, bytes.fromhex(digest))
    except (InvalidSignature, ValueError):
        return ["manifest: the signature does not check"]
    return []


def check_files(manifest: dict[str, Any], folder: Path) -> list[str]:
    problems = []
    pdfs: set[str] = set()
    for item in manifest.get("files", []):
        path = folder / item["name"]
        if not path.is_file():
            problems.append(f"{item['name']}: missing")
            continue
        data = path.read_bytes()
        if (_sha256(data), len(data)) != (item["sha256"], item["size"]):
            problems.append(f"{item['name']}: SHA-256 or size differs from the manifest")
        if "members" not in item:
            continue
        listed = {m["name"]: m for m in item["members"]}
        pdfs |= set(listed)
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            for name in sorted(names - set(listed)):
                problems.append(f"{item['name']}: {name} is not in the manifest")
            for name, member in sorted(listed.items()):
                if name not in names:
                    problems.append(f"{item['name']}: {name} is missing")
                    continue
                content = archive.read(name)
                if (_sha256(content), len(content)) != (member["sha256"], member["size"]):
                    problems.append(f"{item['name']}: {name}: SHA-256 or size differs")
    for entry in manifest.get("entries", []):
        if entry.get("pdf") not in pdfs:
            problems.append(
                f"entry {entry.get('number')}: its PDF {entry.get('pdf')} is not listed"
            )
        if not entry.get("event_hashes"):
            problems.append(f"entry {entry.get('number')}: no event hashes")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--keys", type=Path, required=True, help="the service's GET /keys")
    args = parser.parse_args(argv)
    try:
        manifest = json.loads((args.folder / "manifest.json").read_text("utf-8"))
        keyset = json.loads(args.keys.read_text("utf-8"))
    except (OSError, ValueError) as e:
        print(f"cannot read: {e}", file=sys.stderr)
        return 2
    if not isinstance(manifest, dict) or manifest.get("spec") != SPEC:
        print(f"FAIL manifest: not a {SPEC} manifest")
        return 1
    problems: list[str] = []
    keys = published_keys(keyset, problems)
    problems += check_seal(manifest, keys)
    problems += check_files(manifest, args.folder)
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    book = manifest["book"]
    print(
        f"OK book {book['register_id']} ({book['kind']}, {book['book_number']}): "
        f"{len(manifest['entries'])} entries, {len(manifest['files'])} files, manifest signed "
        f"by {manifest['signature']['key_id']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
