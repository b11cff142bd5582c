"""PAY (多元支付): the Alipay client against the in-memory Alipay sandbox — RSA2 signing of requests, verified
answers and notifications, the QR trade from precreate to payment, idempotent refunds."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.adapters.payments.alipay import (
    NOTIFY_SUCCESS_BODY,
    SHANGHAI,
    AlipayClient,
    AlipayError,
    NotificationRejected,
    ResponseRejected,
    fen_to_yuan,
    load_private_key,
    load_public_key,
    notification_sign_content,
    rsa2_sign,
    rsa2_verify,
    sign_content,
    top_level_members,
    yuan_to_fen,
)
from yiyangkang.adapters.payments.alipay_sandbox import AlipaySandbox, make_keys

FIXED = datetime(2024, 5, 1, 12, 30, 5, tzinfo=SHANGHAI)


@pytest.fixture
def sandbox() -> AlipaySandbox:
    return AlipaySandbox(clock=lambda: FIXED)


@pytest.fixture
def client(sandbox: AlipaySandbox) -> AlipayClient:
    return sandbox.client(now=lambda: FIXED)


def paid(sandbox: AlipaySandbox, client: AlipayClient, out: str = "T1", fen: int = 12345) -> dict[str, str]:
    client.precreate(out, fen, "上门助浴", timedelta(minutes=15))
    return sandbox.pay(out)


# -- signing ----------------------------------------------------------------------------------------------
def test_sign_content_sorts_and_leaves_out_sign_and_empty_values() -> None:
    """PAY: the request sign content is every non-empty parameter but `sign`, sorted, k=v joined by &."""
    params = {"method": "alipay.trade.query", "app_id": "2021", "sign": "xyz", "sign_type": "RSA2",
              "biz_content": '{"out_trade_no":"T1"}', "notify_url": "", "charset": "utf-8"}
    assert sign_content(params) == (
        'app_id=2021&biz_content={"out_trade_no":"T1"}&charset=utf-8&method=alipay.trade.query&sign_type=RSA2'
    )
    # notifications also leave out sign_type; values stay as they are (not URL-encoded)
    assert notification_sign_content({"b": "x y", "a": "大乐透", "sign": "s", "sign_type": "RSA2"}) == "a=大乐透&b=x y"


def test_request_carries_common_params_and_verifies_with_app_public_key(
    sandbox: AlipaySandbox, client: AlipayClient,
) -> None:
    """PAY: the request the client sends is signed RSA2 with the app key over its sorted parameters."""
    client.precreate("T1", 1, "测试", timedelta(minutes=5))
    sent = sandbox.requests[-1]
    assert {k: sent[k] for k in ("app_id", "method", "format", "charset", "sign_type", "version", "notify_url")} == {
        "app_id": sandbox.app_id, "method": "alipay.trade.precreate", "format": "JSON", "charset": "utf-8",
        "sign_type": "RSA2", "version": "1.0", "notify_url": sandbox.notify_url,
    }
    assert sent["timestamp"] == "2024-05-01 12:30:05"
    assert json.loads(sent["biz_content"]) == {"out_trade_no": "T1", "total_amount": "0.01", "subject": "测试",
                                               "timeout_express": "5m"}
    assert rsa2_verify(sign_content(sent), sent["sign"], load_public_key(make_keys().app_public_pem))
    assert not rsa2_verify(sign_content({**sent, "timestamp": "2024-05-01 12:30:06"}), sent["sign"],
                           load_public_key(make_keys().app_public_pem))


def test_timestamp_is_beijing_time(sandbox: AlipaySandbox) -> None:
    """PAY: timestamp is yyyy-MM-dd HH:mm:ss in Asia/Shanghai, whatever the caller's zone."""
    client = sandbox.client(now=lambda: datetime.fromisoformat("2024-05-01T23:59:59+00:00"))
    assert client.signed_params("alipay.trade.query", {"out_trade_no": "x"})["timestamp"] == "2024-05-02 07:59:59"


