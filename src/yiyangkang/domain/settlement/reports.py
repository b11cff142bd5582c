"""Rows of the money reports (居家业务报表, A-09; HB-30's subsidies beside the vouchers): plain values, amounts
in integer fen, periods [start, end) of Shanghai dates. Every total is a sum of ledger entries (or of the
split table the ledger's split postings were made from), so each reconciles to the books to the fen."""

from __future__ import annotations

from datetime import date, datetime

from attrs import define, frozen

from yiyangkang.domain.identity.policy import Visibility


@frozen
class MoneyFilter:
    """What a report covers: [start, end) in Shanghai dates, within `visibility` (the caller's scope, or the
    named institution and its subordinates)."""

    visibility: Visibility
    start: date
    end: date  # exclusive


@frozen
class ShareRow:
    """One party's share of a split; `reversed_fen`: what refunds took back so far, whenever they happened."""

    party: str  # supplier | platform
    institution_id: str | None  # None: the platform
    institution_name: str
    rate_bp: int
    cash_fen: int
    voucher_fen: int
    reversed_fen: int

    @property
    def amount_fen(self) -> int:
        return self.cash_fen + self.voucher_fen


@frozen
class SplitRow:
    """订单分账明细: one completed sub-order and how it was shared out."""

    sub_order_number: str
    trade_number: str
    split_at: datetime
    institution_id: str  # the seller
    institution_name: str
    held_cash_fen: int
    held_voucher_fen: int
    shares: tuple[ShareRow, ...]

    @property
    def held_fen(self) -> int:
        return self.held_cash_fen + self.held_voucher_fen

    @property
    def supplier_fen(self) -> int:
        return sum(s.amount_fen for s in self.shares if s.party == "supplier")

    @property
    def platform_fen(self) -> int:
        return sum(s.amount_fen for s in self.shares if s.party == "platform")

    @property
    def reversed_fen(self) -> int:
        return sum(s.reversed_fen for s in self.shares)

    @property
    def seller_fen(self) -> int:
        return self.held_fen - self.supplier_fen - self.platform_fen


@define
class SplitTotals:
    orders: int = 0
    held_fen: int = 0
    supplier_fen: int = 0
    platform_fen: int = 0
    reversed_fen: int = 0

    @property
    def seller_fen(self) -> int:
        return self.held_fen - self.supplier_fen - self.platform_fen

    def add(self, row: SplitRow) -> None:
        self.orders += 1
        self.held_fen += row.held_fen
        self.supplier_fen += row.supplier_fen
        self.platform_fen += row.platform_fen
        self.reversed_fen += row.reversed_fen


@define
class VoucherTotals:
    """Vouchers an institution took (voucher_spend) and gave back (voucher_refund) in the period."""

    institution_id: str
    institution_name: str
    spent_fen: int = 0
    refunded_fen: int = 0
    postings: int = 0  # entries of its voucher purse (one per spend or refund)

    @property
    def net_fen(self) -> int:
        return self.spent_fen - self.refunded_fen


@define
class SettlementLine:
    """政府结算: what the government owes one institution for the period — vouchers taken, net of refunds,
    and home-bed subsidies of the orders completed (HB-30)."""

    institution_id: str
    institution_name: str
    voucher_spent_fen: int = 0
    voucher_refunded_fen: int = 0
    voucher_postings: int = 0
    subsidy_orders: int = 0
    subsidy_fen: int = 0

    @property
    def voucher_net_fen(self) -> int:
        return self.voucher_spent_fen - self.voucher_refunded_fen

    @property
    def total_fen(self) -> int:
        return self.voucher_net_fen + self.subsidy_fen


def merge_settlement(vouchers: list[VoucherTotals], subsidies: list[tuple[str, str, int, int]]) -> list[SettlementLine]:
    """One line per institution from the voucher totals and the home-bed (id, name, orders, subsidy) totals."""
    lines: dict[str, SettlementLine] = {}
    for v in vouchers:
        line = lines.setdefault(v.institution_id, SettlementLine(v.institution_id, v.institution_name))
        line.voucher_spent_fen += v.spent_fen
        line.voucher_refunded_fen += v.refunded_fen
        line.voucher_postings += v.postings
    for ident, name, orders, subsidy in subsidies:
        line = lines.setdefault(ident, SettlementLine(ident, name))
        line.subsidy_orders += orders
        line.subsidy_fen += subsidy
    return sorted(lines.values(), key=lambda x: (x.institution_name, x.institution_id))


@frozen
class VoucherRow:
    """One voucher movement of an institution (a spend, or a refund as a negative amount)."""

    reference: str
    kind: str  # voucher_spend | voucher_refund
    at: datetime
    institution_id: str
    institution_name: str
    memo: str
    amount_fen: int  # + spent, − refunded


@define
class SalesLine:
    """销售收支: one institution's sales income and what went out of it in the period."""

    institution_id: str
    institution_name: str
    cash_in_fen: int = 0  # payments received (payment)
    voucher_in_fen: int = 0  # vouchers taken (voucher_spend)
    refunds_fen: int = 0  # refund + voucher_refund
    supplier_fen: int = 0  # shares paid to suppliers, net of reversals
    platform_fen: int = 0  # platform fees, net of reversals

    @property
    def income_fen(self) -> int:
        return self.cash_in_fen + self.voucher_in_fen

    @property
    def expense_fen(self) -> int:
        return self.refunds_fen + self.supplier_fen + self.platform_fen

    @property
    def net_fen(self) -> int:
        return self.income_fen - self.expense_fen


@define
class SupplierLine:
    """供应商收支: one supplier's shares from one client in the period."""

    supplier_id: str
    supplier_name: str
    client_id: str
    client_name: str
    received_fen: int = 0  # split
    reversed_fen: int = 0  # split_reversal (taken back on refunds)
    orders: int = 0  # split postings

    @property
    def net_fen(self) -> int:
        return self.received_fen - self.reversed_fen
