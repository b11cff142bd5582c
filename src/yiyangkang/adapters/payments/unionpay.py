"""UnionPay (中国银联) online gateway 5.1.0 — 二维码支付 (the payer scans a code the merchant applied for), the
protocol client (PAY).

What it speaks (see /work/shared/reference/payments.md, "UnionPay (gateway 5.1.0)"):

* A request is an HTTP POST of form fields (`application/x-www-form-urlencoded;charset=UTF-8`) to
  `/gateway/api/backTransReq.do` (apply a QR code: txnType 01 / txnSubType 07; refund: txnType 04 / 00 against the
  payment's `origQryId`) or `/gateway/api/queryTrans.do` (query: txnType 00 by orderId + txnTime). Common fields:
  version 5.1.0, encoding UTF-8, signMethod 01, bizType 000000, accessType 0 (direct merchant), channelType 08,
  merId, orderId, txnTime (yyyyMMddHHmmss, Beijing), currencyCode 156, txnAmt in integer fen, backUrl.
* signMethod 01 = RSA with SHA-256: the *sign content* is every field but `signature`, sorted by name,
  `key=value` joined with `&`; its SHA-256 as lowercase hex is what is signed (RSA PKCS#1 v1.5 with SHA-256, base64)
  with the merchant's signing key, named by `certId` (the certificate's serial number in decimal).
* Answers are `key=value&…` text, values raw (not URL-encoded; a nested value sits in `{…}` and may hold `&`).
  UnionPay signs them with its signing key and sends that key's certificate as `signPubKeyCert`: the client checks
  the certificate chains to the configured UnionPay root (through the middle certificate when one is configured),
  is in its validity period and belongs to 中国银联股份有限公司, then verifies the signature with it. An answer that
  does not verify is refused (`UnionPayError` UNVERIFIED) before anything in it is believed. `respCode` 00 is success.
* The result of a payment or refund arrives at `backUrl` as a form POST signed the same way (`parse_notification`):
  verified, merId checked, txnAmt exact fen. It carries no send time of its own: its txnTime is the order's, so a
  notification about an order placed more than a day ago (or in the future) is refused as stale. The answer that
  stops the retries is HTTP 200.

Amounts are integer fen; times aware UTC on our side. Keys never reach a log, a repr or an error message.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from attrs import field, frozen
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

VERSION = "5.1.0"
SIGN_METHOD_RSA = "01"
ENCODING = "UTF-8"
CURRENCY_CNY = "156"
BIZ_TYPE_QR = "000000"
CHANNEL_MOBILE = "08"
ACCESS_MERCHANT = "0"
UNIONPAY_CNNAME = "中国银联股份有限公司"
GATEWAY = "https://gateway.95516.com"
BACK_TRANS = "/gateway/api/backTransReq.do"
QUERY_TRANS = "/gateway/api/queryTrans.do"
SHANGHAI = ZoneInfo("Asia/Shanghai")
TIME_FORMAT = "%Y%m%d%H%M%S"
NOTICE_WINDOW = timedelta(days=1)
FUTURE_SKEW = timedelta(minutes=5)
TIMEOUT = httpx.Timeout(10.0, connect=3.0)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded;charset=UTF-8"
IN_PROCESS = frozenset({"03", "04", "05"})  # 交易状态未明 / 处理中
NOT_FOUND = "34"  # 查无此交易

_FEN = re.compile(r"^[1-9]\d{0,11}$")
_TIME = re.compile(r"^\d{14}$")


# -- errors ------------------------------------------------------------------------------------------------------
class UnionPayError(Exception):
    """UnionPay answered `respCode` other than 00 (code, message), or the answer could not be trusted
    (UNVERIFIED), or it never came (TRANSPORT)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"UnionPay {code}: {message}".strip())
        self.code = code
        self.message = message


class NotificationRejected(Exception):
    """A back notification we must not believe; `reason_code`: MALFORMED, MISSING_SIGNATURE, UNSUPPORTED_SIGN_METHOD,
    BAD_CERT, BAD_SIGNATURE, WRONG_MERCHANT, WRONG_EVENT, BAD_AMOUNT, STALE_TIMESTAMP."""

    def __init__(self, reason_code: str, detail: str = "") -> None:
        super().__init__(f"{reason_code}: {detail}" if detail else reason_code)
        self.reason_code = reason_code


