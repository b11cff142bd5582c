"""PAY — the WeChat Pay and Alipay gateways behind the port, over their protocol sandboxes: the answers each
provider wants to its notifications, Alipay's notify_time window, trade queries and closes, refund states, provider
errors as the port's PaymentProviderError; the registry of channels; and a Hypothesis round trip of Alipay's notify
form through the gateway (any subject text, signed by Alipay, reads back to the same trade and amount)."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.api.controllers.payments import TokenBucket
from yiyangkang.adapters.payments.alipay import SHANGHAI, TIMESTAMP_FORMAT
from yiyangkang.adapters.payments.alipay_sandbox import AlipaySandbox
from yiyangkang.adapters.payments.gateways import AlipayPrecreateGateway, WechatGateway
from yiyangkang.adapters.payments.sandbox import SandboxPaymentGateway
from yiyangkang.adapters.payments.wechatpay_sandbox import WechatPaySandbox
from yiyangkang.bootstrap import sandboxed_gateway
from yiyangkang.domain.kernel.errors import ValidationFailed
from yiyangkang.domain.kernel.money import Money
from yiyangkang.ports.payments import (
    ChargeRequest,
    PaymentChannels,
    PaymentNoticeRejected,
    PaymentProviderError,
    RefundRequest,
    RefundState,
    TradeState,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def _charge(number: str, fen: int = 1500, openid: str = "") -> ChargeRequest:
    return ChargeRequest(trade_number=number, amount=Money(fen), description="上门助浴", channel="x",
                         payer_openid=openid, expires_at=NOW + timedelta(minutes=30), placed_at=NOW)


def _alipay() -> tuple[AlipayPrecreateGateway, AlipaySandbox]:
    gateway, sandbox = sandboxed_gateway("alipay", lambda: NOW)
    assert isinstance(gateway, AlipayPrecreateGateway) and isinstance(sandbox, AlipaySandbox)
    return gateway, sandbox


def _wechat() -> tuple[WechatGateway, WechatPaySandbox]:
    gateway, sandbox = sandboxed_gateway("wechat", lambda: NOW)
    assert isinstance(gateway, WechatGateway) and isinstance(sandbox, WechatPaySandbox)
    return gateway, sandbox


def _body(form: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(form).encode()


def test_alipay_notification_through_the_gateway() -> None:
    """PAY: precreate's qr_code is the pay_url; the notify form verifies to the trade, its exact fen and trade_no;
    the answer is the text `success` (anything else makes Alipay retry)."""
    gateway, sandbox = _alipay()
    charge = gateway.charge(_charge("A1", 12_345))
    assert charge.pay_url.startswith("https://qr.alipay.com/") and not charge.paid
    notice = gateway.parse_notice({}, _body(sandbox.pay("A1")), NOW)
    assert (notice.trade_number, notice.amount, notice.paid) == ("A1", Money(12_345), True)
    assert notice.transaction_id == sandbox.trades["A1"].trade_no
    ok, refused = gateway.notice_reply(True), gateway.notice_reply(False)
    assert (ok.status, ok.body) == (200, b"success") and refused.body != b"success"


@pytest.mark.parametrize(("notify_time", "accepted"), [
    (NOW - timedelta(hours=24, minutes=59), True), (NOW - timedelta(hours=25, minutes=1), False),
    (NOW + timedelta(minutes=4), True), (NOW + timedelta(minutes=6), False)])
def test_alipay_notify_time_window(notify_time: datetime, accepted: bool) -> None:
    """PAY: Alipay retries a notification for about a day: an older notify_time (or one in the future) is a replay."""
    gateway, sandbox = _alipay()
    gateway.charge(_charge("A2"))
    sandbox.pay("A2")
    form = sandbox.notification("A2", notify_time=notify_time.astimezone(SHANGHAI).strftime(TIMESTAMP_FORMAT))
    if accepted:
        assert gateway.parse_notice({}, _body(form), NOW).paid
    else:
        with pytest.raises(PaymentNoticeRejected, match="STALE_TIMESTAMP"):
            gateway.parse_notice({}, _body(form), NOW)


@pytest.mark.parametrize("body", [b"\xff\xfe", b"a=1&a=2", b"no-equals-sign", b""])
def test_alipay_garbled_bodies_are_refused(body: bytes) -> None:
    gateway, _ = _alipay()
    with pytest.raises(PaymentNoticeRejected):
        gateway.parse_notice({}, body, NOW)


def test_alipay_query_close_and_refund_states() -> None:
    """PAY: a trade nobody paid is UNPAID (and closes), a paid one PAID; a refund is synchronous and its number is
    the idempotency key (a retry refunds once); an unknown trade queries as UNPAID."""
    gateway, sandbox = _alipay()
    assert gateway.query("NEVER", NOW).state is TradeState.UNPAID
    gateway.charge(_charge("A3"))
    assert gateway.query("A3", NOW).state is TradeState.UNPAID
    gateway.close("A3")
    assert gateway.query("A3", NOW).state is TradeState.CLOSED
    gateway.charge(_charge("A4", 1000))
    sandbox.pay("A4")
    found = gateway.query("A4", NOW)
    assert (found.state, found.amount) == (TradeState.PAID, Money(1000))
    request = RefundRequest(trade_number="A4", transaction_id=found.transaction_id, refund_number="R4",
                            amount=Money(400), total=Money(1000), reason="退货")
    assert gateway.refund(request).succeeded and gateway.refund(request).succeeded
    assert sandbox.trades["A4"].refunded == 400 and not gateway.refund(request).pending
    assert gateway.refund_status("A4", "R4", "") is RefundState.SUCCEEDED
    assert gateway.refund_status("A4", "R-unknown", "") is RefundState.FAILED
    with pytest.raises(PaymentProviderError):
        gateway.close("A4")  # paid: Alipay refuses to close it


def test_wechat_query_close_refund_states_and_replies() -> None:
    """PAY: WeChat: NOTPAY is UNPAID, SUCCESS is PAID, CLOSED after close; a refund is PROCESSING (pending) until
    WeChat settles it; the answers are 204 and 400 {"code": "FAIL"}; errors become PaymentProviderError."""
    gateway, sandbox = _wechat()
    assert gateway.query("NEVER", NOW).state is TradeState.UNPAID
    gateway.charge(_charge("W1"))
    assert gateway.query("W1", NOW).state is TradeState.UNPAID
    gateway.close("W1")
    assert gateway.query("W1", NOW).state is TradeState.CLOSED
    gateway.charge(_charge("W2", 700))
    notice = gateway.parse_notice(*sandbox.pay("W2"), NOW)
    assert gateway.query("W2", NOW).state is TradeState.PAID
    result = gateway.refund(RefundRequest(trade_number="W2", transaction_id=notice.transaction_id,
                                          refund_number="WR2", amount=Money(700), total=Money(700), reason=""))
    assert result.succeeded and result.pending
    assert gateway.refund_status("W2", "WR2", "") is RefundState.PROCESSING
    sandbox.complete_refund("WR2")
    assert gateway.refund_status("W2", "WR2", "") is RefundState.SUCCEEDED
    with pytest.raises(PaymentProviderError) as raised:
        gateway.close("W2")
    assert raised.value.code == "ORDERPAID"
    assert gateway.notice_reply(True).status == 204 and gateway.notice_reply(True).body == b""
    assert gateway.notice_reply(False).status == 400 and b'"FAIL"' in gateway.notice_reply(False).body


def test_wechat_jsapi_charge_gives_request_payment_params() -> None:
    """PAY: with the payer's openid the charge is a JSAPI order and answers wx.requestPayment's parameters."""
    gateway, sandbox = _wechat()
    charge = gateway.charge(_charge("W3", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"))
    assert charge.pay_url == "" and set(charge.pay_params) == {"appId", "timeStamp", "nonceStr", "package",
                                                                "signType", "paySign"}
    assert sandbox.orders["W3"].trade_type == "JSAPI"
    assert charge.pay_params["timeStamp"] == str(int(NOW.timestamp()))


def test_channels_registry() -> None:
    """PAY: enabled channels by name, the first the default; an unknown one is a 422 on `channel`; none twice."""
    channels = PaymentChannels([SandboxPaymentGateway(), _alipay()[0]])
    assert channels.names == ("sandbox", "alipay") and channels.default == "sandbox"
    assert channels.get().channel == "sandbox" and channels.get("alipay").channel == "alipay"
    assert channels.find("wechat") is None
    with pytest.raises(ValidationFailed) as raised:
        channels.get("wechat")
    assert [(e.field, e.code) for e in raised.value.errors] == [("channel", "CHANNEL_UNAVAILABLE")]
    with pytest.raises(ValueError):
        PaymentChannels([SandboxPaymentGateway(), SandboxPaymentGateway()])
    with pytest.raises(ValueError):
        PaymentChannels([])


SUBJECTS = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40)


@settings(max_examples=25, deadline=None)
@given(subject=SUBJECTS, fen=st.integers(min_value=1, max_value=10**9), buyer=SUBJECTS)
def test_alipay_notify_form_round_trip(subject: str, fen: int, buyer: str) -> None:
    """PAY: any subject and buyer text (&, =, %, Chinese …) survive signing, URL-encoding and the gateway's parsing:
    the same trade and the exact fen come out."""
    gateway, sandbox = _alipay()
    gateway.charge(_charge("H1", fen))
    sandbox.pay("H1")
    form = sandbox.notification("H1", subject=subject, buyer_logon_id=buyer)
    notice = gateway.parse_notice({}, _body(form), NOW)
    assert (notice.trade_number, notice.amount) == ("H1", Money(fen))


def test_the_notify_throttle_allows_a_burst_then_the_rate() -> None:
    """PAY/OWASP API6: per client, `burst` notifications at once, then `rate` a second; other clients unaffected."""
    bucket = TokenBucket(rate=2.0, burst=3)
    assert [bucket.take("1.2.3.4", now=100.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.take("5.6.7.8", now=100.0)
    assert bucket.take("1.2.3.4", now=100.5) and not bucket.take("1.2.3.4", now=100.5)
    assert [bucket.take("1.2.3.4", now=200.0) for _ in range(4)] == [True, True, True, False]
