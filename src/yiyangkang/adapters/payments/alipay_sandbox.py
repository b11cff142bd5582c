"""An in-memory Alipay gateway speaking the protocol `alipay.AlipayClient` speaks, behind an
`httpx.MockTransport` — no network. For tests, the demo and development.

It has two generated key pairs, as a real integration does: the app's (the sandbox verifies requests with
the app *public* key and answers a bad signature with 40002 / isv.invalid-signature) and Alipay's (the
sandbox signs its answers and notifications with the Alipay *private* key; the client holds its public key).

Trades: precreate (WAIT_BUYER_PAY with a `https://qr.alipay.com/…` code), `pay` (the buyer scans and pays:
TRADE_SUCCESS, and the notify form exactly as Alipay would POST it), query, close, refund (idempotent by
out_request_no, never above the total), refund query. Errors use Alipay's codes: 40004 with ACQ.TRADE_NOT_EXIST,
ACQ.TRADE_STATUS_ERROR, ACQ.TRADE_HAS_SUCCESS, ACQ.REFUND_AMT_NOT_EQUAL_TOTAL; 40002 for bad arguments.

Simplification: real Alipay creates the trade only when the buyer scans the code (a query before then answers
ACQ.TRADE_NOT_EXIST); here precreate creates it at once, waiting for payment.
"""

from __future__ import annotations

import functools
import json
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from attrs import define, field, frozen
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from yiyangkang.adapters.payments.alipay import (
    SHANGHAI,
    SUCCESS_CODE,
    TIMESTAMP_FORMAT,
    AlipayClient,
    AlipayConfig,
    fen_to_yuan,
    load_private_key,
    load_public_key,
    notification_sign_content,
    response_key,
    rsa2_sign,
    rsa2_verify,
    sign_content,
    yuan_to_fen,
)

SANDBOX_GATEWAY = "https://openapi.alipay.sandbox.invalid/gateway.do"
SANDBOX_APP_ID = "2021000000000001"
SANDBOX_SELLER_ID = "2088000000000001"
SANDBOX_NOTIFY_URL = "https://yiyangkang.example/api/payments/alipay/notify"


@frozen
class AlipayKeys:
    app_private_pem: str = field(repr=False)
    app_public_pem: str
    alipay_private_pem: str = field(repr=False)
    alipay_public_pem: str


def _pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode()
    return private, public


@functools.cache
def make_keys() -> AlipayKeys:
    """The app's and Alipay's key pairs, generated once per process (RSA-2048 keygen is slow)."""
    app_private, app_public = _pair()
    alipay_private, alipay_public = _pair()
    return AlipayKeys(app_private, app_public, alipay_private, alipay_public)


@define
class _Trade:
    out_trade_no: str
    trade_no: str
    total_fen: int
    subject: str
    status: str = "WAIT_BUYER_PAY"
    gmt_create: str = ""
    gmt_payment: str = ""
    refunds: dict[str, int] = field(factory=dict)  # out_request_no → fen

    @property
    def refunded(self) -> int:
        return sum(self.refunds.values())


class _Fail(Exception):
    def __init__(self, code: str, msg: str, sub_code: str, sub_msg: str) -> None:
        super().__init__(sub_code)
        self.body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def _not_exist() -> _Fail:
    return _Fail("40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在")


def _status_error(detail: str) -> _Fail:
    return _Fail("40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", detail)


def _bad_argument(detail: str) -> _Fail:
    return _Fail("40002", "Invalid Arguments", "isv.invalid-parameter", detail)


