"""PAY ▲ — every channel through the HTTP API, the providers being the protocol sandboxes (real signatures, real
encryption): WeChat Pay Native and JSAPI, Alipay precreate, UnionPay QR. For each: a good notification pays the trade
once (one payment posting in the ledger) however often it comes, each time answered the provider's way; a forged
signature, an old timestamp, a wrong amount or another merchant/app is refused in the provider's failure format,
recorded with its reason, and leaves the trade unpaid; a refund goes back through the channel; the reconciliation
job pays a trade whose notification never came and closes an expired code at the provider; the back-office QR PNG
decodes to the provider's code."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from litestar.testing import TestClient

from apps.api.app import create_app
from tests.api.conftest import assert_error, login
from tests.conftest import REGIONS, FrozenClock
from tests.conftest import test_settings as settings_for
from tests.mall.setup import MallWorld, build_mall
from tests.payments.setup import CHANNELS, Notice, Providers, decode_qr, gateway_channel, pay_body, with_providers
from yiyangkang.adapters.payments.wechatpay import jsapi_pay_message, load_public_key
from yiyangkang.bootstrap import Container, build
from yiyangkang.domain.money.ledger import Account, Owner, Purse
from yiyangkang.services import payments
from yiyangkang.services.regions import load_regions

DIAPERS_FEN = 8000


@attrs.define
class Paying:
    client: TestClient[Any]
    providers: Providers
    world: MallWorld
    rt: Container
    clock: FrozenClock

    def h(self, name: str) -> dict[str, str]:
        return login(self.client, name)

    def unpaid_trade(self, channel: str, quantity: int = 2) -> dict[str, Any]:
        w = self.world
        headers = self.h("elder_A")
        body = {"elder_id": w.elder, "address_id": w.address,
                "items": [{"product_id": w.products["diapers"], "quantity": quantity}]}
        trade = self.client.post("/api/v1/mall/trades", json=body, headers=headers)
        assert trade.status_code == 201, trade.text
        paying = self.client.post(f"/api/v1/mall/trades/{trade.json()['id']}/pay", json=pay_body(channel),
                                  headers=headers)
        assert paying.status_code == 200, paying.text
        return dict(paying.json())

    def trade(self, ident: str) -> dict[str, Any]:
        return dict(self.client.get(f"/api/v1/mall/trades/{ident}", headers=self.h("elder_A")).json())

    def notify(self, channel: str, notice: Notice) -> Any:
        headers, body = notice
        return self.client.post(f"/api/v1/payments/{gateway_channel(channel)}/notify", content=body, headers=headers)

    def provider_balance(self, channel: str) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(Account(Owner.PROVIDER, gateway_channel(channel), Purse.CASH))

    def notices(self, **query: str) -> list[dict[str, Any]]:
        found = self.client.get("/api/v1/payments/notices", params={"page_size": "100", **query},
                                headers=self.h("operator"))
        assert found.status_code == 200, found.text
        return list(found.json()["items"])


@pytest.fixture
def paying() -> Iterator[Paying]:
    clock = FrozenClock()
    rt, providers = with_providers(build(settings_for(), clock=clock, in_memory=True), clock)
    load_regions(rt, REGIONS)
    world = build_mall(rt)
    with TestClient(app=create_app(rt)) as client:
        yield Paying(client, providers, world, rt, clock)


def assert_accepted(channel: str, response: Any) -> None:
    """Each provider's success answer: WeChat 204, Alipay the text `success`, UnionPay 200."""
    name = gateway_channel(channel)
    if name == "wechat":
        assert response.status_code == 204, response.text
    elif name == "alipay":
        assert (response.status_code, response.text) == (200, "success")
    else:
        assert response.status_code == 200, response.text


