"""The record of an evidence bundle against its (checked) events, for check_evidence.py beside
it: the aggregate, its publication and publication count, its book, number, kind and place, its
fields as the events give them at that publication, and each provenance item."""

from __future__ import annotations

from typing import Any

from evidence_json import is_integer, per_version, same, same_time

PORTAL_HIDDEN_FIELDS = frozenset({"notes"})  # keyed, never shown on the portal
RECORD_MEMBERS = (
    "id",
    "register_id",
    "entry_number",
    "kind",
    "district",
    "commune_code",
    "fields",
    "published_at",
    "published_version",
    "publication_count",
    "provenance",
)
PROVENANCE_MEMBERS = ("version", "event_type", "actor", "occurred_at", "hash", "key_id")


def event_name(event: dict[str, Any]) -> str:
    return str(event.get("event_type", "")).rsplit(".", 1)[-1]


def published_fields(events: list[dict[str, Any]], version: int) -> dict[str, Any] | None:
    """An entry's fields as published at ``version``, replayed from its events."""
    fields: dict[str, Any] = {}
    before: dict[str, Any] | None = None  # what a rejected correction restores
    published = None
    for event in events:
        name, payload = event_name(event), event.get("payload") or {}
        if name in ("EntryKeyed", "EntryRekeyed"):
            fields, before = dict(payload["fields"]), None
        elif name == "DiscrepancyReconciled":
            fields[payload["field"]] = payload["value"]
        elif name == "EntryCorrected":
            before = dict(fields) if before is None else before
            for path, change in payload["changes"].items():
                fields[path] = change["new"]
        elif name == "CorrectionRejected":
            fields, before = dict(before if before is not None else fields), None
        elif name == "EntryVerified":
            before = None
        elif name == "EntryPublished" and event.get("version") == version:
            published = {k: v for k, v in fields.items() if v is not None}
    return published


def check_fields(shown: Any, fields: dict[str, Any]) -> list[str]:
    """The record's fields against the published ones (the portal shows all but notes)."""
    if not isinstance(shown, dict):
        return ["fields is not a JSON object"]
    wrong: list[str] = []
    for path in sorted(set(shown) | set(fields)):
        if path in PORTAL_HIDDEN_FIELDS:
            if path in shown:
                wrong.append(f"field {path}: the portal does not show it")
        elif path not in fields:
            wrong.append(f"field {path}: not in the published entry")
        elif path not in shown:
            wrong.append(f"field {path}: published, yet missing from the record")
        elif not same(shown[path], fields[path]):
            wrong.append(f"field {path} is {shown[path]!r}; published: {fields[path]!r}")
    return wrong


def check_provenance(items: Any, events: list[dict[str, Any]]) -> list[str]:
    """Each provenance item against its event."""
    if not isinstance(items, list) or len(items) != len(events):
        return [f"provenance: one item per event ({len(events)}) is needed"]
    wrong: list[str] = []
    for _, item, event, label in per_version(
        items, events, PROVENANCE_MEMBERS, "provenance", wrong
    ):
        says = {
            "version": event["version"],
            "event_type": event["event_type"],
            "actor": event.get("actor"),
            "hash": event["hash"],
            "key_id": event["signature"]["key_id"],
        }
        for name, value in says.items():
            if not same(item[name], value):
                wrong.append(f"{label}: {name} is {item[name]!r}; the event says {value!r}")
        if not same_time(item["occurred_at"], event.get("occurred_at")):
            wrong.append(
                f"{label}: occurred_at is {item['occurred_at']!r}; the event says "
                f"{event.get('occurred_at')!r}"
            )
    return wrong


def check_record(record: dict[str, Any], events: list[dict[str, Any]]) -> tuple[list[str], str]:
    """What is wrong with the record given its (checked) events, and a note on what it omits."""
    wrong: list[str] = []
    first, last = events[0], events[-1]
    if not same(record["id"], first.get("aggregate_id")):
        wrong.append(f"id is {record['id']!r}; the events are of {first.get('aggregate_id')!r}")
    version = record["published_version"]
    if not same(last.get("version"), version) or event_name(last) != "EntryPublished":
        wrong.append(f"published_version is {version!r}: the last event is not that publication")
    elif not same_time(record["published_at"], last.get("occurred_at")):
        wrong.append("published_at is not when the last event published the entry")
    count = sum(event_name(e) == "EntryPublished" for e in events)
    if not same(record["publication_count"], count):
        wrong.append(
            f"publication_count is {record['publication_count']!r}; the events publish "
            f"the entry {count} time(s)"
        )
    keyed = first.get("payload") or {}
    claims = {
        "register_id": keyed.get("register_id"),
        "entry_number": keyed.get("entry_number"),
        "kind": keyed.get("kind"),
        "commune_code": keyed.get("commune_code"),
        "district": first.get("district"),
    }
    for name, value in claims.items():
        if not same(record[name], value):
            wrong.append(f"{name} is {record[name]!r}; the events say {value!r}")
    wrong += check_provenance(record["provenance"], events)
    fields = published_fields(events, version) if is_integer(version) else None
    if fields is None:
        return [*wrong, "the events hold no publication at published_version"], ""
    wrong += check_fields(record["fields"], fields)
    shown = record["fields"] if isinstance(record["fields"], dict) else {}
    hidden = sorted(set(fields) - set(shown))
    return wrong, (f"; not shown on the portal: {', '.join(hidden)}" if hidden else "")