class AlipaySandbox:
    def __init__(
        self, *, keys: AlipayKeys | None = None, app_id: str = SANDBOX_APP_ID, seller_id: str = SANDBOX_SELLER_ID,
        notify_url: str = SANDBOX_NOTIFY_URL, clock: Callable[[], datetime] = lambda: datetime.now(SHANGHAI),
    ) -> None:
        self.keys = keys or make_keys()
        self.app_id = app_id
        self.seller_id = seller_id
        self.notify_url = notify_url
        self._clock = clock
        self._app_public = load_public_key(self.keys.app_public_pem)
        self._alipay_private = load_private_key(self.keys.alipay_private_pem)
        self._app_private = load_private_key(self.keys.app_private_pem)  # only to forge notifications
        self._lock = threading.Lock()
        self.trades: dict[str, _Trade] = {}
        self.requests: list[dict[str, str]] = []  # every request's form fields, as received
        self.tamper_response_signature = False  # flip one character of the next answers' signatures

    # -- wiring
    def config(self) -> AlipayConfig:
        return AlipayConfig(
            app_id=self.app_id, seller_id=self.seller_id, app_private_key_pem=self.keys.app_private_pem,
            alipay_public_key_pem=self.keys.alipay_public_pem, notify_url=self.notify_url,
            gateway=SANDBOX_GATEWAY,
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, **kwargs: Any) -> AlipayClient:
        return AlipayClient(self.config(), httpx.Client(transport=self.transport()), **kwargs)

    # -- the gateway
    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method != "POST" or request.url.copy_with(query=None) != httpx.URL(SANDBOX_GATEWAY):
            return httpx.Response(404, text="not found")
        params = dict(urllib.parse.parse_qsl(request.url.query.decode(), keep_blank_values=True))
        params.update(urllib.parse.parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        with self._lock:
            self.requests.append(params)
        method = params.get("method", "")
        key = response_key(method) if method else "error_response"
        try:
            self._check_request(params)
            biz = json.loads(params.get("biz_content", "{}"))
            if not isinstance(biz, dict):
                raise _bad_argument("biz_content is not a JSON object")
            handler = self._methods().get(method)
            if handler is None:
                raise _Fail("40004", "Business Failed", "isv.invalid-method", f"不存在的方法名: {method}")
            with self._lock:
                body = {"code": SUCCESS_CODE, "msg": "Success", **handler(biz)}
        except _Fail as fail:
            body = fail.body
        return self._answer(key, body)

    def _check_request(self, params: dict[str, str]) -> None:
        for name in ("app_id", "method", "charset", "sign_type", "sign", "timestamp", "version"):
            if not params.get(name):
                raise _Fail("40001", "Missing Required Arguments", f"isv.missing-{name.replace('_', '-')}", name)
        if params["app_id"] != self.app_id:
            raise _Fail("40002", "Invalid Arguments", "isv.invalid-app_id", "无效的AppID参数")
        if params["sign_type"] != "RSA2":
            raise _Fail("40002", "Invalid Arguments", "isv.invalid-signature-type", "无效的签名类型")
        if not rsa2_verify(sign_content(params), params["sign"], self._app_public):
            raise _Fail("40002", "Invalid Arguments", "isv.invalid-signature",
                        "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配")
        try:
            datetime.strptime(params["timestamp"], TIMESTAMP_FORMAT)
        except ValueError as exc:
            raise _Fail("40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数") from exc

    def _answer(self, key: str, body: dict[str, Any]) -> httpx.Response:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        sign = rsa2_sign(raw, self._alipay_private)
        if self.tamper_response_signature:
            sign = ("B" if sign[0] == "A" else "A") + sign[1:]
        text = f'{{"{key}":{raw},"sign":"{sign}"}}'
        return httpx.Response(200, content=text.encode("utf-8"),
                              headers={"Content-Type": "text/html;charset=utf-8"})

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        return {
            "alipay.trade.precreate": self._precreate,
            "alipay.trade.query": self._query,
            "alipay.trade.close": self._close,
            "alipay.trade.refund": self._refund,
            "alipay.trade.fastpay.refund.query": self._refund_query,
        }

    def _now(self) -> str:
        return self._clock().astimezone(SHANGHAI).strftime(TIMESTAMP_FORMAT)

    @staticmethod
    def _amount(biz: dict[str, Any], name: str) -> int:
        try:
            fen = yuan_to_fen(str(biz[name]))
        except (KeyError, ValueError) as exc:
            raise _bad_argument(f"{name} 格式错误") from exc
        if fen <= 0:
            raise _bad_argument(f"{name} 必须大于0")
        return fen

    def _trade(self, biz: dict[str, Any]) -> _Trade:
        trade = self.trades.get(str(biz.get("out_trade_no", "")))
        if trade is None:
            raise _not_exist()
        return trade

    def _precreate(self, biz: dict[str, Any]) -> dict[str, Any]:
        out = str(biz.get("out_trade_no", ""))
        if not out or not biz.get("subject"):
            raise _bad_argument("out_trade_no 和 subject 不能为空")
        fen = self._amount(biz, "total_amount")
        existing = self.trades.get(out)
        if existing is not None:
            if existing.status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                raise _Fail("40004", "Business Failed", "ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if existing.status == "TRADE_CLOSED":
                raise _Fail("40004", "Business Failed", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            if existing.total_fen != fen:
                raise _Fail("40004", "Business Failed", "ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
        else:
            self.trades[out] = _Trade(
                out_trade_no=out, trade_no=self._trade_no(), total_fen=fen, subject=str(biz["subject"]),
                gmt_create=self._now(),
            )
        return {"out_trade_no": out, "qr_code": f"https://qr.alipay.com/bax{secrets.token_hex(12)}"}

    def _query(self, biz: dict[str, Any]) -> dict[str, Any]:
        t = self._trade(biz)
        return {"out_trade_no": t.out_trade_no, "trade_no": t.trade_no, "trade_status": t.status,
                "total_amount": fen_to_yuan(t.total_fen)}

    def _close(self, biz: dict[str, Any]) -> dict[str, Any]:
        t = self._trade(biz)
        if t.status != "WAIT_BUYER_PAY":
            raise _status_error("交易状态不合法")
        t.status = "TRADE_CLOSED"
        return {"out_trade_no": t.out_trade_no, "trade_no": t.trade_no}

    def _refund(self, biz: dict[str, Any]) -> dict[str, Any]:
        t = self._trade(biz)
        request_no = str(biz.get("out_request_no") or t.out_trade_no)  # Alipay's default: the trade's own number
        fen = self._amount(biz, "refund_amount")
        if request_no in t.refunds:
            if t.refunds[request_no] != fen:
                raise _Fail("40004", "Business Failed", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额与原退款请求不一致")
            fund_change = "N"
        else:
            if t.status not in ("TRADE_SUCCESS",):
                raise _status_error("交易状态不合法")
            if t.refunded + fen > t.total_fen:
                raise _Fail("40004", "Business Failed", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            t.refunds[request_no] = fen
            fund_change = "Y"
            if t.refunded == t.total_fen:
                t.status = "TRADE_CLOSED"
        return {"out_trade_no": t.out_trade_no, "trade_no": t.trade_no, "fund_change": fund_change,
                "refund_fee": fen_to_yuan(t.refunded)}

    def _refund_query(self, biz: dict[str, Any]) -> dict[str, Any]:
        t = self._trade(biz)
        request_no = str(biz.get("out_request_no") or t.out_trade_no)
        body: dict[str, Any] = {"out_trade_no": t.out_trade_no, "trade_no": t.trade_no,
                                "out_request_no": request_no}
        if request_no in t.refunds:
            body |= {"total_amount": fen_to_yuan(t.total_fen), "refund_amount": fen_to_yuan(t.refunds[request_no]),
                     "refund_status": "REFUND_SUCCESS"}
        return body

    @staticmethod
    def _trade_no() -> str:
        return "2024" + "".join(str(secrets.randbelow(10)) for _ in range(24))

    # -- the buyer and the notifications
    def pay(self, out_trade_no: str) -> dict[str, str]:
        """The buyer scans and pays: the trade becomes TRADE_SUCCESS; returns the notify form (the fields of
        the POST to notify_url), signed as Alipay signs it."""
        with self._lock:
            t = self.trades.get(out_trade_no)
            if t is None:
                raise KeyError(out_trade_no)
            if t.status != "WAIT_BUYER_PAY":
                raise ValueError(f"trade {out_trade_no} is {t.status}, not waiting for payment")
            t.status = "TRADE_SUCCESS"
            t.gmt_payment = self._now()
        return self.notification(out_trade_no)

    def notification(self, out_trade_no: str, **overrides: str) -> dict[str, str]:
        """The notify form for a trade's current state, `overrides` applied before signing (so a wrong app
        or seller, or an odd amount, is still validly signed by Alipay's key)."""
        t = self.trades[out_trade_no]
        amount = fen_to_yuan(t.total_fen)
        form = {
            "notify_time": self._now(), "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
            "app_id": self.app_id, "auth_app_id": self.app_id, "charset": "utf-8", "version": "1.0",
            "sign_type": "RSA2", "trade_no": t.trade_no, "out_trade_no": t.out_trade_no,
            "seller_id": self.seller_id, "buyer_id": "2088102177846880", "trade_status": t.status,
            "total_amount": amount, "receipt_amount": amount, "buyer_pay_amount": amount,
            "invoice_amount": amount, "point_amount": "0.00", "subject": t.subject, "gmt_create": t.gmt_create,
            "gmt_payment": t.gmt_payment,
            "fund_bill_list": json.dumps([{"amount": amount, "fundChannel": "ALIPAYACCOUNT"}], separators=(",", ":")),
        }
        form.update(overrides)
        form = {k: v for k, v in form.items() if v != ""}
        form["sign"] = rsa2_sign(notification_sign_content(form), self._alipay_private)
        return form

    def forged_notification(self, out_trade_no: str) -> dict[str, str]:
        """Signed with the wrong key (the app's, as someone who stole it might) instead of Alipay's."""
        form = self.notification(out_trade_no)
        form["sign"] = rsa2_sign(notification_sign_content(form), self._app_private)
        return form

    def wrong_app_notification(self, out_trade_no: str, app_id: str = "2021999999999999") -> dict[str, str]:
        return self.notification(out_trade_no, app_id=app_id, auth_app_id=app_id)

    def wrong_seller_notification(self, out_trade_no: str, seller_id: str = "2088999999999999") -> dict[str, str]:
        return self.notification(out_trade_no, seller_id=seller_id)

    def wrong_amount_notification(self, out_trade_no: str, total_amount: str) -> dict[str, str]:
        """Validly signed with any `total_amount` text: a different amount (the caller must catch it against
        its order) or a malformed one (the client refuses it)."""
        return self.notification(out_trade_no, total_amount=total_amount)

    def tampered_notification(self, out_trade_no: str, total_amount: str) -> dict[str, str]:
        """A genuine notification whose amount was changed in transit, after signing."""
        form = self.notification(out_trade_no)
        form["total_amount"] = total_amount
        return form
