"""PAY — the UnionPay 5.1.0 client against the in-memory UnionPay sandbox: signMethod 01 (RSA over the SHA-256 hex
of the sorted fields), answers verified through the signPubKeyCert chain, apply-QR, query, refunds (txnType 04 against
origQryId; a duplicate refund number refunds nothing), every way a back notification is refused — and Hypothesis
round trips of the wire converters (sign/verify, the answer format, amounts, times, the notify form)."""

from __future__ import annotations

import hashlib
import urllib.parse
from datetime import UTC, datetime, timedelta

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.adapters.payments.gateways import UnionPayQrGateway
from yiyangkang.adapters.payments.unionpay import (
    NotificationRejected,
    UnionPayClient,
    UnionPayError,
    encode_reply,
    fen_to_txn_amt,
    from_txn_time,
    load_private_key,
    parse_reply,
    rsa_sign,
    rsa_verify,
    sign_content,
    sign_digest,
    to_txn_time,
    txn_amt_to_fen,
)
from yiyangkang.adapters.payments.unionpay_sandbox import UnionPaySandbox, make_keys
from yiyangkang.domain.kernel.money import Money
from yiyangkang.ports.payments import ChargeRequest, PaymentNoticeRejected, RefundRequest, RefundState, TradeState

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(minutes=30)


@pytest.fixture
def sandbox() -> UnionPaySandbox:
    return UnionPaySandbox(clock=lambda: NOW)


@pytest.fixture
def client(sandbox: UnionPaySandbox) -> UnionPayClient:
    return sandbox.client(clock=lambda: NOW)


def test_sign_content_and_digest_known_answer() -> None:
    """PAY: the sign content is every field but `signature`, sorted, k=v joined by &; what is signed is its SHA-256
    as lowercase hex."""
    params = {"version": "5.1.0", "txnAmt": "100", "signature": "xyz", "merId": "777", "orderDesc": ""}
    assert sign_content(params) == "merId=777&orderDesc=&txnAmt=100&version=5.1.0"
    assert sign_digest(params) == hashlib.sha256(b"merId=777&orderDesc=&txnAmt=100&version=5.1.0").hexdigest().encode()


def test_requests_carry_the_common_fields_and_verify_with_the_merchant_cert(client: UnionPayClient,
                                                                             sandbox: UnionPaySandbox) -> None:
    """PAY: apply-QR is txnType 01/07, bizType 000000, channelType 08, version 5.1.0, signMethod 01 with the
    merchant's certId; amounts are fen; times Beijing."""
    found = client.apply_qr("YYK1", 12_345, NOW, EXPIRES, "上门助浴")
    sent = sandbox.requests[-1]
    assert found.qr_code.startswith("https://qr.95516.com/")
    assert {k: sent[k] for k in ("version", "signMethod", "txnType", "txnSubType", "bizType", "channelType",
                                 "accessType", "currencyCode", "txnAmt", "txnTime", "payTimeout")} == {
        "version": "5.1.0", "signMethod": "01", "txnType": "01", "txnSubType": "07", "bizType": "000000",
        "channelType": "08", "accessType": "0", "currencyCode": "156", "txnAmt": "12345",
        "txnTime": "20261125100000", "payTimeout": "20261125103000"}
    assert sent["certId"] == client.config.sign_cert_id
    # the same order again: the same code
    assert client.apply_qr("YYK1", 12_345, NOW, EXPIRES).qr_code == found.qr_code


def test_a_bad_request_signature_is_respcode_11(sandbox: UnionPaySandbox) -> None:
    """PAY: a request signed with another key is refused by UnionPay (11 验证签名失败)."""
    config = attrs.evolve(sandbox.config(), sign_private_key_pem=sandbox.keys.intruder_private_pem)
    forged = UnionPayClient(config, httpx.Client(transport=sandbox.transport()), clock=lambda: NOW)
    with pytest.raises(UnionPayError) as raised:
        forged.apply_qr("YYK2", 100, NOW, EXPIRES)
    assert raised.value.code == "11"


