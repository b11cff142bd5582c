"""The payment channels of the tests: the confirming sandbox plus WeChat Pay, Alipay and UnionPay, each the real
client and gateway over its in-memory protocol sandbox (generated keys, real signatures, AES-GCM) on the test's
clock — and, per channel, how its provider pays, notifies (good and bad) and settles refunds."""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import png
import zxingcpp

from tests.conftest import FrozenClock
from yiyangkang.adapters.payments.alipay import SHANGHAI, TIMESTAMP_FORMAT
from yiyangkang.adapters.payments.alipay_sandbox import AlipaySandbox
from yiyangkang.adapters.payments.sandbox import SandboxPaymentGateway
from yiyangkang.adapters.payments.unionpay_sandbox import UnionPaySandbox
from yiyangkang.adapters.payments.wechatpay_sandbox import WechatPaySandbox
from yiyangkang.bootstrap import Container, sandboxed_gateway
from yiyangkang.ports.payments import PaymentChannels, PaymentGateway

Notice = tuple[dict[str, str], bytes]  # headers, body as the provider POSTs them
CHANNELS = ("wechat", "wechat-jsapi", "alipay", "unionpay")  # wechat-jsapi: WeChat paid in the mini-program
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@attrs.define
class Providers:
    wechat: WechatPaySandbox
    alipay: AlipaySandbox
    unionpay: UnionPaySandbox
    clock: FrozenClock

    # -- how each provider pays and talks
    def pay(self, channel: str, number: str) -> Notice:
        """The payer pays at the provider; the notification it then sends (not sent yet)."""
        if channel.startswith("wechat"):
            return self.wechat.pay(number)
        if channel == "alipay":
            return _form(self.alipay.pay(number))
        return _form_bytes(self.unionpay.pay(number))

    def bad(self, channel: str, kind: str, number: str, total_fen: int) -> Notice:
        """After the payer paid: a notification that must be refused. kind: forged, stale, wrong_amount,
        wrong_merchant, wrong_app (WeChat's appid, Alipay's app_id; UnionPay has one merchant id only)."""
        now = self.clock.now()
        if channel.startswith("wechat"):
            w = self.wechat
            return {"forged": lambda: w.forged_notification(number),
                    "stale": lambda: w.stale_notification(number, now - timedelta(minutes=6)),
                    "wrong_amount": lambda: w.wrong_amount_notification(number, total_fen - 1),
                    "wrong_merchant": lambda: w.wrong_merchant_notification(number),
                    "wrong_app": lambda: w.wrong_app_notification(number)}[kind]()
        if channel == "alipay":
            a = self.alipay
            old = (now - timedelta(hours=26)).astimezone(SHANGHAI).strftime(TIMESTAMP_FORMAT)
            wrong = f"{(total_fen - 1) // 100}.{(total_fen - 1) % 100:02d}"
            return _form({"forged": lambda: a.forged_notification(number),
                          "stale": lambda: a.notification(number, notify_time=old),
                          "wrong_amount": lambda: a.wrong_amount_notification(number, wrong),
                          "wrong_merchant": lambda: a.wrong_seller_notification(number),
                          "wrong_app": lambda: a.wrong_app_notification(number)}[kind]())
        u = self.unionpay
        return _form_bytes({"forged": lambda: u.forged_notification(number),
                            "stale": lambda: u.stale_notification(number, now - timedelta(days=2)),
                            "wrong_amount": lambda: u.wrong_amount_notification(number, total_fen - 1),
                            "wrong_merchant": lambda: u.wrong_merchant_notification(number),
                            "wrong_app": lambda: u.wrong_merchant_notification(number, "898222222222222")}[kind]())

    def code_url(self, channel: str, number: str) -> str:
        if channel.startswith("wechat"):
            return self.wechat.orders[number].code_url
        if channel == "alipay":
            return ""  # the sandbox does not keep it: the trade's pay_url is compared with the precreate answer
        return self.unionpay.order(number).qr_code

    def settle_refunds(self, channel: str) -> list[tuple[str, int]]:
        """The provider settles the refunds it took; (trade number, fen) of each refund it holds."""
        if channel.startswith("wechat"):
            for no in list(self.wechat.refunds):
                if self.wechat.refunds[no].status == "PROCESSING":
                    self.wechat.complete_refund(no)
            return [(r.out_trade_no, r.refund) for r in self.wechat.refunds.values()]
        if channel == "alipay":
            return [(t.out_trade_no, fen) for t in self.alipay.trades.values() for fen in t.refunds.values()]
        refunds = [o for o in self.unionpay.orders.values() if o.txn_type == "04"]
        for o in refunds:
            self.unionpay.complete_refund(o.order_id)
        paid = {o.query_id: o.order_id for o in self.unionpay.orders.values() if o.txn_type == "01"}
        return [(paid[o.orig_query_id], o.amount) for o in refunds]

    def provider_closed(self, channel: str, number: str) -> bool:
        if channel.startswith("wechat"):
            return self.wechat.orders[number].state == "CLOSED"
        if channel == "alipay":
            return self.alipay.trades[number].status == "TRADE_CLOSED"
        return True  # UnionPay has no close: its code expires at payTimeout (the trade's deadline)


def _form(fields: dict[str, str]) -> Notice:
    return {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, \
        urllib.parse.urlencode(fields).encode("utf-8")


def _form_bytes(body: bytes) -> Notice:
    return {"Content-Type": "application/x-www-form-urlencoded"}, body


def with_providers(rt: Container, clock: FrozenClock) -> tuple[Container, Providers]:
    """`rt` with four channels enabled (sandbox first, the default) over protocol sandboxes on `clock`."""
    gateways: list[PaymentGateway] = [SandboxPaymentGateway()]
    sandboxes: dict[str, Any] = {}
    for name in ("wechat", "alipay", "unionpay"):
        gateway, sandbox = sandboxed_gateway(name, clock.now)
        gateways.append(gateway)
        sandboxes[name] = sandbox
    return attrs.evolve(rt, payments=PaymentChannels(gateways)), Providers(clock=clock, **sandboxes)


def pay_body(channel: str) -> dict[str, str]:
    if channel == "wechat-jsapi":
        return {"channel": "wechat", "openid": OPENID}
    return {"channel": channel}


def gateway_channel(channel: str) -> str:
    return channel.split("-")[0]


def decode_qr(data: bytes) -> list[str]:
    """The texts of the QR codes in a PNG (zxing-cpp over pypng's pixels; no imaging library needed)."""
    width, height, rows, info = png.Reader(file=io.BytesIO(data)).asDirect()
    planes, depth = info["planes"], info["bitdepth"]
    scale: Callable[[int], int] = (lambda v: v * 255) if depth == 1 else (lambda v: v)
    grey = bytearray()
    for row in rows:
        grey.extend(scale(v) for v in list(row)[::planes])
    image = memoryview(bytes(grey)).cast("B", (height, width))
    return [b.text for b in zxingcpp.read_barcodes(image)]
