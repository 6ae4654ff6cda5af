"""What every use case of :class:`~digitization.application.Digitisation` shares: the
eventsourcing Application with hotich's sealing, loading and saving aggregates, and the check
of who may act where.

A use case is called by a :class:`~domain.access.User` (an API or web request: role and
districts) or by a bare :class:`~domain.actor.Actor` (hotich's own processes: the CLI on the
server, the demo, tests), which acts with its role's permissions in every district.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    AggregateRecorder,
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Mapper,
    Transcoding,
)

from digitization.errors import NotFoundError, VersionConflictError
from digitization.media import ScanLimits
from digitization.ports import BlobStore, EventSealing
from digitization.scan_bytes import MemoryBudget
from domain.access import Permission, User, require
from domain.actor import Actor
from domain.admin_units import AdminUnits
from domain.civil_record import CivilRecord
from domain.plan import DigitisationPlan
from domain.register import Register

A = TypeVar("A", Register, CivilRecord, DigitisationPlan)
Principal = User | Actor  # who calls a use case
MAX_RETRIES = 5


class _ActorAsDict(Transcoding):
    """Lets the plain (unsealed) mapper store actors; the signed mapper has its own envelope."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return obj.to_json()

    def decode(self, data: dict[str, Any]) -> Actor:
        return Actor.from_json(data)


def as_user(principal: Principal) -> User:
    return principal if isinstance(principal, User) else User.acting_everywhere(principal)


class DigitisationService(Application[UUID]):
    """The event store, the ports, and the checks every use case makes."""

    name = "Digitisation"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        units: AdminUnits,
        sealing: EventSealing | None = None,
        blobs: BlobStore | None = None,
        scan_limits: ScanLimits | None = None,
        upload_memory: MemoryBudget | None = None,
    ) -> None:
        self.units = units
        self._sealing = sealing
        self.blobs = blobs
        self.scan_limits = scan_limits or ScanLimits()
        self.upload_memory = upload_memory or MemoryBudget()
        super().__init__(env)

    # ----- wiring seams ---------------------------------------------------------------------
    def construct_mapper(self) -> Mapper[UUID]:
        if self._sealing is None:
            return super().construct_mapper()
        return self._sealing.construct_mapper(self.factory)

    def construct_event_store(self) -> EventStore[UUID]:
        if self._sealing is None:
            return super().construct_event_store()
        recorder: AggregateRecorder = self.recorder
        return self._sealing.construct_event_store(self.mapper, recorder)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(_ActorAsDict())

    # ----- who may act where ----------------------------------------------------------------
    @staticmethod
    def _acting(principal: Principal, permission: Permission) -> User:
        """The caller as a user whose role may do ``permission`` (else ForbiddenError)."""
        user = as_user(principal)
        require(user, permission)
        return user

    # ----- loading and saving ---------------------------------------------------------------
    def _load(
        self,
        cls: type[A],
        what: str,
        ident: UUID,
        expected_version: int | None = None,
        *,
        seen_by: User | None = None,
    ) -> A:
        """The aggregate; NotFoundError when absent, or outside ``seen_by``'s districts (so
        an id of another district answers as one that does not exist)."""
        try:
            aggregate: object = self.repository.get(ident)
        except AggregateNotFoundError:
            raise NotFoundError(what, ident) from None
        if not isinstance(aggregate, cls):
            raise NotFoundError(what, ident)
        if seen_by is not None and not seen_by.works_in(aggregate.district):
            raise NotFoundError(what, ident)
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflictError(what, ident, expected_version, aggregate.version)
        return aggregate

    def get_register(
        self,
        register_id: UUID,
        *,
        actor: Principal | None = None,
        purpose: Permission = Permission.READ,
    ) -> Register:
        """A book, for ``actor`` to read it or to act on it (``purpose``); one outside the
        actor's districts is not found. Without an actor: hotich's own reading."""
        return self._read(Register, "register", register_id, actor, purpose)

    def get_aggregate(
        self, aggregate_id: UUID, *, actor: Principal, purpose: Permission = Permission.READ
    ) -> Register | CivilRecord | DigitisationPlan:
        """Any book, entry or plan, for ``actor`` to read (as get_register and get_entry)."""
        user = self._acting(actor, purpose)
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFoundError("record", aggregate_id) from None
        if not isinstance(aggregate, Register | CivilRecord | DigitisationPlan):
            raise NotFoundError("record", aggregate_id)
        if not user.works_in(aggregate.district):
            raise NotFoundError("record", aggregate_id)
        return aggregate

    def _read(
        self,
        cls: type[A],
        what: str,
        ident: UUID,
        actor: Principal | None,
        purpose: Permission,
    ) -> A:
        user = None if actor is None else self._acting(actor, purpose)
        return self._load(cls, what, ident, seen_by=user)

    def _save_new(self, aggregate: Register | CivilRecord, duplicate: Exception) -> None:
        """Save a new aggregate; ``duplicate`` is raised when its id (made from its natural
        key) is taken, found before saving or by the store's uniqueness at saving."""
        if aggregate.id in self.repository:
            raise duplicate
        try:
            self.save(aggregate)
        except IntegrityError:
            raise duplicate from None

    def _save_changes(
        self, aggregate: Register | CivilRecord | DigitisationPlan, what: str
    ) -> None:
        try:
            self.save(aggregate)
        except IntegrityError:
            current: int = self.repository.get(aggregate.id).version
            raise VersionConflictError(what, aggregate.id, aggregate.version - 1, current) from None
