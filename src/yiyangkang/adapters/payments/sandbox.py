"""The sandbox payment provider (沙箱支付): confirms every charge and refund at once and remembers them,
for tests, the demo and development. It moves no money; the real providers replace it in production."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from yiyangkang.ports.payments import (
    Charge,
    ChargeRequest,
    NoticeReply,
    PaymentNotice,
    PaymentNoticeRejected,
    RefundRequest,
    RefundResult,
    RefundState,
    TradeQuery,
    TradeState,
)


class SandboxPaymentGateway:
    channel = "sandbox"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.charges: list[ChargeRequest] = []
        self.refunds: list[RefundRequest] = []

    def charge(self, request: ChargeRequest) -> Charge:
        if request.amount.fen <= 0:
            raise ValueError("a charge must be positive")
        with self._lock:
            self.charges.append(request)
        return Charge(paid=True, transaction_id=f"SANDBOX-{uuid.uuid4().hex[:20]}", paid_at=datetime.now(UTC))

    def refund(self, request: RefundRequest) -> RefundResult:
        if not 0 < request.amount.fen <= request.total.fen:
            return RefundResult(refund_id="", succeeded=False, message="退款金额无效")
        with self._lock:
            self.refunds.append(request)
        return RefundResult(refund_id=f"SANDBOX-R-{uuid.uuid4().hex[:18]}", succeeded=True)

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """The confirming sandbox pays at once and never notifies: anything posted to it is refused."""
        raise PaymentNoticeRejected("NO_NOTIFICATIONS")

    def notice_reply(self, accepted: bool) -> NoticeReply:
        return NoticeReply(status=204 if accepted else 400, media_type="text/plain; charset=utf-8", body=b"")

    def query(self, trade_number: str, placed_at: datetime) -> TradeQuery:
        """Every charge was paid at once: a trade it charged is paid, any other was never seen."""
        with self._lock:
            charged = [c for c in self.charges if c.trade_number == trade_number]
        if not charged:
            return TradeQuery(state=TradeState.UNPAID)
        return TradeQuery(state=TradeState.PAID, amount=charged[-1].amount)

    def close(self, trade_number: str) -> None:
        """Nothing stays open here."""

    def refund_status(self, trade_number: str, refund_number: str, reference: str) -> RefundState:
        with self._lock:
            known = any(r.refund_number == refund_number for r in self.refunds)
        return RefundState.SUCCEEDED if known else RefundState.FAILED

    def refunded_total(self, trade_number: str) -> int:
        """Fen refunded so far for one trade (tests check it against the orders)."""
        with self._lock:
            return sum(r.amount.fen for r in self.refunds if r.trade_number == trade_number)
