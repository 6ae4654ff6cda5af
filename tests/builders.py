"""Builders the integration and end-to-end tests share: who records, a catalogued book, an entry
keyed, verified or published, a scanned page, and the signed in-memory application with the
envelopes of its log.

Plain functions on a ``Digitisation`` (no fixtures), so that any test module can use them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from uuid import UUID

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image

from bootstrap.container import Container, bootstrap, init_home, load_admin_units
from bootstrap.settings import DEFAULT_ADMIN_UNITS, Settings
from digitization.application import Digitisation
from digitization.scans import PageUpload
from domain.actor import Actor, Role
from domain.civil_record import CorrectionKind
from domain.record_kind import RecordKind
from domain.register import Register
from infra.blobs.memory import InMemoryBlobStore
from infra.signing.keyring import EventSigner, key_id_of
from infra.store.mapper import SignedEnvelopeMapper
from infra.store.seal_checks import SealChecker
from infra.store.sealing import SignedSealing
from projections.envelope import Envelope

CLERK = Actor("clerk.026.1", Role.CLERK)
CLERK_2 = Actor("clerk.026.2", Role.CLERK)  # keys a second time what CLERK keyed
VERIFIER = Actor("verifier.026.1", Role.VERIFIER)
MA_LE = "00718"  # a commune of Huyện Đồng Văn (026)


Fields = dict[str, Any]  # an entry's fields as a clerk keys them
Pages = Sequence[int]  # the pages of the book an entry stands on


def catalogue_book(app: Digitisation, book_number: str, **different: Any) -> Register:
    """Book ``book_number`` catalogued by CLERK: births of Má Lé, 1990-1992, 20 pages, 40
    entries expected; ``different`` names what is not so (by catalogue_register's arguments)."""
    book: dict[str, Any] = dict(actor=CLERK, commune_code=MA_LE, kind=RecordKind.BIRTH)
    book.update(year_from=1990, year_to=1992, page_count=20, estimated_entries=40)
    return app.catalogue_register(book_number=book_number, **{**book, **different})


def catalogue_over_http(client: httpx.Client, book_number: str, **different: Any) -> str:
    """Book ``book_number`` catalogued through POST /registers, as catalogue_book catalogues
    one (births of Má Lé, 1990-1992, 20 pages, 40 entries) but for ``different``; its id."""
    book: dict[str, Any] = dict(commune_code=MA_LE, kind="birth", year_from=1990, year_to=1992)
    book.update(book_number=book_number, page_count=20, estimated_entries=40)
    response = client.post("/registers", json={**book, **different})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def keyed(app: Digitisation, book: UUID, n: int, fields: Fields, pages: Pages = (1,)) -> UUID:
    """Entry ``n`` of ``book``, on ``pages``, keyed by CLERK."""
    entry = app.key_entry(
        actor=CLERK, register_id=book, entry_number=n, pages=list(pages), fields=fields
    )
    return entry.id


def verified(app: Digitisation, book: UUID, n: int, fields: Fields, pages: Pages = (1,)) -> UUID:
    """Entry ``n`` keyed, keyed again alike by CLERK_2, and verified by VERIFIER."""
    entry_id = keyed(app, book, n, fields, pages)
    app.second_key_entry(actor=CLERK_2, entry_id=entry_id, fields=fields)
    app.verify_entry(actor=VERIFIER, entry_id=entry_id)
    return entry_id


def published(app: Digitisation, book: UUID, n: int, fields: Fields, pages: Pages = (1,)) -> UUID:
    """Entry ``n`` keyed, keyed again alike, verified and published (five events)."""
    entry_id = verified(app, book, n, fields, pages)
    app.publish_entry(actor=VERIFIER, entry_id=entry_id)
    return entry_id


class Decision(NamedTuple):
    """The decision a cải chính follows."""

    decision_number: str
    decision_date: str
    decision_issuer: str


DONG_VAN_DECISION = Decision("12/QĐ-UBND", "2020-05-04", "UBND huyện Đồng Văn")


def correct(
    app: Digitisation,
    entry_id: UUID,
    changes: Fields,
    reason: str,
    decision: Decision | None = None,
) -> None:
    """A correction of ``changes`` to the entry, made by CLERK: a cải chính following
    ``decision``, or without one a transcription fix."""
    kind = CorrectionKind.TRANSCRIPTION_FIX if decision is None else CorrectionKind.CAI_CHINH
    by_decision = {} if decision is None else decision._asdict()
    app.correct_entry(
        actor=CLERK, entry_id=entry_id, kind=kind, changes=changes, reason=reason, **by_decision
    )


def write_png(path: Path, shade: int, size: tuple[int, int] = (24, 32)) -> bytes:
    """A grey PNG of ``shade`` written to ``path``; its bytes."""
    Image.new("L", size, color=shade).save(path, format="PNG")
    return path.read_bytes()


def upload_scan(
    app: Digitisation,
    register_id: UUID,
    page: int,
    path: Path,
    *,
    actor: Actor = CLERK,
    rescan_reason: str | None = None,
) -> PageUpload:
    """The scan in ``path`` uploaded as ``page`` of the book (its size and SHA-256 from the
    file, as the HTTP layer measures them); what ``upload_page`` answered."""
    content = path.read_bytes()
    return app.upload_page(
        actor=actor,
        register_id=register_id,
        page_number=page,
        path=path,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        rescan_reason=rescan_reason,
    )


def upload_png(
    app: Digitisation,
    register_id: UUID,
    page: int,
    path: Path,
    shade: int,
    *,
    size: tuple[int, int] = (24, 32),
    rescan_reason: str | None = None,
) -> PageUpload:
    """A grey PNG of ``shade`` written to ``path`` and uploaded as ``page`` of the book."""
    write_png(path, shade, size)
    return upload_scan(app, register_id, page, path, rescan_reason=rescan_reason)


def new_signer() -> EventSigner:
    """A signer with a fresh Ed25519 key."""
    key = Ed25519PrivateKey.generate()
    return EventSigner(key_id_of(key.public_key()), key)


def signed_memory_app(signer: EventSigner | None = None) -> Digitisation:
    """The use cases on eventsourcing's in-memory store, every event sealed by ``signer`` (a new
    key by default), scans kept in memory."""
    return Digitisation(
        {"PERSISTENCE_MODULE": "eventsourcing.popo"},
        units=load_admin_units(DEFAULT_ADMIN_UNITS),
        sealing=SignedSealing(signer or new_signer()),
        blobs=InMemoryBlobStore(),
    )


def logged_envelopes(app: Digitisation, after: int = 0) -> Iterator[tuple[Envelope, int]]:
    """Every envelope of a signed application's log after position ``after``, opened as a
    runner opens it, with its position; read 500 at a time."""
    while notifications := app.recorder.select_notifications(start=after + 1, limit=500):
        for n in notifications:
            yield Envelope.from_json(app.mapper.open_envelope(n)), n.id  # type: ignore[attr-defined]
        after = notifications[-1].id


def seal_checker(container: Container, workers: int = 0) -> SealChecker:
    """What a runner decodes the container's log with: every envelope opened and its seal
    checked with the container's public keys (in ``workers`` processes, if any)."""
    mapper = container.app.mapper
    assert isinstance(mapper, SignedEnvelopeMapper)
    return SealChecker(mapper, container.keyring.public_keys(), workers=workers)


@contextmanager
def fresh_container(home: Path, **settings: Any) -> Iterator[Container]:
    """A new home and the container on it, closed afterwards: the embedded default (SQLite and
    local blobs whatever the environment says, the store encrypted at rest), the demo off, but
    for ``settings``."""
    chosen = Settings(home=home, demo=False, database_url=None, s3_endpoint=None, **settings)
    init_home(chosen)
    container = bootstrap(chosen)
    try:
        yield container
    finally:
        container.close()
