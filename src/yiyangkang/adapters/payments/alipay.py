"""Alipay (支付宝) over the classic OpenAPI gateway (`https://openapi.alipay.com/gateway.do`), for PAY:
an order placed in the back office yields a QR code the elder pays by scanning with Alipay (当面付 扫码).

The protocol, as this client speaks it:

* A request is an HTTP POST of form fields (`application/x-www-form-urlencoded; charset=utf-8`): the common
  parameters `app_id, method, format=JSON, charset=utf-8, sign_type=RSA2, timestamp, version=1.0,
  notify_url` plus `biz_content` (the method's own fields as JSON) and `sign`.
* `sign` is RSA2 — SHA256withRSA, PKCS#1 v1.5, base64 — with the app's private key over the *sign content*:
  every parameter except `sign` and the empty ones, sorted by key, `key=value` joined with `&`, UTF-8. For
  requests `sign_type` is part of the content; for asynchronous notifications both `sign` and `sign_type`
  are left out (`notification_sign_content`).
* `timestamp` is "yyyy-MM-dd HH:mm:ss" in Beijing time (Asia/Shanghai).
* The answer is JSON `{"<method with _ for .>_response": {...}, "sign": "..."}` (or `error_response` for
  some gateway errors). Its signature, made with Alipay's private key, covers the exact characters of the
  response object as sent — so the object is cut out of the raw text, never re-serialised. A success
  answer that is unsigned or whose signature fails is refused (`ResponseRejected`); an unsigned *error*
  answer (the gateway does not sign some) is still an error. `code` "10000" is success; anything else raises
  `AlipayError(code, sub_code, sub_msg)` (e.g. 40004 / ACQ.TRADE_NOT_EXIST, 40002 / isv.invalid-signature).
* Amounts are yuan strings with two decimals on the wire ("12.34") and integer fen in this API, converted
  exactly (`fen_to_yuan`, `yuan_to_fen`), never through a float.
* The asynchronous notification (异步通知) is a form POST to `notify_url`; `parse_notification` verifies it
  and checks it is for this app and this seller; the caller compares out_trade_no and the amount with its
  own order, acts only on TRADE_SUCCESS / TRADE_FINISHED and answers the plain text `success`
  (`NOTIFY_SUCCESS_BODY`) — otherwise Alipay retries for about a day.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from attrs import field, frozen
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

GATEWAY = "https://openapi.alipay.com/gateway.do"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
SUCCESS_CODE = "10000"
NOTIFY_SUCCESS_BODY = "success"  # the plain-text answer to a notification that was taken
PAID_STATUSES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=utf-8"

_YUAN = re.compile(r"^(0|[1-9]\d*)\.(\d{2})$")


# -- money on the wire --------------------------------------------------------------------------------
def fen_to_yuan(fen: int) -> str:
    """12345 → "123.45": integer arithmetic only."""
    if type(fen) is not int or fen < 0:
        raise ValueError(f"an amount in fen must be a non-negative int, not {fen!r}")
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """"123.45" → 12345. Alipay always writes two decimals; anything else (signs, exponents, spaces, one or
    three decimals, leading zeros) is refused with ValueError rather than guessed at."""
    m = _YUAN.match(text)
    if m is None:
        raise ValueError(f"not an Alipay amount: {text!r}")
    return int(m.group(1)) * 100 + int(m.group(2))


# -- RSA2 -------------------------------------------------------------------------------------------
def sign_content(params: Mapping[str, str], *, exclude: frozenset[str] = frozenset({"sign"})) -> str:
    """The string Alipay signs: non-empty parameters other than `exclude`, sorted by key, `k=v` joined by
    `&`, values as they are (not URL-encoded)."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in exclude and params[k] != "")


