"""The catalogue (商品库, A-01…A-03, M-02): categories and products with their reviewed content.

A product carries up to two versions of what buyers see: `live` (approved, on sale when listed) and
`pending` (submitted, awaiting review). Editing a product on sale changes only `pending`; buyers keep
seeing and ordering the approved version until a reviewer approves the change. Stock, sales and
rating counters are not reviewed: they move with orders, atomically, beside the document."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.review import ReviewState

MAX_IMAGES = 9
MAX_TAGS = 10
MAX_ATTRIBUTES = 20


class Fulfilment(StrEnum):
    HOME_VISIT = "home_visit"  # 上门服务
    IN_STORE = "in_store"  # 到店服务
    DELIVERY = "delivery"  # 配送货物
    PICKUP = "pickup"  # 自提货物

    @property
    def is_service(self) -> bool:
        return self in (Fulfilment.HOME_VISIT, Fulfilment.IN_STORE)

    @property
    def is_goods(self) -> bool:
        return not self.is_service


FULFILMENT_LABELS = {Fulfilment.HOME_VISIT: "上门服务", Fulfilment.IN_STORE: "到店服务",
                     Fulfilment.DELIVERY: "配送货物", Fulfilment.PICKUP: "自提货物"}


@define(slots=False, kw_only=True)
class Category(Aggregate):
    """A node of the platform's category tree (服务目录). `path` lists the ids from the root."""

    kind = "mall_category"

    name: str
    parent_id: str | None = None
    path: str  # "/root-id/child-id/"
    sort: int = 0
    icon: str = ""
    active: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "parent_id": self.parent_id, "sort": self.sort, "active": self.active}


@frozen(kw_only=True)
class ProductContent:
    """What buyers see of a product, reviewed as a whole."""

    name: str
    category_id: str
    price: Money  # per unit
    unit: str = "次"  # 次 / 小时 / 件 / 盒
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, str] = {}  # e.g. {"适用人群": "失能老人", "服务人员": "护士"}
    images: tuple[FileRef, ...] = ()
    description: str = ""
    standard_minutes: int | None = None  # services: the yardstick of overtime and too-short exceptions

    def audit(self) -> dict[str, Any]:
        return {"name": self.name, "category_id": self.category_id, "price_fen": self.price.fen, "unit": self.unit,
                "tags": list(self.tags), "attributes": dict(self.attributes), "description": self.description,
                "images": [i.name for i in self.images], "standard_minutes": self.standard_minutes}


@frozen
class Counters:
    """Moved by orders and ratings, not by the seller's edits (kept beside the document)."""

    stock: int | None = None  # goods only; None: not counted (services)
    sales: int = 0  # 销量 (units sold)
    rating_sum: int = 0
    rating_count: int = 0

    @property
    def rating(self) -> float | None:
        return round(self.rating_sum / self.rating_count, 1) if self.rating_count else None


@define(slots=False, kw_only=True)
class Product(Aggregate):
    kind = "mall_product"

    institution_id: str
    fulfilment: Fulfilment
    live: ProductContent | None = None  # approved: what is on sale
    pending: ProductContent | None = None  # submitted: awaiting (or refused at) review
    review: ReviewState = ReviewState.PENDING
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    listed: bool = True  # 上架: the seller offers it (once approved)
    counters: Counters = Counters()
    created_by: str
    submitted_by: str = ""  # who submitted the pending revision (nobody approves their own)
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"fulfilment": self.fulfilment.value, "listed": self.listed, "review": self.review.value,
                "live": self.live.audit() if self.live else None,
                "pending": self.pending.audit() if self.pending else None}

    @property
    def submitter(self) -> str:
        return self.submitted_by or self.created_by

    @property
    def shown(self) -> ProductContent:
        """What the seller's back office shows first: the latest revision."""
        content = self.pending or self.live
        assert content is not None
        return content

    @property
    def orderable(self) -> bool:
        return self.live is not None and self.listed

    def submit(self, content: ProductContent, actor: Actor, at: datetime) -> None:
        """提交审核: a new revision; the approved one (if any) stays on sale meanwhile."""
        self.pending, self.review, self.review_note = content, ReviewState.PENDING, ""
        self.submitted_by = actor.id
        self.note("submitted", actor, at, after=content.audit())

    def decide(self, approve: bool, note: str, actor: Actor, at: datetime) -> None:
        if self.review is not ReviewState.PENDING or self.pending is None:
            raise Conflict("该商品没有待审核的内容", code="MALL_NOTHING_TO_REVIEW")
        self.reviewed_by, self.reviewed_at, self.review_note = actor.id, at, note
        if approve:
            self.live, self.pending, self.review = self.pending, None, ReviewState.APPROVED
            self.note("approved", actor, at, after=self.live.audit(), reason=note)
        else:
            self.review = ReviewState.REJECTED
            self.note("rejected", actor, at, reason=note)

    def set_listed(self, listed: bool, actor: Actor, at: datetime) -> None:
        """上架 / 下架. Listing something never approved does nothing for buyers until it is approved."""
        if listed != self.listed:
            self.listed = listed
            self.note("listed" if listed else "delisted", actor, at)
