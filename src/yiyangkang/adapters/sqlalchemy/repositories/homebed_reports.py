"""Home-bed reports in SQL: the settlement rows streamed, their totals aggregated by the database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy.base import visibility_clause
from yiyangkang.domain.homebed.contracts import ContractStatus
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ReviewStatus
from yiyangkang.domain.homebed.orders import OrderStatus
from yiyangkang.domain.homebed.reports import BusinessReport, SettlementFilter, SettlementRow, Totals
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.orgs.regions import region_prefix

o, c, i, s, st = (t.hb_orders.c, t.hb_contracts.c, t.institutions.c, t.staff.c, t.hb_subsidy_types.c)


def day_start(day: date) -> datetime:
    """00:00 in Shanghai of `day`, as a UTC instant: report periods are Shanghai dates."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC)


def _scope(vis: Visibility) -> ColumnElement[bool]:
    return visibility_clause(vis, institution_id=o.institution_id, institution_path=i.path, elder_id=o.elder_id)


def _settled(flt: SettlementFilter) -> list[ColumnElement[bool]]:
    where = [
        o.status == OrderStatus.COMPLETED.value,
        o.completed_at >= day_start(flt.start),
        o.completed_at < day_start(flt.end),
        _scope(flt.visibility),
    ]
    if flt.region_code:
        where.append(o.region_code.startswith(region_prefix(flt.region_code), autoescape=True))
    if flt.institution_id:
        where.append(o.institution_id == flt.institution_id)
    if flt.subsidy_type_id:
        where.append(o.subsidy_type_id == flt.subsidy_type_id)
    return where


class SqlHomeBedReports:
    def __init__(self, ctx: Any) -> None:
        self.conn = ctx.conn

    def _rows_query(self, flt: SettlementFilter) -> Select[Any]:
        return (
            select(
                o.number, o.institution_id, i.name, c.number, c.elder_name, c.elder_id_card_masked, o.region_code,
                st.name, o.item_name, o.started_at, o.completed_at, s.name, o.price_fen, o.subsidy_fen,
                o.self_pay_fen,
            )
            .select_from(t.hb_orders)
            .join(t.institutions, i.id == o.institution_id)
            .join(t.hb_contracts, c.id == o.contract_id)
            .outerjoin(t.staff, s.id == o.staff_id)
            .outerjoin(t.hb_subsidy_types, st.id == o.subsidy_type_id)
            .where(*_settled(flt))
            .order_by(o.completed_at, o.id)
        )

    def settlement_rows(self, flt: SettlementFilter, page: PageRequest | None = None) -> Iterator[SettlementRow]:
        stmt = self._rows_query(flt)
        if page is not None:
            stmt = stmt.limit(page.size).offset(page.offset)
        names: dict[str, str] = {}  # an elder's name is masked once per report, not once per visit
        # Plain tuples: a million rows make attribute access by name show in the profile.
        for (number, inst_id, inst_name, contract_no, elder, id_card, region, subsidy, item, started, completed,
             staff, amount, subsidy_fen, self_pay) in self.conn.execute(stmt.execution_options(yield_per=5000)):
            name = names.get(elder)
            if name is None:
                name = names[elder] = mask_name(elder) or ""
            yield SettlementRow(
                number, inst_id, inst_name, contract_no, name, id_card, region, subsidy or "", item, started,
                completed, int((completed - started).total_seconds() // 60), staff or "", amount, subsidy_fen,
                self_pay,
            )

    def settlement_totals(self, flt: SettlementFilter) -> Sequence[Totals]:
        stmt = (
            select(o.institution_id, i.name, func.count(), func.sum(o.price_fen), func.sum(o.subsidy_fen),
                   func.sum(o.self_pay_fen))
            .select_from(t.hb_orders)
            .join(t.institutions, i.id == o.institution_id)
            .where(*_settled(flt))
            .group_by(o.institution_id, i.name)
            .order_by(i.name, o.institution_id)
        )
        return [Totals(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), int(r[5])) for r in self.conn.execute(stmt)]

    def business(self, visibility: Visibility, start: date, end: date, today: date) -> BusinessReport:
        ci = t.institutions.alias("ci")
        contract_scope = visibility_clause(visibility, institution_id=c.institution_id,
                                           institution_path=ci.c.path, elder_id=c.elder_id)

        def contracts(*where: ColumnElement[bool]) -> int:
            stmt = (select(func.count()).select_from(t.hb_contracts).join(ci, ci.c.id == c.institution_id)
                    .where(contract_scope, *where))
            return int(self.conn.execute(stmt).scalar_one())

        in_period = and_(o.scheduled_at >= day_start(start), o.scheduled_at < day_start(end), _scope(visibility))
        orders_from = t.hb_orders.join(t.institutions, i.id == o.institution_id)
        by_status = {
            status: int(n) for status, n in self.conn.execute(
                select(o.status, func.count()).select_from(orders_from).where(in_period).group_by(o.status))
        }
        e = t.hb_exceptions.c
        by_type = {
            kind: int(n) for kind, n in self.conn.execute(
                select(e.type, func.count()).select_from(orders_from.join(t.hb_exceptions, e.order_id == o.id))
                .where(in_period, e.status != ReviewStatus.REJECTED.value).group_by(e.type))
        }
        late = select(e.order_id).where(e.type == ExceptionKind.LATE_ARRIVAL.value,
                                        e.status != ReviewStatus.REJECTED.value)  # 不予认定 is not late
        on_time = self.conn.execute(
            select(func.count()).select_from(orders_from)
            .where(in_period, o.status == OrderStatus.COMPLETED.value, o.id.not_in(late))
        ).scalar_one()
        return BusinessReport(
            start=start, end=end,
            contracts_signed=contracts(c.sign_date >= start, c.sign_date < end),
            contracts_active=contracts(c.status == ContractStatus.ACTIVE.value),
            contracts_terminated=contracts(c.terminated_on >= start, c.terminated_on < end),
            contracts_expiring=contracts(c.status == ContractStatus.ACTIVE.value, c.expiry_date >= today,
                                         c.expiry_date <= today + timedelta(days=30)),
            orders_by_status=by_status, orders_completed=by_status.get(OrderStatus.COMPLETED.value, 0),
            orders_on_time=int(on_time), exceptions_by_type=by_type,
        )
