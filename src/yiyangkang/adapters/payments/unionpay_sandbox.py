"""An in-memory UnionPay gateway (5.1.0) speaking the protocol `unionpay.UnionPayClient` speaks, behind an
`httpx.MockTransport` — no network. For tests, the demo and development.

Its certificates are generated like the real chain: a UnionPay root CA, UnionPay's signing certificate issued by it
(O=中国银联股份有限公司, sent with every answer and notification as signPubKeyCert), the merchant's signing
certificate (requests are verified with it, looked up by certId) and an intruder's self-issued look-alike that signs
forged notifications. Requests with a bad signature answer respCode 11 (验证签名失败).

Orders: apply-QR (txnType 01/07; the same orderId again with the same amount returns the same code), `pay` (the payer
scans: the order succeeds and the back notification UnionPay would POST comes back as form bytes), query by orderId +
txnTime (34 查无此交易 when unknown), refunds (txnType 04 against origQryId; never above what is left; the same refund
orderId again answers 12 重复交易 and refunds nothing) that stay in process (origRespCode 05) until
`complete_refund`. The `*_notification` helpers make the bad ones tests need.
"""

from __future__ import annotations

import functools
import secrets
import threading
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from attrs import define, field, frozen
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from yiyangkang.adapters.payments.unionpay import (
    BACK_TRANS,
    QUERY_TRANS,
    SIGN_METHOD_RSA,
    UNIONPAY_CNNAME,
    VERSION,
    UnionPayClient,
    UnionPayConfig,
    cert_id,
    encode_reply,
    load_cert,
    load_private_key,
    rsa_sign,
    rsa_verify,
    to_txn_time,
    txn_amt_to_fen,
)

SANDBOX_BASE = "https://gateway.test.95516.invalid"
SANDBOX_MER_ID = "777290058110048"
SANDBOX_BACK_URL = "https://yiyangkang.example/api/v1/payments/unionpay/notify"


@frozen
class UnionPayKeys:
    root_cert_pem: str
    unionpay_private_pem: str = field(repr=False)
    unionpay_cert_pem: str
    merchant_private_pem: str = field(repr=False)
    merchant_cert_pem: str
    intruder_private_pem: str = field(repr=False)
    intruder_cert_pem: str


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert(subject: str, org: str, key: rsa.RSAPrivateKey, issuer: x509.Name | None, signer: rsa.RSAPrivateKey,
          ca: bool) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                      x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=365 * 10))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(signer, hashes.SHA256()))


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@functools.cache
def make_keys() -> UnionPayKeys:
    """The sandbox's certificate chain and keys, generated once per process (RSA-2048 keygen is slow)."""
    root_key, unionpay_key, merchant_key, intruder_key = _key(), _key(), _key(), _key()
    root = _cert("CFCA TEST ROOT", "China Financial Certification Authority", root_key, None, root_key, True)
    unionpay = _cert(f"{UNIONPAY_CNNAME}@00040000:SIGN", UNIONPAY_CNNAME, unionpay_key, root.subject, root_key, False)
    merchant = _cert(f"{SANDBOX_MER_ID}@SIGN", "医养康测试商户", merchant_key, root.subject, root_key, False)
    # The look-alike: UnionPay's name, issued by itself (not by the root).
    intruder = _cert(f"{UNIONPAY_CNNAME}@00040000:SIGN", UNIONPAY_CNNAME, intruder_key, None, intruder_key, False)
    return UnionPayKeys(_cert_pem(root), _pem(unionpay_key), _cert_pem(unionpay), _pem(merchant_key),
                        _cert_pem(merchant), _pem(intruder_key), _cert_pem(intruder))


@define
class _Order:
    order_id: str
    txn_time: str
    txn_type: str  # 01 consumption, 04 refund
    amount: int
    query_id: str
    qr_code: str = ""
    state: str = "05"  # origRespCode: 00 success, 05 in process, other failed
    orig_query_id: str = ""  # refunds: the payment refunded
    refunded: int = 0  # payments: refunded so far
    pay_timeout: str = ""


class _Fail(Exception):
    def __init__(self, code: str, msg: str) -> None:
        super().__init__(code)
        self.code, self.msg = code, msg