def assert_refused(channel: str, response: Any) -> None:
    """Each provider's failure answer, so it sends again: WeChat 4xx {"code": "FAIL"}, Alipay anything but
    `success`, UnionPay not 200."""
    name = gateway_channel(channel)
    if name == "wechat":
        assert response.status_code == 400 and response.json()["code"] == "FAIL", response.text
    elif name == "alipay":
        assert response.text != "success"
    else:
        assert response.status_code != 200


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_notification_pays_once_however_often_it_comes(paying: Paying, channel: str) -> None:
    """PAY: paid at the provider, notified five times: paid once, one payment posting, success answered each time;
    the outcomes are recorded (accepted once, then duplicates) with the body's SHA-256, never the body."""
    trade = paying.unpaid_trade(channel)
    assert trade["status"] == "unpaid" and trade["pay_channel"] == gateway_channel(channel)
    notice = paying.providers.pay(channel, trade["number"])
    for _ in range(5):
        assert_accepted(channel, paying.notify(channel, notice))
    paid = paying.trade(trade["id"])
    assert paid["status"] == "paid" and paid["pay_channel"] == gateway_channel(channel)
    assert paying.provider_balance(channel) == -2 * DIAPERS_FEN  # one payment posting: five would be -80000
    recorded = paying.notices(trade_number=trade["number"])
    assert sorted(n["outcome"] for n in recorded) == ["accepted"] + ["duplicate"] * 4
    assert all(len(n["body_sha256"]) == 64 and n["channel"] == gateway_channel(channel) for n in recorded)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", ["forged", "stale", "wrong_amount", "wrong_merchant", "wrong_app"])
def test_a_bad_notification_is_refused_recorded_and_changes_nothing(paying: Paying, channel: str, kind: str) -> None:
    """PAY: a forged signature, an old timestamp, another amount, another merchant or app: the provider's failure
    answer, a `refused` record with the reason, the trade still unpaid and nothing in the ledger."""
    trade = paying.unpaid_trade(channel)
    paying.providers.pay(channel, trade["number"])  # the money is there; what comes claiming it is not to be believed
    bad = paying.providers.bad(channel, kind, trade["number"], 2 * DIAPERS_FEN)
    assert_refused(channel, paying.notify(channel, bad))
    assert paying.trade(trade["id"])["status"] == "unpaid"
    assert paying.provider_balance(channel) == 0
    [record] = paying.notices(channel=gateway_channel(channel), outcome="refused")
    assert record["reason"], record
    if kind == "wrong_amount":
        assert record["reason"] == "MALL_PAYMENT_AMOUNT_MISMATCH" and record["trade_number"] == trade["number"]
    if kind == "stale":
        assert record["reason"] == "STALE_TIMESTAMP"


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_refund_goes_back_through_the_channel(paying: Paying, channel: str) -> None:
    """PAY: a paid order cancelled before shipping is refunded through the provider it was paid by (原路退款);
    a refund the provider settles later is followed by the reconciliation until it succeeds; the ledger is even."""
    trade = paying.unpaid_trade(channel)
    assert_accepted(channel, paying.notify(channel, paying.providers.pay(channel, trade["number"])))
    sub = paying.trade(trade["id"])["sub_orders"][0]
    cancelled = paying.client.post(f"/api/v1/mall/orders/{sub['id']}/cancel", json={"reason": "不需要了"},
                                   headers=paying.h("elder_A"))
    assert cancelled.status_code == 200, cancelled.text
    assert paying.provider_balance(channel) == 0
    in_flight = payments.list_refunds(paying.rt, paying.world.p("operator"))
    assert [r.state for r in in_flight] == ([] if channel == "alipay" else ["processing"])
    assert paying.providers.settle_refunds(channel) == [(trade["number"], 2 * DIAPERS_FEN)]
    report = payments.reconcile_pending(paying.rt)
    assert report.refunds_settled == (0 if channel == "alipay" else 1) and report.refunds_failed == 0
    assert all(r.state == "succeeded" for r in payments.list_refunds(paying.rt, paying.world.p("operator")))


