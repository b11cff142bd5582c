"""The audit log: domain events as rows (审计日志)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.domain.kernel.events import Actor, DomainEvent
from yiyangkang.domain.kernel.paging import Page, PageRequest


class SqlAuditLog:
    """Domain events as rows: the audit trail (审计日志)."""

    def __init__(self, ctx: Any) -> None:
        self.conn = ctx.conn

    def append(self, events: Sequence[DomainEvent]) -> None:
        if events:
            self.conn.execute(
                t.audit_events.insert(),
                [
                    {
                        "name": e.name, "aggregate": e.aggregate, "aggregate_id": e.aggregate_id,
                        "actor_id": e.actor.id, "actor_role": e.actor.role, "occurred_at": e.occurred_at,
                        "before": dict(e.before) if e.before is not None else None,
                        "after": dict(e.after) if e.after is not None else None, "reason": e.reason,
                    }
                    for e in events
                ],
            )

    def list(
        self, page: PageRequest, *, aggregate: str | None = None, aggregate_id: str | None = None
    ) -> Page[DomainEvent]:
        c = t.audit_events.c
        stmt = select(t.audit_events)
        if aggregate:
            stmt = stmt.where(c.aggregate == aggregate)
        if aggregate_id:
            stmt = stmt.where(c.aggregate_id == aggregate_id)
        total = self.conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = self.conn.execute(stmt.order_by(c.seq.desc()).limit(page.size).offset(page.offset))
        return Page(
            [
                DomainEvent(
                    name=r.name, aggregate=r.aggregate, aggregate_id=r.aggregate_id,
                    actor=Actor(id=r.actor_id, role=r.actor_role), occurred_at=r.occurred_at,
                    before=r.before, after=r.after, reason=r.reason,
                )
                for r in rows
            ],
            total, page.page, page.size,
        )
