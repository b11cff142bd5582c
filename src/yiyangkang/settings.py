"""Settings (配置) from `YYK_*` environment variables, each with a default that works on a fresh machine.

The embedded keys are for development only: with `YYK_ENV=production` they are refused.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping
from datetime import timedelta

from attrs import field, frozen

_DEV_SECRET = "yyk-development-secret-do-not-use-in-production"


class SettingsError(ValueError):
    pass


@frozen
class Settings:
    env: str = "development"
    database_url: str = "sqlite:///./var/yyk.db"
    host: str = "127.0.0.1"
    port: int = 8000
    # Signs access tokens (JWT, HS256).
    jwt_secret: str = _DEV_SECRET
    token_ttl: timedelta = timedelta(hours=8)
    # 32-byte AES-256 key and HMAC key for personal data, base64.
    pii_key: bytes = hashlib.sha256(b"yyk-dev-pii-key").digest()
    pii_fingerprint_key: bytes = hashlib.sha256(b"yyk-dev-pii-fingerprint").digest()
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    # Argon2 cost; tests lower it to keep the suite fast.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    # Uploaded files (proof materials, renovation photos) on local disk.
    files_dir: str = "./var/files"
    # Where the sandbox notifier records what it would have sent (one JSON object per line).
    notify_outbox: str = "./var/sandbox/notifications.jsonl"
    # The address people reach the platform at: QR codes point there.
    public_url: str = "http://127.0.0.1:8000"
    # How long an application QR code stays valid.
    apply_code_days: int = 90
    # The device bridge: the MQTT broker, a fixed client id per bridge instance (its persistent session),
    # the shared-subscription group all instances join, and how work is split inside one instance.
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 1883
    mqtt_client_id: str = "yyk-bridge-1"
    mqtt_group: str = "yyk-bridge"
    bridge_workers: int = 4
    bridge_batch: int = 200
    bridge_scan_seconds: int = 15
    # Housekeeping inside the API process (exception scans, closing unpaid trades) every this many minutes;
    # 0 leaves it to cron and `yyk exceptions scan` / `yyk mall close-unpaid`.
    jobs_minutes: int = 0
    # How elders pay (docs/payments.md): the enabled channels, the first the default — "sandbox" (confirms at once;
    # tests and the demo), "wechat" (WeChat Pay API v3, Native and JSAPI), "alipay" (precreate QR), "unionpay"
    # (UnionPay QR 5.1.0). YYK_PAYMENT_PROVIDERS="wechat,alipay"; YYK_PAYMENT_PROVIDER (one name) is its alias.
    # With YYK_PAYMENT_PROTOCOL_SANDBOX=true the real clients talk to the in-memory protocol sandboxes (no keys, no
    # network; refused in production). WeChat: merchant id, app id, the merchant API certificate's serial and
    # private key file, the APIv3 key, the platform public key file and its serial, the notify URL.
    payment_providers: tuple[str, ...] = ("sandbox",)
    payment_protocol_sandbox: bool = False
    wechatpay_mch_id: str = ""
    wechatpay_app_id: str = ""
    wechatpay_serial_no: str = ""
    wechatpay_private_key_file: str = ""
    wechatpay_api_v3_key: str = field(default="", repr=False)
    wechatpay_platform_serial: str = ""
    wechatpay_platform_key_file: str = ""
    wechatpay_notify_url: str = ""
    # Alipay: app id, seller PID (2088…), the app private key file, Alipay's public key file, the notify URL.
    alipay_app_id: str = ""
    alipay_seller_id: str = ""
    alipay_private_key_file: str = ""
    alipay_public_key_file: str = ""
    alipay_notify_url: str = ""
    alipay_gateway: str = "https://openapi.alipay.com/gateway.do"
    # UnionPay: merchant code, the signing key file (PEM, exported from the PFX) and its certId, the UnionPay root
    # (and middle) certificate files, the backUrl, the gateway.
    unionpay_mer_id: str = ""
    unionpay_sign_key_file: str = ""
    unionpay_sign_cert_id: str = ""
    unionpay_root_cert_file: str = ""
    unionpay_middle_cert_file: str = ""
    unionpay_back_url: str = ""
    unionpay_gateway: str = "https://gateway.95516.com"

    @property
    def payment_provider(self) -> str:
        """The default channel (the first enabled one)."""
        return self.payment_providers[0]
    # Who delivers notices to phones: "sandbox" (records them in notify_outbox) or "tencent-sms" (腾讯云短信,
    # API 3.0 SendSms). The Tencent SMS account: API key pair, SmsSdkAppId, approved signature (签名) and
    # region; the approved template per notice topic (`topic=templateId,...`, a dotted prefix serves every
    # topic under it); and how many characters each of the two template variables (title, body) may carry.
    notifier: str = "sandbox"
    tencent_sms_secret_id: str = ""
    tencent_sms_secret_key: str = field(default="", repr=False)
    tencent_sms_app_id: str = ""
    tencent_sms_sign: str = ""
    tencent_sms_region: str = "ap-guangzhou"
    tencent_sms_templates: tuple[tuple[str, str], ...] = ()
    tencent_sms_title_max: int = 20
    tencent_sms_body_max: int = 35

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default = cls()

        def text(name: str, fallback: str) -> str:
            return env.get(f"YYK_{name}", fallback)

        def number(name: str, fallback: int) -> int:
            raw = env.get(f"YYK_{name}")
            if raw is None:
                return fallback
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"YYK_{name} must be a whole number, got {raw!r}") from None

        def key(name: str, fallback: bytes) -> bytes:
            raw = env.get(f"YYK_{name}")
            if raw is None:
                return fallback
            try:
                return base64.b64decode(raw, validate=True)
            except ValueError:
                raise SettingsError(f"YYK_{name} must be base64") from None

        def pairs(name: str, fallback: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
            raw = env.get(f"YYK_{name}")
            if raw is None:
                return fallback
            found: list[tuple[str, str]] = []
            for item in filter(None, (part.strip() for part in raw.split(","))):
                topic, sep, value = (s.strip() for s in item.partition("="))
                if not sep or not topic or not value:
                    raise SettingsError(f"YYK_{name} must be key=value pairs separated by commas, got {item!r}")
                found.append((topic, value))
            return tuple(found)

        settings = cls(
            env=text("ENV", default.env),
            database_url=text("DATABASE_URL", default.database_url),
            host=text("HOST", default.host),
            port=number("PORT", default.port),
            jwt_secret=text("JWT_SECRET", default.jwt_secret),
            token_ttl=timedelta(minutes=number("TOKEN_TTL_MINUTES", int(default.token_ttl.total_seconds() // 60))),
            pii_key=key("PII_KEY", default.pii_key),
            pii_fingerprint_key=key("PII_FINGERPRINT_KEY", default.pii_fingerprint_key),
            lockout_threshold=number("LOCKOUT_THRESHOLD", default.lockout_threshold),
            lockout_minutes=number("LOCKOUT_MINUTES", default.lockout_minutes),
            argon2_time_cost=number("ARGON2_TIME_COST", default.argon2_time_cost),
            argon2_memory_kib=number("ARGON2_MEMORY_KIB", default.argon2_memory_kib),
            files_dir=text("FILES_DIR", default.files_dir),
            notify_outbox=text("NOTIFY_OUTBOX", default.notify_outbox),
            public_url=text("PUBLIC_URL", default.public_url).rstrip("/"),
            apply_code_days=number("APPLY_CODE_DAYS", default.apply_code_days),
            mqtt_host=text("MQTT_HOST", default.mqtt_host),
            mqtt_port=number("MQTT_PORT", default.mqtt_port),
            mqtt_client_id=text("MQTT_CLIENT_ID", default.mqtt_client_id),
            mqtt_group=text("MQTT_GROUP", default.mqtt_group),
            bridge_workers=number("BRIDGE_WORKERS", default.bridge_workers),
            bridge_batch=number("BRIDGE_BATCH", default.bridge_batch),
            bridge_scan_seconds=number("BRIDGE_SCAN_SECONDS", default.bridge_scan_seconds),
            jobs_minutes=number("JOBS_MINUTES", default.jobs_minutes),
            payment_providers=tuple(
                name for name in (part.strip().lower() for part in text(
                    "PAYMENT_PROVIDERS", text("PAYMENT_PROVIDER", ",".join(default.payment_providers))).split(","))
                if name),
            payment_protocol_sandbox=text("PAYMENT_PROTOCOL_SANDBOX", "").strip().lower() in ("1", "true", "yes"),
            alipay_app_id=text("ALIPAY_APP_ID", ""), alipay_seller_id=text("ALIPAY_SELLER_ID", ""),
            alipay_private_key_file=text("ALIPAY_PRIVATE_KEY_FILE", ""),
            alipay_public_key_file=text("ALIPAY_PUBLIC_KEY_FILE", ""),
            alipay_notify_url=text("ALIPAY_NOTIFY_URL", ""),
            alipay_gateway=text("ALIPAY_GATEWAY", default.alipay_gateway),
            unionpay_mer_id=text("UNIONPAY_MER_ID", ""), unionpay_sign_key_file=text("UNIONPAY_SIGN_KEY_FILE", ""),
            unionpay_sign_cert_id=text("UNIONPAY_SIGN_CERT_ID", ""),
            unionpay_root_cert_file=text("UNIONPAY_ROOT_CERT_FILE", ""),
            unionpay_middle_cert_file=text("UNIONPAY_MIDDLE_CERT_FILE", ""),
            unionpay_back_url=text("UNIONPAY_BACK_URL", ""),
            unionpay_gateway=text("UNIONPAY_GATEWAY", default.unionpay_gateway),
            wechatpay_mch_id=text("WECHATPAY_MCH_ID", ""), wechatpay_app_id=text("WECHATPAY_APP_ID", ""),
            wechatpay_serial_no=text("WECHATPAY_SERIAL_NO", ""),
            wechatpay_private_key_file=text("WECHATPAY_PRIVATE_KEY_FILE", ""),
            wechatpay_api_v3_key=text("WECHATPAY_API_V3_KEY", ""),
            wechatpay_platform_serial=text("WECHATPAY_PLATFORM_SERIAL", ""),
            wechatpay_platform_key_file=text("WECHATPAY_PLATFORM_KEY_FILE", ""),
            wechatpay_notify_url=text("WECHATPAY_NOTIFY_URL", ""),
            notifier=text("NOTIFIER", default.notifier).strip().lower(),
            tencent_sms_secret_id=text("TENCENT_SMS_SECRET_ID", default.tencent_sms_secret_id),
            tencent_sms_secret_key=text("TENCENT_SMS_SECRET_KEY", default.tencent_sms_secret_key),
            tencent_sms_app_id=text("TENCENT_SMS_APP_ID", default.tencent_sms_app_id),
            tencent_sms_sign=text("TENCENT_SMS_SIGN", default.tencent_sms_sign),
            tencent_sms_region=text("TENCENT_SMS_REGION", default.tencent_sms_region),
            tencent_sms_templates=pairs("TENCENT_SMS_TEMPLATES", default.tencent_sms_templates),
            tencent_sms_title_max=number("TENCENT_SMS_TITLE_MAX", default.tencent_sms_title_max),
            tencent_sms_body_max=number("TENCENT_SMS_BODY_MAX", default.tencent_sms_body_max),
        )
        settings.check()
        return settings

    def check(self) -> None:
        if len(self.pii_key) != 32:
            raise SettingsError("YYK_PII_KEY must decode to 32 bytes")
        if len(self.pii_fingerprint_key) < 16:
            raise SettingsError("YYK_PII_FINGERPRINT_KEY must decode to at least 16 bytes")
        if not 1 <= self.bridge_workers <= 64 or not 1 <= self.bridge_batch <= 5000:
            raise SettingsError("YYK_BRIDGE_WORKERS must be 1-64 and YYK_BRIDGE_BATCH 1-5000")
        if self.lockout_threshold < 1:
            raise SettingsError("YYK_LOCKOUT_THRESHOLD must be at least 1")
        if self.notifier not in ("sandbox", "tencent-sms"):
            raise SettingsError(f"YYK_NOTIFIER must be sandbox or tencent-sms, got {self.notifier!r}")
        if self.notifier == "tencent-sms":
            missing = [f"YYK_TENCENT_SMS_{name}" for name, value in (
                ("SECRET_ID", self.tencent_sms_secret_id), ("SECRET_KEY", self.tencent_sms_secret_key),
                ("APP_ID", self.tencent_sms_app_id), ("SIGN", self.tencent_sms_sign),
                ("REGION", self.tencent_sms_region), ("TEMPLATES", self.tencent_sms_templates),
            ) if not value]
            if missing:
                raise SettingsError(f"YYK_NOTIFIER=tencent-sms needs {', '.join(missing)}")
            if self.tencent_sms_title_max < 1 or self.tencent_sms_body_max < 1:
                raise SettingsError("YYK_TENCENT_SMS_TITLE_MAX and YYK_TENCENT_SMS_BODY_MAX must be at least 1")
        known = ("sandbox", "wechat", "alipay", "unionpay")
        if not self.payment_providers or any(p not in known for p in self.payment_providers):
            raise SettingsError(f"YYK_PAYMENT_PROVIDERS must name some of {', '.join(known)}, "
                                f"got {','.join(self.payment_providers)!r}")
        if len(set(self.payment_providers)) != len(self.payment_providers):
            raise SettingsError("YYK_PAYMENT_PROVIDERS names a channel twice")
        if self.is_production and self.payment_protocol_sandbox:
            raise SettingsError("YYK_PAYMENT_PROTOCOL_SANDBOX is for development and tests, not production")
        if self.is_production:
            default = Settings()
            if self.jwt_secret == default.jwt_secret or len(self.jwt_secret) < 32:
                raise SettingsError("production needs YYK_JWT_SECRET (32+ characters)")
            if self.pii_key == default.pii_key or self.pii_fingerprint_key == default.pii_fingerprint_key:
                raise SettingsError("production needs YYK_PII_KEY and YYK_PII_FINGERPRINT_KEY")