@pytest.mark.parametrize("channel", CHANNELS)
def test_reconciliation_pays_a_trade_whose_notification_never_came(paying: Paying, channel: str) -> None:
    """PAY: the payer paid but the notification was lost: the reconciliation job asks the provider and records the
    payment once (a second run finds nothing more)."""
    trade = paying.unpaid_trade(channel)
    paying.providers.pay(channel, trade["number"])  # never delivered
    first = payments.reconcile_pending(paying.rt)
    assert (first.checked, first.paid, first.errors) == (1, 1, 0)
    assert paying.trade(trade["id"])["status"] == "paid"
    assert paying.provider_balance(channel) == -2 * DIAPERS_FEN
    again = payments.reconcile_pending(paying.rt)
    assert (again.checked, again.paid) == (0, 0)


@pytest.mark.parametrize("channel", CHANNELS)
def test_reconciliation_closes_an_expired_code_at_the_provider(paying: Paying, channel: str) -> None:
    """PAY: unpaid at the provider and past its deadline: closed there, so the code can no longer be paid; before the
    deadline nothing is closed."""
    trade = paying.unpaid_trade(channel)
    assert payments.reconcile_pending(paying.rt).closed == 0
    paying.clock.advance(minutes=31)
    report = payments.reconcile_pending(paying.rt)
    assert (report.checked, report.paid, report.closed) == (1, 0, 1)
    assert paying.providers.provider_closed(channel, trade["number"])


