"""WeChat Pay API v3 (微信支付 APIv3), direct merchant (直连商户): the protocol client (PAY).

What it speaks (see /work/shared/reference/payments.md, "WeChat Pay API v3"):

* every request is signed: `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
  timestamp="…",serial_no="…"`, the signature being RSA-SHA256 (PKCS#1 v1.5) with the merchant's private key over
  `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n` (`request_message`, `sign_request`, `build_authorization`);
* every 2xx answer is verified: the platform signs `TIMESTAMP\\nNONCE\\nBODY\\n` and names its key in
  `Wechatpay-Serial`; an unknown serial, a bad signature or a timestamp 5 minutes or more away is refused
  (`WechatPayError` with code RESPONSE_UNVERIFIED) before the answer is believed;
* orders: JSAPI (the mini-program; `jsapi_pay_params` gives the signed parameters for `wx.requestPayment`) and
  Native (a `code_url` for a QR code); query by out_trade_no, close; refunds keyed by out_refund_no (reuse it on
  retry — WeChat refunds once per number) and their query;
* notifications (`parse_notification`, `parse_refund_notification`): headers checked, the platform signature
  verified, the timestamp within ±5 minutes of `now`, `resource` decrypted with AEAD_AES_256_GCM under the APIv3
  key (its nonce and associated_data), merchant and app checked. Every refusal is a `NotificationRejected` with a
  stable `reason_code`; the HTTP handler answers it with a failure so WeChat retries. The same notification can
  arrive many times: the caller makes its effect idempotent (by out_trade_no / out_refund_no).

Amounts are integer fen (`total`), times are aware UTC on our side (WeChat's RFC 3339 +08:00 on the wire). Error
answers `{code, message}` raise `WechatPayError(status, code, message)`. Keys never reach a log, a repr or an
error message.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from attrs import field, frozen
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
CHINA_TZ = timezone(timedelta(hours=8))
MAX_SKEW = timedelta(minutes=5)
DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
NOTIFICATION_HEADERS = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial")


# -- errors ------------------------------------------------------------------------------------------
class WechatPayError(Exception):
    """An error answer from WeChat Pay (4xx/5xx `{code, message}`), a transport failure (status 0) or an
    answer that could not be verified (code RESPONSE_UNVERIFIED)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"WeChat Pay {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class NotificationRejected(Exception):
    """A notification we must not believe. `reason_code` is one of: MISSING_HEADERS, UNKNOWN_SERIAL,
    BAD_SIGNATURE, STALE_TIMESTAMP, MALFORMED, DECRYPT_FAILED, WRONG_EVENT, WRONG_MERCHANT, WRONG_APP,
    WRONG_AMOUNT."""

    def __init__(self, reason_code: str, detail: str = "") -> None:
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code
        self.detail = detail


