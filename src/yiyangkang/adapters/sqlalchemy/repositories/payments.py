"""The SQL payment store: notifications received (append-only) and refunds in flight."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from yiyangkang.adapters.sqlalchemy.base import SqlContext
from yiyangkang.adapters.sqlalchemy.tables_payments import payment_notices, payment_refunds
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.ports.payments import NoticeOutcome, NoticeRecord, PendingRefund, RefundState


def _notice(row: Any) -> NoticeRecord:
    return NoticeRecord(id=row.id, channel=row.channel, received_at=row.received_at, trade_number=row.trade_number,
                        outcome=NoticeOutcome(row.outcome), reason=row.reason, body_sha256=row.body_sha256)


def _refund(row: Any) -> PendingRefund:
    return PendingRefund(refund_number=row.refund_number, channel=row.channel, trade_number=row.trade_number,
                         refund_id=row.refund_id, amount=Money(row.amount_fen), state=RefundState(row.state),
                         created_at=row.created_at, checked_at=row.checked_at, message=row.message,
                         reference=row.reference)


def _refund_row(r: PendingRefund) -> dict[str, Any]:
    return {"refund_number": r.refund_number, "channel": r.channel, "trade_number": r.trade_number,
            "refund_id": r.refund_id, "amount_fen": r.amount.fen, "state": r.state.value, "reference": r.reference,
            "message": r.message[:200], "created_at": r.created_at, "checked_at": r.checked_at}


class SqlPayments:
    def __init__(self, ctx: SqlContext) -> None:
        self.conn = ctx.conn

    def record_notice(self, record: NoticeRecord) -> None:
        self.conn.execute(insert(payment_notices).values(
            id=record.id, channel=record.channel, received_at=record.received_at, trade_number=record.trade_number,
            outcome=record.outcome.value, reason=record.reason[:64], body_sha256=record.body_sha256))

    def notices(
        self, page: PageRequest, *, channel: str | None = None, outcome: NoticeOutcome | None = None,
        trade_number: str | None = None, since: datetime | None = None, until: datetime | None = None,
    ) -> Page[NoticeRecord]:
        c = payment_notices.c
        stmt = select(payment_notices)
        if channel is not None:
            stmt = stmt.where(c.channel == channel)
        if outcome is not None:
            stmt = stmt.where(c.outcome == outcome.value)
        if trade_number is not None:
            stmt = stmt.where(c.trade_number == trade_number)
        if since is not None:
            stmt = stmt.where(c.received_at >= since)
        if until is not None:
            stmt = stmt.where(c.received_at < until)
        total = self.conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        rows = self.conn.execute(stmt.order_by(c.received_at.desc(), c.id.desc()).limit(page.size)
                                 .offset(page.offset))
        return Page([_notice(r) for r in rows], int(total), page.page, page.size)

    def add_refund(self, refund: PendingRefund) -> None:
        dialect = sqlite_insert if self.conn.dialect.name == "sqlite" else pg_insert
        self.conn.execute(dialect(payment_refunds).values(**_refund_row(refund))
                          .on_conflict_do_nothing(index_elements=["refund_number"]))

    def save_refund(self, refund: PendingRefund) -> None:
        c = payment_refunds.c
        self.conn.execute(payment_refunds.update().where(c.refund_number == refund.refund_number)
                          .values(**_refund_row(refund)))

    def refunds(self, *, state: RefundState | None = None) -> Sequence[PendingRefund]:
        c = payment_refunds.c
        stmt = select(payment_refunds).order_by(c.created_at, c.refund_number)
        if state is not None:
            stmt = stmt.where(c.state == state.value)
        return [_refund(r) for r in self.conn.execute(stmt)]
