"""Points tables (积分): activities with their seat counter, enrolments, goods with their stock, exchanges, and
the staff service-point records (S-10).

Aggregates are documents beside their query columns, like the mall. An activity's `enrolled` seats and a
good's `stock` are plain columns outside the document, moved by one conditional `UPDATE … WHERE enrolled <
capacity` / `… WHERE stock >= n`, never by rewriting the document, so an edit and an enrolment never race; a
CHECK keeps both inside their bounds as the last line of defence. One enrolment per elder and activity is
open at a time (a partial unique index), one service-point record per staff member and period."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, String, UniqueConstraint, text

from yiyangkang.adapters.sqlalchemy.tables import UtcDateTime, _document, _owner

points_activities = _document(
    "points_activities",
    *_owner(elder=False),
    Column("title", String(100), nullable=False),
    Column("status", String(16), nullable=False),
    Column("starts_at", UtcDateTime(), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("enrolled", Integer, nullable=False, default=0),
    CheckConstraint("enrolled >= 0 AND enrolled <= capacity", name="ck_points_activities_seats"),
    Index("ix_points_activities_status_starts_at", "status", "starts_at"),
)

points_enrolments = _document(
    "points_enrolments",
    Column("activity_id", String(36), ForeignKey("points_activities.id"), nullable=False, index=True),
    *_owner(),
    Column("status", String(16), nullable=False),
    # One enrolment on its way per elder and activity, whatever races the checks.
    Index("uq_points_enrolments_open", "activity_id", "elder_id", unique=True,
          postgresql_where=text("status <> 'cancelled'"), sqlite_where=text("status <> 'cancelled'")),
)

points_goods = _document(
    "points_goods",
    *_owner(elder=False),
    Column("name", String(100), nullable=False),
    Column("on_shelf", Boolean, nullable=False),
    Column("stock", Integer, nullable=False, default=0),
    CheckConstraint("stock >= 0", name="ck_points_goods_stock"),
)

points_exchanges = _document(
    "points_exchanges",
    Column("good_id", String(36), ForeignKey("points_goods.id"), nullable=False),
    *_owner(),
    Column("status", String(16), nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    # The per-elder limit counts an elder's units of one good.
    Index("ix_points_exchanges_good_elder", "good_id", "elder_id"),
)

points_service_awards = _document(
    "points_service_awards",
    Column("staff_id", String(36), ForeignKey("staff.id"), nullable=False),
    Column("institution_id", String(36), ForeignKey("institutions.id"), nullable=False, index=True),
    Column("period", String(7), nullable=False, index=True),  # "2026-10"
    Column("points", Integer, nullable=False),
    UniqueConstraint("staff_id", "period", name="uq_points_service_awards_staff_period"),
)
