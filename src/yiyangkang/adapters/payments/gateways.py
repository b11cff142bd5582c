"""Payment providers behind the `PaymentGateway` port (the protocol clients live beside this module).

* `WechatGateway` — WeChat Pay API v3: Native (扫码支付: the charge answers the order's `code_url` for a QR code) or,
  when the charge names the payer's openid, JSAPI (the mini-program: the charge answers the signed parameters of
  `wx.requestPayment`). The money arrives by a signed, AES-GCM encrypted notification that `parse_notice` verifies.
* `AlipayPrecreateGateway` — alipay.trade.precreate (当面付 扫码): the charge answers the `qr_code`; the RSA2-signed
  notify form is verified and checked for this app and seller.
* `UnionPayQrGateway` — 银联二维码 (全渠道 5.1.0, apply-QR): the charge answers the `qrCode`; the back notification's
  signature (its signPubKeyCert chaining to the UnionPay root) and merId are verified.

Each answers a notification the way its provider wants (`notice_reply`), queries and closes trades and follows
refunds for the reconciliation job. Amounts against our trade are compared by the use case (confirm_payment).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from yiyangkang.adapters.payments.alipay import (
    NOTIFY_SUCCESS_BODY,
    SHANGHAI,
    TIMESTAMP_FORMAT,
    AlipayClient,
    AlipayError,
    ResponseRejected,
)
from yiyangkang.adapters.payments.alipay import NotificationRejected as AlipayNotificationRejected
from yiyangkang.adapters.payments.unionpay import NotificationRejected as UnionPayNotificationRejected
from yiyangkang.adapters.payments.unionpay import UnionPayClient, UnionPayError, to_txn_time
from yiyangkang.adapters.payments.wechatpay import NotificationRejected, WechatPayClient, WechatPayError
from yiyangkang.domain.kernel.money import Money
from yiyangkang.ports.payments import (
    Charge,
    ChargeRequest,
    NoticeReply,
    PaymentNotice,
    PaymentNoticeRejected,
    PaymentProviderError,
    RefundRequest,
    RefundResult,
    RefundState,
    TradeQuery,
    TradeState,
)

NATIVE_TTL = timedelta(minutes=30)
MIN_TTL = timedelta(minutes=1)
# Alipay retries a notification for about a day (4m, 10m, 10m, 1h, 2h, 6h, 15h): an older notify_time is a replay.
ALIPAY_NOTICE_WINDOW = timedelta(hours=25)
FUTURE_SKEW = timedelta(minutes=5)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _ttl(request: ChargeRequest, now: datetime) -> datetime:
    """The provider-side expiry: the trade's deadline (at least a minute ahead), else 30 minutes."""
    if request.expires_at is None:
        return now + NATIVE_TTL
    return max(request.expires_at, now + MIN_TTL)


@contextmanager
def _provider_errors() -> Iterator[None]:
    """The clients' own errors as the port's PaymentProviderError (code kept, keys never in it)."""
    try:
        yield
    except WechatPayError as exc:
        raise PaymentProviderError(exc.code, exc.message) from exc
    except AlipayError as exc:
        raise PaymentProviderError(exc.sub_code or exc.code, exc.sub_msg or exc.msg) from exc
    except ResponseRejected as exc:
        raise PaymentProviderError("UNVERIFIED", str(exc)) from exc
    except UnionPayError as exc:
        raise PaymentProviderError(exc.code, exc.message) from exc


def _text_reply(accepted: bool, ok: bytes, refused: bytes, refused_status: int) -> NoticeReply:
    return NoticeReply(status=200 if accepted else refused_status, media_type="text/plain; charset=utf-8",
                       body=ok if accepted else refused)


# -- WeChat Pay --------------------------------------------------------------------------------------------------
WECHAT_STATES = {"SUCCESS": TradeState.PAID, "REFUND": TradeState.PAID, "CLOSED": TradeState.CLOSED,
                 "REVOKED": TradeState.CLOSED, "PAYERROR": TradeState.CLOSED}
WECHAT_REFUNDS = {"SUCCESS": RefundState.SUCCEEDED, "PROCESSING": RefundState.PROCESSING,
                  "CLOSED": RefundState.FAILED, "ABNORMAL": RefundState.FAILED}


