"""Offers built on products (A-02, A-04): service packages (服务包/优惠套餐) and buy-gift rules (买赠规则).
Both belong to one institution, are reviewed before they count, and can be withdrawn by the seller."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.review import ReviewState


@define(slots=False, kw_only=True)
class Reviewed(Aggregate):
    """An offer whose every edit goes back to review (a package or a rule is small: no live/pending split)."""

    institution_id: str
    review: ReviewState = ReviewState.PENDING
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    active: bool = True  # the seller may withdraw it
    created_by: str
    submitted_by: str = ""  # who submitted what awaits review (nobody approves their own)
    created_at: datetime

    @property
    def submitter(self) -> str:
        return self.submitted_by or self.created_by

    def decide(self, approve: bool, note: str, actor: Actor, at: datetime) -> None:
        if self.review is not ReviewState.PENDING:
            raise Conflict("没有待审核的内容", code="MALL_NOTHING_TO_REVIEW")
        self.review = ReviewState.APPROVED if approve else ReviewState.REJECTED
        self.reviewed_by, self.reviewed_at, self.review_note = actor.id, at, note
        self.note("approved" if approve else "rejected", actor, at, reason=note)

    def resubmit(self, changes: dict[str, Any], actor: Actor, at: datetime) -> None:
        self.submitted_by = actor.id
        self.change({**changes, "review": ReviewState.PENDING, "review_note": ""}, actor, at, name="submitted")

    def set_active(self, active: bool, actor: Actor, at: datetime) -> None:
        if active != self.active:
            self.active = active
            self.note("activated" if active else "withdrawn", actor, at)


@frozen
class PackageItem:
    product_id: str
    quantity: int


@define(slots=False, kw_only=True)
class ServicePackage(Reviewed):
    """服务包: several products of one institution at one package price (the price of the whole bundle)."""

    kind = "mall_package"

    name: str
    items: tuple[PackageItem, ...]
    price: Money
    description: str = ""
    images: tuple[FileRef, ...] = ()

    @property
    def orderable(self) -> bool:
        return self.active and self.review is ReviewState.APPROVED

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "price_fen": self.price.fen, "description": self.description,
                "items": [[i.product_id, i.quantity] for i in self.items], "review": self.review.value,
                "active": self.active}


@define(slots=False, kw_only=True)
class BuyGiftRule(Reviewed):
    """买赠规则: buy `buy_quantity` of one product, get `gift_quantity` of another (or the same) free,
    as many times as the order holds, on Shanghai dates [valid_from, valid_until]."""

    kind = "mall_buy_gift"

    name: str
    buy_product_id: str
    buy_quantity: int
    gift_product_id: str
    gift_quantity: int
    max_gifts_per_order: int | None = None  # 每单最多赠送
    valid_from: date
    valid_until: date

    def in_force(self, today: date) -> bool:
        return self.active and self.review is ReviewState.APPROVED and self.valid_from <= today <= self.valid_until

    def gifts_for(self, bought: int) -> int:
        """How many gift units `bought` units earn."""
        earned = (bought // self.buy_quantity) * self.gift_quantity if self.buy_quantity > 0 else 0
        return earned if self.max_gifts_per_order is None else min(earned, self.max_gifts_per_order)

    @property
    def terms(self) -> tuple[int, int, int | None]:
        return self.buy_quantity, self.gift_quantity, self.max_gifts_per_order

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "buy": [self.buy_product_id, self.buy_quantity],
                "gift": [self.gift_product_id, self.gift_quantity], "max": self.max_gifts_per_order,
                "valid": [self.valid_from.isoformat(), self.valid_until.isoformat()], "review": self.review.value,
                "active": self.active}
