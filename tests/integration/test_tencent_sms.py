"""The Tencent Cloud SMS notifier (腾讯云短信 SendSms) against a mocked gateway: TC3-HMAC-SHA256 signing
checked against Tencent's published worked example and an independent re-implementation, the request it
sends, every way a send can fail (with the phone masked), and its wiring from settings."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
from attrs import evolve

from yiyangkang.adapters.notify.sandbox import SandboxNotifier
from yiyangkang.adapters.notify.tencent_sms import (
    NotifyFailed,
    TemplateNotConfigured,
    TencentSmsConfig,
    TencentSmsNotifier,
    tc3_authorization,
    tc3_canonical_request,
    tc3_date,
    tc3_signing_key,
    tc3_string_to_sign,
    template_param,
)
from yiyangkang.bootstrap import build
from yiyangkang.ports.homebed import Notice
from yiyangkang.settings import Settings, SettingsError

# -- Tencent's published example ------------------------------------------------------------------------
# 签名方法 v3 (https://cloud.tencent.com/document/api/213/30654 and the same page under every product, SMS
# included: /document/api/382/52072) signs a CVM DescribeInstances POST at timestamp 1551113065. The page has
# had several revisions; each publishes every input, the asterisks in its keys being literal characters of the
# key it signed with:
#   - SecretId AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******, SecretKey Gu5t9xGARNpq86cd98joQYCN3*******, headers
#     content-type;host;x-tc-action (the form SendSms uses) -> be4f67d3…; an earlier revision signing only
#     content-type;host -> 2230eefd…;
#   - the international (English) page: SecretKey Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, content-type;host -> 72e494ea….
DOC_TIMESTAMP = 1551113065
DOC_PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
DOC_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Host": "cvm.tencentcloudapi.com"}
DOC_ACTION = {"X-TC-Action": "DescribeInstances"}


def test_published_example_canonical_request_and_string_to_sign() -> None:
    assert hashlib.sha256(DOC_PAYLOAD).hexdigest() == "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    canonical, signed = tc3_canonical_request({**DOC_HEADERS, **DOC_ACTION}, DOC_PAYLOAD)
    assert signed == "content-type;host;x-tc-action"
    assert canonical == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n"
        "x-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n"
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert tc3_string_to_sign(DOC_TIMESTAMP, "cvm", canonical) == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
    )
    canonical, signed = tc3_canonical_request(DOC_HEADERS, DOC_PAYLOAD)
    assert signed == "content-type;host"
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")


@pytest.mark.parametrize(
    ("secret_id", "secret_key", "with_action", "signature"),
    [
        ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******", True,
         "be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3"),
        ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", "Gu5t9xGARNpq86cd98joQYCN3*******", False,
         "2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"),
        ("AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", False,
         "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"),
    ],
    ids=["zh-with-action", "zh-earlier", "intl-example"],
)
def test_reproduces_the_published_signatures(secret_id: str, secret_key: str, with_action: bool,
                                             signature: str) -> None:
    headers = {**DOC_HEADERS, **DOC_ACTION} if with_action else DOC_HEADERS
    signed = "content-type;host;x-tc-action" if with_action else "content-type;host"
    assert tc3_authorization(secret_id=secret_id, secret_key=secret_key, service="cvm", timestamp=DOC_TIMESTAMP,
                             headers=headers, payload=DOC_PAYLOAD) == (
        f"TC3-HMAC-SHA256 Credential={secret_id}/2019-02-25/cvm/tc3_request, SignedHeaders={signed}, "
        f"Signature={signature}"
    )


def test_credential_date_is_the_utc_day() -> None:
    # The doc's own warning: 1551113065 is 2019-02-26 00:44:25 in Beijing, but the date signed is 2019-02-25.
    assert tc3_date(DOC_TIMESTAMP) == "2019-02-25"
    assert tc3_date(int(datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC).timestamp()) - 1) == "2025-12-31"


def test_signing_key_is_derived_in_the_documented_order() -> None:
    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()
    assert tc3_signing_key("sk", "2025-11-25", "sms") == mac(mac(mac(b"TC3sk", "2025-11-25"), "sms"), "tc3_request")


# -- the notifier against a mocked gateway ------------------------------------------------------------
SECRET_ID = "AKIDtestSecretId0123456789abcdefghij"
SECRET_KEY = "testSecretKey0123456789abcdefghij"
PHONE = "13812345678"
MASKED = "138****5678"
NOW = 1764036000  # 2025-11-25T02:00:00Z
CONFIG = TencentSmsConfig(
    secret_id=SECRET_ID, secret_key=SECRET_KEY, app_id="1400006666", sign_name="医养康",
    templates={"monitoring.alarm": "2001001", "monitoring": "2001000", "homebed.contract_expiring": "2002001"},
)


def independent_authorization(secret_id: str, secret_key: str, timestamp: int, payload: bytes) -> str:
    """TC3-HMAC-SHA256 for SendSms written out literally from the documented steps, sharing no code with the
    adapter."""
    canonical = ("POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n"
                 "x-tc-action:sendsms\n\ncontent-type;host;x-tc-action\n" + hashlib.sha256(payload).hexdigest())
    date = datetime.fromtimestamp(timestamp, UTC).date().isoformat()
    to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
               + hashlib.sha256(canonical.encode()).hexdigest())
    key = ("TC3" + secret_key).encode()
    for part in (date, "sms", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/sms/tc3_request, "
            f"SignedHeaders=content-type;host;x-tc-action, Signature={signature}")


def ok_answer(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    return httpx.Response(200, json={"Response": {"RequestId": "req-1", "SendStatusSet": [{
        "SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": body["PhoneNumberSet"][0], "Fee": 1,
        "SessionContext": body["SessionContext"], "Code": "Ok", "Message": "send success", "IsoCode": "CN"}]}})


class Gateway:
    """A mocked SMS endpoint recording what reaches it."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] = ok_answer) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def notifier(self, config: TencentSmsConfig = CONFIG) -> TencentSmsNotifier:
        return TencentSmsNotifier(config, client=httpx.Client(transport=httpx.MockTransport(self)), now=lambda: NOW)