class WechatGateway:
    channel = "wechat"

    def __init__(self, client: WechatPayClient, clock: Clock = _utc_now) -> None:
        self.client = client
        self.clock = clock

    def charge(self, request: ChargeRequest) -> Charge:
        with _provider_errors():
            expires = _ttl(request, self.clock())
            if request.payer_openid:  # JSAPI: the mini-program pays with wx.requestPayment
                prepay_id = self.client.jsapi(request.trade_number, request.amount.fen, request.description,
                                              request.payer_openid, expires)
                return Charge(paid=False, pay_params=self.client.jsapi_pay_params(prepay_id).as_dict())
            code_url = self.client.native(request.trade_number, request.amount.fen, request.description, expires)
            return Charge(paid=False, pay_url=code_url)

    def refund(self, request: RefundRequest) -> RefundResult:
        """The refund number is WeChat's out_refund_no: a retry refunds once. PROCESSING is accepted, pending."""
        try:
            status = self.client.refund(request.trade_number, request.refund_number, request.amount.fen,
                                        request.total.fen, request.reason)
        except WechatPayError as exc:
            return RefundResult(refund_id="", succeeded=False, message=f"{exc.code} {exc.message}".strip())
        return RefundResult(refund_id=status.refund_id, succeeded=status.status in ("SUCCESS", "PROCESSING"),
                            message=status.status, pending=status.status == "PROCESSING")

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """A payment notification; a refund's (REFUND.*, sent to the same URL, verified alike) is taken as a notice
        of no payment — the reconciliation follows the refund by query."""
        try:
            found = self.client.parse_notification(headers, body, now)
        except NotificationRejected as exc:
            if exc.reason_code == "WRONG_EVENT":
                try:
                    refund = self.client.parse_refund_notification(headers, body, now)
                except NotificationRejected:
                    raise PaymentNoticeRejected(exc.reason_code) from exc
                return PaymentNotice(trade_number=refund.out_trade_no, transaction_id="",
                                     amount=Money(refund.refund_fen), paid=False)
            raise PaymentNoticeRejected(exc.reason_code) from exc
        return PaymentNotice(trade_number=found.out_trade_no, transaction_id=found.transaction_id,
                             amount=Money(found.amount_fen), paid=found.trade_state == "SUCCESS")

    def notice_reply(self, accepted: bool) -> NoticeReply:
        """WeChat: 204 without a body when taken; a 4xx with {"code": "FAIL", "message": …} to have it retry."""
        if accepted:
            return NoticeReply(status=204, media_type="application/json", body=b"")
        body = json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False).encode()
        return NoticeReply(status=400, media_type="application/json", body=body)

    def query(self, trade_number: str, placed_at: datetime) -> TradeQuery:
        with _provider_errors():
            try:
                found = self.client.query(trade_number)
            except WechatPayError as exc:
                if exc.code == "ORDER_NOT_EXIST":
                    return TradeQuery(state=TradeState.UNPAID)
                raise
            return TradeQuery(state=WECHAT_STATES.get(found.trade_state, TradeState.UNPAID),
                              transaction_id=found.transaction_id, amount=Money(found.amount_fen))

    def close(self, trade_number: str) -> None:
        with _provider_errors():
            self.client.close(trade_number)

    def refund_status(self, trade_number: str, refund_number: str, reference: str) -> RefundState:
        with _provider_errors():
            return WECHAT_REFUNDS.get(self.client.query_refund(refund_number).status, RefundState.PROCESSING)


WechatNativeGateway = WechatGateway  # the name it had when Native was all it did


# -- Alipay ------------------------------------------------------------------------------------------------------
def _alipay_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PaymentNoticeRejected("MALFORMED") from exc
    form = dict(pairs)
    if len(form) != len(pairs):
        raise PaymentNoticeRejected("MALFORMED")  # a field twice: which one was signed?
    return form


