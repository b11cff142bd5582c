"""A WeChat Pay API v3 sandbox that speaks the real protocol, in memory (PAY): an `httpx.MockTransport` handler.

It holds the merchant's public key (every request's Authorization is verified: a bad or missing signature is
401 SIGN_ERROR) and its own platform key pair (every answer and notification is signed with it, under
`platform_serial_no`). It implements JSAPI and Native orders, query by out_trade_no or transaction id, close,
refunds (idempotent by out_refund_no, never above what is left of the paid total: 400 INVALID_REQUEST) and their
query. `pay(out_trade_no)` plays the payer: the order becomes SUCCESS and the notification WeChat would POST
(headers, body — signed, the resource AEAD_AES_256_GCM-encrypted under the APIv3 key) comes back. Refunds answer
PROCESSING; `complete_refund` settles one and returns its REFUND.SUCCESS notification. The `*_notification`
helpers forge the bad ones tests need (foreign signature, unknown serial, tampered ciphertext, other merchant,
other amount, any timestamp).

Error codes follow WeChat's: PARAM_ERROR, SIGN_ERROR, ORDER_NOT_EXIST, RESOURCE_NOT_EXISTS, INVALID_REQUEST,
OUT_TRADE_NO_USED, ORDERPAID (closing a paid order; our choice among WeChat's codes), MCH_NOT_EXISTS.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import secrets
import string
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import attrs
import httpx
from attrs import define, frozen
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from yiyangkang.adapters.payments.wechatpay import (
    AEAD_ALGORITHM,
    MAX_SKEW,
    WechatPayConfig,
    aead_encrypt,
    answer_message,
    load_private_key,
    load_public_key,
    new_nonce,
    parse_authorization,
    rsa_sign,
    rsa_verify,
    to_wire_time,
)

Notification = tuple[dict[str, str], bytes]


# -- keys for tests and the demo ---------------------------------------------------------------------
@frozen
class SandboxKeys:
    merchant_private_pem: str = attrs.field(repr=False)
    merchant_public_pem: str
    platform_private_pem: str = attrs.field(repr=False)
    platform_public_pem: str
    intruder_private_pem: str = attrs.field(repr=False)  # signs forged notifications


def _keypair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@functools.cache
def make_keys() -> SandboxKeys:
    """RSA-2048 keys for merchant, platform and an intruder; generated once per process (keygen is slow)."""
    merchant, platform, intruder = _keypair(), _keypair(), _keypair()
    return SandboxKeys(merchant[0], merchant[1], platform[0], platform[1], intruder[0])


# -- in-memory state ---------------------------------------------------------------------------------
@define
class _Order:
    out_trade_no: str
    trade_type: str
    total: int
    description: str
    openid: str
    time_expire: str
    notify_url: str
    prepay_id: str = ""
    code_url: str = ""
    state: str = "NOTPAY"
    transaction_id: str = ""
    success_time: datetime | None = None
    refunded: int = 0


@define
class _Refund:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    transaction_id: str
    refund: int
    total: int
    reason: str
    created: datetime
    status: str = "PROCESSING"
    success_time: datetime | None = None


class _Answer(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


_ORDER_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/]+)$")
_CLOSE_PATH = re.compile(r"^/v3/pay/transactions/out-trade-no/([^/]+)/close$")
_ID_PATH = re.compile(r"^/v3/pay/transactions/id/([^/]+)$")
_REFUND_PATH = re.compile(r"^/v3/refund/domestic/refunds/([^/]+)$")


def _alnum(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(n))


class WechatPaySandbox:
    def __init__(
        self,
        *,
        keys: SandboxKeys | None = None,
        mch_id: str = "1900000109",
        app_id: str = "wx8888888888888888",
        merchant_serial_no: str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        platform_serial_no: str = "7132D72A03E93CDDF8C03BBD1F37EEDF9F6DCBF7",
        api_v3_key: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.keys = keys or make_keys()
        self.mch_id, self.app_id = mch_id, app_id
        self.merchant_serial_no, self.platform_serial_no = merchant_serial_no, platform_serial_no
        self.api_v3_key = api_v3_key or secrets.token_hex(16)
        self.clock = clock
        self._merchant_key = load_public_key(self.keys.merchant_public_pem)
        self._platform_key = load_private_key(self.keys.platform_private_pem)
        self._lock = threading.Lock()
        self.orders: dict[str, _Order] = {}
        self.refunds: dict[str, _Refund] = {}
        self.requests: list[httpx.Request] = []
        self._seq = 0

    # -- wiring
    def client_config(self, notify_url: str = "https://yyk.example.com/pay/wechat/notify") -> WechatPayConfig:
        return WechatPayConfig(
            mch_id=self.mch_id, app_id=self.app_id, serial_no=self.merchant_serial_no,
            private_key_pem=self.keys.merchant_private_pem, api_v3_key=self.api_v3_key,
            platform_public_keys={self.platform_serial_no: self.keys.platform_public_pem}, notify_url=notify_url,
        )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- the payer and WeChat's side of things
    def pay(self, out_trade_no: str, *, payer_total: int | None = None) -> Notification:
        """The payer pays: the order becomes SUCCESS; the TRANSACTION.SUCCESS notification as WeChat POSTs it."""
        with self._lock:
            order = self.orders[out_trade_no]
            if order.state != "NOTPAY":
                raise ValueError(f"order {out_trade_no} is {order.state}")
            order.state = "SUCCESS"
            order.transaction_id = f"42000{self._next():023d}"
            order.success_time = self.clock().replace(microsecond=0)
            resource = self._transaction_json(order, payer_total=payer_total)
        return self.notification_for(resource)

    def complete_refund(self, out_refund_no: str) -> Notification:
        with self._lock:
            refund = self.refunds[out_refund_no]
            refund.status = "SUCCESS"
            refund.success_time = self.clock().replace(microsecond=0)
            resource = {
                "mchid": self.mch_id, "out_trade_no": refund.out_trade_no, "transaction_id": refund.transaction_id,
                "out_refund_no": refund.out_refund_no, "refund_id": refund.refund_id, "refund_status": "SUCCESS",
                "success_time": to_wire_time(refund.success_time), "user_received_account": "支付用户零钱",
                "amount": {"total": refund.total, "refund": refund.refund, "payer_total": refund.total,
                           "payer_refund": refund.refund},
            }
        return self.notification_for(resource, event_type="REFUND.SUCCESS", summary="退款成功", original_type="refund")

    def notification_for(
        self,
        resource: dict[str, Any],
        *,
        event_type: str = "TRANSACTION.SUCCESS",
        summary: str = "支付成功",
        original_type: str = "transaction",
        timestamp: datetime | None = None,
        signer_pem: str | None = None,
        serial: str | None = None,
        tamper_ciphertext: bool = False,
    ) -> Notification:
        """Encrypt and sign a notification; the keyword arguments make the bad ones."""
        nonce = _alnum(12)
        ciphertext = aead_encrypt(
            self.api_v3_key, json.dumps(resource, ensure_ascii=False).encode(), nonce, original_type
        )
        if tamper_ciphertext:
            raw = bytearray(base64.b64decode(ciphertext))
            raw[0] ^= 0x01
            ciphertext = base64.b64encode(bytes(raw)).decode()
        created = timestamp or self.clock()
        event = {
            "id": f"EV-{self._next():018d}",
            "create_time": to_wire_time(created),
            "resource_type": "encrypt-resource",
            "event_type": event_type,
            "summary": summary,
            "resource": {
                "original_type": original_type, "algorithm": AEAD_ALGORITHM, "ciphertext": ciphertext,
                "associated_data": original_type, "nonce": nonce,
            },
        }
        body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
        signer = load_private_key(signer_pem) if signer_pem else self._platform_key
        return self._signed_headers(body, created, signer, serial), body

    def transaction_resource(self, out_trade_no: str) -> dict[str, Any]:
        with self._lock:
            return self._transaction_json(self.orders[out_trade_no])

    def forged_notification(self, out_trade_no: str) -> Notification:
        """Signed by someone else's key under the platform's serial."""
        return self.notification_for(self.transaction_resource(out_trade_no), signer_pem=self.keys.intruder_private_pem)

    def unknown_serial_notification(self, out_trade_no: str) -> Notification:
        return self.notification_for(self.transaction_resource(out_trade_no), serial="0" * 40)

    def stale_notification(self, out_trade_no: str, sent_at: datetime) -> Notification:
        return self.notification_for(self.transaction_resource(out_trade_no), timestamp=sent_at)

    def tampered_notification(self, out_trade_no: str) -> Notification:
        """Validly signed, but its ciphertext no longer authenticates."""
        return self.notification_for(self.transaction_resource(out_trade_no), tamper_ciphertext=True)

    def wrong_amount_notification(self, out_trade_no: str, amount_fen: int) -> Notification:
        resource = self.transaction_resource(out_trade_no)
        resource["amount"] = {**resource["amount"], "total": amount_fen, "payer_total": amount_fen}
        return self.notification_for(resource)

    def wrong_merchant_notification(self, out_trade_no: str, mch_id: str = "1230000109") -> Notification:
        return self.notification_for({**self.transaction_resource(out_trade_no), "mchid": mch_id})

    def wrong_app_notification(self, out_trade_no: str, app_id: str = "wx0000000000000000") -> Notification:
        return self.notification_for({**self.transaction_resource(out_trade_no), "appid": app_id})

    # -- the HTTP side
    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        try:
            self._authenticate(request)
            status, answer = self._route(request)
        except _Answer as error:
            status, answer = error.status, {"code": error.code, "message": error.message}
        body = b"" if answer is None else json.dumps(answer, ensure_ascii=False, separators=(",", ":")).encode()
        headers = self._signed_headers(body, self.clock(), self._platform_key, None)
        headers["Request-ID"] = f"08{self._next():030d}"
        if body:
            headers["Content-Type"] = "application/json"
        return httpx.Response(status, content=body, headers=headers)

    def _authenticate(self, request: httpx.Request) -> None:
        try:
            fields = parse_authorization(request.headers.get("Authorization", ""))
        except ValueError as exc:
            raise _Answer(401, "SIGN_ERROR", "Authorization 不合法") from exc
        if fields["mchid"] != self.mch_id:
            raise _Answer(401, "SIGN_ERROR", "商户号不匹配")
        if fields["serial_no"] != self.merchant_serial_no:
            raise _Answer(401, "SIGN_ERROR", "证书序列号不匹配")
        try:
            sent = datetime.fromtimestamp(int(fields["timestamp"]), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise _Answer(401, "SIGN_ERROR", "时间戳不合法") from exc
        if abs(self.clock() - sent) >= MAX_SKEW:
            raise _Answer(401, "SIGN_ERROR", "时间戳过期")
        path = request.url.raw_path.decode()
        head = f"{request.method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n".encode()
        message = head + request.content + b"\n"  # BODY as sent, byte for byte
        if not rsa_verify(self._merchant_key, message, fields["signature"]):
            raise _Answer(401, "SIGN_ERROR", "签名错误")

    def _route(self, request: httpx.Request) -> tuple[int, dict[str, Any] | None]:
        path, method = request.url.path, request.method
        with self._lock:
            if method == "POST" and path in ("/v3/pay/transactions/jsapi", "/v3/pay/transactions/native"):
                return 200, self._place(path.rsplit("/", 1)[1].upper(), self._body(request))
            if method == "GET" and (m := _ORDER_PATH.match(path)):
                self._check_mchid(request.url.params.get("mchid"))
                return 200, self._transaction_json(self._order(unquote(m.group(1))))
            if method == "GET" and (m := _ID_PATH.match(path)):
                self._check_mchid(request.url.params.get("mchid"))
                wanted = unquote(m.group(1))
                found = [o for o in self.orders.values() if o.transaction_id and o.transaction_id == wanted]
                if not found:
                    raise _Answer(404, "ORDER_NOT_EXIST", "订单不存在")
                return 200, self._transaction_json(found[0])
            if method == "POST" and (m := _CLOSE_PATH.match(path)):
                self._check_mchid(self._body(request).get("mchid"))
                self._close(self._order(unquote(m.group(1))))
                return 204, None
            if method == "POST" and path == "/v3/refund/domestic/refunds":
                return 200, self._refund_json(self._create_refund(self._body(request)))
            if method == "GET" and (m := _REFUND_PATH.match(path)):
                refund = self.refunds.get(unquote(m.group(1)))
                if refund is None:
                    raise _Answer(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
                return 200, self._refund_json(refund)
        raise _Answer(404, "NOT_FOUND", "no such API")

    # -- endpoints
    def _place(self, trade_type: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("appid") != self.app_id:
            raise _Answer(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
        self._check_mchid(body.get("mchid"))
        amount = body.get("amount") or {}
        total = amount.get("total")
        openid = str((body.get("payer") or {}).get("openid", ""))
        required = ("description", "out_trade_no", "notify_url")
        if (
            any(not isinstance(body.get(k), str) or not body.get(k) for k in required)
            or not isinstance(total, int) or isinstance(total, bool) or total <= 0
            or amount.get("currency", "CNY") != "CNY"
            or (trade_type == "JSAPI" and not openid)
        ):
            raise _Answer(400, "PARAM_ERROR", "参数错误")
        existing = self.orders.get(body["out_trade_no"])
        if existing is not None:
            same = (existing.trade_type, existing.total, existing.description, existing.openid) == (
                trade_type, total, body["description"], openid,
            )
            if not same or existing.state != "NOTPAY":
                raise _Answer(400, "OUT_TRADE_NO_USED", "商户订单号重复")
            order = existing
        else:
            order = _Order(
                out_trade_no=body["out_trade_no"], trade_type=trade_type, total=total, description=body["description"],
                openid=openid, time_expire=str(body.get("time_expire", "")), notify_url=body["notify_url"],
                prepay_id=f"wx{self._next():030d}", code_url=f"weixin://wxpay/bizpayurl?pr={_alnum(9)}",
            )
            self.orders[order.out_trade_no] = order
        return {"prepay_id": order.prepay_id} if trade_type == "JSAPI" else {"code_url": order.code_url}

    def _close(self, order: _Order) -> None:
        if order.state in ("SUCCESS", "REFUND"):
            raise _Answer(400, "ORDERPAID", "订单已支付")
        order.state = "CLOSED"

    def _create_refund(self, body: dict[str, Any]) -> _Refund:
        amount = body.get("amount") or {}
        refund_fen, total = amount.get("refund"), amount.get("total")
        out_refund_no = body.get("out_refund_no")
        if (
            not isinstance(out_refund_no, str) or not out_refund_no
            or not isinstance(refund_fen, int) or not isinstance(total, int) or refund_fen <= 0
            or amount.get("currency", "CNY") != "CNY"
        ):
            raise _Answer(400, "PARAM_ERROR", "参数错误")
        if "out_trade_no" in body:
            order = self.orders.get(str(body["out_trade_no"]))
        else:
            order = next((o for o in self.orders.values() if o.transaction_id == body.get("transaction_id")), None)
        if order is None:
            raise _Answer(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        existing = self.refunds.get(out_refund_no)
        if existing is not None:  # the same number again: the same refund, never a second one
            if (existing.out_trade_no, existing.refund, existing.total) != (order.out_trade_no, refund_fen, total):
                raise _Answer(400, "INVALID_REQUEST", "退款单号已存在且参数不一致")
            return existing
        if order.state not in ("SUCCESS", "REFUND"):
            raise _Answer(400, "INVALID_REQUEST", "订单未支付")
        if total != order.total:
            raise _Answer(400, "PARAM_ERROR", "订单金额与原订单不一致")
        if refund_fen > order.total - order.refunded:
            raise _Answer(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        order.refunded += refund_fen
        order.state = "REFUND"
        refund = _Refund(
            out_refund_no=out_refund_no, refund_id=f"50000{self._next():025d}", out_trade_no=order.out_trade_no,
            transaction_id=order.transaction_id, refund=refund_fen, total=total, reason=str(body.get("reason", "")),
            created=self.clock().replace(microsecond=0),
        )
        self.refunds[out_refund_no] = refund
        return refund

    # -- helpers
    def _body(self, request: httpx.Request) -> dict[str, Any]:
        try:
            body = json.loads(request.content)
        except ValueError as exc:
            raise _Answer(400, "PARAM_ERROR", "请求体不是JSON") from exc
        if not isinstance(body, dict):
            raise _Answer(400, "PARAM_ERROR", "请求体不是对象")
        return body

    def _check_mchid(self, mch_id: object) -> None:
        if mch_id != self.mch_id:
            raise _Answer(400, "MCH_NOT_EXISTS", "商户号不存在")

    def _order(self, out_trade_no: str) -> _Order:
        order = self.orders.get(out_trade_no)
        if order is None:
            raise _Answer(404, "ORDER_NOT_EXIST", "订单不存在")
        return order

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _transaction_json(self, order: _Order, *, payer_total: int | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "appid": self.app_id, "mchid": self.mch_id, "out_trade_no": order.out_trade_no,
            "trade_type": order.trade_type, "trade_state": order.state, "trade_state_desc": order.state,
            "attach": "", "amount": {"total": order.total, "currency": "CNY"},
        }
        if order.transaction_id:
            answer.update(
                transaction_id=order.transaction_id, bank_type="OTHERS",
                success_time=to_wire_time(order.success_time) if order.success_time else "",
                payer={"openid": order.openid},
            )
            answer["amount"].update(
                payer_total=order.total if payer_total is None else payer_total, payer_currency="CNY"
            )
        return answer

    def _refund_json(self, refund: _Refund) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "refund_id": refund.refund_id, "out_refund_no": refund.out_refund_no,
            "transaction_id": refund.transaction_id, "out_trade_no": refund.out_trade_no, "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱", "create_time": to_wire_time(refund.created),
            "status": refund.status, "funds_account": "AVAILABLE",
            "amount": {"total": refund.total, "refund": refund.refund, "payer_total": refund.total,
                       "payer_refund": refund.refund, "settlement_refund": refund.refund,
                       "settlement_total": refund.total, "discount_refund": 0, "currency": "CNY"},
        }
        if refund.success_time:
            answer["success_time"] = to_wire_time(refund.success_time)
        return answer

    def _signed_headers(self, body: bytes, at: datetime, signer: Any, serial: str | None) -> dict[str, str]:
        timestamp, nonce = str(int(at.timestamp())), new_nonce()
        return {
            "Wechatpay-Timestamp": timestamp,
            "Wechatpay-Nonce": nonce,
            "Wechatpay-Signature": rsa_sign(signer, answer_message(timestamp, nonce, body)),
            "Wechatpay-Serial": serial or self.platform_serial_no,
            "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
        }