def notice(**overrides: object) -> Notice:
    values: dict[str, object] = {
        "account_id": "acc-1", "phone": PHONE, "title": "紧急告警：李桂芳 跌倒", "topic": "monitoring.alarm",
        "body": "李桂芳于11月25日10:00发生跌倒（紧急），位置：卧室。告警编号GJ20251125001，请尽快处理。",
        "ref": "alarm-0001",
    }
    values.update(overrides)
    return Notice(**values)  # type: ignore[arg-type]


def test_the_request_is_a_signed_sendsms_call() -> None:
    gateway = Gateway()
    gateway.notifier().send(notice())
    [request] = gateway.requests
    assert request.method == "POST"
    assert str(request.url) == "https://sms.tencentcloudapi.com/"
    assert request.headers["Host"] == "sms.tencentcloudapi.com"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["X-TC-Action"] == "SendSms"
    assert request.headers["X-TC-Version"] == "2021-01-11"
    assert request.headers["X-TC-Timestamp"] == str(NOW)
    assert request.headers["X-TC-Region"] == "ap-guangzhou"
    assert request.headers["Authorization"] == independent_authorization(SECRET_ID, SECRET_KEY, NOW, request.content)
    assert "Credential=" + SECRET_ID + "/2025-11-25/sms/tc3_request" in request.headers["Authorization"]
    assert SECRET_KEY not in str(request.headers)

    body = json.loads(request.content)
    assert body["PhoneNumberSet"] == ["+86" + PHONE]
    assert body["SmsSdkAppId"] == "1400006666"
    assert body["SignName"] == "医养康"
    assert body["TemplateId"] == "2001001"
    title, text = body["TemplateParamSet"]
    assert title == "紧急告警：李桂芳 跌倒"
    assert len(text) == 35 and text.endswith("…") and text.startswith("李桂芳于11月25日10:00发生跌倒")
    # The de-duplication key: the same for a retry of the same notice, different per recipient, no number in it.
    assert body["SessionContext"].startswith("monitoring.alarm:alarm-0001:")
    assert PHONE not in body["SessionContext"]
    gateway.notifier().send(notice())
    gateway.notifier().send(notice(phone="13900001111"))
    contexts = [json.loads(r.content)["SessionContext"] for r in gateway.requests]
    assert contexts[0] == contexts[1] != contexts[2]


def test_a_tampered_body_no_longer_verifies() -> None:
    gateway = Gateway()
    gateway.notifier().send(notice())
    [request] = gateway.requests
    tampered = request.content.replace(b"2001001", b"2001002")
    assert request.headers["Authorization"] != independent_authorization(SECRET_ID, SECRET_KEY, NOW, tampered)


def test_success_logs_only_the_masked_phone(caplog: pytest.LogCaptureFixture) -> None:
    gateway = Gateway()
    with caplog.at_level(logging.DEBUG, logger="yiyangkang.adapters.notify.tencent_sms"):
        gateway.notifier().send(notice(phone="+86 138-1234-5678"))
    assert json.loads(gateway.requests[0].content)["PhoneNumberSet"] == ["+8613812345678"]
    assert MASKED in caplog.text and "5000:1045710669157053657849499619" in caplog.text
    assert PHONE not in caplog.text and SECRET_KEY not in caplog.text