def test_sandbox_refuses_a_bad_request_signature(sandbox: AlipaySandbox) -> None:
    """PAY: a request signed with another key gets 40002 / isv.invalid-signature."""
    cfg = sandbox.config()
    wrong = AlipayClient(
        type(cfg)(app_id=cfg.app_id, seller_id=cfg.seller_id, app_private_key_pem=make_keys().alipay_private_pem,
                  alipay_public_key_pem=cfg.alipay_public_key_pem, notify_url=cfg.notify_url, gateway=cfg.gateway),
        httpx.Client(transport=sandbox.transport()),
    )
    with pytest.raises(AlipayError) as err:
        wrong.precreate("T1", 100, "x", timedelta(minutes=5))
    assert (err.value.code, err.value.sub_code) == ("40002", "isv.invalid-signature")
    assert "T1" not in sandbox.trades


# -- the trade ------------------------------------------------------------------------------------------
def test_precreate_returns_a_qr_code(client: AlipayClient) -> None:
    """PAY: a back-office order yields a QR code for the elder to scan with Alipay."""
    got = client.precreate("T1", 12345, "上门助浴", timedelta(minutes=15))
    assert got.qr_code.startswith("https://qr.alipay.com/")
    state = client.query("T1")
    assert (state.trade_status, state.total_fen, state.paid) == ("WAIT_BUYER_PAY", 12345, False)


def test_pay_notification_parses_to_trade_success_with_exact_fen(
    sandbox: AlipaySandbox, client: AlipayClient,
) -> None:
    """PAY: the buyer pays; the signed notify form parses to TRADE_SUCCESS with the exact amount in fen."""
    form = paid(sandbox, client, fen=12345)
    assert form["total_amount"] == "123.45"
    # it survives the trip as an x-www-form-urlencoded body
    form = dict(urllib.parse.parse_qsl(urllib.parse.urlencode(form)))
    note = client.parse_notification(form)
    assert (note.out_trade_no, note.trade_status, note.total_fen, note.paid) == ("T1", "TRADE_SUCCESS", 12345, True)
    assert note.trade_no == sandbox.trades["T1"].trade_no
    assert note.gmt_payment == FIXED
    assert NOTIFY_SUCCESS_BODY == "success"


def test_query_after_pay(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: a status query confirms what the notification said."""
    paid(sandbox, client, fen=990)
    state = client.query("T1")
    assert (state.trade_status, state.total_fen, state.paid) == ("TRADE_SUCCESS", 990, True)
    assert state.trade_no == sandbox.trades["T1"].trade_no


def test_query_unknown_trade_and_close(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: business errors carry Alipay's code and sub_code; an unpaid trade can be closed, a paid one not."""
    with pytest.raises(AlipayError) as err:
        client.query("nope")
    assert (err.value.code, err.value.sub_code) == ("40004", "ACQ.TRADE_NOT_EXIST")
    client.precreate("T2", 100, "x", timedelta(minutes=5))
    client.close("T2")
    assert client.query("T2").trade_status == "TRADE_CLOSED"
    paid(sandbox, client, out="T3")
    with pytest.raises(AlipayError) as err:
        client.close("T3")
    assert err.value.sub_code == "ACQ.TRADE_STATUS_ERROR"


# -- notifications ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda s: s.forged_notification("T1"), "bad_signature"),
        (lambda s: s.tampered_notification("T1", "0.01"), "bad_signature"),
        (lambda s: {k: v for k, v in s.notification("T1").items() if k != "sign"}, "missing_signature"),
        (lambda s: s.wrong_app_notification("T1"), "wrong_app"),
        (lambda s: s.wrong_seller_notification("T1"), "wrong_seller"),
        (lambda s: s.wrong_amount_notification("T1", "123.4"), "bad_amount"),
        (lambda s: s.wrong_amount_notification("T1", "-1.00"), "bad_amount"),
        (lambda s: s.notification("T1", sign_type="RSA"), "unsupported_sign_type"),
    ],
    ids=["forged", "tampered", "unsigned", "wrong-app", "wrong-seller", "malformed-amount", "negative", "rsa1"],
)
def test_bad_notifications_are_rejected_with_their_reason(
    sandbox: AlipaySandbox, client: AlipayClient, make: Callable[[AlipaySandbox], dict[str, str]], reason: str,
) -> None:
    """PAY: verify first, then app_id and seller_id, then the amount; each failure has its own reason."""
    paid(sandbox, client)
    with pytest.raises(NotificationRejected) as err:
        client.parse_notification(make(sandbox))
    assert err.value.reason_code == reason


