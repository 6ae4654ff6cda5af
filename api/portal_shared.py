"""What the portal's JSON routes and its pages share: the read audit, and how a signed extract
is sent."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from fastapi.responses import StreamingResponse

from api.deps import Services
from domain.access import User
from domain.actor import Role
from projections.portal_audit import PortalAudit, PortalRead

SHA256_PATTERN = r"^[0-9a-f]{64}$"


def record_read(
    audit: PortalAudit, user: User, action: str, query: dict[str, Any], ids: Sequence[UUID]
) -> None:
    """Store who asked what and which records the answer holds, before it is answered (raises
    AuditUnavailableError if it cannot)."""
    audit.record(
        PortalRead(
            request_id=uuid.uuid4().hex,
            at=dt.datetime.now(dt.UTC),
            actor_id=user.id,
            actor_role=user.role.value,
            action=action,
            query={k: v for k, v in query.items() if v is not None},
            record_ids=tuple(ids),
        )
    )


def record_extract_request(
    services: Services, user: User, action: str, query: dict[str, Any], ids: Sequence[UUID]
) -> None:
    """A portal user's request about extracts goes to the portal's read audit (staff's do not:
    the events record what they issue)."""
    if user.role is Role.PORTAL and services.portal_audit is not None:
        record_read(services.portal_audit, user, action, query, ids)


def extract_download(
    entry_number: int, sha256: str, size: int, chunks: Iterator[bytes]
) -> StreamingResponse:
    """An issued extract, as a PDF to save (``trich-luc-<number>-<sha256 prefix>.pdf``)."""
    name = f"trich-luc-{entry_number}-{sha256[:12]}.pdf"
    return StreamingResponse(
        chunks,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(size),
            "X-Content-Type-Options": "nosniff",
        },
    )