# -- configuration and results -----------------------------------------------------------------------
def _platform_keys(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen(kw_only=True)
class WechatPayConfig:
    mch_id: str
    app_id: str
    serial_no: str  # the merchant API certificate's serial number
    private_key_pem: str = field(repr=False)  # the merchant API private key (apiclient_key.pem)
    api_v3_key: str = field(repr=False)  # 32 characters, the AES-256 key of notifications
    platform_public_keys: dict[str, str] = field(converter=_platform_keys, repr=False)  # serial -> PEM
    notify_url: str
    base_url: str = DEFAULT_BASE_URL

    def __attrs_post_init__(self) -> None:
        if len(self.api_v3_key.encode()) != 32:
            raise ValueError("the APIv3 key must be 32 bytes")
        if not self.platform_public_keys:
            raise ValueError("at least one platform public key is needed")


@frozen(kw_only=True)
class JsapiPayParams:
    """What the mini-program hands to `wx.requestPayment`."""

    app_id: str
    time_stamp: str
    nonce_str: str
    package: str
    sign_type: str
    pay_sign: str

    def as_dict(self) -> dict[str, str]:
        return {
            "appId": self.app_id,
            "timeStamp": self.time_stamp,
            "nonceStr": self.nonce_str,
            "package": self.package,
            "signType": self.sign_type,
            "paySign": self.pay_sign,
        }


@frozen(kw_only=True)
class TransactionQuery:
    out_trade_no: str
    trade_state: str  # SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR
    transaction_id: str
    amount_fen: int
    payer_total: int | None
    success_time: datetime | None


@frozen(kw_only=True)
class RefundStatus:
    out_refund_no: str
    refund_id: str
    out_trade_no: str
    status: str  # SUCCESS, CLOSED, PROCESSING, ABNORMAL
    refund_fen: int
    total_fen: int
    success_time: datetime | None


@frozen(kw_only=True)
class PaymentNotification:
    notification_id: str
    out_trade_no: str
    transaction_id: str
    trade_state: str
    amount_fen: int
    mch_id: str
    app_id: str
    success_time: datetime | None


@frozen(kw_only=True)
class RefundNotification:
    notification_id: str
    out_trade_no: str
    out_refund_no: str
    refund_id: str
    refund_status: str
    refund_fen: int
    total_fen: int
    mch_id: str
    success_time: datetime | None


# -- the pure protocol pieces ------------------------------------------------------------------------
def load_private_key(pem: str | bytes) -> RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode() if isinstance(pem, str) else pem, password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("an RSA private key is needed")
    return key


def load_public_key(pem: str | bytes) -> RSAPublicKey:
    data = pem.encode() if isinstance(pem, str) else pem
    if b"BEGIN CERTIFICATE" in data:
        from cryptography import x509

        key: Any = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, RSAPublicKey):
        raise ValueError("an RSA public key is needed")
    return key


def signing_message(*lines: str) -> bytes:
    """WeChat's signing string: every part followed by a newline, the last one included."""
    return "".join(f"{line}\n" for line in lines).encode()


def answer_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    """What the platform signs in answers and notifications: `TIMESTAMP\\nNONCE\\nBODY\\n` (BODY as sent)."""
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def request_message(method: str, url_path: str, timestamp: str, nonce: str, body: str) -> bytes:
    """`METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n` (BODY empty for GET)."""
    return signing_message(method.upper(), url_path, timestamp, nonce, body)