def test_a_different_well_formed_amount_is_left_to_the_caller(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: a validly signed notification parses; the caller compares total_fen with its order."""
    paid(sandbox, client, fen=12345)
    note = client.parse_notification(sandbox.wrong_amount_notification("T1", "0.01"))
    assert note.total_fen == 1
    assert note.total_fen != sandbox.trades["T1"].total_fen


# -- refunds ---------------------------------------------------------------------------------------------
def test_refund_twice_with_the_same_request_number_refunds_once(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: out_request_no is the idempotency key; a retry moves no more money."""
    paid(sandbox, client, fen=10000)
    first = client.refund("T1", "R1", 3000, "服务取消")
    again = client.refund("T1", "R1", 3000, "服务取消")
    assert (first.fund_change, first.refund_fee_fen) == (True, 3000)
    assert (again.fund_change, again.refund_fee_fen) == (False, 3000)
    assert sandbox.trades["T1"].refunded == 3000
    got = client.query_refund("T1", "R1")
    assert (got.found, got.refund_fen, got.refund_status) == (True, 3000, "REFUND_SUCCESS")
    assert not client.query_refund("T1", "R2").found


def test_refunds_never_exceed_the_total(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: a refund above what is left of the total is refused and changes nothing."""
    paid(sandbox, client, fen=10000)
    with pytest.raises(AlipayError) as err:
        client.refund("T1", "R1", 10001, "")
    assert err.value.sub_code == "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"
    assert client.refund("T1", "R2", 6000, "").refund_fee_fen == 6000
    with pytest.raises(AlipayError):
        client.refund("T1", "R3", 4001, "")
    assert client.refund("T1", "R3", 4000, "").refund_fee_fen == 10000
    assert sandbox.trades["T1"].refunded == 10000


def test_refund_of_an_unpaid_trade_is_refused(client: AlipayClient) -> None:
    """PAY: nothing to refund before payment."""
    client.precreate("T1", 100, "x", timedelta(minutes=5))
    with pytest.raises(AlipayError) as err:
        client.refund("T1", "R1", 100, "")
    assert err.value.sub_code == "ACQ.TRADE_STATUS_ERROR"


# -- the answer's signature ------------------------------------------------------------------------------------
def test_a_tampered_response_signature_is_refused(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: an answer whose signature fails is not believed, success or not."""
    sandbox.tamper_response_signature = True
    with pytest.raises(ResponseRejected):
        client.precreate("T1", 100, "x", timedelta(minutes=5))


def test_response_signature_covers_the_raw_text(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: the signature is checked over the response object exactly as sent; a changed value, an unsigned
    success, or another method's answer is refused; an unsigned gateway error is still an error."""
    key = load_private_key(make_keys().alipay_private_pem)
    raw = '{"code":"10000","msg":"Success","out_trade_no":"T1","qr_code":"https://qr.alipay.com/x" , "n": 1.50}'
    text = f'{{ "alipay_trade_precreate_response" : {raw} ,"sign":"{rsa2_sign(raw, key)}"}}'
    assert top_level_members(text)["alipay_trade_precreate_response"][1] == raw
    assert client.verify_response("alipay.trade.precreate", text)["qr_code"] == "https://qr.alipay.com/x"
    with pytest.raises(ResponseRejected):
        client.verify_response("alipay.trade.precreate", text.replace("/x", "/y"))
    with pytest.raises(ResponseRejected):
        client.verify_response("alipay.trade.precreate", f'{{"alipay_trade_precreate_response":{raw}}}')
    with pytest.raises(ResponseRejected):
        client.verify_response("alipay.trade.query", text)
    with pytest.raises(ResponseRejected):
        client.verify_response("alipay.trade.query", "<html>502</html>")
    err_text = '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app_id","sub_msg":"无效的AppID参数"}}'
    with pytest.raises(AlipayError) as err:
        client.verify_response("alipay.trade.query", err_text)
    assert err.value.sub_code == "isv.invalid-app_id"


def test_http_failures_are_rejected() -> None:
    """PAY: transport errors and HTTP errors are ResponseRejected, never a result."""
    sandbox = AlipaySandbox()

    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("down", request=request)

    for transport in (httpx.MockTransport(boom), httpx.MockTransport(lambda r: httpx.Response(502))):
        client = AlipayClient(sandbox.config(), httpx.Client(transport=transport))
        with pytest.raises(ResponseRejected):
            client.query("T1")


def test_amount_and_timeout_arguments_are_checked(client: AlipayClient) -> None:
    """PAY: no zero charges or refunds; timeout in whole minutes up to 15 days."""
    with pytest.raises(ValueError):
        client.precreate("T1", 0, "x", timedelta(minutes=5))
    with pytest.raises(ValueError):
        client.precreate("T1", 1, "x", timedelta(seconds=30))
    with pytest.raises(ValueError):
        client.precreate("T1", 1, "x", timedelta(days=16))
    with pytest.raises(ValueError):
        client.refund("T1", "R1", 0, "")


# -- properties -------------------------------------------------------------------------------------------
@given(st.integers(min_value=0, max_value=10**14))
def test_fen_yuan_round_trip(fen: int) -> None:
    """PAY: fen ↔ yuan string is exact, always two decimals."""
    text = fen_to_yuan(fen)
    assert yuan_to_fen(text) == fen
    assert len(text.split(".")[1]) == 2


@pytest.mark.parametrize("bad", ["1", "1.2", "1.234", "01.00", "-1.00", "+1.00", " 1.00", "1e2", "1,00", "", "１.00"])
def test_malformed_yuan_is_refused(bad: str) -> None:
    """PAY: nothing but Alipay's two-decimal form is read as money."""
    with pytest.raises(ValueError):
        yuan_to_fen(bad)


@settings(max_examples=40)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=30), max_size=8))
def test_sign_verify_round_trip(params: dict[str, str]) -> None:
    """PAY: whatever the parameters, what is signed verifies, and changing any signed value breaks it."""
    keys = make_keys()
    private, public = load_private_key(keys.app_private_pem), load_public_key(keys.app_public_pem)
    signature = rsa2_sign(sign_content(params), private)
    assert rsa2_verify(sign_content({**params, "sign": "ignored"}), signature, public)
    signed = [k for k, v in params.items() if k != "sign" and v]
    if signed:
        changed = {**params, signed[0]: params[signed[0]] + "x"}
        assert not rsa2_verify(sign_content(changed), signature, public)


