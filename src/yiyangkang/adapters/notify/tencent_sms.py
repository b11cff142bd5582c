"""Tencent Cloud SMS (腾讯云短信) behind the Notifier port: API 3.0 `SendSms`, version 2021-01-11.

One notice becomes one request to one number, signed with TC3-HMAC-SHA256 as Tencent's "签名方法 v3" page
describes it (`tc3_*` below; the tests reproduce the signatures that page publishes for its CVM example).

Templates (模板). SMS to mainland numbers may only carry a pre-approved template filled with parameters, so a
notice is mapped, not sent as free text:

* the template is chosen by the notice's `topic`: the longest configured dotted prefix wins, so
  `monitoring.alarm` serves `monitoring.alarm` and `monitoring.alarm.escalated`, and a bare `monitoring`
  entry serves every `monitoring.*` topic without one of its own. No match is a configuration error
  (`TemplateNotConfigured`), raised before anything is sent;
* every template has exactly two variables: {1} the notice's title, {2} its body, e.g.
  `医养康提醒：{1}。{2}，详情请登录平台查看。`;
* Tencent caps the length of each template variable, per variable and per the attribute chosen when the
  template was approved (names are capped shorter than free text), and refuses a message whose variable
  is too long (`InvalidParameterValue.TemplateParameterLengthLimit`). So both parameters are cut to a
  configurable length — by default 20 characters for the title (the "name"-like variable) and 35 for the
  body — ending in "…" when cut; the full text stays in the account's inbox. Every character (汉字, letter,
  digit, punctuation, space) counts as one. Set the limits to what the approved templates allow.
  Whitespace runs become one space, and 【】 (which frame the SMS signature) become [].

Notices without a phone are in-app only and not this adapter's business: they are skipped silently.

Failures — transport errors, HTTP errors, `Response.Error` (authentication, rate and quota limits such as
`LimitExceeded.PhoneNumberDailyLimit`, …) and a per-number `SendStatusSet[].Code` other than "Ok" — raise
`NotifyFailed`; the caller keeps the notice queued and retries. Neither messages nor logs ever hold the full
phone number (masked as 138****5678) or the credentials.

Each request carries a de-duplication key in `SessionContext` (topic, ref and a keyed fingerprint of the
number, never the number itself); Tencent echoes it in the answer and in delivery receipts, so the retries of one
notice can be matched in the logs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
from attrs import field, frozen

from yiyangkang.domain.kernel.identifiers import parse_mobile
from yiyangkang.domain.kernel.masking import mask_phone
from yiyangkang.ports.homebed import Notice

log = logging.getLogger(__name__)

HOST = "sms.tencentcloudapi.com"
SERVICE = "sms"
ACTION = "SendSms"
VERSION = "2021-01-11"
CONTENT_TYPE = "application/json; charset=utf-8"
ALGORITHM = "TC3-HMAC-SHA256"
TIMEOUT = httpx.Timeout(5.0, connect=3.0)  # connect 3 s; read (and write, pool) 5 s


class NotifyFailed(Exception):
    """The SMS was not accepted. The message is safe to log: masked number, no credentials. `code` is
    Tencent's error code when it gave one (e.g. `LimitExceeded.PhoneNumberDailyLimit`)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class TemplateNotConfigured(NotifyFailed):
    """No template is configured for the notice's topic (YYK_TENCENT_SMS_TEMPLATES)."""


