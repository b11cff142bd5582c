"""What the mall use cases share: settings, verification codes, loading sub-orders and products in scope."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import date, datetime

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.mall.config import SETTINGS_ID, MallSettings
from yiyangkang.domain.mall.orders import VERIFY_QR_PREFIX, SubOrder
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import require
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
    """The digits of a typed or scanned code (the QR payload is the prefix and the digits)."""
    text = unicodedata.normalize("NFKC", raw).strip().removeprefix(VERIFY_QR_PREFIX).replace(" ", "")
    text = text if text.isascii() else ""  # NFKC made full-width digits plain; other digit forms are not codes
    if len(text) != CODE_DIGITS or not text.isdigit():
        raise ValidationFailed([FieldError("code", "核销码应为12位数字", "INVALID_CODE")])
    return text


def load_order(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False,
               buyer_may: bool = False) -> SubOrder:
    """A sub-order within the caller's scope for `op` (the seller's side, or the elder's side for LINKED
    roles); with `buyer_may`, also for whoever placed its trade (staff who ordered for an elder: 起单)."""
    item = uow.mall_orders.lock(ident) if lock else uow.mall_orders.get(ident)
    if buyer_may and item is not None and placed_by(uow, principal, item):
        require(principal, op)
        return item
    return load_owned(uow, principal, op, item, ORDER_KIND, ident)


def placed_by(uow: UnitOfWork, principal: Principal, order: SubOrder) -> bool:
    trade = uow.trades.get(order.trade_id)
    return trade is not None and trade.buyer_account_id == principal.account_id


def buyer_side(uow: UnitOfWork, principal: Principal, order: SubOrder) -> bool:
    """The elder's side of an order: the elder and family (linked), whoever placed it, operators."""
    if principal.role is Role.PLATFORM_OPERATOR:
        return True
    if principal.role in (Role.ELDER, Role.FAMILY):
        return order.elder_id in principal.elder_ids
    return placed_by(uow, principal, order)


def not_found_code() -> NotFound:
    """A code that does not exist and a code of another institution's order look the same."""
    return NotFound("核销码", code="MALL_CODE_NOT_FOUND")
