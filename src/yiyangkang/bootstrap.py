"""Wiring (装配): builds the ports from settings. Every shell (API, CLI, TUI, bridge) starts here,
and shells reach the adapters only through this module."""

from __future__ import annotations

import csv
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from attrs import define
from sqlalchemy import Engine

from yiyangkang.adapters.devices.radar import encode_radar_frame
from yiyangkang.adapters.devices.router import CODECS, SUBSCRIPTIONS, codec_of, decode_http, decode_topic
from yiyangkang.adapters.devices.standard import encode_standard
from yiyangkang.adapters.files.qr import qr_png
from yiyangkang.adapters.files.store import LocalFileStore, MemoryFileStore
from yiyangkang.adapters.files.tabular import Sheet, UnreadableFile, read_sheet, write_sheet
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.adapters.memory.uow import MemoryUnitOfWork
from yiyangkang.adapters.notify.sandbox import SandboxNotifier
from yiyangkang.adapters.notify.tencent_sms import TencentSmsConfig, TencentSmsNotifier
from yiyangkang.adapters.payments.alipay import SHANGHAI, AlipayClient, AlipayConfig
from yiyangkang.adapters.payments.alipay_sandbox import AlipaySandbox
from yiyangkang.adapters.payments.gateways import AlipayPrecreateGateway, UnionPayQrGateway, WechatGateway
from yiyangkang.adapters.payments.sandbox import SandboxPaymentGateway
from yiyangkang.adapters.payments.unionpay import UnionPayClient, UnionPayConfig
from yiyangkang.adapters.payments.unionpay_sandbox import UnionPaySandbox
from yiyangkang.adapters.payments.wechatpay import WechatPayClient, WechatPayConfig
from yiyangkang.adapters.payments.wechatpay_sandbox import WechatPaySandbox
from yiyangkang.adapters.security.passwords import Argon2PasswordHasher
from yiyangkang.adapters.security.tokens import JwtTokenSigner
from yiyangkang.adapters.security.vault import AesGcmVault
from yiyangkang.adapters.sqlalchemy import migrate
from yiyangkang.adapters.sqlalchemy.engine import make_engine, ping
from yiyangkang.adapters.sqlalchemy.uow import SqlUnitOfWork
from yiyangkang.adapters.system import SystemClock, UuidV7Generator
from yiyangkang.domain.identity.accounts import LockoutPolicy
from yiyangkang.domain.orgs.regions import Region, RegionLevel
from yiyangkang.ports.clock import Clock, IdGenerator
from yiyangkang.ports.homebed import FileStore, Notifier, TokenSigner
from yiyangkang.ports.payments import PaymentChannels, PaymentGateway
from yiyangkang.ports.security import PasswordHasher, PiiVault
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.settings import Settings