def test_template_follows_the_longest_topic_prefix() -> None:
    gateway = Gateway()
    sms = gateway.notifier()
    sms.send(notice(topic="monitoring.sim_expiring", ref="sim-1"))
    sms.send(notice(topic="monitoring.alarm", ref="alarm-1"))
    sms.send(notice(topic="homebed.contract_expiring", ref="contract-1"))
    assert [json.loads(r.content)["TemplateId"] for r in gateway.requests] == ["2001000", "2001001", "2002001"]


def test_unknown_topic_is_a_clear_error_and_sends_nothing() -> None:
    gateway = Gateway()
    with pytest.raises(TemplateNotConfigured, match=r"homebed\.order_dispatched.*YYK_TENCENT_SMS_TEMPLATES"):
        gateway.notifier().send(notice(topic="homebed.order_dispatched"))
    assert issubclass(TemplateNotConfigured, NotifyFailed)
    assert gateway.requests == []


def test_a_notice_without_phone_is_not_an_sms() -> None:
    gateway = Gateway()
    for phone in (None, ""):
        gateway.notifier().send(notice(phone=phone))
        gateway.notifier().send(notice(phone=phone, topic="no.template.either"))
    assert gateway.requests == []


def test_parameters_are_cut_to_the_configured_lengths() -> None:
    gateway = Gateway()
    gateway.notifier(evolve(CONFIG, title_max=8, body_max=10)).send(
        notice(title="【升级】紧急告警：李桂芳 跌倒", body="第一行\n\n  第二行   很长很长很长"))
    title, body = json.loads(gateway.requests[0].content)["TemplateParamSet"]
    assert title == "[升级]紧急告…"
    assert body == "第一行 第二行 很…"
    assert template_param("短", 20) == "短"
    assert template_param("x" * 20, 20) == "x" * 20
    assert template_param("x" * 21, 20) == "x" * 19 + "…"


def _status(code: str, message: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Response": {"RequestId": "req-2", "SendStatusSet": [{
            "SerialNo": "", "PhoneNumber": "+86" + PHONE, "Fee": 0, "SessionContext": "", "Code": code,
            "Message": message, "IsoCode": "CN"}]}})
    return answer


def _error(code: str, message: str) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"Response": {"Error": {"Code": code, "Message": message},
                                                      "RequestId": "req-3"}})
    return answer


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc
    return answer


FAILURES: dict[str, tuple[Callable[[httpx.Request], httpx.Response], str]] = {
    "connect-timeout": (_raise(httpx.ConnectTimeout("timed out")), r"unreachable \(ConnectTimeout\)"),
    "read-timeout": (_raise(httpx.ReadTimeout("timed out")), r"unreachable \(ReadTimeout\)"),
    "http-502": (lambda r: httpx.Response(502, text="Bad Gateway"), "HTTP 502"),
    "not-json": (lambda r: httpx.Response(200, text="<html>maintenance</html>"), "other than a Tencent"),
    "auth-failure": (_error("AuthFailure.SignatureFailure", "The provided credentials could not be validated."),
                     "AuthFailure.SignatureFailure"),
    "secret-id-echoed": (_error("AuthFailure.SecretIdNotFound", f"SecretId {SECRET_ID} not found"),
                         "AuthFailure.SecretIdNotFound"),
    "daily-limit-error": (_error("LimitExceeded.PhoneNumberDailyLimit", f"+86{PHONE} reached the daily limit"),
                          "LimitExceeded.PhoneNumberDailyLimit"),
    "daily-limit-status": (_status("LimitExceeded.PhoneNumberDailyLimit", f"number {PHONE} over the daily limit"),
                           "LimitExceeded.PhoneNumberDailyLimit"),
    "blacklisted": (_status("FailedOperation.PhoneNumberInBlacklist", "in blacklist"), "PhoneNumberInBlacklist"),
    "not-an-api-answer": (lambda r: httpx.Response(200, json={"Response": "busy"}), "other than a Tencent"),
    "no-status": (lambda r: httpx.Response(200, json={"Response": {"RequestId": "r", "SendStatusSet": []}}),
                  "no send status"),
}


