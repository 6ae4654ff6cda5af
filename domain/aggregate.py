"""Base aggregate: every event names its actor and the district it belongs to."""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from domain.actor import Actor


class HotichAggregate(Aggregate):
    """An aggregate whose events all carry ``actor`` and ``district``.

    ``district`` is the GSO code of the district-level unit the aggregate belongs to, or the
    province code for province-wide aggregates. It is stamped on every event from the
    aggregate's state, so command methods only name the actor.
    """

    district: str

    class Event(Aggregate.Event):
        actor: Actor
        district: str

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        kwargs.setdefault("district", self.district)
        super().trigger_event(event_class, **kwargs)