def rsa_sign(private_key: RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(public_key: RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        public_key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def sign_request(
    private_key: RSAPrivateKey, method: str, url_path: str, timestamp: str, nonce: str, body: str
) -> str:
    return rsa_sign(private_key, request_message(method, url_path, timestamp, nonce, body))


def build_authorization(mch_id: str, serial_no: str, timestamp: str, nonce: str, signature: str) -> str:
    return (
        f'{SCHEMA} mchid="{mch_id}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of an Authorization header; ValueError when it is not WeChat Pay's schema."""
    schema, _, rest = header.strip().partition(" ")
    if schema != SCHEMA or not rest:
        raise ValueError("not a WECHATPAY2-SHA256-RSA2048 authorization")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        name, eq, value = part.strip().partition("=")
        if not eq or len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
            raise ValueError("malformed authorization field")
        fields[name] = value[1:-1]
    missing = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"} - fields.keys()
    if missing:
        raise ValueError(f"authorization lacks {sorted(missing)}")
    return fields


def jsapi_pay_message(app_id: str, time_stamp: str, nonce_str: str, package: str) -> bytes:
    return signing_message(app_id, time_stamp, nonce_str, package)


def aead_encrypt(api_v3_key: str, plaintext: bytes, nonce: str, associated_data: str) -> str:
    sealed = AESGCM(api_v3_key.encode()).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode()


def aead_decrypt(api_v3_key: str, ciphertext: str, nonce: str, associated_data: str) -> bytes:
    """Raises InvalidTag (tampered, wrong key) or ValueError (not base64, bad nonce)."""
    raw = base64.b64decode(ciphertext, validate=True)
    return AESGCM(api_v3_key.encode()).decrypt(nonce.encode(), raw, associated_data.encode())


def new_nonce() -> str:
    return secrets.token_hex(16).upper()


def to_wire_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def from_wire_time(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(UTC)


def _dumps(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


# -- the client --------------------------------------------------------------------------------------
class WechatPayClient:
    """WeChat Pay API v3 over an injected `httpx.Client` (its timeouts and transport are the caller's)."""

    channel = "wechat"

    def __init__(
        self,
        config: WechatPayConfig,
        http: httpx.Client,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        nonce: Callable[[], str] = new_nonce,
    ) -> None:
        self.config = config
        self._http = http
        self._clock = clock
        self._nonce = nonce
        self._private_key = load_private_key(config.private_key_pem)
        self._platform_keys = {serial: load_public_key(pem) for serial, pem in config.platform_public_keys.items()}

    # -- orders
    def jsapi(
        self, out_trade_no: str, amount_fen: int, description: str, payer_openid: str, expires_at: datetime
    ) -> str:
        """Place a JSAPI / mini-program order; the prepay_id (valid two hours) for `jsapi_pay_params`."""
        body = self._order_body(out_trade_no, amount_fen, description, expires_at)
        body["payer"] = {"openid": payer_openid}
        answer = self._call("POST", "/v3/pay/transactions/jsapi", body=body)
        return str(answer["prepay_id"])

    def native(self, out_trade_no: str, amount_fen: int, description: str, expires_at: datetime) -> str:
        """Place a Native order; the code_url to show as a QR code."""
        body = self._order_body(out_trade_no, amount_fen, description, expires_at)
        answer = self._call("POST", "/v3/pay/transactions/native", body=body)
        return str(answer["code_url"])

    def jsapi_pay_params(self, prepay_id: str) -> JsapiPayParams:
        time_stamp = str(int(self._clock().timestamp()))
        nonce = self._nonce()
        package = f"prepay_id={prepay_id}"
        pay_sign = rsa_sign(self._private_key, jsapi_pay_message(self.config.app_id, time_stamp, nonce, package))
        return JsapiPayParams(
            app_id=self.config.app_id, time_stamp=time_stamp, nonce_str=nonce, package=package, sign_type="RSA",
            pay_sign=pay_sign,
        )

    def query(self, out_trade_no: str) -> TransactionQuery:
        path = f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
        answer = self._call("GET", path, query={"mchid": self.config.mch_id})
        return _transaction(answer)

    def query_by_transaction_id(self, transaction_id: str) -> TransactionQuery:
        answer = self._call(
            "GET", f"/v3/pay/transactions/id/{quote(transaction_id, safe='')}", query={"mchid": self.config.mch_id}
        )
        return _transaction(answer)

    def close(self, out_trade_no: str) -> None:
        self._call(
            "POST", f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close",
            body={"mchid": self.config.mch_id},
        )

    # -- refunds
    def refund(
        self, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str
    ) -> RefundStatus:
        """Ask for a refund. Retry with the same out_refund_no: WeChat refunds once per number. The answer is
        usually PROCESSING — the outcome comes by notification or `query_refund`."""
        if refund_fen <= 0 or total_fen <= 0:
            raise ValueError("refund and total must be positive fen")
        body: dict[str, Any] = {
            "out_trade_no": out_trade_no,
            "out_refund_no": out_refund_no,
            "notify_url": self.config.notify_url,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }
        if reason:
            body["reason"] = reason[:80]
        return _refund(self._call("POST", "/v3/refund/domestic/refunds", body=body))

    def query_refund(self, out_refund_no: str) -> RefundStatus:
        return _refund(self._call("GET", f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}"))

    # -- notifications
    def parse_notification(
        self, headers: Mapping[str, str], body: bytes, now: datetime, *, expected_amount_fen: int | None = None
    ) -> PaymentNotification:
        """A payment notification (TRANSACTION.SUCCESS), verified and decrypted, or NotificationRejected."""
        event, resource = self._open_notification(headers, body, now)
        if event.get("event_type") != "TRANSACTION.SUCCESS" or not isinstance(resource.get("amount"), dict):
            raise NotificationRejected("WRONG_EVENT", str(event.get("event_type")))
        if resource.get("mchid") != self.config.mch_id:
            raise NotificationRejected("WRONG_MERCHANT")
        if resource.get("appid") != self.config.app_id:
            raise NotificationRejected("WRONG_APP")
        try:
            notification = PaymentNotification(
                notification_id=str(event.get("id", "")),
                out_trade_no=str(resource["out_trade_no"]),
                transaction_id=str(resource["transaction_id"]),
                trade_state=str(resource["trade_state"]),
                amount_fen=int(resource["amount"]["total"]),
                mch_id=str(resource["mchid"]),
                app_id=str(resource["appid"]),
                success_time=from_wire_time(resource.get("success_time")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NotificationRejected("MALFORMED", "transaction fields") from exc
        if expected_amount_fen is not None and notification.amount_fen != expected_amount_fen:
            raise NotificationRejected("WRONG_AMOUNT")
        return notification

    def parse_refund_notification(self, headers: Mapping[str, str], body: bytes, now: datetime) -> RefundNotification:
        """A refund notification (REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED)."""
        event, resource = self._open_notification(headers, body, now)
        if not str(event.get("event_type", "")).startswith("REFUND."):
            raise NotificationRejected("WRONG_EVENT", str(event.get("event_type")))
        if resource.get("mchid") != self.config.mch_id:
            raise NotificationRejected("WRONG_MERCHANT")
        try:
            return RefundNotification(
                notification_id=str(event.get("id", "")),
                out_trade_no=str(resource["out_trade_no"]),
                out_refund_no=str(resource["out_refund_no"]),
                refund_id=str(resource["refund_id"]),
                refund_status=str(resource["refund_status"]),
                refund_fen=int(resource["amount"]["refund"]),
                total_fen=int(resource["amount"]["total"]),
                mch_id=str(resource["mchid"]),
                success_time=from_wire_time(resource.get("success_time")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise NotificationRejected("MALFORMED", "refund fields") from exc

    def _open_notification(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        lowered = {k.lower(): v for k, v in headers.items()}
        if any(not lowered.get(name) for name in NOTIFICATION_HEADERS):
            raise NotificationRejected("MISSING_HEADERS")
        timestamp, nonce = lowered["wechatpay-timestamp"], lowered["wechatpay-nonce"]
        key = self._platform_keys.get(lowered["wechatpay-serial"])
        if key is None:
            raise NotificationRejected("UNKNOWN_SERIAL")
        if not rsa_verify(key, answer_message(timestamp, nonce, body), lowered["wechatpay-signature"]):
            raise NotificationRejected("BAD_SIGNATURE")
        try:
            sent = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise NotificationRejected("STALE_TIMESTAMP", "unreadable") from exc
        if abs(now - sent) >= MAX_SKEW:
            raise NotificationRejected("STALE_TIMESTAMP")
        try:
            event = json.loads(body)
            encrypted = event["resource"]
            if encrypted.get("algorithm") != AEAD_ALGORITHM:
                raise NotificationRejected("MALFORMED", "algorithm")
            ciphertext, aead_nonce = str(encrypted["ciphertext"]), str(encrypted["nonce"])
            associated = str(encrypted.get("associated_data") or "")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NotificationRejected("MALFORMED", "envelope") from exc
        try:
            plaintext = aead_decrypt(self.config.api_v3_key, ciphertext, aead_nonce, associated)
        except (InvalidTag, ValueError) as exc:
            raise NotificationRejected("DECRYPT_FAILED") from exc
        try:
            resource = json.loads(plaintext)
        except ValueError as exc:
            raise NotificationRejected("MALFORMED", "resource") from exc
        if not isinstance(event, dict) or not isinstance(resource, dict):
            raise NotificationRejected("MALFORMED")
        return event, resource

    # -- transport
    def _order_body(self, out_trade_no: str, amount_fen: int, description: str, expires_at: datetime) -> dict[str, Any]:
        if amount_fen <= 0:
            raise ValueError("an order must be for a positive number of fen")
        return {
            "appid": self.config.app_id,
            "mchid": self.config.mch_id,
            "description": description[:127],
            "out_trade_no": out_trade_no,
            "time_expire": to_wire_time(expires_at),
            "notify_url": self.config.notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
        }

    def _call(
        self, method: str, path: str, *, body: Mapping[str, Any] | None = None, query: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        url_path = f"{path}?{urlencode(query)}" if query else path
        payload = _dumps(body) if body is not None else ""
        timestamp = str(int(self._clock().timestamp()))
        nonce = self._nonce()
        signature = sign_request(self._private_key, method, url_path, timestamp, nonce, payload)
        headers = {
            "Authorization": build_authorization(
                self.config.mch_id, self.config.serial_no, timestamp, nonce, signature
            ),
            "Accept": "application/json",
            "User-Agent": "yiyangkang-wechatpay/1",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(
                method, self.config.base_url.rstrip("/") + url_path, content=payload.encode(), headers=headers
            )
        except httpx.HTTPError as exc:
            raise WechatPayError(0, "TRANSPORT", type(exc).__name__) from exc
        if response.status_code >= 300:
            raise _error_from(response)
        self._verify_response(response)
        if not response.content:
            return {}
        try:
            answer = response.json()
        except ValueError as exc:
            raise WechatPayError(response.status_code, "BAD_ANSWER", "not JSON") from exc
        if not isinstance(answer, dict):
            raise WechatPayError(response.status_code, "BAD_ANSWER", "not an object")
        return answer

    def _verify_response(self, response: httpx.Response) -> None:
        h = response.headers
        timestamp, nonce = h.get("Wechatpay-Timestamp", ""), h.get("Wechatpay-Nonce", "")
        signature, serial = h.get("Wechatpay-Signature", ""), h.get("Wechatpay-Serial", "")
        status = response.status_code
        if not (timestamp and nonce and signature and serial):
            raise WechatPayError(status, "RESPONSE_UNVERIFIED", "signature headers missing")
        key = self._platform_keys.get(serial)
        if key is None:
            raise WechatPayError(status, "RESPONSE_UNVERIFIED", f"unknown platform serial {serial}")
        if not rsa_verify(key, answer_message(timestamp, nonce, response.content), signature):
            raise WechatPayError(status, "RESPONSE_UNVERIFIED", "bad signature")
        try:
            sent = datetime.fromtimestamp(int(timestamp), UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise WechatPayError(status, "RESPONSE_UNVERIFIED", "bad timestamp") from exc
        if abs(self._clock() - sent) >= MAX_SKEW:
            raise WechatPayError(status, "RESPONSE_UNVERIFIED", "stale timestamp")


def _error_from(response: httpx.Response) -> WechatPayError:
    try:
        answer = response.json()
        code, message = str(answer.get("code", "")), str(answer.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "", response.text[:200]
    return WechatPayError(response.status_code, code or f"HTTP_{response.status_code}", message)


def _transaction(answer: Mapping[str, Any]) -> TransactionQuery:
    amount = answer.get("amount") or {}
    payer_total = amount.get("payer_total")
    return TransactionQuery(
        out_trade_no=str(answer.get("out_trade_no", "")),
        trade_state=str(answer["trade_state"]),
        transaction_id=str(answer.get("transaction_id", "")),
        amount_fen=int(amount.get("total", 0)),
        payer_total=int(payer_total) if payer_total is not None else None,
        success_time=from_wire_time(answer.get("success_time")),
    )


def _refund(answer: Mapping[str, Any]) -> RefundStatus:
    amount = answer.get("amount") or {}
    return RefundStatus(
        out_refund_no=str(answer["out_refund_no"]),
        refund_id=str(answer.get("refund_id", "")),
        out_trade_no=str(answer.get("out_trade_no", "")),
        status=str(answer["status"]),
        refund_fen=int(amount.get("refund", 0)),
        total_fen=int(amount.get("total", 0)),
        success_time=from_wire_time(answer.get("success_time")),
    )
