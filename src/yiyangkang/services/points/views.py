"""Read models of points. Elders appear by id and masked name only; points are plain integers."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.points.activities import (
    ACTIVITY_STATUS_LABELS,
    ENROLMENT_STATUS_LABELS,
    Enrolment,
    PointsActivity,
)
from yiyangkang.domain.points.goods import EXCHANGE_STATUS_LABELS, Exchange, PointsGood
from yiyangkang.domain.points.service import ServiceAward, average_text
from yiyangkang.ports.ledger import Entry

KIND_LABELS = {"points_earn": "活动签到", "points_spend": "积分兑换", "points_refund": "兑换取消退回",
               "service_points": "服务积分"}


@frozen
class ActivityView:
    id: str
    institution_id: str
    title: str
    description: str
    place: str
    starts_at: datetime
    ends_at: datetime
    enrol_from: datetime
    enrol_until: datetime
    capacity: int
    enrolled: int
    seats_left: int
    points: int
    status: str
    status_label: str
    cancel_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, a: PointsActivity) -> ActivityView:
        return cls(a.id, a.institution_id, a.title, a.description, a.place, a.starts_at, a.ends_at, a.enrol_from,
                   a.enrol_until, a.capacity, a.enrolled, a.seats_left, a.points, a.status.value,
                   ACTIVITY_STATUS_LABELS[a.status], a.cancel_reason, a.created_at, a.version)


@frozen
class EnrolmentView:
    id: str
    activity_id: str
    activity_title: str
    institution_id: str
    elder_id: str
    elder_name: str  # masked
    status: str
    status_label: str
    points_earned: int
    attended_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, e: Enrolment, elder_name: str | None) -> EnrolmentView:
        return cls(e.id, e.activity_id, e.activity_title, e.institution_id, e.elder_id, mask_name(elder_name) or "",
                   e.status.value, ENROLMENT_STATUS_LABELS[e.status], e.points_earned, e.attended_at, e.cancelled_at,
                   e.cancel_reason, e.created_at, e.version)


@frozen
class GoodView:
    id: str
    institution_id: str
    name: str
    description: str
    points_price: int
    stock: int
    on_shelf: bool
    per_elder_limit: int | None
    created_at: datetime
    version: int

    @classmethod
    def of(cls, g: PointsGood) -> GoodView:
        return cls(g.id, g.institution_id, g.name, g.description, g.points_price, g.stock, g.on_shelf,
                   g.per_elder_limit, g.created_at, g.version)


@frozen
class ExchangeView:
    id: str
    good_id: str
    good_name: str
    institution_id: str
    elder_id: str
    elder_name: str  # masked
    quantity: int
    points: int
    status: str
    status_label: str
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, e: Exchange, elder_name: str | None) -> ExchangeView:
        return cls(e.id, e.good_id, e.good_name, e.institution_id, e.elder_id, mask_name(elder_name) or "",
                   e.quantity, e.points, e.status.value, EXCHANGE_STATUS_LABELS[e.status], e.delivered_at,
                   e.cancelled_at, e.cancel_reason, e.created_at, e.version)


@frozen
class EntryView:
    """积分明细: one movement of the account (+ earned, − spent)."""

    reference: str
    kind: str
    kind_label: str
    points: int
    at: datetime
    memo: str

    @classmethod
    def of(cls, e: Entry) -> EntryView:
        return cls(e.reference, e.kind, KIND_LABELS.get(e.kind, e.kind), e.amount, e.at, e.memo)


@frozen
class PointsLedgerView:
    """P-07: the balance and one page of entries, newest first."""

    owner_id: str
    balance: int
    entries: list[EntryView]
    total: int
    page: int
    page_size: int


@frozen
class ServiceAwardView:
    """S-10: one staff member's period. `average` is the exact mean with two decimals rounded down."""

    id: str
    staff_id: str
    staff_name: str
    institution_id: str
    period: str
    rating_count: int
    stars_sum: int
    average: str
    points: int
    created_at: datetime

    @classmethod
    def of(cls, a: ServiceAward, staff_name: str) -> ServiceAwardView:
        return cls(a.id, a.staff_id, staff_name, a.institution_id, a.period, a.rating_count, a.stars_sum,
                   average_text(a.stars_sum, a.rating_count), a.points, a.created_at)


@frozen
class AwardRunView:
    """What one run of the monthly job did."""

    period: str
    rated_staff: int
    awarded: int  # records written by this run
    already: int  # recorded by an earlier run (nothing changed)
    points: int  # points posted by this run