@pytest.mark.parametrize("kind", FAILURES)
def test_each_failure_raises_with_the_phone_masked(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    answer, expected = FAILURES[kind]
    gateway = Gateway(answer)
    with caplog.at_level(logging.DEBUG), pytest.raises(NotifyFailed, match=expected) as err:
        gateway.notifier().send(notice())
    message = str(err.value)
    assert MASKED in message
    for secret in (PHONE, SECRET_KEY, SECRET_ID):
        assert secret not in message
        assert secret not in caplog.text
    if "." in expected:
        assert err.value.code == expected


def test_a_number_that_is_no_mobile_is_refused_masked() -> None:
    gateway = Gateway()
    with pytest.raises(NotifyFailed, match=r"020\*\*\*\*5678 is not a mainland mobile") as err:
        gateway.notifier().send(notice(phone="02012345678"))
    assert "02012345678" not in str(err.value)
    assert gateway.requests == []


def test_the_notifier_refuses_missing_credentials() -> None:
    with pytest.raises(ValueError, match="SecretKey"):
        TencentSmsNotifier(evolve(CONFIG, secret_key=""))
    assert SECRET_KEY not in repr(CONFIG)


# -- settings and wiring ------------------------------------------------------------------------------
TENCENT_ENV = {
    "YYK_NOTIFIER": "tencent-sms",
    "YYK_TENCENT_SMS_SECRET_ID": SECRET_ID,
    "YYK_TENCENT_SMS_SECRET_KEY": SECRET_KEY,
    "YYK_TENCENT_SMS_APP_ID": "1400006666",
    "YYK_TENCENT_SMS_SIGN": "医养康",
    "YYK_TENCENT_SMS_TEMPLATES": "monitoring.alarm=2001001, homebed.contract_expiring = 2002001,",
}


def test_settings_default_to_the_sandbox() -> None:
    settings = Settings.from_env({})
    assert settings.notifier == "sandbox"
    assert settings.tencent_sms_region == "ap-guangzhou"
    assert (settings.tencent_sms_title_max, settings.tencent_sms_body_max) == (20, 35)


def test_settings_read_the_tencent_sms_account() -> None:
    settings = Settings.from_env({**TENCENT_ENV, "YYK_TENCENT_SMS_REGION": "ap-beijing",
                                  "YYK_TENCENT_SMS_TITLE_MAX": "12", "YYK_TENCENT_SMS_BODY_MAX": "30"})
    assert settings.notifier == "tencent-sms"
    assert settings.tencent_sms_templates == (("monitoring.alarm", "2001001"), ("homebed.contract_expiring", "2002001"))
    assert settings.tencent_sms_region == "ap-beijing"
    assert (settings.tencent_sms_title_max, settings.tencent_sms_body_max) == (12, 30)
    assert SECRET_KEY not in repr(settings)


@pytest.mark.parametrize("name", ["SECRET_ID", "SECRET_KEY", "APP_ID", "SIGN", "TEMPLATES"])
def test_tencent_sms_is_refused_without_its_account(name: str) -> None:
    with pytest.raises(SettingsError, match=f"YYK_TENCENT_SMS_{name}"):
        Settings.from_env({**TENCENT_ENV, f"YYK_TENCENT_SMS_{name}": ""})


@pytest.mark.parametrize(("env", "match"), [
    ({"YYK_NOTIFIER": "wechat"}, "YYK_NOTIFIER"),
    ({**TENCENT_ENV, "YYK_TENCENT_SMS_TEMPLATES": "monitoring.alarm"}, "YYK_TENCENT_SMS_TEMPLATES"),
    ({**TENCENT_ENV, "YYK_TENCENT_SMS_TEMPLATES": "=2001001"}, "YYK_TENCENT_SMS_TEMPLATES"),
    ({**TENCENT_ENV, "YYK_TENCENT_SMS_BODY_MAX": "0"}, "YYK_TENCENT_SMS_BODY_MAX"),
    ({**TENCENT_ENV, "YYK_TENCENT_SMS_TITLE_MAX": "x"}, "YYK_TENCENT_SMS_TITLE_MAX"),
])
def test_bad_notifier_settings_are_refused(env: dict[str, str], match: str) -> None:
    with pytest.raises(SettingsError, match=match):
        Settings.from_env(env)


CHEAP = {"YYK_ARGON2_TIME_COST": "1", "YYK_ARGON2_MEMORY_KIB": "1024", "YYK_NOTIFY_OUTBOX": ""}


def test_build_wires_the_sandbox_by_default() -> None:
    container = build(Settings.from_env(CHEAP), in_memory=True)
    assert isinstance(container.notifier, SandboxNotifier)


def test_build_wires_tencent_sms_from_settings() -> None:
    container = build(Settings.from_env({**CHEAP, **TENCENT_ENV}), in_memory=True)
    sms = container.notifier
    assert isinstance(sms, TencentSmsNotifier)
    assert sms.config == TencentSmsConfig(
        secret_id=SECRET_ID, secret_key=SECRET_KEY, app_id="1400006666", sign_name="医养康",
        templates={"monitoring.alarm": "2001001", "homebed.contract_expiring": "2002001"},
        region="ap-guangzhou", title_max=20, body_max=35,
    )
    assert sms.template_for("monitoring.alarm") == "2001001"
    sms.close()
