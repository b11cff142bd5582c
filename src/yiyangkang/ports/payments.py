"""Payment ports (支付): the gateway every provider sits behind, the registry of enabled channels, and the store of
what providers told us (notifications received, refunds in flight).

A channel is a provider enabled by YYK_PAYMENT_PROVIDERS: `sandbox` (confirms at once), `wechat` (WeChat Pay API v3,
Native QR or JSAPI in the mini-program), `alipay` (alipay.trade.precreate QR), `unionpay` (银联二维码 apply-QR).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from attrs import frozen

from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.paging import Page, PageRequest


@frozen(kw_only=True)
class ChargeRequest:
    trade_number: str
    amount: Money
    description: str
    channel: str  # e.g. "sandbox", "wechat", "alipay", "unionpay"
    payer_openid: str = ""  # WeChat JSAPI (the mini-program): the payer's openid; empty → Native (a QR code)
    expires_at: datetime | None = None  # the trade's payment deadline: the provider stops taking money then
    placed_at: datetime | None = None  # when the trade was placed (UnionPay's txnTime, which its query needs again)


@frozen(kw_only=True)
class Charge:
    """The provider's answer: paid now (sandbox), or pending with what the payer must do: scan `pay_url` as a QR
    code, or hand `pay_params` to the mini-program's `wx.requestPayment`."""

    paid: bool
    transaction_id: str = ""
    pay_url: str = ""  # e.g. a code_url for a QR code
    paid_at: datetime | None = None
    pay_params: Mapping[str, str] = {}


@frozen(kw_only=True)
class RefundRequest:
    trade_number: str
    transaction_id: str
    refund_number: str  # ours, and the provider's idempotency key: a retry with it refunds once
    amount: Money
    total: Money
    reason: str


@frozen(kw_only=True)
class RefundResult:
    """`succeeded`: the provider took the refund (done, or `pending` until it settles and must be queried)."""

    refund_id: str
    succeeded: bool
    message: str = ""
    pending: bool = False
    reference: str = ""  # what the provider needs to find the refund again (UnionPay: the request's txnTime)


class RefundState(StrEnum):
    PROCESSING = "processing"  # 退款处理中
    SUCCEEDED = "succeeded"  # 退款成功
    FAILED = "failed"  # 退款失败 (closed, abnormal): an operator must act


class TradeState(StrEnum):
    UNPAID = "unpaid"  # no payment yet (the code is open or unknown to the provider)
    PAID = "paid"
    CLOSED = "closed"  # closed or expired at the provider: it will not take money any more


@frozen(kw_only=True)
class TradeQuery:
    """What the provider knows of a trade (order query)."""

    state: TradeState
    transaction_id: str = ""
    amount: Money | None = None


@frozen(kw_only=True)
class PaymentNotice:
    """A provider's notification that a trade was paid, its signature already verified by the adapter."""

    trade_number: str
    transaction_id: str
    amount: Money
    paid: bool


class PaymentProviderError(Exception):
    """The provider refused a call or could not be reached (its own error code kept for the logs); retry later."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class PaymentNoticeRejected(Exception):
    """A notification that is forged, stale, undecryptable or for another merchant: nothing may change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@frozen(kw_only=True)
class NoticeReply:
    """How a provider wants its notification answered (status, content type, body)."""

    status: int
    media_type: str
    body: bytes


class PaymentGateway(Protocol):
    """A payment provider behind one channel name."""

    @property
    def channel(self) -> str: ...

    def charge(self, request: ChargeRequest) -> Charge: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """The verified notification, or PaymentNoticeRejected."""
        ...

    def notice_reply(self, accepted: bool) -> NoticeReply:
        """The answer the provider expects: `accepted` stops its retries, a refusal makes it send again."""
        ...

    def query(self, trade_number: str, placed_at: datetime) -> TradeQuery:
        """The trade at the provider (reconciliation of payments whose notification never came); `placed_at` is
        the ChargeRequest's."""
        ...

    def close(self, trade_number: str) -> None:
        """Close an unpaid trade at the provider, so its code can no longer be paid."""
        ...

    def refund_status(self, trade_number: str, refund_number: str, reference: str) -> RefundState:
        """Where a refund the provider took stands (`reference` as its RefundResult gave it)."""
        ...


class PaymentChannels:
    """The enabled channels (YYK_PAYMENT_PROVIDERS), the first one the default."""

    def __init__(self, gateways: Iterable[PaymentGateway], default: str | None = None) -> None:
        self._gateways: dict[str, PaymentGateway] = {}
        for gateway in gateways:
            if gateway.channel in self._gateways:
                raise ValueError(f"payment channel {gateway.channel!r} enabled twice")
            self._gateways[gateway.channel] = gateway
        if not self._gateways:
            raise ValueError("at least one payment channel is needed")
        self.default = default or next(iter(self._gateways))
        if self.default not in self._gateways:
            raise ValueError(f"the default payment channel {self.default!r} is not enabled")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._gateways)

    def find(self, channel: str) -> PaymentGateway | None:
        return self._gateways.get(channel)

    def get(self, channel: str | None = None) -> PaymentGateway:
        """The gateway of `channel` (the default when None); a 422 naming the field when it is not enabled."""
        gateway = self._gateways.get(self.default if channel is None else channel)
        if gateway is None:
            raise ValidationFailed([FieldError("channel", "该支付方式暂未开通", "CHANNEL_UNAVAILABLE")])
        return gateway


# -- what providers told us ---------------------------------------------------------------------------------
class NoticeOutcome(StrEnum):
    ACCEPTED = "accepted"  # recorded a payment
    DUPLICATE = "duplicate"  # already recorded, or a notice of no payment: nothing changed
    REFUSED = "refused"  # failed verification or did not match the trade: nothing changed


@frozen(kw_only=True)
class NoticeRecord:
    """One notification received (支付通知记录). Never the body (it holds personal data): its SHA-256."""

    id: str
    channel: str
    received_at: datetime
    trade_number: str | None
    outcome: NoticeOutcome
    reason: str  # a stable code: "" when accepted, e.g. BAD_SIGNATURE, MALL_PAYMENT_AMOUNT_MISMATCH
    body_sha256: str


@frozen(kw_only=True)
class PendingRefund:
    """A refund the provider took but has not settled yet (退款处理中), queried until it does."""

    refund_number: str
    channel: str
    trade_number: str
    refund_id: str
    amount: Money
    state: RefundState
    created_at: datetime
    checked_at: datetime
    message: str = ""
    reference: str = ""


class PaymentStore(Protocol):
    def record_notice(self, record: NoticeRecord) -> None: ...

    def notices(
        self, page: PageRequest, *, channel: str | None = None, outcome: NoticeOutcome | None = None,
        trade_number: str | None = None, since: datetime | None = None, until: datetime | None = None,
    ) -> Page[NoticeRecord]:
        """Newest first."""
        ...

    def add_refund(self, refund: PendingRefund) -> None:
        """Remember a refund in flight (a second add of the same refund number changes nothing)."""
        ...

    def save_refund(self, refund: PendingRefund) -> None: ...

    def refunds(self, *, state: RefundState | None = None) -> Sequence[PendingRefund]:
        """Oldest first."""
        ...
