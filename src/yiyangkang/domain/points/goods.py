"""Points goods (积分商品, P-09) and exchanges (兑换, P-10).

A good belongs to one institution: a name, a price in points, stock (a counter beside the document, taken by
one conditional update), on or off the shelf (上架/下架), and optionally a limit of units per elder. An
exchange spends the elder's points and takes the stock in one unit of work; it is then delivered (发放) by
the institution, or cancelled while not yet delivered, which gives the points and the stock back."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle

MAX_POINTS_PRICE = 1_000_000
MAX_STOCK = 1_000_000
MAX_UNITS = 99


class ExchangeStatus(StrEnum):
    PLACED = "placed"  # 待发放
    DELIVERED = "delivered"  # 已发放
    CANCELLED = "cancelled"  # 已取消（积分与库存已退回）


EXCHANGE_STATUS_LABELS = {ExchangeStatus.PLACED: "待发放", ExchangeStatus.DELIVERED: "已发放",
                          ExchangeStatus.CANCELLED: "已取消"}

EXCHANGE_LIFECYCLE: Lifecycle[ExchangeStatus] = Lifecycle.of("points_exchange", {
    ExchangeStatus.PLACED: {ExchangeStatus.DELIVERED, ExchangeStatus.CANCELLED},
})


@define(slots=False, kw_only=True)
class PointsGood(Aggregate):
    """积分商品. `stock` is moved only by the repository's counter methods, never by saving the document."""

    kind = "points_good"

    institution_id: str
    name: str
    description: str = ""
    points_price: int  # per unit, at least 1
    stock: int = 0
    on_shelf: bool = False
    per_elder_limit: int | None = None  # units one elder may hold in exchanges not cancelled
    created_by: str
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "points_price": self.points_price,
                "per_elder_limit": self.per_elder_limit, "on_shelf": self.on_shelf}

    def set_on_shelf(self, on_shelf: bool, actor: Actor, at: datetime) -> None:
        if on_shelf != self.on_shelf:
            self.on_shelf = on_shelf
            self.note("on_shelf" if on_shelf else "off_shelf", actor, at)

    def within_limit(self, held: int, more: int) -> bool:
        """Whether an elder holding `held` units may exchange `more`."""
        return self.per_elder_limit is None or held + more <= self.per_elder_limit


@define(slots=False, kw_only=True)
class Exchange(Aggregate):
    """兑换记录: `points` is the whole price paid (unit price × quantity), fixed when placed."""

    kind = "points_exchange"

    good_id: str
    good_name: str
    institution_id: str
    elder_id: str
    quantity: int
    points: int
    status: ExchangeStatus = ExchangeStatus.PLACED
    placed_by: str  # the account that exchanged for the elder
    created_at: datetime
    delivered_at: datetime | None = None
    delivered_by: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""

    def deliver(self, actor: Actor, at: datetime) -> None:
        EXCHANGE_LIFECYCLE.move(self, ExchangeStatus.DELIVERED, actor=actor, at=at)
        self.delivered_at, self.delivered_by = at, actor.id

    def cancel(self, reason: str, actor: Actor, at: datetime) -> None:
        EXCHANGE_LIFECYCLE.move(self, ExchangeStatus.CANCELLED, actor=actor, at=at, reason=reason)
        self.cancelled_at, self.cancel_reason = at, reason
