"""Request bodies of the points endpoints (积分). Points are plain integers; instants carry their offset."""

from typing import Annotated

from msgspec import Meta

from apps.api.homebed_schemas import Aware, Count, LongText, Reason
from apps.api.schemas import Body, Id, ShortText

Points = Annotated[int, Meta(ge=0, le=1_000_000)]
Units = Annotated[int, Meta(ge=0, le=999)]
Period = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}$")]


class ActivityIn(Body):
    """Create: title, place, the four times, capacity, points (institution_id for operators and parent
    institutions). Edit (drafts only): any of them."""

    institution_id: Id | None = None
    title: ShortText | None = None
    description: LongText | None = None
    place: ShortText | None = None
    starts_at: Aware | None = None
    ends_at: Aware | None = None
    enrol_from: Aware | None = None
    enrol_until: Aware | None = None
    capacity: Count | None = None
    points: Points | None = None
    version: int | None = None


class EnrolIn(Body):
    elder_id: Id


class GoodIn(Body):
    """Create: name, points_price, stock (0 if left out). Edit: any but the stock; `clear_limit` removes the
    per-elder limit."""

    institution_id: Id | None = None
    name: ShortText | None = None
    description: LongText | None = None
    points_price: Points | None = None
    stock: Count | None = None
    per_elder_limit: Units | None = None
    clear_limit: bool = False
    version: int | None = None


class ShelfIn(Body):
    on_shelf: bool


class StockDeltaIn(Body):
    delta: Annotated[int, Meta(ge=-1_000_000, le=1_000_000)]
    reason: Reason = ""


class ExchangeIn(Body):
    good_id: Id
    elder_id: Id
    quantity: Units = 1


class AwardIn(Body):
    period: Period  # "2026-10": a calendar month in Shanghai