# -- TC3-HMAC-SHA256 (签名方法 v3) ----------------------------------------------------------------------
def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def tc3_date(timestamp: int) -> str:
    """The credential date: the UTC day of the timestamp (never the local one: 00:30 in Beijing is still
    yesterday in UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def tc3_canonical_request(headers: Mapping[str, str], payload: bytes) -> tuple[str, str]:
    """(CanonicalRequest, SignedHeaders) of a POST to "/" without query string. Header names and values are
    lower-cased and trimmed, then sorted by name."""
    canon = sorted((k.strip().lower(), v.strip().lower()) for k, v in headers.items())
    signed = ";".join(k for k, _ in canon)
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in canon)
    return f"POST\n/\n\n{canonical_headers}\n{signed}\n{_sha256_hex(payload)}", signed


def tc3_string_to_sign(timestamp: int, service: str, canonical_request: str) -> str:
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{_sha256_hex(canonical_request.encode('utf-8'))}"


def tc3_signing_key(secret_key: str, date: str, service: str) -> bytes:
    """SecretSigning = HMAC(HMAC(HMAC("TC3" + SecretKey, Date), Service), "tc3_request")."""
    return _hmac(_hmac(_hmac(("TC3" + secret_key).encode("utf-8"), date), service), "tc3_request")


def tc3_authorization(*, secret_id: str, secret_key: str, service: str, timestamp: int,
                      headers: Mapping[str, str], payload: bytes) -> str:
    """The `Authorization` header for a POST whose signed headers are `headers` (at least content-type and
    host) and whose body is exactly `payload`."""
    canonical, signed = tc3_canonical_request(headers, payload)
    to_sign = tc3_string_to_sign(timestamp, service, canonical)
    key = tc3_signing_key(secret_key, tc3_date(timestamp), service)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    scope = f"{tc3_date(timestamp)}/{service}/tc3_request"
    return f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed}, Signature={signature}"


# -- the adapter ----------------------------------------------------------------------------------------
@frozen
class TencentSmsConfig:
    secret_id: str
    secret_key: str = field(repr=False)
    app_id: str  # SmsSdkAppId, e.g. 1400006666
    sign_name: str  # SignName: the approved signature, without 【】
    templates: Mapping[str, str]  # topic (or dotted prefix) -> TemplateId
    region: str = "ap-guangzhou"
    title_max: int = 20
    body_max: int = 35
    host: str = HOST


_SPACES = re.compile(r"\s+")


def template_param(text: str, limit: int) -> str:
    """`text` as one template variable: whitespace collapsed, 【】 made [], at most `limit` characters."""
    value = _SPACES.sub(" ", text).strip().replace("【", "[").replace("】", "]")
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"


class TencentSmsNotifier:
    """Sends each notice with a phone as one templated SMS. Thread-safe (one shared `httpx.Client`)."""

    def __init__(self, config: TencentSmsConfig, *, client: httpx.Client | None = None,
                 now: Callable[[], float] = time.time) -> None:
        if not (config.secret_id and config.secret_key and config.app_id and config.sign_name):
            raise ValueError("Tencent SMS needs a SecretId, a SecretKey, an SmsSdkAppId and a SignName")
        self.config = config
        self._client = client or httpx.Client(timeout=TIMEOUT)
        self._now = now

    def close(self) -> None:
        self._client.close()

    def template_for(self, topic: str) -> str:
        """The template of the longest configured dotted prefix of `topic`."""
        parts = topic.split(".")
        for n in range(len(parts), 0, -1):
            template = self.config.templates.get(".".join(parts[:n]))
            if template:
                return template
        raise TemplateNotConfigured(f"no SMS template for topic {topic!r}: add it to YYK_TENCENT_SMS_TEMPLATES")

    def send(self, notice: Notice) -> None:
        if not notice.phone:
            return  # in-app only: the account inbox delivers it
        template = self.template_for(notice.topic)
        try:
            mobile = parse_mobile(notice.phone)
        except ValueError:
            raise NotifyFailed(f"{mask_phone(notice.phone)} is not a mainland mobile number") from None
        masked = mask_phone(mobile) or ""
        number = "+86" + mobile
        # A keyed fingerprint: stable per number, yet no hash of a bare phone number to brute-force in the logs.
        recipient = hmac.new(self.config.secret_key.encode(), b"session-context:" + number.encode(), hashlib.sha256)
        session = f"{notice.topic}:{notice.ref}:{recipient.hexdigest()[:12]}"
        payload = json.dumps({
            "PhoneNumberSet": [number],
            "SmsSdkAppId": self.config.app_id,
            "SignName": self.config.sign_name,
            "TemplateId": template,
            "TemplateParamSet": [template_param(notice.title, self.config.title_max),
                                 template_param(notice.body, self.config.body_max)],
            "SessionContext": session,
        }, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

        def fail(message: str, code: str = "") -> NotifyFailed:
            text = self._scrub(message, mobile, number)
            log.warning("sms to %s not sent (%s): %s", masked, session, text)
            return NotifyFailed(f"SMS to {masked} not sent: {text}", code)

        try:
            response = self._client.post(f"https://{self.config.host}/", content=payload,
                                         headers=self._headers(payload))
        except httpx.HTTPError as exc:
            raise fail(f"gateway unreachable ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise fail(f"gateway answered HTTP {response.status_code}")
        try:
            answer: Any = response.json()["Response"]
        except (ValueError, KeyError, TypeError):
            answer = None
        if not isinstance(answer, dict):
            raise fail("gateway answered something other than a Tencent Cloud API response")
        request_id = answer.get("RequestId", "")
        error = answer.get("Error")
        if error:
            code = str(error.get("Code", "")) if isinstance(error, dict) else ""
            message = error.get("Message", "") if isinstance(error, dict) else error
            raise fail(f"{code or 'error'}: {message} (request {request_id})", code)
        statuses = [s for s in answer.get("SendStatusSet") or [] if isinstance(s, dict)]
        status = next((s for s in statuses if s.get("PhoneNumber") == number), statuses[0] if statuses else None)
        if status is None:
            raise fail(f"no send status in the answer (request {request_id})")
        if status.get("Code") != "Ok":
            code = str(status.get("Code", ""))
            raise fail(f"{code}: {status.get('Message', '')} (request {request_id})", code)
        log.info("sms to %s sent: topic %s, ref %s, serial %s, session %s", masked, notice.topic, notice.ref,
                 status.get("SerialNo", ""), status.get("SessionContext", session))

    def _headers(self, payload: bytes) -> dict[str, str]:
        timestamp = int(self._now())
        signed = {"Content-Type": CONTENT_TYPE, "Host": self.config.host, "X-TC-Action": ACTION}
        authorization = tc3_authorization(secret_id=self.config.secret_id, secret_key=self.config.secret_key,
                                          service=SERVICE, timestamp=timestamp, headers=signed, payload=payload)
        return {**signed, "Authorization": authorization, "X-TC-Version": VERSION,
                "X-TC-Timestamp": str(timestamp), "X-TC-Region": self.config.region}

    def _scrub(self, text: str, mobile: str, number: str) -> str:
        """Provider text with the number masked and the credentials removed, cut to a log-friendly size."""
        for secret in (self.config.secret_key, self.config.secret_id):
            if secret:
                text = text.replace(secret, "***")
        text = text.replace(number, mask_phone(number) or "").replace(mobile, mask_phone(mobile) or "")
        return text[:300]
