"""Domain events (领域事件): the audit trail of who did what, when, from which state to which."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from attrs import define, field, frozen

from yiyangkang.domain.kernel.errors import ConcurrentUpdate


@frozen
class Actor:
    """Who caused a change: an account, or the system itself (batch jobs, imports, devices)."""

    id: str
    role: str

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(id=name, role="system")


@frozen
class DomainEvent:
    """Something that happened to one aggregate. `before`/`after` hold only the changed fields,
    with personal data already masked: the audit trail is read by auditors, not by the data owner."""

    name: str  # e.g. "elder.registered", "account.locked"
    aggregate: str  # e.g. "elder"
    aggregate_id: str
    actor: Actor
    occurred_at: datetime
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str = ""


@define(slots=False, kw_only=True)
class Aggregate:
    """Base of aggregates: an id, an optimistic-lock version, and the events not yet persisted.

    Subclasses name their `kind`, list the fields worth auditing in `snapshot()`, and say which of
    them are personal data in `masked_fields`; `record_created` and `change` then write the events.
    """

    kind: ClassVar[str] = "aggregate"
    masked_fields: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}

    id: str
    version: int = 0
    _pending: list[DomainEvent] = field(factory=list, init=False, repr=False, eq=False)

    def record(self, event: DomainEvent) -> None:
        self._pending.append(event)

    def pull_events(self) -> list[DomainEvent]:
        events, self._pending = self._pending, []
        return events

    def expect_version(self, expected: int | None) -> None:
        """Refuse a change made against a stale copy (the client sends the version it saw)."""
        if expected is not None and expected != self.version:
            raise ConcurrentUpdate(details={"id": self.id, "version": self.version})

    def snapshot(self) -> dict[str, Any]:
        """The audited fields and their current values."""
        return {}

    def _masked(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self.masked_fields[k](v) if k in self.masked_fields else v for k, v in values.items()}

    def note(
        self, name: str, actor: Actor, at: datetime, *, before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None, reason: str = "",
    ) -> None:
        """Record a named event about this aggregate (personal data in before/after gets masked)."""
        self.record(
            DomainEvent(
                name=f"{self.kind}.{name}", aggregate=self.kind, aggregate_id=self.id, actor=actor,
                occurred_at=at, before=None if before is None else self._masked(before),
                after=None if after is None else self._masked(after), reason=reason,
            )
        )

    def record_created(self, actor: Actor, at: datetime, name: str = "created", reason: str = "") -> None:
        self.note(name, actor, at, after=self.snapshot(), reason=reason)

    def change(
        self, changes: Mapping[str, Any], actor: Actor, at: datetime, name: str = "updated",
        reason: str = "",
    ) -> bool:
        """Apply already-validated field changes; record an event naming what really changed."""
        before = self.snapshot()
        for key, value in changes.items():
            setattr(self, key, value)
        after = self.snapshot()
        keys = [k for k in after if before.get(k) != after.get(k)]
        if not keys:
            return False
        self.note(name, actor, at, before={k: before.get(k) for k in keys},
                  after={k: after[k] for k in keys}, reason=reason)
        return True
