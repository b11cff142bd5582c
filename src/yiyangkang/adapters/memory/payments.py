"""The in-memory payment store: the same queries as the SQL one over plain records; committed whole."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.ports.payments import NoticeOutcome, NoticeRecord, PendingRefund, RefundState


class MemoryPayments:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.notices_table: dict[str, Any] = store.table("payment_notices")  # id → NoticeRecord
        self.refunds_table: dict[str, Any] = store.table("payment_refunds")  # refund number → PendingRefund
        self.committed_notices: dict[str, Any] = committed.table("payment_notices")
        self.committed_refunds: dict[str, Any] = committed.table("payment_refunds")
        self.new_notices: list[NoticeRecord] = []
        self.changed: dict[str, PendingRefund] = {}

    def record_notice(self, record: NoticeRecord) -> None:
        self.notices_table[record.id] = record
        self.new_notices.append(record)

    def notices(
        self, page: PageRequest, *, channel: str | None = None, outcome: NoticeOutcome | None = None,
        trade_number: str | None = None, since: datetime | None = None, until: datetime | None = None,
    ) -> Page[NoticeRecord]:
        found = [n for n in self.notices_table.values()
                 if (channel is None or n.channel == channel) and (outcome is None or n.outcome is outcome)
                 and (trade_number is None or n.trade_number == trade_number)
                 and (since is None or n.received_at >= since) and (until is None or n.received_at < until)]
        found.sort(key=lambda n: (n.received_at, n.id), reverse=True)
        return Page(found[page.offset:page.offset + page.size], len(found), page.page, page.size)

    def add_refund(self, refund: PendingRefund) -> None:
        if refund.refund_number not in self.refunds_table and refund.refund_number not in self.committed_refunds:
            self.refunds_table[refund.refund_number] = refund
            self.changed[refund.refund_number] = refund

    def save_refund(self, refund: PendingRefund) -> None:
        if refund.refund_number in self.refunds_table:
            self.refunds_table[refund.refund_number] = refund
            self.changed[refund.refund_number] = refund

    def refunds(self, *, state: RefundState | None = None) -> Sequence[PendingRefund]:
        found = [r for r in self.refunds_table.values() if state is None or r.state is state]
        return sorted(found, key=lambda r: (r.created_at, r.refund_number))

    def apply(self) -> None:
        for record in self.new_notices:
            self.committed_notices[record.id] = record
        self.committed_refunds.update(self.changed)
        self.new_notices.clear()
        self.changed.clear()