@define
class Container:
    """Everything a use case may be handed. `uow()` gives a fresh unit of work each call."""

    settings: Settings
    uow: Callable[[], UnitOfWork]
    clock: Clock
    ids: IdGenerator
    hasher: PasswordHasher
    vault: PiiVault
    files: FileStore
    notifier: Notifier
    signer: TokenSigner
    payments: PaymentChannels
    engine: Engine | None = None

    @property
    def lockout(self) -> LockoutPolicy:
        return LockoutPolicy(self.settings.lockout_threshold, timedelta(minutes=self.settings.lockout_minutes))

    def check_health(self) -> None:
        """Raises if the database cannot be reached."""
        if self.engine is not None:
            ping(self.engine)

    def upgrade_database(self) -> str | None:
        """Apply the Alembic migrations; returns the revision now in place."""
        if self.engine is None:
            return None
        migrate.upgrade(self.engine)
        return migrate.current_revision(self.engine)

    def database_revision(self) -> tuple[str | None, str | None]:
        if self.engine is None:
            return None, None
        return migrate.current_revision(self.engine), migrate.head_revision()

    def dispose(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def build(
    settings: Settings | None = None, *, clock: Clock | None = None, in_memory: bool = False
) -> Container:
    settings = settings or Settings.from_env()
    vault = AesGcmVault(settings.pii_key, settings.pii_fingerprint_key)
    hasher = Argon2PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    ports = {
        "clock": clock or SystemClock(), "ids": UuidV7Generator(), "hasher": hasher, "vault": vault,
        "files": MemoryFileStore() if in_memory else LocalFileStore(settings.files_dir),
        "notifier": build_notifier(settings),
        # QR tokens get a key of their own (derived), so they never pass for login tokens nor back.
        "payments": build_payments(settings, clock or SystemClock()),
        "signer": JwtTokenSigner(hmac.new(settings.jwt_secret.encode(), b"homebed-apply-code", "sha256").hexdigest()),
    }
    if in_memory:
        store = MemoryStore()
        return Container(settings, lambda: MemoryUnitOfWork(store), **ports)  # type: ignore[arg-type]
    engine = make_engine(settings.database_url)
    return Container(settings, lambda: SqlUnitOfWork(engine, vault), engine=engine, **ports)  # type: ignore[arg-type]


def build_payments(settings: Settings, clock: Clock | None = None) -> PaymentChannels:
    """The channels YYK_PAYMENT_PROVIDERS enables, the first the default: the confirming sandbox, WeChat Pay API v3,
    Alipay, UnionPay QR — each over its protocol sandbox when YYK_PAYMENT_PROTOCOL_SANDBOX is set."""
    now = (clock or SystemClock()).now
    gateways: list[PaymentGateway] = []
    for name in settings.payment_providers:
        if name == "sandbox":
            gateways.append(SandboxPaymentGateway())
        elif settings.payment_protocol_sandbox:
            gateways.append(sandboxed_gateway(name, now)[0])
        elif name == "wechat":
            config = WechatPayConfig(
                mch_id=settings.wechatpay_mch_id, app_id=settings.wechatpay_app_id,
                serial_no=settings.wechatpay_serial_no,
                private_key_pem=Path(settings.wechatpay_private_key_file).read_text(),
                api_v3_key=settings.wechatpay_api_v3_key, notify_url=settings.wechatpay_notify_url,
                platform_public_keys={settings.wechatpay_platform_serial:
                                      Path(settings.wechatpay_platform_key_file).read_text()})
            http = httpx.Client(base_url=config.base_url, timeout=httpx.Timeout(10.0, connect=5.0))
            gateways.append(WechatGateway(WechatPayClient(config, http)))
        elif name == "alipay":
            alipay = AlipayConfig(
                app_id=settings.alipay_app_id, seller_id=settings.alipay_seller_id,
                app_private_key_pem=Path(settings.alipay_private_key_file).read_text(),
                alipay_public_key_pem=Path(settings.alipay_public_key_file).read_text(),
                notify_url=settings.alipay_notify_url, gateway=settings.alipay_gateway)
            gateways.append(AlipayPrecreateGateway(AlipayClient(alipay, httpx.Client())))
        elif name == "unionpay":
            middle = settings.unionpay_middle_cert_file
            unionpay = UnionPayConfig(
                mer_id=settings.unionpay_mer_id, sign_cert_id=settings.unionpay_sign_cert_id,
                sign_private_key_pem=Path(settings.unionpay_sign_key_file).read_text(),
                root_cert_pem=Path(settings.unionpay_root_cert_file).read_text(),
                middle_cert_pem=Path(middle).read_text() if middle else "", back_url=settings.unionpay_back_url,
                base_url=settings.unionpay_gateway)
            gateways.append(UnionPayQrGateway(UnionPayClient(unionpay, httpx.Client())))
        else:
            raise ValueError(f"unknown payment provider {name!r} (sandbox | wechat | alipay | unionpay)")
    return PaymentChannels(gateways)


def sandboxed_gateway(name: str, now: Callable[[], datetime]) -> tuple[PaymentGateway, Any]:
    """The real client of channel `name` over its in-memory protocol sandbox (generated keys, real signatures),
    and the sandbox (it plays the payer: `pay(...)` answers the notification the provider would send)."""
    if name == "wechat":
        wechat = WechatPaySandbox(clock=now)
        http = httpx.Client(transport=wechat.transport(), base_url="https://api.mch.weixin.qq.com")
        return WechatGateway(WechatPayClient(wechat.client_config(), http, clock=now), clock=now), wechat
    if name == "alipay":
        alipay = AlipaySandbox(clock=lambda: now().astimezone(SHANGHAI))
        return AlipayPrecreateGateway(alipay.client(now=lambda: now().astimezone(SHANGHAI)), clock=now), alipay
    if name == "unionpay":
        unionpay = UnionPaySandbox(clock=now)
        return UnionPayQrGateway(unionpay.client(clock=now), clock=now), unionpay
    raise ValueError(f"no protocol sandbox for {name!r}")


def build_notifier(settings: Settings) -> Notifier:
    """The notifier YYK_NOTIFIER names: Tencent Cloud SMS, or the sandbox outbox (the default)."""
    if settings.notifier == "tencent-sms":
        return TencentSmsNotifier(TencentSmsConfig(
            secret_id=settings.tencent_sms_secret_id, secret_key=settings.tencent_sms_secret_key,
            app_id=settings.tencent_sms_app_id, sign_name=settings.tencent_sms_sign,
            templates=dict(settings.tencent_sms_templates), region=settings.tencent_sms_region,
            title_max=settings.tencent_sms_title_max, body_max=settings.tencent_sms_body_max,
        ))
    return SandboxNotifier(settings.notify_outbox or None)


REGIONS_CSV = Path(__file__).parent / "adapters" / "seed" / "regions_guangdong.csv"


def read_region_file(path: Path = REGIONS_CSV) -> list[Region]:
    """Regions from a `code,name,level,parent_code` CSV (the bundled Guangdong/Guangzhou list by default)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Region(code=r["code"], name=r["name"], level=RegionLevel(r["level"]), parent_code=r["parent_code"] or None)
            for r in csv.DictReader(fh)
        ]


__all__ = [
    "CODECS", "SUBSCRIPTIONS", "Container", "Sheet", "UnreadableFile", "build", "codec_of", "decode_http",
    "decode_topic",
    "encode_radar_frame", "encode_standard", "qr_png", "read_region_file", "read_sheet", "sandboxed_gateway",
    "write_sheet",
]
