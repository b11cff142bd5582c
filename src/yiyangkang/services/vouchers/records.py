"""Consumption records (居家消费明细, A-12): what vouchers paid, within the caller's scope — sellers see what was
spent at their institutions, elders and families their own elders' — listed, and exported with the elder's name
masked (exports leave the system)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import SHANGHAI, local_text
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.vouchers.vouchers import VoucherSpend
from yiyangkang.ports.vouchers import SpendQuery
from yiyangkang.services.access import visibility
from yiyangkang.services.names import Names
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.vouchers.views import SPEND_STATUS_LABELS, SpendView

EXPORT_HEADER = ["消费时间", "券号", "老人", "服务机构", "交易单号", "订单号", "抵扣金额(元)", "已退回(元)",
                 "实际抵扣(元)", "状态"]


EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def period(date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """Days in Shanghai, both included, as [since, until) instants; a clear error for days out of range."""
    checks = Checks()
    for name, day in (("date_from", date_from), ("date_to", date_to)):
        if day is not None:
            checks.require(name, EARLIEST <= day <= LATEST, f"日期应在{EARLIEST}至{LATEST}之间", "OUT_OF_RANGE")
    if date_from and date_to:
        checks.require("date_to", date_from <= date_to, "截止日期不能早于开始日期", "OUT_OF_RANGE")
    checks.done()
    since = None if date_from is None else datetime.combine(date_from, time(), SHANGHAI)
    until = None if date_to is None else datetime.combine(date_to + timedelta(days=1), time(), SHANGHAI)
    return since, until


def list_spends(rt: Runtime, principal: Principal, page: PageRequest, query: SpendQuery) -> Page[SpendView]:
    vis = visibility(principal, Operation.VOUCHER_READ)
    reveal = principal.role in (Role.ELDER, Role.FAMILY)
    with rt.uow() as uow:
        names = Names(uow)
        return uow.voucher_spends.list(vis, page, query).map(
            lambda s: SpendView.of(s, names.elder(s.elder_id), names.institution(s.institution_id), reveal=reveal))


def _yuan(m: Money) -> str:
    return f"{m.fen / 100:.2f}"


def export_spends(rt: Runtime, principal: Principal, query: SpendQuery) -> Iterator[list[Any]]:
    """Every record of the query as spreadsheet rows (Shanghai times), oldest first, without the header."""
    vis = visibility(principal, Operation.VOUCHER_READ)
    with rt.uow() as uow:
        names = Names(uow)
        s: VoucherSpend
        for s in uow.voucher_spends.iterate(vis, query):
            yield [local_text(s.spent_at or s.created_at), s.voucher_number, mask_name(names.elder(s.elder_id)),
                   names.institution(s.institution_id), s.trade_number, s.sub_order_number, _yuan(s.amount),
                   _yuan(s.refunded), _yuan(s.left), SPEND_STATUS_LABELS[s.status.value]]