def test_an_answer_not_signed_by_unionpay_is_refused(sandbox: UnionPaySandbox) -> None:
    """PAY: an answer signed by a look-alike certificate (not chained to the root), or with a changed field, is not
    believed (UNVERIFIED)."""
    keys = make_keys()

    def tampered(request: httpx.Request) -> httpx.Response:
        answer = parse_reply(sandbox.handle(request).content.decode())
        answer["qrCode"] = "https://evil.example/pay"
        return httpx.Response(200, content=encode_reply(answer).encode())

    def lookalike(request: httpx.Request) -> httpx.Response:
        answer = parse_reply(sandbox.handle(request).content.decode())
        answer.pop("signature")
        signed = sandbox.sign(answer, signer=load_private_key(keys.intruder_private_pem),
                              cert_pem=keys.intruder_cert_pem)
        return httpx.Response(200, content=encode_reply(signed).encode())

    for handler in (tampered, lookalike):
        client = UnionPayClient(sandbox.config(), httpx.Client(transport=httpx.MockTransport(handler)),
                                clock=lambda: NOW)
        with pytest.raises(UnionPayError) as raised:
            client.apply_qr(f"YYK-{handler.__name__}", 100, NOW, EXPIRES)
        assert raised.value.code == "UNVERIFIED"


def test_query_pay_and_notification(client: UnionPayClient, sandbox: UnionPaySandbox) -> None:
    """PAY: before payment the query finds nothing (34); the payer pays; the notification verifies; the query
    answers origRespCode 00 with the queryId."""
    client.apply_qr("YYK3", 500, NOW, EXPIRES)
    assert client.query("YYK3", NOW) is None
    body = sandbox.pay("YYK3")
    notice = client.parse_notification(client.parse_form(body), NOW)
    assert (notice.order_id, notice.txn_amt, notice.resp_code, notice.mer_id) == ("YYK3", 500, "00", sandbox.mer_id)
    found = client.query("YYK3", NOW)
    assert found is not None and (found.orig_resp_code, found.query_id, found.txn_amt) == ("00", notice.query_id, 500)


@pytest.mark.parametrize(("kind", "reason"), [("forged", "BAD_CERT"), ("wrong_merchant", "WRONG_MERCHANT"),
                                         ("stale", "STALE_TIMESTAMP"), ("tampered", "BAD_SIGNATURE"),
                                         ("future", "STALE_TIMESTAMP")])
def test_bad_notifications_are_refused(client: UnionPayClient, sandbox: UnionPaySandbox, kind: str,
                                       reason: str) -> None:
    """PAY: a look-alike certificate, another merId, an order a day old or in the future, a field changed after
    signing: each refused with its reason."""
    client.apply_qr("YYK4", 800, NOW, EXPIRES)
    sandbox.pay("YYK4")
    body = {"forged": lambda: sandbox.forged_notification("YYK4"),
            "wrong_merchant": lambda: sandbox.wrong_merchant_notification("YYK4"),
            "stale": lambda: sandbox.stale_notification("YYK4", NOW - timedelta(days=1, minutes=1)),
            "future": lambda: sandbox.stale_notification("YYK4", NOW + timedelta(minutes=10)),
            "tampered": lambda: sandbox.tampered_notification("YYK4", 1)}[kind]()
    with pytest.raises(NotificationRejected) as raised:
        client.parse_notification(client.parse_form(body), NOW)
    assert raised.value.reason_code == reason


def test_unsigned_duplicated_or_garbled_forms_are_refused(client: UnionPayClient, sandbox: UnionPaySandbox) -> None:
    """PAY: no signature, a field given twice (which was signed?), bytes that are not a form: refused."""
    client.apply_qr("YYK5", 800, NOW, EXPIRES)
    body = sandbox.pay("YYK5")
    form = client.parse_form(body)
    unsigned = {k: v for k, v in form.items() if k != "signature"}
    with pytest.raises(NotificationRejected, match="MISSING_SIGNATURE"):
        client.parse_notification(unsigned, NOW)
    with pytest.raises(NotificationRejected, match="MALFORMED"):
        client.parse_form(body + b"&txnAmt=1")
    with pytest.raises(NotificationRejected, match="MALFORMED"):
        client.parse_form(b"\xff\xfe")


def test_refunds_go_against_the_payment_and_never_twice(client: UnionPayClient, sandbox: UnionPaySandbox) -> None:
    """PAY: a refund (txnType 04, origQryId) is taken (in process until UnionPay settles it, then 00); the same
    refund number again refunds nothing (12 重复交易); more than was paid is refused."""
    client.apply_qr("YYK6", 1_000, NOW, EXPIRES)
    query_id = client.parse_form(sandbox.pay("YYK6"))["queryId"]
    taken = client.refund("RF6", query_id, 600, NOW)
    assert sandbox.requests[-1]["origQryId"] == query_id and sandbox.requests[-1]["txnType"] == "04"
    state = client.query("RF6", taken.txn_time)
    assert state is not None and state.orig_resp_code == "05"
    with pytest.raises(UnionPayError) as dup:
        client.refund("RF6", query_id, 600, NOW)
    assert dup.value.code == "12"
    with pytest.raises(UnionPayError) as over:
        client.refund("RF7", query_id, 500, NOW)
    assert over.value.code == "61"
    sandbox.complete_refund("RF6")
    settled = client.query("RF6", taken.txn_time)
    assert settled is not None and settled.orig_resp_code == "00"


