"""What the mall use cases share: settings, verification codes, loading sub-orders and products in scope."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, datetime

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.mall.config import SETTINGS_ID, MallSettings
from yiyangkang.domain.mall.orders import SubOrder
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.objects import load_owned
from yiyangkang.services.runtime import Runtime

ORDER_KIND = "订单"
PRODUCT_KIND = "商品"
CODE_DIGITS = 12


def today(rt: Runtime) -> date:
    return business_date(rt.clock.now())


def mall_settings(uow: UnitOfWork, now: datetime) -> MallSettings:
    """The platform's mall settings, or the defaults until an operator saves some."""
    return uow.mall_settings.get(SETTINGS_ID) or MallSettings(id=SETTINGS_ID, created_at=now)


def new_code() -> str:
    """A verification code (核销码): 12 random digits, shown to the elder as digits and as a QR code."""
    return "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))


def code_hash(rt: Runtime, code: str) -> str:
    """Codes are found by a keyed hash: a copy of the database does not let anyone redeem them."""
    return rt.vault.fingerprint(f"mall-code:{code}")


def parse_code(raw: str) -> str:
    """The digits of a typed or scanned code (the QR payload is `yyk:verify:<digits>`)."""
    text = unicodedata.normalize("NFKC", raw).strip().removeprefix("yyk:verify:").replace(" ", "")
    text = text if text.isascii() else ""  # NFKC made full-width digits plain; other digit forms are not codes
    if len(text) != CODE_DIGITS or not text.isdigit():
        raise ValidationFailed([FieldError("code", "核销码应为12位数字", "INVALID_CODE")])
    return text


def qr_payload(code: str) -> str:
    return f"yyk:verify:{code}"


def load_order(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> SubOrder:
    item = uow.mall_orders.lock(ident) if lock else uow.mall_orders.get(ident)
    return load_owned(uow, principal, op, item, ORDER_KIND, ident)


def not_found_code() -> NotFound:
    """A code that does not exist and a code of another institution's order look the same."""
    return NotFound("核销码", code="MALL_CODE_NOT_FOUND")
