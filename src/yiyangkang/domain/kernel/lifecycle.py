"""The lifecycle helper (生命周期): an Enum of states, one table of allowed moves, one move method.

Every stateful thing (bed application, contract, order, refund, alarm, booking, voucher, account)
declares a `Lifecycle` once:

    ACCOUNT_LIFECYCLE = Lifecycle("account", {
        AccountStatus.ACTIVE: {AccountStatus.LOCKED, AccountStatus.DISABLED},
        ...
    })

and changes state only through `ACCOUNT_LIFECYCLE.move(account, AccountStatus.LOCKED, ...)`, which
checks the table *before* touching anything, then sets the state and records an event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import Enum
from typing import Generic, Protocol, TypeVar

from attrs import frozen

from yiyangkang.domain.kernel.errors import InvalidTransition
from yiyangkang.domain.kernel.events import Actor, DomainEvent

S = TypeVar("S", bound=Enum)


class Stateful(Protocol[S]):
    id: str
    status: S

    def record(self, event: DomainEvent) -> None: ...


@frozen
class Lifecycle(Generic[S]):
    """A state machine as data: `allowed[source]` is the set of states reachable in one move."""

    name: str
    allowed: Mapping[S, frozenset[S]]

    @classmethod
    def of(cls, name: str, table: Mapping[S, Iterable[S]]) -> Lifecycle[S]:
        return cls(name, {src: frozenset(dsts) for src, dsts in table.items()})

    def can(self, source: S, target: S) -> bool:
        return target in self.allowed.get(source, frozenset())

    def targets(self, source: S) -> frozenset[S]:
        return self.allowed.get(source, frozenset())

    def is_final(self, state: S) -> bool:
        return not self.allowed.get(state)

    def move(
        self, subject: Stateful[S], target: S, *, actor: Actor, at: datetime, reason: str = "",
        event: str | None = None,
    ) -> DomainEvent:
        """Move `subject` to `target` or raise `InvalidTransition` leaving it untouched."""
        source = subject.status
        if not self.can(source, target):
            raise InvalidTransition(self.name, str(source.value), str(target.value))
        subject.status = target
        recorded = DomainEvent(
            name=f"{self.name}.{event or str(target.value)}",
            aggregate=self.name,
            aggregate_id=subject.id,
            actor=actor,
            occurred_at=at,
            before={"status": source.value},
            after={"status": target.value},
            reason=reason,
        )
        subject.record(recorded)
        return recorded