@pytest.mark.parametrize("channel", ["wechat", "alipay", "unionpay"])
def test_the_back_office_qr_png_decodes_to_the_provider_code(paying: Paying, channel: str) -> None:
    """PAY: an order placed in the back office yields a QR code PNG that decodes to the provider's code_url."""
    trade = paying.unpaid_trade(channel)
    png = paying.client.get(f"/api/v1/mall/trades/{trade['id']}/pay-qr.png", headers=paying.h("elder_A"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert decode_qr(png.content) == [trade["pay_url"]]
    expected = paying.providers.code_url(channel, trade["number"])
    assert trade["pay_url"] == (expected or trade["pay_url"]) and trade["pay_url"].startswith(
        {"wechat": "weixin://wxpay/bizpayurl?pr=", "alipay": "https://qr.alipay.com/",
         "unionpay": "https://qr.95516.com/"}[channel])


def test_jsapi_answers_signed_request_payment_parameters(paying: Paying) -> None:
    """PAY: paying in the mini-program with the payer's openid answers what wx.requestPayment needs: the prepay_id
    package, RSA signType and a paySign the merchant key made over appId, timeStamp, nonceStr and package."""
    trade = paying.unpaid_trade("wechat-jsapi")
    params = trade["pay_params"]
    order = paying.providers.wechat.orders[trade["number"]]
    assert order.trade_type == "JSAPI" and order.openid == "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
    assert params["package"] == f"prepay_id={order.prepay_id}" and params["signType"] == "RSA"
    assert trade["pay_url"] == ""
    key = load_public_key(paying.providers.wechat.keys.merchant_public_pem)
    key.verify(base64.b64decode(params["paySign"]),
               jsapi_pay_message(params["appId"], params["timeStamp"], params["nonceStr"], params["package"]),
               padding.PKCS1v15(), hashes.SHA256())


def test_channels_unknown_or_not_enabled_are_refused(paying: Paying) -> None:
    """PAY: a notification to a channel that is not enabled is 404; paying through one is a 422 naming the field."""
    assert_error(paying.client.post("/api/v1/payments/paypal/notify", content=b"x=1"), 404)
    trade = paying.unpaid_trade("wechat")
    rt = attrs.evolve(paying.rt, payments=type(paying.rt.payments)([paying.rt.payments.get("sandbox")]))
    with TestClient(app=create_app(rt)) as only_sandbox:
        headers = login(only_sandbox, "elder_A")
        refused = only_sandbox.post(f"/api/v1/mall/trades/{trade['id']}/pay", json={"channel": "alipay"},
                                    headers=headers)
        assert assert_error(refused, 422)["details"][0]["code"] == "CHANNEL_UNAVAILABLE"
        assert_error(only_sandbox.post("/api/v1/payments/wechat/notify", content=b"{}"), 404)


def test_switching_channel_closes_the_previous_code(paying: Paying) -> None:
    """PAY: a trade first shown as a WeChat code and then paid by Alipay: the WeChat order is closed first, so the
    payer cannot pay twice."""
    trade = paying.unpaid_trade("wechat")
    again = paying.client.post(f"/api/v1/mall/trades/{trade['id']}/pay", json={"channel": "alipay"},
                               headers=paying.h("elder_A"))
    assert again.status_code == 200, again.text
    assert again.json()["pay_channel"] == "alipay" and again.json()["pay_url"].startswith("https://qr.alipay.com/")
    assert paying.providers.wechat.orders[trade["number"]].state == "CLOSED"


def test_only_platform_operators_read_the_notices(paying: Paying) -> None:
    """PAY/OWASP API5: the notification record is the platform's: an institution admin, staff and the elder are
    refused; filters narrow the operator's list."""
    trade = paying.unpaid_trade("alipay")
    paying.notify("alipay", paying.providers.pay("alipay", trade["number"]))
    for name in ("admin_A", "staff_A", "elder_A", "auditor"):
        assert_error(paying.client.get("/api/v1/payments/notices", headers=paying.h(name)), 403)
        assert_error(paying.client.get("/api/v1/payments/refunds", headers=paying.h(name)), 403)
    assert len(paying.notices(channel="alipay", outcome="accepted")) == 1
    assert paying.notices(channel="wechat") == []
    assert paying.notices(trade_number="T-NOPE") == []
    assert_error(paying.client.get("/api/v1/payments/notices", params={"outcome": "maybe"},
                                   headers=paying.h("operator")), 400)
    assert_error(paying.client.get("/api/v1/payments/notices"), 401)
    for state in ("processing", "failed"):  # refunds in process or failed: none here
        found = paying.client.get("/api/v1/payments/refunds", params={"state": state}, headers=paying.h("operator"))
        assert found.status_code == 200 and found.json() == [], found.text
    assert_error(paying.client.get("/api/v1/payments/refunds", params={"state": "lost"},
                                   headers=paying.h("operator")), 400)


@pytest.mark.parametrize("channel", ["wechat", "unionpay"])
def test_a_refund_result_sent_to_the_notify_url_is_taken_and_changes_nothing(paying: Paying, channel: str) -> None:
    """PAY: WeChat and UnionPay post a refund's result to the same URL: verified, answered with success (so they stop
    sending), recorded as a notice of no payment; the refund itself is followed by query."""
    trade = paying.unpaid_trade(channel)
    assert_accepted(channel, paying.notify(channel, paying.providers.pay(channel, trade["number"])))
    sub = paying.trade(trade["id"])["sub_orders"][0]
    assert paying.client.post(f"/api/v1/mall/orders/{sub['id']}/cancel", json={"reason": "不需要了"},
                              headers=paying.h("elder_A")).status_code == 200
    providers = paying.providers
    if channel == "wechat":
        [refund_no] = list(providers.wechat.refunds)
        notice = providers.wechat.complete_refund(refund_no)
    else:
        [refund] = [o for o in providers.unionpay.orders.values() if o.txn_type == "04"]
        providers.unionpay.complete_refund(refund.order_id)
        notice = ({}, providers.unionpay.refund_notification(refund.order_id))
    assert_accepted(channel, paying.notify(channel, notice))
    assert [n["reason"] for n in paying.notices(outcome="duplicate")] == ["NO_PAYMENT"]
    assert paying.trade(trade["id"])["status"] == "paid" and paying.provider_balance(channel) == 0