# -- money and time on the wire ----------------------------------------------------------------------------------
def fen_to_txn_amt(fen: int) -> str:
    if type(fen) is not int or fen <= 0:
        raise ValueError(f"an amount must be a positive int of fen, not {fen!r}")
    return str(fen)


def txn_amt_to_fen(text: str) -> int:
    """txnAmt is integer fen without sign, decimals or leading zeros; anything else is ValueError."""
    if not _FEN.match(text):
        raise ValueError(f"not a UnionPay amount: {text!r}")
    return int(text)


def to_txn_time(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def from_txn_time(text: str) -> datetime:
    if not _TIME.match(text):
        raise ValueError(f"not a UnionPay time: {text!r}")
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=SHANGHAI).astimezone(UTC)


# -- signatures --------------------------------------------------------------------------------------------------
def sign_content(params: Mapping[str, str]) -> str:
    """Every field but `signature`, sorted by name, `key=value` joined by `&` (values as they are)."""
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "signature")


def sign_digest(params: Mapping[str, str]) -> bytes:
    """What signMethod 01 signs: the SHA-256 of the sign content, as lowercase hex text."""
    return hashlib.sha256(sign_content(params).encode("utf-8")).hexdigest().encode("ascii")


def rsa_sign(params: Mapping[str, str], key: rsa.RSAPrivateKey) -> str:
    return base64.b64encode(key.sign(sign_digest(params), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(params: Mapping[str, str], signature: str, key: rsa.RSAPublicKey) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, sign_digest(params), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def cert_id(cert: x509.Certificate) -> str:
    """UnionPay names a certificate by its serial number in decimal."""
    return str(cert.serial_number)


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


# -- the wire format ---------------------------------------------------------------------------------------------
def encode_reply(params: Mapping[str, str]) -> str:
    """An answer as UnionPay writes it: `k=v&…` with raw values (nested ones in braces)."""
    return "&".join(f"{k}={v}" for k, v in params.items())


def parse_reply(text: str) -> dict[str, str]:
    """`k=v&…` split at the `&` outside braces; each pair at its first `=`. ValueError when malformed."""
    pairs: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise ValueError("unbalanced braces")
        elif ch == "&" and depth == 0:
            pairs.append(text[start:i])
            start = i + 1
    if depth:
        raise ValueError("unbalanced braces")
    pairs.append(text[start:])
    found: dict[str, str] = {}
    for pair in pairs:
        key, eq, value = pair.partition("=")
        if not eq or not key or key in found:
            raise ValueError("malformed pair")
        found[key] = value
    return found


# -- configuration and results -----------------------------------------------------------------------------------
@frozen(kw_only=True)
class UnionPayConfig:
    mer_id: str  # 商户代码 (15 digits)
    sign_cert_id: str  # the merchant signing certificate's certId
    sign_private_key_pem: str = field(repr=False)  # the merchant signing key (from its PFX)
    root_cert_pem: str = field(repr=False)  # UnionPay's root CA: answers and notifications must chain to it
    back_url: str
    middle_cert_pem: str = field(default="", repr=False)
    base_url: str = GATEWAY


@frozen(kw_only=True)
class AppliedQr:
    order_id: str
    qr_code: str


@frozen(kw_only=True)
class RefundAccepted:
    order_id: str
    query_id: str
    txn_time: str  # wire text: the refund query needs it again


@frozen(kw_only=True)
class QueryResult:
    order_id: str
    query_id: str
    orig_resp_code: str
    orig_resp_msg: str
    txn_amt: int


@frozen(kw_only=True)
class UnionPayNotification:
    order_id: str
    query_id: str
    resp_code: str
    txn_type: str
    txn_amt: int
    mer_id: str
    txn_time: datetime


# -- the client --------------------------------------------------------------------------------------------------
def _utc_now() -> datetime:
    return datetime.now(UTC)


class UnionPayClient:
    """Calls the gateway with an injected `httpx.Client` (a MockTransport in tests: UnionPaySandbox's)."""

    channel = "unionpay"

    def __init__(self, config: UnionPayConfig, http: httpx.Client, *, clock: Callable[[], datetime] = _utc_now) -> None:
        self.config = config
        self._http = http
        self._clock = clock
        self._key = load_private_key(config.sign_private_key_pem)
        self._root = load_cert(config.root_cert_pem)
        self._middle = load_cert(config.middle_cert_pem) if config.middle_cert_pem else None

    # -- the wire
    def signed(self, params: Mapping[str, str]) -> dict[str, str]:
        fields = {"version": VERSION, "encoding": ENCODING, "signMethod": SIGN_METHOD_RSA,
                  "certId": self.config.sign_cert_id, **params}
        fields = {k: v for k, v in fields.items() if v != ""}
        fields["signature"] = rsa_sign(fields, self._key)
        return fields

    def call(self, path: str, params: Mapping[str, str], *,
             accept: frozenset[str] = frozenset({"00"})) -> dict[str, str]:
        body = urllib.parse.urlencode(self.signed(params)).encode("ascii")
        try:
            reply = self._http.post(self.config.base_url.rstrip("/") + path, content=body,
                                    headers={"Content-Type": FORM_CONTENT_TYPE}, timeout=TIMEOUT)
        except httpx.HTTPError as exc:
            raise UnionPayError("TRANSPORT", type(exc).__name__) from exc
        if reply.status_code != 200:
            raise UnionPayError("TRANSPORT", f"HTTP {reply.status_code}")
        try:
            answer = parse_reply(reply.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise UnionPayError("UNVERIFIED", "malformed answer") from exc
        reason = self.check_signature(answer, self._clock())
        if reason:
            raise UnionPayError("UNVERIFIED", reason)
        code = answer.get("respCode", "")
        if code not in accept:
            raise UnionPayError(code or "NO_CODE", answer.get("respMsg", ""))
        return answer

    def check_signature(self, params: Mapping[str, str], now: datetime) -> str:
        """"" when `params` is signed by UnionPay (its certificate valid now and chained to the root), else the
        reason code."""
        signature, pem = params.get("signature", ""), params.get("signPubKeyCert", "")
        if not signature or not pem:
            return "MISSING_SIGNATURE"
        if params.get("signMethod") != SIGN_METHOD_RSA:
            return "UNSUPPORTED_SIGN_METHOD"
        try:
            cert = load_cert(pem)
        except ValueError:
            return "BAD_CERT"
        if not self._trusted(cert, now):
            return "BAD_CERT"
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey) or not rsa_verify(params, signature, key):
            return "BAD_SIGNATURE"
        return ""

    def _trusted(self, cert: x509.Certificate, now: datetime) -> bool:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            return False
        names = [a.value for a in cert.subject if a.oid in (x509.NameOID.ORGANIZATION_NAME, x509.NameOID.COMMON_NAME)]
        if not any(isinstance(n, str) and UNIONPAY_CNNAME in n for n in names):
            return False
        chain = [cert, self._middle, self._root] if self._middle is not None else [cert, self._root]
        try:
            for child, issuer in itertools.pairwise(chain):
                assert issuer is not None
                child.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    # -- the QR trade
    def apply_qr(self, order_id: str, amount_fen: int, txn_time: datetime, expires_at: datetime,
                 description: str = "") -> AppliedQr:
        """申码: a QR code the payer scans with a UnionPay app (云闪付 or a bank's), valid until `expires_at`."""
        answer = self.call(BACK_TRANS, {
            "txnType": "01", "txnSubType": "07", "bizType": BIZ_TYPE_QR, "channelType": CHANNEL_MOBILE,
            "accessType": ACCESS_MERCHANT, "merId": self.config.mer_id, "orderId": order_id,
            "txnTime": to_txn_time(txn_time), "txnAmt": fen_to_txn_amt(amount_fen), "currencyCode": CURRENCY_CNY,
            "backUrl": self.config.back_url, "payTimeout": to_txn_time(expires_at),
            "orderDesc": description.replace("&", " ").replace("=", " ")[:32],
        })
        if answer.get("orderId") != order_id or not answer.get("qrCode"):
            raise UnionPayError("UNVERIFIED", "the answer is for another order or has no qrCode")
        return AppliedQr(order_id=order_id, qr_code=answer["qrCode"])

    def refund(self, order_id: str, orig_query_id: str, amount_fen: int, txn_time: datetime) -> RefundAccepted:
        """退货 (txnType 04) of `amount_fen` of the payment `orig_query_id`, as our order `order_id`. respCode 00 only
        means taken: the outcome comes to backUrl or by `query`."""
        sent = to_txn_time(txn_time)
        answer = self.call(BACK_TRANS, {
            "txnType": "04", "txnSubType": "00", "bizType": BIZ_TYPE_QR, "channelType": CHANNEL_MOBILE,
            "accessType": ACCESS_MERCHANT, "merId": self.config.mer_id, "orderId": order_id, "txnTime": sent,
            "txnAmt": fen_to_txn_amt(amount_fen), "currencyCode": CURRENCY_CNY, "origQryId": orig_query_id,
            "backUrl": self.config.back_url,
        })
        return RefundAccepted(order_id=order_id, query_id=answer.get("queryId", ""), txn_time=sent)

    def query(self, order_id: str, txn_time: datetime | str) -> QueryResult | None:
        """交易状态查询 (txnType 00) by orderId and its txnTime; None when UnionPay has no such transaction."""
        sent = txn_time if isinstance(txn_time, str) else to_txn_time(txn_time)
        answer = self.call(QUERY_TRANS, {
            "txnType": "00", "txnSubType": "00", "bizType": BIZ_TYPE_QR, "accessType": ACCESS_MERCHANT,
            "merId": self.config.mer_id, "orderId": order_id, "txnTime": sent,
        }, accept=frozenset({"00", NOT_FOUND}))
        if answer.get("respCode") == NOT_FOUND:
            return None
        try:
            amount = txn_amt_to_fen(answer.get("txnAmt", ""))
        except ValueError as exc:
            raise UnionPayError("UNVERIFIED", "malformed txnAmt") from exc
        return QueryResult(order_id=order_id, query_id=answer.get("queryId", ""),
                           orig_resp_code=answer.get("origRespCode", ""), orig_resp_msg=answer.get("origRespMsg", ""),
                           txn_amt=amount)

    # -- the back notification
    @staticmethod
    def parse_form(body: bytes) -> dict[str, str]:
        """The URL-encoded form of a notification POST; a field given twice is refused (which one was signed?)."""
        try:
            text = body.decode("utf-8")
            pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError) as exc:
            raise NotificationRejected("MALFORMED") from exc
        form = dict(pairs)
        if len(form) != len(pairs):
            raise NotificationRejected("MALFORMED", "a field twice")
        return form

    def parse_notification(self, form: Mapping[str, str], now: datetime) -> UnionPayNotification:
        """A consumption result (txnType 01) verified: signature and certificate, merId, exact fen, the order's time
        within a day. The caller compares orderId and the amount with its own order and answers HTTP 200."""
        reason = self.check_signature(form, now)
        if reason:
            raise NotificationRejected(reason)
        if form.get("merId") != self.config.mer_id:
            raise NotificationRejected("WRONG_MERCHANT")
        if form.get("txnType") != "01":
            raise NotificationRejected("WRONG_EVENT", form.get("txnType", ""))
        for name in ("orderId", "queryId", "respCode", "txnAmt", "txnTime"):
            if not form.get(name):
                raise NotificationRejected("MALFORMED", name)
        try:
            amount = txn_amt_to_fen(form["txnAmt"])
        except ValueError as exc:
            raise NotificationRejected("BAD_AMOUNT") from exc
        try:
            sent = from_txn_time(form["txnTime"])
        except ValueError as exc:
            raise NotificationRejected("STALE_TIMESTAMP", "unreadable") from exc
        if not now - NOTICE_WINDOW <= sent <= now + FUTURE_SKEW:
            raise NotificationRejected("STALE_TIMESTAMP")
        return UnionPayNotification(order_id=form["orderId"], query_id=form["queryId"], resp_code=form["respCode"],
                                    txn_type=form["txnType"], txn_amt=amount, mer_id=form["merId"], txn_time=sent)

