"""WeChat Pay Native behind the payment port, through the HTTP API (PAY ▲): paying a trade answers a code
to scan (also as a QR PNG); the provider's signed, encrypted notification pays it once however often it
comes; a forged, stale, wrong-amount or wrong-merchant notification is refused (WeChat's failure answer, so it
retries) and leaves it unpaid. The provider is the in-memory WeChat Pay sandbox speaking the real protocol (real
signatures, AES-GCM). tests/payments/ runs the same for every channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import attrs
import httpx
import pytest
from litestar.testing import TestClient

from apps.api.app import create_app
from tests.api.conftest import assert_error, login
from tests.conftest import REGIONS, FrozenClock
from tests.conftest import test_settings as settings_for
from tests.mall.setup import MallWorld, build_mall
from yiyangkang.adapters.payments.gateways import WechatGateway
from yiyangkang.adapters.payments.wechatpay import WechatPayClient
from yiyangkang.adapters.payments.wechatpay_sandbox import WechatPaySandbox
from yiyangkang.bootstrap import build
from yiyangkang.domain.money.ledger import Account, Owner, Purse
from yiyangkang.ports.payments import PaymentChannels
from yiyangkang.services.regions import load_regions

NOTIFY = "/api/v1/payments/wechat/notify"


@attrs.define
class Paying:
    client: TestClient[Any]
    sandbox: WechatPaySandbox
    world: MallWorld
    clock: FrozenClock

    def h(self, login_name: str) -> dict[str, str]:
        return login(self.client, login_name)

    def unpaid_trade(self) -> dict[str, Any]:
        w = self.world
        body = {"elder_id": w.elder, "address_id": w.address, "items": [{"product_id": w.products["diapers"],
                                                                       "quantity": 2}]}
        headers = self.h("elder_A")
        trade = self.client.post("/api/v1/mall/trades", json=body, headers=headers)
        assert trade.status_code == 201, trade.text
        paying = self.client.post(f"/api/v1/mall/trades/{trade.json()['id']}/pay", json={}, headers=headers)
        assert paying.status_code == 200, paying.text
        return dict(paying.json())

    def trade(self, ident: str) -> dict[str, Any]:
        return dict(self.client.get(f"/api/v1/mall/trades/{ident}", headers=self.h("elder_A")).json())

    def notify(self, notice: tuple[dict[str, str], bytes]) -> Any:
        headers, body = notice
        return self.client.post(NOTIFY, content=body, headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def paying() -> Iterator[Paying]:
    clock = FrozenClock()
    sandbox = WechatPaySandbox(clock=clock.now)
    http = httpx.Client(transport=sandbox.transport(), base_url="https://api.mch.weixin.qq.com")
    gateway = WechatGateway(WechatPayClient(sandbox.client_config(), http, clock=clock.now), clock=clock.now)
    rt = attrs.evolve(build(settings_for(), clock=clock, in_memory=True), payments=PaymentChannels([gateway]))
    load_regions(rt, REGIONS)
    world = build_mall(rt)
    with TestClient(app=create_app(rt)) as client:
        yield Paying(client, sandbox, world, clock)


def test_a_notification_pays_the_trade_once(paying: Paying) -> None:
    """PAY: Native answers a code_url (and its QR PNG); the notification pays the trade and books the money
    once, however many times the provider repeats it."""
    trade = paying.unpaid_trade()
    assert trade["status"] == "unpaid" and trade["pay_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert paying.sandbox.orders[trade["number"]].code_url == trade["pay_url"]
    png = paying.client.get(f"/api/v1/mall/trades/{trade['id']}/pay-qr.png", headers=paying.h("elder_A"))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    notice = paying.sandbox.pay(trade["number"])
    for _ in range(5):
        assert paying.notify(notice).status_code == 204
    paid = paying.trade(trade["id"])
    assert paid["status"] == "paid" and paid["pay_channel"] == "wechat"
    assert [s["status"] for s in paid["sub_orders"]] == ["pending_shipment"]
    with paying.world.rt.uow() as uow:
        assert uow.ledger.balance(Account(Owner.PROVIDER, "wechat", Purse.CASH)) == -16000
    missing = paying.client.get(f"/api/v1/mall/trades/{trade['id']}/pay-qr.png", headers=paying.h("elder_A"))
    assert_error(missing, 409, "MALL_NO_PAY_CODE")


@pytest.mark.parametrize("bad", ["forged", "stale", "tampered", "wrong_amount", "wrong_merchant"])
def test_a_bad_notification_changes_nothing(paying: Paying, bad: str) -> None:
    """PAY: forged signature, an old timestamp, tampered ciphertext, a wrong amount or another merchant: WeChat's
    failure answer (400 {"code": "FAIL"}: it sends again), and the trade stays unpaid."""
    trade = paying.unpaid_trade()
    number, sandbox = trade["number"], paying.sandbox
    sandbox.pay(number)  # paid at WeChat: what comes claiming it must still prove itself
    notice = {
        "forged": lambda: sandbox.forged_notification(number),
        "stale": lambda: sandbox.stale_notification(number, paying.clock.now() - timedelta(minutes=6)),
        "tampered": lambda: sandbox.tampered_notification(number),
        "wrong_amount": lambda: sandbox.wrong_amount_notification(number, 1),
        "wrong_merchant": lambda: sandbox.wrong_merchant_notification(number),
    }[bad]()
    refused = paying.notify(notice)
    assert refused.status_code == 400 and refused.json() == {"code": "FAIL", "message": "失败"}
    assert paying.trade(trade["id"])["status"] == "unpaid"
    assert_error(paying.client.post("/api/v1/payments/alipay/notify", content=b"{}"), 404)


def test_a_cancelled_order_is_refunded_through_wechat(paying: Paying) -> None:
    """PAY: a paid order cancelled before shipping is refunded through the provider with our refund number;
    the ledger books it back."""
    trade = paying.unpaid_trade()
    assert paying.notify(paying.sandbox.pay(trade["number"])).status_code == 204
    sub = paying.trade(trade["id"])["sub_orders"][0]
    cancelled = paying.client.post(f"/api/v1/mall/orders/{sub['id']}/cancel", json={"reason": "不需要了"},
                                   headers=paying.h("elder_A"))
    assert cancelled.status_code == 200, cancelled.text
    assert [(r.out_trade_no, r.refund) for r in paying.sandbox.refunds.values()] == [(trade["number"], 16000)]
    with paying.world.rt.uow() as uow:
        assert uow.ledger.balance(Account(Owner.PROVIDER, "wechat", Purse.CASH)) == 0
