"""Payment providers behind the `PaymentGateway` port (the protocol clients live beside this module).

WeChat Pay Native (扫码支付): a charge places a Native order and hands back its `code_url` for a QR code; the
money arrives later by a signed, encrypted notification, which `parse_notice` verifies and opens."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from yiyangkang.adapters.payments.wechatpay import NotificationRejected, WechatPayClient, WechatPayError
from yiyangkang.domain.kernel.money import Money
from yiyangkang.ports.mall import (
    Charge,
    ChargeRequest,
    PaymentNotice,
    PaymentNoticeRejected,
    RefundRequest,
    RefundResult,
)

NATIVE_TTL = timedelta(minutes=30)


class WechatNativeGateway:
    channel = "wechat"

    def __init__(self, client: WechatPayClient, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.client = client
        self.clock = clock

    def charge(self, request: ChargeRequest) -> Charge:
        code_url = self.client.native(request.trade_number, request.amount.fen, request.description,
                                      self.clock() + NATIVE_TTL)
        return Charge(paid=False, pay_url=code_url)

    def refund(self, request: RefundRequest) -> RefundResult:
        """The refund number is WeChat's out_refund_no: a retry refunds once. PROCESSING counts as accepted."""
        try:
            status = self.client.refund(request.trade_number, request.refund_number, request.amount.fen,
                                        request.total.fen, request.reason)
        except WechatPayError as exc:
            return RefundResult(refund_id="", succeeded=False, message=f"{exc.code} {exc.message}".strip())
        return RefundResult(refund_id=status.refund_id, succeeded=status.status in ("SUCCESS", "PROCESSING"),
                            message=status.status)

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        try:
            found = self.client.parse_notification(headers, body, now)
        except NotificationRejected as exc:
            raise PaymentNoticeRejected(exc.reason_code) from exc
        return PaymentNotice(trade_number=found.out_trade_no, transaction_id=found.transaction_id,
                             amount=Money(found.amount_fen), paid=found.trade_state == "SUCCESS")