class AlipayPrecreateGateway:
    channel = "alipay"

    def __init__(self, client: AlipayClient, clock: Clock = _utc_now) -> None:
        self.client = client
        self.clock = clock

    def charge(self, request: ChargeRequest) -> Charge:
        now = self.clock()
        minutes = max(1, int((_ttl(request, now) - now).total_seconds() // 60))
        with _provider_errors():
            found = self.client.precreate(request.trade_number, request.amount.fen, request.description[:128],
                                          timedelta(minutes=minutes))
        return Charge(paid=False, pay_url=found.qr_code)

    def refund(self, request: RefundRequest) -> RefundResult:
        """The refund number is Alipay's out_request_no: a retry refunds once. Alipay refunds synchronously."""
        try:
            outcome = self.client.refund(request.trade_number, request.refund_number, request.amount.fen,
                                         request.reason[:256])
        except AlipayError as exc:
            return RefundResult(refund_id="", succeeded=False, message=f"{exc.sub_code} {exc.sub_msg}".strip())
        except ResponseRejected as exc:  # unknown outcome: the same number again is safe, ask to retry
            return RefundResult(refund_id="", succeeded=False, message=str(exc))
        return RefundResult(refund_id=outcome.trade_no, succeeded=True, message="REFUND_SUCCESS")

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """The notify form verified (RSA2, app_id, seller_id); a notify_time older than Alipay's day of retries
        (or in the future) is refused as stale. The amount is the use case's to compare with the trade."""
        form = _alipay_form(body)
        try:
            found = self.client.parse_notification(form)
        except AlipayNotificationRejected as exc:
            raise PaymentNoticeRejected(exc.reason_code.upper()) from exc
        sent = _alipay_time(form.get("notify_time", ""))
        if sent is None:
            raise PaymentNoticeRejected("STALE_TIMESTAMP")
        if not now - ALIPAY_NOTICE_WINDOW <= sent <= now + FUTURE_SKEW:
            raise PaymentNoticeRejected("STALE_TIMESTAMP")
        return PaymentNotice(trade_number=found.out_trade_no, transaction_id=found.trade_no,
                             amount=Money(found.total_fen), paid=found.paid)

    def notice_reply(self, accepted: bool) -> NoticeReply:
        """Alipay: the plain text `success` (anything else and it sends again)."""
        return _text_reply(accepted, NOTIFY_SUCCESS_BODY.encode(), b"fail", 200)

    def query(self, trade_number: str, placed_at: datetime) -> TradeQuery:
        with _provider_errors():
            try:
                found = self.client.query(trade_number)
            except AlipayError as exc:
                if exc.sub_code == "ACQ.TRADE_NOT_EXIST":  # nobody scanned the code yet
                    return TradeQuery(state=TradeState.UNPAID)
                raise
        state = (TradeState.PAID if found.paid else
                 TradeState.CLOSED if found.trade_status == "TRADE_CLOSED" else TradeState.UNPAID)
        return TradeQuery(state=state, transaction_id=found.trade_no, amount=Money(found.total_fen))

    def close(self, trade_number: str) -> None:
        with _provider_errors():
            try:
                self.client.close(trade_number)
            except AlipayError as exc:
                if exc.sub_code != "ACQ.TRADE_NOT_EXIST":  # never scanned: nothing to close
                    raise

    def refund_status(self, trade_number: str, refund_number: str, reference: str) -> RefundState:
        with _provider_errors():
            found = self.client.query_refund(trade_number, refund_number)
        return RefundState.SUCCEEDED if found.found else RefundState.FAILED


def _alipay_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, TIMESTAMP_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None


# -- UnionPay ----------------------------------------------------------------------------------------------------
class UnionPayQrGateway:
    channel = "unionpay"

    def __init__(self, client: UnionPayClient, clock: Clock = _utc_now) -> None:
        self.client = client
        self.clock = clock

    def charge(self, request: ChargeRequest) -> Charge:
        now = self.clock()
        with _provider_errors():
            found = self.client.apply_qr(request.trade_number, request.amount.fen, request.placed_at or now,
                                         _ttl(request, now), request.description)
        return Charge(paid=False, pay_url=found.qr_code)

    def refund(self, request: RefundRequest) -> RefundResult:
        """txnType 04 against the payment's queryId; the refund number is the refund's orderId (a retry with it is
        refused as a duplicate order by UnionPay, never refunded twice). The result comes later: pending."""
        sent = self.clock()
        try:
            accepted = self.client.refund(request.refund_number, request.transaction_id, request.amount.fen, sent)
        except UnionPayError as exc:
            if exc.code == "12":  # 重复交易: this refund number was taken before; it settles on its own
                return RefundResult(refund_id="", succeeded=True, message="DUPLICATE", pending=True,
                                    reference=to_txn_time(sent))
            return RefundResult(refund_id="", succeeded=False, message=f"{exc.code} {exc.message}".strip())
        return RefundResult(refund_id=accepted.query_id, succeeded=True, message="PROCESSING", pending=True,
                            reference=accepted.txn_time)

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        try:
            form = self.client.parse_form(body)
            found = self.client.parse_notification(form, now)
        except UnionPayNotificationRejected as exc:
            if exc.reason_code == "WRONG_EVENT" and form.get("txnType") == "04":  # a refund's result, verified
                return PaymentNotice(trade_number="", transaction_id="", amount=Money(0), paid=False)
            raise PaymentNoticeRejected(exc.reason_code) from exc
        return PaymentNotice(trade_number=found.order_id, transaction_id=found.query_id,
                             amount=Money(found.txn_amt), paid=found.resp_code == "00")

    def notice_reply(self, accepted: bool) -> NoticeReply:
        """UnionPay: HTTP 200 takes it (the body is not read; "ok" by custom); anything else and it sends again."""
        return _text_reply(accepted, b"ok", b"fail", 400)

    def query(self, trade_number: str, placed_at: datetime) -> TradeQuery:
        with _provider_errors():
            found = self.client.query(trade_number, placed_at)
        if found is None:
            return TradeQuery(state=TradeState.UNPAID)
        if found.orig_resp_code == "00":
            return TradeQuery(state=TradeState.PAID, transaction_id=found.query_id, amount=Money(found.txn_amt))
        if found.orig_resp_code in ("03", "04", "05"):  # still in process
            return TradeQuery(state=TradeState.UNPAID)
        return TradeQuery(state=TradeState.CLOSED)

    def close(self, trade_number: str) -> None:
        """UnionPay has no close for an applied QR code: it expires at its payTimeout (our deadline)."""

    def refund_status(self, trade_number: str, refund_number: str, reference: str) -> RefundState:
        with _provider_errors():
            found = self.client.query(refund_number, reference)
        if found is None or found.orig_resp_code in ("03", "04", "05"):
            return RefundState.PROCESSING
        return RefundState.SUCCEEDED if found.orig_resp_code == "00" else RefundState.FAILED
