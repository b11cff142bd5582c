"""Ports of settlement (结算, A-09, A-10): supplier relations, order splits, and the money reports read
from the ledger and the split table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Protocol

from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.settlement.relations import RelationStatus, SupplierRelation
from yiyangkang.domain.settlement.reports import (
    MoneyFilter,
    SalesLine,
    SplitRow,
    SplitTotals,
    SupplierLine,
    VoucherRow,
    VoucherTotals,
)
from yiyangkang.domain.settlement.splits import OrderSplit
from yiyangkang.ports.repositories import Repository


class SupplierRelationRepository(Repository[SupplierRelation], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: RelationStatus | None = None,
        client_id: str | None = None, supplier_id: str | None = None,
    ) -> Page[SupplierRelation]:
        """Relations whose client *or* supplier lies within `visibility`, newest first."""
        ...

    def of_client(self, client_id: str, *, status: RelationStatus | None = None) -> Sequence[SupplierRelation]: ...

    def pending(self, client_id: str, supplier_id: str) -> SupplierRelation | None:
        """The application of `supplier_id` to `client_id` still waiting for review, if any."""
        ...

    def in_force(self, client_id: str, day: date) -> Sequence[SupplierRelation]:
        """The client's approved relations in force on `day`."""
        ...


class OrderSplitRepository(Protocol):
    def add(self, item: OrderSplit) -> None: ...

    def save(self, item: OrderSplit) -> None: ...

    def of_sub_order(self, sub_order_id: str) -> OrderSplit | None: ...


class MoneyReports(Protocol):
    """The reports' queries; amounts are sums of ledger entries (or of split shares) to the fen."""

    def split_rows(self, flt: MoneyFilter, page: PageRequest | None = None) -> Iterator[SplitRow]:
        """Splits made in the period of sub-orders sold within the scope, oldest first (one page if given)."""
        ...

    def split_totals(self, flt: MoneyFilter) -> SplitTotals: ...

    def voucher_totals(self, flt: MoneyFilter) -> Sequence[VoucherTotals]:
        """Per institution: voucher_spend in and voucher_refund out of its voucher purse in the period."""
        ...

    def voucher_rows(self, flt: MoneyFilter, page: PageRequest | None = None) -> Iterator[VoucherRow]: ...

    def sales_lines(self, flt: MoneyFilter) -> Sequence[SalesLine]:
        """Per institution: payments and vouchers in, refunds, supplier shares and platform fees out."""
        ...

    def supplier_lines(self, flt: MoneyFilter) -> Sequence[SupplierLine]:
        """Per supplier (within the scope) and client: shares received and taken back."""
        ...