@pytest.mark.parametrize("text", [
    '{"a":1,"a":2}', '{"a" 1}', '{1:2}', '{"a":1} x', '[]', '{"a":1,}', '',
])
def test_malformed_answers_are_not_json_objects(text: str) -> None:
    """PAY: the raw-object walk refuses anything but one well-formed JSON object (duplicates included)."""
    with pytest.raises(ValueError):
        top_level_members(text)
    assert top_level_members(" { } ") == {}


def test_precreate_again_for_the_same_trade(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: re-creating an unpaid trade gives a code again; a paid one or a changed amount is refused."""
    client.precreate("T1", 100, "x", timedelta(minutes=5))
    assert client.precreate("T1", 100, "x", timedelta(minutes=5)).qr_code
    with pytest.raises(AlipayError) as err:
        client.precreate("T1", 101, "x", timedelta(minutes=5))
    assert err.value.sub_code == "ACQ.CONTEXT_INCONSISTENT"
    sandbox.pay("T1")
    with pytest.raises(AlipayError) as err:
        client.precreate("T1", 100, "x", timedelta(minutes=5))
    assert err.value.sub_code == "ACQ.TRADE_HAS_SUCCESS"
    with pytest.raises(ValueError):
        sandbox.pay("T1")


def test_refund_retry_with_another_amount_is_refused(sandbox: AlipaySandbox, client: AlipayClient) -> None:
    """PAY: one out_request_no is one refund; reusing it for another amount is an error, not a second refund."""
    paid(sandbox, client, fen=10000)
    client.refund("T1", "R1", 1000, "")
    with pytest.raises(AlipayError):
        client.refund("T1", "R1", 2000, "")
    assert sandbox.trades["T1"].refunded == 1000


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"trade_status": ""}, "missing_field"),
    ({"gmt_payment": "2024/05/01 12:00"}, "bad_time"),
])
def test_signed_but_incomplete_notifications(
    sandbox: AlipaySandbox, client: AlipayClient, overrides: dict[str, str], reason: str,
) -> None:
    """PAY: a validly signed notification still needs its fields in Alipay's formats."""
    paid(sandbox, client)
    with pytest.raises(NotificationRejected) as err:
        client.parse_notification(sandbox.notification("T1", **overrides))
    assert err.value.reason_code == reason
