"""PAY — the WeChat Pay API v3 client against the in-memory sandbox that speaks the same protocol: request
signatures (verified with the merchant's public key, and the signing string's format), Native and JSAPI orders,
the payer paying and the notification it yields, every way a notification is refused, query, close, refunds
(idempotent by out_refund_no, never above the paid total) and a Hypothesis round trip of sign/verify."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.adapters.payments.wechatpay import (
    NotificationRejected,
    WechatPayClient,
    WechatPayError,
    answer_message,
    build_authorization,
    jsapi_pay_message,
    load_private_key,
    load_public_key,
    parse_authorization,
    request_message,
    rsa_sign,
    rsa_verify,
    sign_request,
)
from yiyangkang.adapters.payments.wechatpay_sandbox import WechatPaySandbox, make_keys

NOW = datetime(2025, 3, 1, 2, 0, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=30)


@pytest.fixture
def sandbox() -> WechatPaySandbox:
    return WechatPaySandbox(keys=make_keys(), clock=lambda: NOW)


@pytest.fixture
def client(sandbox: WechatPaySandbox) -> Iterator[WechatPayClient]:
    with httpx.Client(transport=sandbox.transport()) as http:
        yield WechatPayClient(sandbox.client_config(), http, clock=lambda: NOW)


def paid_order(
    client: WechatPayClient, sandbox: WechatPaySandbox, no: str = "YYK20250301000001", fen: int = 12_800
) -> tuple[dict[str, str], bytes]:
    client.native(no, fen, "居家护理服务包", EXPIRES)
    return sandbox.pay(no)


# -- signing ---------------------------------------------------------------------------------------
def test_signing_string_known_answer() -> None:
    """PAY: the signed message is METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n (WeChat's own example values)."""
    assert request_message("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "") == (
        b"GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
    )
    assert request_message("post", "/v3/x?a=1", "1", "N", '{"a":1}') == b'POST\n/v3/x?a=1\n1\nN\n{"a":1}\n'
    assert answer_message("1", "N", b"{}") == b"1\nN\n{}\n"
    assert build_authorization("1900009191", "1DDE55AD", "1554208460", "NONCE", "c2ln") == (
        'WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="NONCE",signature="c2ln",'
        'timestamp="1554208460",serial_no="1DDE55AD"'
    )
    assert parse_authorization(build_authorization("1", "S", "2", "N", "c2ln"))["signature"] == "c2ln"


def test_requests_are_signed_with_the_merchant_key(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: every request's Authorization verifies against the merchant public key over the exact bytes sent."""
    client.native("YYK-SIGN-1", 100, "测试", EXPIRES)
    client.query("YYK-SIGN-1")
    public = load_public_key(make_keys().merchant_public_pem)
    assert len(sandbox.requests) == 2
    for request in sandbox.requests:
        fields = parse_authorization(request.headers["Authorization"])
        assert fields["mchid"] == sandbox.mch_id and fields["serial_no"] == sandbox.merchant_serial_no
        assert fields["timestamp"] == str(int(NOW.timestamp()))
        message = request_message(
            request.method, request.url.raw_path.decode(), fields["timestamp"], fields["nonce_str"],
            request.content.decode(),
        )
        assert rsa_verify(public, message, fields["signature"])
    assert sandbox.requests[1].url.raw_path == b"/v3/pay/transactions/out-trade-no/YYK-SIGN-1?mchid=1900000109"


def test_a_bad_request_signature_is_401_sign_error(sandbox: WechatPaySandbox) -> None:
    """PAY: a request signed with another key is refused with 401 SIGN_ERROR."""
    config = sandbox.client_config()
    with httpx.Client(transport=sandbox.transport()) as http:
        intruder = WechatPayClient(
            type(config)(
                mch_id=config.mch_id, app_id=config.app_id, serial_no=config.serial_no,
                private_key_pem=make_keys().intruder_private_pem, api_v3_key=config.api_v3_key,
                platform_public_keys=config.platform_public_keys, notify_url=config.notify_url,
            ),
            http, clock=lambda: NOW,
        )
        with pytest.raises(WechatPayError) as caught:
            intruder.native("YYK-X", 100, "x", EXPIRES)
    assert (caught.value.status, caught.value.code) == (401, "SIGN_ERROR")
    assert not sandbox.orders


def test_an_unverifiable_answer_is_refused(sandbox: WechatPaySandbox) -> None:
    """PAY: an answer signed under an unknown platform serial is not believed."""
    config = sandbox.client_config()
    with httpx.Client(transport=sandbox.transport()) as http:
        client = WechatPayClient(
            type(config)(
                mch_id=config.mch_id, app_id=config.app_id, serial_no=config.serial_no,
                private_key_pem=config.private_key_pem, api_v3_key=config.api_v3_key,
                platform_public_keys={"OTHER": make_keys().platform_public_pem}, notify_url=config.notify_url,
            ),
            http, clock=lambda: NOW,
        )
        with pytest.raises(WechatPayError) as caught:
            client.native("YYK-V", 100, "x", EXPIRES)
    assert caught.value.code == "RESPONSE_UNVERIFIED"


def test_config_repr_hides_keys(sandbox: WechatPaySandbox) -> None:
    """PAY: keys never reach a repr (and so never a log line)."""
    config = sandbox.client_config()
    assert "PRIVATE" not in repr(config) and config.api_v3_key not in repr(config)


@settings(max_examples=40, deadline=None)
@given(body=st.text(), method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), nonce=st.text("ABCDEF0123456789"))
def test_sign_verify_round_trip(body: str, method: str, nonce: str) -> None:
    """PAY: sign_request verifies with the public key for any body, and not once the body changes."""
    keys = make_keys()
    private, public = load_private_key(keys.merchant_private_pem), load_public_key(keys.merchant_public_pem)
    signature = sign_request(private, method, "/v3/pay/transactions/native", "1740794400", nonce, body)
    assert rsa_verify(public, request_message(method, "/v3/pay/transactions/native", "1740794400", nonce, body), signature)
    assert not rsa_verify(
        public, request_message(method, "/v3/pay/transactions/native", "1740794400", nonce, body + "x"), signature
    )


# -- orders ----------------------------------------------------------------------------------------
def test_native_gives_a_code_url(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: a back-office order yields a QR code_url; the request carries fen, CNY, +08:00 expiry."""
    code_url = client.native("YYK-N-1", 12_800, "居家护理服务包", EXPIRES)
    assert code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    sent = json.loads(sandbox.requests[0].content)
    assert sent["amount"] == {"total": 12_800, "currency": "CNY"}
    assert sent["time_expire"] == "2025-03-01T10:30:00+08:00"
    assert (sent["mchid"], sent["appid"]) == (sandbox.mch_id, sandbox.app_id)
    assert client.native("YYK-N-1", 12_800, "居家护理服务包", EXPIRES) == code_url  # same order again: same code
    with pytest.raises(WechatPayError) as caught:
        client.native("YYK-N-1", 99, "另一笔", EXPIRES)
    assert caught.value.code == "OUT_TRADE_NO_USED"


def test_jsapi_gives_prepay_id_and_verifiable_pay_sign(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: the mini-program gets a prepay_id and wx.requestPayment parameters signed with the merchant key."""
    prepay_id = client.jsapi("YYK-J-1", 3_000, "助浴服务", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", EXPIRES)
    assert prepay_id.startswith("wx")
    params = client.jsapi_pay_params(prepay_id).as_dict()
    assert params["package"] == f"prepay_id={prepay_id}" and params["signType"] == "RSA"
    assert params["appId"] == sandbox.app_id and params["timeStamp"] == str(int(NOW.timestamp()))
    message = jsapi_pay_message(params["appId"], params["timeStamp"], params["nonceStr"], params["package"])
    assert message == f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    assert rsa_verify(load_public_key(make_keys().merchant_public_pem), message, params["paySign"])
    with pytest.raises(WechatPayError) as caught:
        client.jsapi("YYK-J-2", 3_000, "助浴服务", "", EXPIRES)
    assert (caught.value.status, caught.value.code) == (400, "PARAM_ERROR")


# -- notifications ---------------------------------------------------------------------------------
def test_pay_notification_parses_to_success(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: the payer pays; the signed, encrypted notification parses to SUCCESS with the paid fen."""
    headers, body = paid_order(client, sandbox)
    assert json.loads(body)["resource"]["algorithm"] == "AEAD_AES_256_GCM"
    assert "YYK20250301000001" not in body.decode()  # the resource is encrypted
    note = client.parse_notification(headers, body, NOW, expected_amount_fen=12_800)
    assert (note.out_trade_no, note.trade_state, note.amount_fen) == ("YYK20250301000001", "SUCCESS", 12_800)
    assert (note.mch_id, note.app_id) == (sandbox.mch_id, sandbox.app_id)
    assert note.transaction_id == sandbox.orders["YYK20250301000001"].transaction_id
    assert note.success_time == NOW
    lower = {k.lower(): v for k, v in headers.items()}
    assert client.parse_notification(lower, body, NOW + timedelta(minutes=4)) == note  # redelivery: same facts


@pytest.mark.parametrize(
    ("make", "now", "reason"),
    [
        (lambda s, no: s.forged_notification(no), NOW, "BAD_SIGNATURE"),
        (lambda s, no: s.unknown_serial_notification(no), NOW, "UNKNOWN_SERIAL"),
        (lambda s, no: s.notification_for(s.transaction_resource(no)), NOW + timedelta(minutes=6), "STALE_TIMESTAMP"),
        (lambda s, no: s.stale_notification(no, NOW - timedelta(minutes=5)), NOW, "STALE_TIMESTAMP"),
        (lambda s, no: s.tampered_notification(no), NOW, "DECRYPT_FAILED"),
        (lambda s, no: s.wrong_merchant_notification(no), NOW, "WRONG_MERCHANT"),
        (lambda s, no: s.wrong_app_notification(no), NOW, "WRONG_APP"),
    ],
    ids=["forged", "unknown-serial", "now+6min", "sent-5min-ago", "tampered", "wrong-mch", "wrong-app"],
)
def test_bad_notifications_are_rejected(
    client: WechatPayClient,
    sandbox: WechatPaySandbox,
    make: Callable[[WechatPaySandbox, str], tuple[dict[str, str], bytes]],
    now: datetime,
    reason: str,
) -> None:
    """PAY: forged signature, unknown serial, old timestamp, tampered ciphertext, wrong merchant/app each refused
    with its own reason."""
    paid_order(client, sandbox, "YYK-BAD-1")
    headers, body = make(sandbox, "YYK-BAD-1")
    with pytest.raises(NotificationRejected) as caught:
        client.parse_notification(headers, body, now)
    assert caught.value.reason_code == reason


def test_missing_headers_and_wrong_amount_are_rejected(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: a notification without the Wechatpay-* headers, or for another amount than the order's, is refused."""
    headers, body = paid_order(client, sandbox, "YYK-AMT-1", 5_000)
    for name in ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"):
        with pytest.raises(NotificationRejected) as caught:
            client.parse_notification({k: v for k, v in headers.items() if k != name}, body, NOW)
        assert caught.value.reason_code == "MISSING_HEADERS"
    headers, body = sandbox.wrong_amount_notification("YYK-AMT-1", 1)
    assert client.parse_notification(headers, body, NOW).amount_fen == 1  # reported as sent …
    with pytest.raises(NotificationRejected) as caught:  # … and refused when the order's amount is given
        client.parse_notification(headers, body, NOW, expected_amount_fen=5_000)
    assert caught.value.reason_code == "WRONG_AMOUNT"


def test_body_changed_after_signing_is_bad_signature(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: one byte of the body changed after signing fails the signature check."""
    headers, body = paid_order(client, sandbox, "YYK-BODY-1")
    event = json.loads(body)
    event["summary"] = "支付失败"
    with pytest.raises(NotificationRejected) as caught:
        client.parse_notification(headers, json.dumps(event).encode(), NOW)
    assert caught.value.reason_code == "BAD_SIGNATURE"


# -- query, close, refunds -------------------------------------------------------------------------
def test_query_before_and_after_pay(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: query shows NOTPAY, then SUCCESS with the transaction id, fen and success time."""
    client.native("YYK-Q-1", 880, "上门理疗", EXPIRES)
    before = client.query("YYK-Q-1")
    assert (before.trade_state, before.transaction_id, before.amount_fen, before.payer_total) == ("NOTPAY", "", 880, None)
    sandbox.pay("YYK-Q-1")
    after = client.query("YYK-Q-1")
    assert (after.trade_state, after.amount_fen, after.payer_total, after.success_time) == ("SUCCESS", 880, 880, NOW)
    assert client.query_by_transaction_id(after.transaction_id) == after
    with pytest.raises(WechatPayError) as caught:
        client.query("YYK-NOPE")
    assert (caught.value.status, caught.value.code) == (404, "ORDER_NOT_EXIST")


def test_close(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: an unpaid order closes (idempotently, 204); a paid one cannot be closed."""
    client.native("YYK-C-1", 500, "x", EXPIRES)
    client.close("YYK-C-1")
    client.close("YYK-C-1")
    assert client.query("YYK-C-1").trade_state == "CLOSED"
    with pytest.raises(ValueError, match="CLOSED"):
        sandbox.pay("YYK-C-1")
    paid_order(client, sandbox, "YYK-C-2")
    with pytest.raises(WechatPayError) as caught:
        client.close("YYK-C-2")
    assert caught.value.code == "ORDERPAID"


def test_refund_is_idempotent_by_out_refund_no(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: the same out_refund_no sent twice refunds once; the result comes asynchronously (query, notification)."""
    paid_order(client, sandbox, "YYK-R-1", 10_000)
    first = client.refund("YYK-R-1", "YYK-R-1-01", 4_000, 10_000, "服务取消")
    again = client.refund("YYK-R-1", "YYK-R-1-01", 4_000, 10_000, "服务取消")
    assert first == again and first.status == "PROCESSING"
    assert sandbox.orders["YYK-R-1"].refunded == 4_000 and len(sandbox.refunds) == 1
    assert client.query("YYK-R-1").trade_state == "REFUND"
    headers, body = sandbox.complete_refund("YYK-R-1-01")
    done = client.query_refund("YYK-R-1-01")
    assert (done.status, done.refund_fen, done.total_fen, done.success_time) == ("SUCCESS", 4_000, 10_000, NOW)
    note = client.parse_refund_notification(headers, body, NOW)
    assert (note.out_refund_no, note.refund_status, note.refund_fen) == ("YYK-R-1-01", "SUCCESS", 4_000)
    with pytest.raises(NotificationRejected) as caught:  # a refund notification is not a payment
        client.parse_notification(headers, body, NOW)
    assert caught.value.reason_code == "WRONG_EVENT"


def test_refund_never_exceeds_the_paid_total(client: WechatPayClient, sandbox: WechatPaySandbox) -> None:
    """PAY: a refund above what is left of the total is refused with WechatPayError (400 INVALID_REQUEST)."""
    paid_order(client, sandbox, "YYK-R-2", 10_000)
    with pytest.raises(WechatPayError) as caught:
        client.refund("YYK-R-2", "YYK-R-2-01", 10_001, 10_000, "")
    assert (caught.value.status, caught.value.code) == (400, "INVALID_REQUEST")
    client.refund("YYK-R-2", "YYK-R-2-02", 6_000, 10_000, "")
    with pytest.raises(WechatPayError) as caught:
        client.refund("YYK-R-2", "YYK-R-2-03", 4_001, 10_000, "")
    assert caught.value.code == "INVALID_REQUEST"
    assert client.refund("YYK-R-2", "YYK-R-2-03", 4_000, 10_000, "").refund_fen == 4_000
    assert sandbox.orders["YYK-R-2"].refunded == 10_000
    with pytest.raises(WechatPayError) as caught:
        client.query_refund("YYK-R-2-99")
    assert (caught.value.status, caught.value.code) == (404, "RESOURCE_NOT_EXISTS")


def test_refund_of_an_unpaid_order_is_refused(client: WechatPayClient) -> None:
    """PAY: nothing paid, nothing to refund."""
    client.native("YYK-R-3", 100, "x", EXPIRES)
    with pytest.raises(WechatPayError) as caught:
        client.refund("YYK-R-3", "YYK-R-3-01", 100, 100, "")
    assert caught.value.code == "INVALID_REQUEST"


def test_transport_errors_become_wechatpay_errors(sandbox: WechatPaySandbox) -> None:
    """PAY: a network failure is a WechatPayError with status 0, not a bare httpx exception."""

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as http:
        client = WechatPayClient(sandbox.client_config(), http, clock=lambda: NOW)
        with pytest.raises(WechatPayError) as caught:
            client.query("YYK-1")
    assert (caught.value.status, caught.value.code) == (0, "TRANSPORT")


def test_rsa_sign_is_standard_pkcs1v15_sha256() -> None:
    """PAY: the signature is plain base64 RSA-SHA256 PKCS#1 v1.5 (256 bytes for a 2048-bit key)."""
    signature = rsa_sign(load_private_key(make_keys().merchant_private_pem), b"x")
    assert len(base64.b64decode(signature)) == 256
