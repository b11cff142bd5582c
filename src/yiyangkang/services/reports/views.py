"""Read models of the money reports. Amounts are integer fen (`*_fen`), rates basis points (`*_bp`); periods
are Shanghai dates, `end` inclusive."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen

from yiyangkang.domain.homebed.reports import SettlementRow
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.settlement.reports import (
    SalesLine,
    SettlementLine,
    ShareRow,
    SplitRow,
    SplitTotals,
    SupplierLine,
    VoucherRow,
)
from yiyangkang.domain.settlement.splits import PARTY_LABELS, PartyKind


@frozen
class ShareView:
    party: str  # supplier | platform
    party_label: str
    institution_id: str | None
    institution_name: str
    rate_bp: int
    cash_fen: int
    voucher_fen: int
    amount_fen: int
    reversed_fen: int

    @classmethod
    def of(cls, s: ShareRow) -> ShareView:
        return cls(s.party, PARTY_LABELS[PartyKind(s.party)], s.institution_id, s.institution_name, s.rate_bp,
                   s.cash_fen, s.voucher_fen, s.amount_fen, s.reversed_fen)


@frozen
class SplitRowView:
    sub_order_number: str
    trade_number: str
    split_at: datetime
    split_date: date
    institution_id: str
    institution_name: str
    held_fen: int
    held_cash_fen: int
    held_voucher_fen: int
    supplier_fen: int
    platform_fen: int
    seller_fen: int
    reversed_fen: int
    shares: list[ShareView]

    @classmethod
    def of(cls, r: SplitRow) -> SplitRowView:
        return cls(r.sub_order_number, r.trade_number, r.split_at, business_date(r.split_at), r.institution_id,
                   r.institution_name, r.held_fen, r.held_cash_fen, r.held_voucher_fen, r.supplier_fen,
                   r.platform_fen, r.seller_fen, r.reversed_fen, [ShareView.of(s) for s in r.shares])


@frozen
class SplitTotalsView:
    orders: int
    held_fen: int
    supplier_fen: int
    platform_fen: int
    seller_fen: int
    reversed_fen: int

    @classmethod
    def of(cls, t: SplitTotals) -> SplitTotalsView:
        return cls(t.orders, t.held_fen, t.supplier_fen, t.platform_fen, t.seller_fen, t.reversed_fen)


@frozen
class SplitReport:
    """订单分账明细: one page of splits, and the totals over the whole period."""

    start: date
    end: date
    items: list[SplitRowView]
    total: int
    page: int
    page_size: int
    totals: SplitTotalsView


@frozen
class SettlementLineView:
    institution_id: str
    institution_name: str
    voucher_spent_fen: int
    voucher_refunded_fen: int
    voucher_net_fen: int
    voucher_postings: int
    subsidy_orders: int
    subsidy_fen: int
    total_fen: int

    @classmethod
    def of(cls, x: SettlementLine) -> SettlementLineView:
        return cls(x.institution_id, x.institution_name, x.voucher_spent_fen, x.voucher_refunded_fen,
                   x.voucher_net_fen, x.voucher_postings, x.subsidy_orders, x.subsidy_fen, x.total_fen)


@frozen
class SettlementReport:
    """政府结算报表: per institution, vouchers taken (net of refunds) and home-bed subsidies; the grand total."""

    start: date
    end: date
    lines: list[SettlementLineView]
    total: SettlementLineView


@frozen
class SettlementDetailView:
    """One line of the settlement's detail: a voucher movement or a home-bed order's subsidy."""

    source: str  # voucher | subsidy
    reference: str  # the posting's reference, or the home-bed order number
    at: datetime
    institution_id: str
    institution_name: str
    elder_name: str  # masked (home-bed orders)
    item: str  # what was bought or served
    amount_fen: int  # voucher: + spent, − refunded; subsidy: the subsidy

    @classmethod
    def of_voucher(cls, r: VoucherRow) -> SettlementDetailView:
        label = "服务券消费" if r.kind == "voucher_spend" else "服务券退回"
        return cls("voucher", r.reference, r.at, r.institution_id, r.institution_name, "", r.memo or label,
                   r.amount_fen)

    @classmethod
    def of_subsidy(cls, r: SettlementRow) -> SettlementDetailView:
        return cls("subsidy", r.order_number, r.completed_at, r.institution_id, r.institution_name, r.elder_name,
                   r.item_name, r.subsidy_fen)


@frozen
class SettlementDetailPage:
    source: str
    items: list[SettlementDetailView]
    total: int
    page: int
    page_size: int


@frozen
class SalesLineView:
    institution_id: str
    institution_name: str
    cash_in_fen: int
    voucher_in_fen: int
    income_fen: int
    refunds_fen: int
    supplier_fen: int
    platform_fen: int
    expense_fen: int
    net_fen: int

    @classmethod
    def of(cls, x: SalesLine) -> SalesLineView:
        return cls(x.institution_id, x.institution_name, x.cash_in_fen, x.voucher_in_fen, x.income_fen,
                   x.refunds_fen, x.supplier_fen, x.platform_fen, x.expense_fen, x.net_fen)


@frozen
class IncomeReport:
    """销售收支汇总: per institution of the scope (an institution and its subordinates), and the total."""

    start: date
    end: date
    lines: list[SalesLineView]
    total: SalesLineView


@frozen
class SupplierLineView:
    supplier_id: str
    supplier_name: str
    client_id: str
    client_name: str
    orders: int
    received_fen: int
    reversed_fen: int
    net_fen: int

    @classmethod
    def of(cls, x: SupplierLine) -> SupplierLineView:
        return cls(x.supplier_id, x.supplier_name, x.client_id, x.client_name, x.orders, x.received_fen,
                   x.reversed_fen, x.net_fen)


@frozen
class SupplierReport:
    """供应商收支汇总: what the institution earned as a supplier, per client, and the total."""

    start: date
    end: date
    lines: list[SupplierLineView]
    total: SupplierLineView