def notification_sign_content(form: Mapping[str, str]) -> str:
    """Notifications leave out `sign_type` as well as `sign`."""
    return sign_content(form, exclude=frozenset({"sign", "sign_type"}))


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def rsa2_sign(content: str, key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(content: str, signature: str, key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


# -- errors -----------------------------------------------------------------------------------------
class AlipayError(Exception):
    """Alipay answered, validly signed or an unsigned gateway error, with `code` other than "10000"."""

    def __init__(self, code: str, sub_code: str = "", sub_msg: str = "", msg: str = "") -> None:
        super().__init__(f"Alipay {code} {sub_code}: {sub_msg or msg}".strip())
        self.code = code
        self.sub_code = sub_code
        self.sub_msg = sub_msg
        self.msg = msg


class ResponseRejected(Exception):
    """The answer cannot be trusted: transport or HTTP failure, not JSON of the expected shape, or a
    missing or wrong signature. Nothing in it may be acted upon; query the trade again."""


class NotificationRejected(Exception):
    """An asynchronous notification was refused; `reason_code` says why (stable, for logs and metrics):
    missing_signature, unsupported_sign_type, bad_signature, wrong_app, wrong_seller, missing_field,
    bad_amount, bad_time."""

    def __init__(self, reason_code: str, detail: str = "") -> None:
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code


# -- configuration and results ----------------------------------------------------------------------
@frozen(kw_only=True)
class AlipayConfig:
    app_id: str
    seller_id: str  # the merchant's PID (2088…), which notifications carry as seller_id
    app_private_key_pem: str = field(repr=False)
    alipay_public_key_pem: str = field(repr=False)
    notify_url: str
    gateway: str = GATEWAY


@frozen(kw_only=True)
class Precreated:
    out_trade_no: str
    qr_code: str


@frozen(kw_only=True)
class TradeState:
    out_trade_no: str
    trade_no: str
    trade_status: str  # WAIT_BUYER_PAY, TRADE_CLOSED, TRADE_SUCCESS, TRADE_FINISHED
    total_fen: int

    @property
    def paid(self) -> bool:
        return self.trade_status in PAID_STATUSES


@frozen(kw_only=True)
class RefundOutcome:
    out_trade_no: str
    trade_no: str
    fund_change: bool  # False when this out_request_no had already been refunded (an idempotent retry)
    refund_fee_fen: int  # the trade's refunded total so far


@frozen(kw_only=True)
class RefundState:
    out_trade_no: str
    out_request_no: str
    found: bool  # False: no refund by this out_request_no (never made, or not yet)
    refund_fen: int = 0
    refund_status: str = ""  # REFUND_SUCCESS when found


@frozen(kw_only=True)
class AlipayNotification:
    out_trade_no: str
    trade_no: str
    trade_status: str
    total_fen: int
    gmt_payment: datetime | None  # Beijing time, aware; absent before payment
    notify_id: str = ""

    @property
    def paid(self) -> bool:
        return self.trade_status in PAID_STATUSES


# -- the raw response object ------------------------------------------------------------------------
def top_level_members(text: str) -> dict[str, tuple[Any, str]]:
    """The members of the JSON object `text`, each as (decoded value, its exact source text). Walks the
    top level with the standard decoder, so the source slices are exactly what was sent."""
    decoder = json.JSONDecoder()
    ws = re.compile(r"[ \t\n\r]*")

    def skip(i: int) -> int:
        m = ws.match(text, i)
        return m.end() if m else i

    i = skip(0)
    if text[i : i + 1] != "{":
        raise ValueError("not a JSON object")
    i = skip(i + 1)
    members: dict[str, tuple[Any, str]] = {}
    if text[i : i + 1] == "}":
        return members
    while True:
        key, i = decoder.raw_decode(text, i)
        if not isinstance(key, str):
            raise ValueError("object key is not a string")
        i = skip(i)
        if text[i : i + 1] != ":":
            raise ValueError("expected ':'")
        i = skip(i + 1)
        value, end = decoder.raw_decode(text, i)
        if key in members:
            raise ValueError(f"duplicate member {key!r}")
        members[key] = (value, text[i:end])
        i = skip(end)
        if text[i : i + 1] == ",":
            i = skip(i + 1)
            continue
        if text[i : i + 1] == "}" and not text[i + 1 :].strip():
            return members
        raise ValueError("malformed JSON object")


def response_key(method: str) -> str:
    return method.replace(".", "_") + "_response"


# -- the client ----------------------------------------------------------------------------------------
def _beijing_now() -> datetime:
    return datetime.now(SHANGHAI)


class AlipayClient:
    """Calls the gateway with an injected `httpx.Client` (a MockTransport in tests, AlipaySandbox's)."""

    channel = "alipay"

    def __init__(
        self, config: AlipayConfig, http: httpx.Client, *, now: Callable[[], datetime] = _beijing_now,
    ) -> None:
        self.config = config
        self._http = http
        self._now = now
        self._private_key = load_private_key(config.app_private_key_pem)
        self._alipay_key = load_public_key(config.alipay_public_key_pem)

    # -- the wire
    def signed_params(self, method: str, biz: Mapping[str, Any]) -> dict[str, str]:
        """The form fields of one request, `sign` included."""
        params = {
            "app_id": self.config.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": self._now().astimezone(SHANGHAI).strftime(TIMESTAMP_FORMAT),
            "version": "1.0",
            "notify_url": self.config.notify_url,
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params = {k: v for k, v in params.items() if v != ""}
        params["sign"] = rsa2_sign(sign_content(params), self._private_key)
        return params

    def call(self, method: str, biz: Mapping[str, Any]) -> dict[str, Any]:
        """One verified call: the response object of a success, else AlipayError / ResponseRejected."""
        body = urllib.parse.urlencode(self.signed_params(method, biz)).encode("ascii")
        try:
            reply = self._http.post(
                self.config.gateway, content=body, headers={"Content-Type": FORM_CONTENT_TYPE}, timeout=TIMEOUT,
            )
        except httpx.HTTPError as exc:
            raise ResponseRejected(f"{method}: transport failure: {type(exc).__name__}") from exc
        if reply.status_code != 200:
            raise ResponseRejected(f"{method}: HTTP {reply.status_code}")
        return self.verify_response(method, reply.content.decode("utf-8", errors="strict"))

    def verify_response(self, method: str, text: str) -> dict[str, Any]:
        try:
            members = top_level_members(text)
        except (ValueError, IndexError) as exc:
            raise ResponseRejected(f"{method}: not a JSON object: {exc}") from exc
        key = response_key(method)
        found = members.get(key) or members.get("error_response")
        if found is None or not isinstance(found[0], dict):
            raise ResponseRejected(f"{method}: no {key} in the answer")
        obj: dict[str, Any] = found[0]
        raw = found[1]
        sign = members.get("sign", (None, ""))[0]
        code = str(obj.get("code", ""))
        if isinstance(sign, str) and sign:
            if not rsa2_verify(raw, sign, self._alipay_key):
                raise ResponseRejected(f"{method}: the response signature does not verify")
        elif code == SUCCESS_CODE or not code:
            raise ResponseRejected(f"{method}: an unsigned answer")
        if code != SUCCESS_CODE:
            raise AlipayError(code, str(obj.get("sub_code", "")), str(obj.get("sub_msg", "")), str(obj.get("msg", "")))
        return obj

    # -- the trade API
    def precreate(self, out_trade_no: str, amount_fen: int, subject: str, timeout: timedelta) -> Precreated:
        """alipay.trade.precreate: the QR code the payer scans. `timeout` in whole minutes, 1 min … 15 days."""
        if amount_fen <= 0:
            raise ValueError("a charge must be positive")
        minutes, rest = divmod(int(timeout.total_seconds()), 60)
        if rest or not 1 <= minutes <= 15 * 24 * 60:
            raise ValueError("timeout must be whole minutes between 1 minute and 15 days")
        obj = self.call("alipay.trade.precreate", {
            "out_trade_no": out_trade_no,
            "total_amount": fen_to_yuan(amount_fen),
            "subject": subject,
            "timeout_express": f"{minutes}m",
        })
        if obj.get("out_trade_no") != out_trade_no or not isinstance(obj.get("qr_code"), str):
            raise ResponseRejected("alipay.trade.precreate: the answer is for another trade or has no qr_code")
        return Precreated(out_trade_no=out_trade_no, qr_code=obj["qr_code"])

    def query(self, out_trade_no: str) -> TradeState:
        """alipay.trade.query. An unknown trade raises AlipayError(40004, ACQ.TRADE_NOT_EXIST)."""
        obj = self.call("alipay.trade.query", {"out_trade_no": out_trade_no})
        self._same_trade("alipay.trade.query", obj, out_trade_no)
        return TradeState(
            out_trade_no=out_trade_no, trade_no=str(obj.get("trade_no", "")),
            trade_status=str(obj.get("trade_status", "")), total_fen=self._fen(obj, "total_amount"),
        )

    def close(self, out_trade_no: str) -> None:
        """alipay.trade.close: an unpaid trade can no longer be paid."""
        obj = self.call("alipay.trade.close", {"out_trade_no": out_trade_no})
        self._same_trade("alipay.trade.close", obj, out_trade_no)

    def refund(self, out_trade_no: str, out_request_no: str, refund_fen: int, reason: str) -> RefundOutcome:
        """alipay.trade.refund. `out_request_no` is the idempotency key: retry a refund with the same one and
        Alipay refunds once (fund_change False on the retry)."""
        if refund_fen <= 0:
            raise ValueError("a refund must be positive")
        biz = {"out_trade_no": out_trade_no, "out_request_no": out_request_no,
               "refund_amount": fen_to_yuan(refund_fen)}
        if reason:
            biz["refund_reason"] = reason
        obj = self.call("alipay.trade.refund", biz)
        self._same_trade("alipay.trade.refund", obj, out_trade_no)
        return RefundOutcome(
            out_trade_no=out_trade_no, trade_no=str(obj.get("trade_no", "")),
            fund_change=obj.get("fund_change") == "Y", refund_fee_fen=self._fen(obj, "refund_fee"),
        )

    def query_refund(self, out_trade_no: str, out_request_no: str) -> RefundState:
        """alipay.trade.fastpay.refund.query: a refund is made only if the answer carries refund_amount."""
        obj = self.call("alipay.trade.fastpay.refund.query",
                        {"out_trade_no": out_trade_no, "out_request_no": out_request_no})
        if "refund_amount" not in obj:
            return RefundState(out_trade_no=out_trade_no, out_request_no=out_request_no, found=False)
        self._same_trade("alipay.trade.fastpay.refund.query", obj, out_trade_no)
        return RefundState(
            out_trade_no=out_trade_no, out_request_no=out_request_no, found=True,
            refund_fen=self._fen(obj, "refund_amount"),
            refund_status=str(obj.get("refund_status", "REFUND_SUCCESS")),
        )

    @staticmethod
    def _same_trade(method: str, obj: Mapping[str, Any], out_trade_no: str) -> None:
        if obj.get("out_trade_no", out_trade_no) != out_trade_no:
            raise ResponseRejected(f"{method}: the answer is for another trade")

    @staticmethod
    def _fen(obj: Mapping[str, Any], name: str) -> int:
        try:
            return yuan_to_fen(str(obj[name]))
        except (KeyError, ValueError) as exc:
            raise ResponseRejected(f"missing or malformed {name}") from exc

    # -- the asynchronous notification
    def parse_notification(self, form: Mapping[str, str]) -> AlipayNotification:
        """Verify a notify POST (its form fields, URL-decoded) and return what it says; the caller still
        compares out_trade_no and total_fen with its own order before acting, and answers
        NOTIFY_SUCCESS_BODY."""
        sign = form.get("sign", "")
        if not sign:
            raise NotificationRejected("missing_signature")
        if form.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRejected("unsupported_sign_type", form.get("sign_type", ""))
        if not rsa2_verify(notification_sign_content(form), sign, self._alipay_key):
            raise NotificationRejected("bad_signature")
        if form.get("app_id") != self.config.app_id:
            raise NotificationRejected("wrong_app", form.get("app_id", ""))
        if form.get("seller_id") != self.config.seller_id:
            raise NotificationRejected("wrong_seller", form.get("seller_id", ""))
        for name in ("out_trade_no", "trade_no", "trade_status", "total_amount"):
            if not form.get(name):
                raise NotificationRejected("missing_field", name)
        try:
            total = yuan_to_fen(form["total_amount"])
        except ValueError as exc:
            raise NotificationRejected("bad_amount", form["total_amount"]) from exc
        paid_at: datetime | None = None
        if form.get("gmt_payment"):
            try:
                paid_at = datetime.strptime(form["gmt_payment"], TIMESTAMP_FORMAT).replace(tzinfo=SHANGHAI)
            except ValueError as exc:
                raise NotificationRejected("bad_time", form["gmt_payment"]) from exc
        return AlipayNotification(
            out_trade_no=form["out_trade_no"], trade_no=form["trade_no"], trade_status=form["trade_status"],
            total_fen=total, gmt_payment=paid_at, notify_id=form.get("notify_id", ""),
        )