def test_the_gateway_behind_the_port(sandbox: UnionPaySandbox, client: UnionPayClient) -> None:
    """PAY: the UnionPay gateway: the charge's code, the notification as a PaymentNotice, the query's states, a
    pending refund followed by its reference, a retried refund number accepted without refunding again."""
    gateway = UnionPayQrGateway(client, clock=lambda: NOW)
    charge = gateway.charge(ChargeRequest(trade_number="YYK8", amount=Money(900), description="康复理疗",
                                          channel="unionpay", expires_at=EXPIRES, placed_at=NOW))
    assert not charge.paid and charge.pay_url == sandbox.order("YYK8").qr_code
    assert gateway.query("YYK8", NOW).state is TradeState.UNPAID
    notice = gateway.parse_notice({}, sandbox.pay("YYK8"), NOW)
    assert (notice.trade_number, notice.amount, notice.paid) == ("YYK8", Money(900), True)
    assert gateway.query("YYK8", NOW).state is TradeState.PAID
    with pytest.raises(PaymentNoticeRejected):
        gateway.parse_notice({}, sandbox.forged_notification("YYK8"), NOW)
    request = RefundRequest(trade_number="YYK8", transaction_id=notice.transaction_id, refund_number="RF8",
                            amount=Money(900), total=Money(900), reason="不需要了")
    result = gateway.refund(request)
    assert result.succeeded and result.pending and result.reference == "20261125100000"
    assert gateway.refund_status("YYK8", "RF8", result.reference) is RefundState.PROCESSING
    assert gateway.refund(request).succeeded  # the retry: taken before, nothing refunded again
    assert sum(o.amount for o in sandbox.orders.values() if o.txn_type == "04") == 900
    sandbox.complete_refund("RF8")
    assert gateway.refund_status("YYK8", "RF8", result.reference) is RefundState.SUCCEEDED
    assert gateway.notice_reply(True).status == 200 and gateway.notice_reply(False).status != 200


# -- Hypothesis: the wire converters ----------------------------------------------------------------------------
KEYS = st.text(st.characters(min_codepoint=48, max_codepoint=122, categories=["Ll", "Lu", "Nd"]), min_size=1,
               max_size=12)
VALUES = st.text(st.characters(blacklist_categories=["Cs", "Cc"], blacklist_characters="&={}"), max_size=40)


@settings(max_examples=30, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=8))
def test_sign_verify_round_trip(params: dict[str, str]) -> None:
    """PAY: what the merchant key signs verifies with its certificate; any changed value does not."""
    key = load_private_key(make_keys().merchant_private_pem)
    public = key.public_key()
    signature = rsa_sign(params, key)
    assert rsa_verify({**params, "signature": signature}, signature, public)
    name = sorted(params)[0]
    assert not rsa_verify({**params, name: params[name] + "x"}, signature, public)


@given(st.dictionaries(KEYS, st.one_of(VALUES, VALUES.map(lambda v: "{" + v.replace("}", "") + "&a=b}")),
                       min_size=1, max_size=8))
def test_answer_format_round_trip(params: dict[str, str]) -> None:
    """PAY: an answer written as UnionPay writes it (raw k=v&…, nested values in braces) reads back the same."""
    assert parse_reply(encode_reply(params)) == params


@given(st.dictionaries(KEYS, st.text(max_size=30).filter(lambda v: "\x00" not in v), min_size=1, max_size=8))
def test_notify_form_round_trip(params: dict[str, str]) -> None:
    """PAY: a notification's URL-encoded form parses back to its fields."""
    assert UnionPayClient.parse_form(urllib.parse.urlencode(params).encode()) == params


@given(st.integers(min_value=1, max_value=999_999_999_999))
def test_amount_round_trip(fen: int) -> None:
    assert txn_amt_to_fen(fen_to_txn_amt(fen)) == fen


@pytest.mark.parametrize("bad", ["0", "-1", "01", "1.00", " 1", "1e3", "", "１"])
def test_malformed_amounts_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        txn_amt_to_fen(bad)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)))
def test_time_round_trip(moment: datetime) -> None:
    """PAY: txnTime is Beijing time to the second."""
    assert from_txn_time(to_txn_time(moment)) == moment.replace(microsecond=0)