class UnionPaySandbox:
    def __init__(
        self, *, keys: UnionPayKeys | None = None, mer_id: str = SANDBOX_MER_ID, back_url: str = SANDBOX_BACK_URL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.keys = keys or make_keys()
        self.mer_id, self.back_url, self.clock = mer_id, back_url, clock
        self._merchant_cert = load_cert(self.keys.merchant_cert_pem)
        self._merchant_id = cert_id(self._merchant_cert)
        self._signer = load_private_key(self.keys.unionpay_private_pem)
        self._intruder = load_private_key(self.keys.intruder_private_pem)
        self._lock = threading.Lock()
        self.orders: dict[tuple[str, str], _Order] = {}  # (orderId, txnTime) → order
        self.requests: list[dict[str, str]] = []
        self._seq = 0

    # -- wiring
    def config(self) -> UnionPayConfig:
        return UnionPayConfig(mer_id=self.mer_id, sign_cert_id=self._merchant_id,
                              sign_private_key_pem=self.keys.merchant_private_pem,
                              root_cert_pem=self.keys.root_cert_pem, back_url=self.back_url, base_url=SANDBOX_BASE)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, **kwargs: Any) -> UnionPayClient:
        return UnionPayClient(self.config(), httpx.Client(transport=self.transport()), **kwargs)

    # -- the gateway
    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method != "POST" or path not in (BACK_TRANS, QUERY_TRANS):
            return httpx.Response(404, text="not found")
        params = dict(urllib.parse.parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        with self._lock:
            self.requests.append(params)
            echo = {k: params.get(k, "") for k in ("version", "encoding", "bizType", "txnTime", "txnType",
                                                    "txnSubType", "accessType", "merId", "orderId")}
            try:
                self._check(params)
                if path == QUERY_TRANS:
                    answer = self._query(params)
                elif params.get("txnType") == "01" and params.get("txnSubType") == "07":
                    answer = self._apply(params)
                elif params.get("txnType") == "04":
                    answer = self._refund(params)
                else:
                    raise _Fail("40", "交易类型不支持")
                body = {**echo, "respCode": "00", "respMsg": "成功[0000000]", **answer}
            except _Fail as fail:
                body = {**echo, "respCode": fail.code, "respMsg": fail.msg}
        return httpx.Response(200, content=encode_reply(self.sign({k: v for k, v in body.items() if v != ""}))
                              .encode("utf-8"), headers={"Content-Type": "text/plain;charset=UTF-8"})

    def sign(self, params: dict[str, str], *, signer: rsa.RSAPrivateKey | None = None,
             cert_pem: str | None = None) -> dict[str, str]:
        fields = {**params, "signMethod": SIGN_METHOD_RSA, "signPubKeyCert": cert_pem or self.keys.unionpay_cert_pem}
        fields["signature"] = rsa_sign(fields, signer or self._signer)
        return fields

    def _check(self, params: dict[str, str]) -> None:
        if params.get("version") != VERSION or params.get("signMethod") != SIGN_METHOD_RSA:
            raise _Fail("10", "报文格式错误")
        if params.get("certId") != self._merchant_id:
            raise _Fail("11", "验证签名失败[certId]")
        key = self._merchant_cert.public_key()
        assert isinstance(key, rsa.RSAPublicKey)
        if not rsa_verify(params, params.get("signature", ""), key):
            raise _Fail("11", "验证签名失败")
        if params.get("merId") != self.mer_id:
            raise _Fail("12", "商户未开通")
        if not params.get("orderId") or len(params.get("txnTime", "")) != 14:
            raise _Fail("30", "报文格式错误[orderId/txnTime]")

    def _amount(self, params: dict[str, str]) -> int:
        try:
            return txn_amt_to_fen(params.get("txnAmt", ""))
        except ValueError as exc:
            raise _Fail("30", "报文格式错误[txnAmt]") from exc

    def _next_query_id(self) -> str:
        self._seq += 1
        return f"{to_txn_time(self.clock())}{self._seq:07d}"

    def _apply(self, params: dict[str, str]) -> dict[str, str]:
        key = (params["orderId"], params["txnTime"])
        amount = self._amount(params)
        existing = self.orders.get(key)
        if existing is not None:
            if existing.amount != amount or existing.state != "05":
                raise _Fail("12", "重复交易")
            return {"qrCode": existing.qr_code}
        order = _Order(order_id=params["orderId"], txn_time=params["txnTime"], txn_type="01", amount=amount,
                       query_id=self._next_query_id(), pay_timeout=params.get("payTimeout", ""),
                       qr_code=f"https://qr.95516.com/00010000/{secrets.token_hex(10)}")
        self.orders[key] = order
        return {"qrCode": order.qr_code}

    def _refund(self, params: dict[str, str]) -> dict[str, str]:
        if any(o.order_id == params["orderId"] and o.txn_type == "04" for o in self.orders.values()):
            raise _Fail("12", "重复交易")
        amount = self._amount(params)
        paid = next((o for o in self.orders.values() if o.txn_type == "01" and o.query_id == params.get("origQryId")
                     and o.state == "00"), None)
        if paid is None:
            raise _Fail("35", "原交易不存在或状态不正确")
        if paid.refunded + amount > paid.amount:
            raise _Fail("61", "退货金额超限")
        paid.refunded += amount
        refund = _Order(order_id=params["orderId"], txn_time=params["txnTime"], txn_type="04", amount=amount,
                        query_id=self._next_query_id(), orig_query_id=paid.query_id)
        self.orders[(refund.order_id, refund.txn_time)] = refund
        return {"queryId": refund.query_id, "origQryId": paid.query_id, "txnAmt": str(amount)}

    def _query(self, params: dict[str, str]) -> dict[str, str]:
        order = self.orders.get((params["orderId"], params["txnTime"]))
        if order is None or (order.txn_type == "01" and order.state == "05"):  # a code nobody has paid yet
            raise _Fail("34", "查无此交易")
        return {"origRespCode": order.state, "origRespMsg": "成功[0000000]" if order.state == "00" else "处理中",
                "queryId": order.query_id, "txnAmt": str(order.amount), "currencyCode": "156"}

    # -- the payer and the notifications
    def order(self, order_id: str, txn_type: str = "01") -> _Order:
        found = [o for o in self.orders.values() if o.order_id == order_id and o.txn_type == txn_type]
        if not found:
            raise KeyError(order_id)
        return found[-1]

    def pay(self, order_id: str) -> bytes:
        """The payer scans and pays: the order succeeds; returns the back notification's form body."""
        with self._lock:
            order = self.order(order_id)
            if order.state != "05":
                raise ValueError(f"order {order_id} is {order.state}")
            order.state = "00"
        return self.notification(order_id)

    def complete_refund(self, refund_order_id: str) -> None:
        with self._lock:
            self.order(refund_order_id, "04").state = "00"

    def notification_fields(self, order_id: str) -> dict[str, str]:
        order = self.order(order_id)
        return {"version": VERSION, "encoding": "UTF-8", "bizType": "000000", "txnType": "01", "txnSubType": "07",
                "accessType": "0", "merId": self.mer_id, "orderId": order.order_id, "txnTime": order.txn_time,
                "txnAmt": str(order.amount), "currencyCode": "156", "queryId": order.query_id,
                "respCode": order.state, "respMsg": "成功[0000000]", "settleAmt": str(order.amount),
                "settleCurrencyCode": "156", "settleDate": order.txn_time[4:8], "traceNo": order.query_id[-6:],
                "traceTime": order.txn_time[4:], "payType": "0001", "accNo": "6216****0018"}

    def notification(self, order_id: str, *, signer: rsa.RSAPrivateKey | None = None, cert_pem: str | None = None,
                     **overrides: str) -> bytes:
        """The form body UnionPay POSTs to backUrl for the order's state, `overrides` applied before signing."""
        fields = {**self.notification_fields(order_id), **overrides}
        return urllib.parse.urlencode(self.sign(fields, signer=signer, cert_pem=cert_pem)).encode("ascii")

    def refund_notification(self, refund_order_id: str) -> bytes:
        """The result of a refund (txnType 04) as UnionPay POSTs it to backUrl."""
        refund = self.order(refund_order_id, "04")
        fields = {"version": VERSION, "encoding": "UTF-8", "bizType": "000000", "txnType": "04", "txnSubType": "00",
                  "accessType": "0", "merId": self.mer_id, "orderId": refund.order_id, "txnTime": refund.txn_time,
                  "txnAmt": str(refund.amount), "currencyCode": "156", "queryId": refund.query_id,
                  "origQryId": refund.orig_query_id, "respCode": refund.state, "respMsg": "成功[0000000]"}
        return urllib.parse.urlencode(self.sign(fields)).encode("ascii")

    def forged_notification(self, order_id: str) -> bytes:
        """Signed by a look-alike certificate that does not chain to the root."""
        return self.notification(order_id, signer=self._intruder, cert_pem=self.keys.intruder_cert_pem)

    def wrong_amount_notification(self, order_id: str, fen: int) -> bytes:
        return self.notification(order_id, txnAmt=str(fen), settleAmt=str(fen))

    def wrong_merchant_notification(self, order_id: str, mer_id: str = "898111111111111") -> bytes:
        return self.notification(order_id, merId=mer_id)

    def stale_notification(self, order_id: str, txn_time: datetime) -> bytes:
        return self.notification(order_id, txnTime=to_txn_time(txn_time))

    def tampered_notification(self, order_id: str, fen: int) -> bytes:
        """A genuine notification whose amount was changed after signing."""
        form = dict(urllib.parse.parse_qsl(self.notification(order_id).decode()))
        form["txnAmt"] = str(fen)
        return urllib.parse.urlencode(form).encode("ascii")
