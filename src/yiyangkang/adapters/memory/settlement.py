"""In-memory settlement repositories and money reports: the same queries as the SQL ones, over plain objects
(the ledger's postings as the memory ledger keeps them)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from yiyangkang.adapters.memory.homebed import _Owned
from yiyangkang.adapters.memory.repositories import MemoryRepository, _newest_first, _page
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.identity.policy import Target, Visibility
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.money.ledger import Owner, Posting, Purse
from yiyangkang.domain.settlement.relations import RelationStatus, SupplierRelation
from yiyangkang.domain.settlement.reports import (
    MoneyFilter,
    SalesLine,
    ShareRow,
    SplitRow,
    SplitTotals,
    SupplierLine,
    VoucherRow,
    VoucherTotals,
)
from yiyangkang.domain.settlement.splits import SPLIT_KINDS, OrderSplit, PartyKind


class MemorySupplierRelations(_Owned[SupplierRelation]):
    name = "settlement_relations"

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: RelationStatus | None = None,
        client_id: str | None = None, supplier_id: str | None = None,
    ) -> Page[SupplierRelation]:
        items = [r for r in self._all()
                 if (visibility.admits(self._institution(r.client_id))
                     or visibility.admits(self._institution(r.supplier_id)))
                 and all(v is None or getattr(r, k) == v
                         for k, v in (("status", status), ("client_id", client_id), ("supplier_id", supplier_id)))]
        return _page(_newest_first(items), page)

    def _institution(self, ident: str) -> Target:
        return Target(institution_id=ident, institution_path=self._path(ident))

    def of_client(self, client_id: str, *, status: RelationStatus | None = None) -> Sequence[SupplierRelation]:
        return sorted((r for r in self._all() if r.client_id == client_id and (status is None or r.status is status)),
                      key=lambda r: (r.created_at, r.id))

    def pending(self, client_id: str, supplier_id: str) -> SupplierRelation | None:
        return next((r for r in self.of_client(client_id, status=RelationStatus.APPLIED)
                     if r.supplier_id == supplier_id), None)

    def in_force(self, client_id: str, day: date) -> Sequence[SupplierRelation]:
        return [r for r in self.of_client(client_id) if r.in_force(day)]


class MemoryOrderSplits(MemoryRepository[OrderSplit]):
    name = "settlement_splits"
    unique = ((lambda s: s.sub_order_id, "ORDER_ALREADY_SPLIT", "该订单已分账"),)

    def of_sub_order(self, sub_order_id: str) -> OrderSplit | None:
        return next((s for s in self._all() if s.sub_order_id == sub_order_id), None)


class MemoryMoneyReports:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.store = store

    def apply(self) -> None:
        pass

    def _institution(self, ident: str) -> Any:
        return self.store.table("institutions").get(ident)

    def _admits(self, flt: MoneyFilter, ident: str) -> bool:
        inst = self._institution(ident)
        return inst is not None and flt.visibility.admits(Target(institution_id=ident, institution_path=inst.path))

    def _name(self, ident: str) -> str:
        inst = self._institution(ident)
        return inst.name if inst else ""

    def _postings(self, flt: MoneyFilter, kinds: Sequence[str]) -> list[Posting]:
        found = [p for p in self.store.table("ledger_postings").values()
                 if p.kind in kinds and flt.start <= business_date(p.at) < flt.end]
        return sorted(found, key=lambda p: (p.at, p.reference))

    # -- 订单分账明细 -------------------------------------------------------------------------------
    def _splits(self, flt: MoneyFilter) -> list[OrderSplit]:
        found = [s for s in self.store.table("settlement_splits").values()
                 if flt.start <= business_date(s.split_at) < flt.end and self._admits(flt, s.institution_id)]
        return sorted(found, key=lambda s: (s.split_at, s.id))

    def split_rows(self, flt: MoneyFilter, page: PageRequest | None = None) -> Iterator[SplitRow]:
        splits = self._splits(flt)
        if page is not None:
            splits = splits[page.offset : page.offset + page.size]
        for s in splits:
            merged: dict[tuple[str, str, str, int], list[int]] = {}  # per party and relation, over the lines
            for sh in s.shares:
                sums = merged.setdefault((sh.party.value, sh.institution_id, sh.relation_id, sh.rate_bp), [0, 0, 0])
                sums[0], sums[1], sums[2] = sums[0] + sh.cash, sums[1] + sh.voucher, sums[2] + sh.reversed
            yield SplitRow(s.sub_order_number, s.trade_number, s.split_at, s.institution_id,
                           self._name(s.institution_id), s.held_cash, s.held_voucher, tuple(
                               ShareRow(party, None if party == PartyKind.PLATFORM.value else who,
                                        "平台" if party == PartyKind.PLATFORM.value else self._name(who), rate,
                                        cash, voucher, back)
                               for (party, who, _relation, rate), (cash, voucher, back) in merged.items()))

    def split_totals(self, flt: MoneyFilter) -> SplitTotals:
        totals = SplitTotals()
        for row in self.split_rows(flt):
            totals.add(row)
        return totals

    # -- 政府结算: vouchers --------------------------------------------------------------------------
    def _voucher_legs(self, flt: MoneyFilter) -> Iterator[tuple[Posting, str, int]]:
        for posting in self._postings(flt, ("voucher_spend", "voucher_refund")):
            for leg in posting.legs:
                acc = leg.account
                if acc.owner is Owner.INSTITUTION and acc.purse is Purse.VOUCHER and self._admits(flt, acc.owner_id):
                    yield posting, acc.owner_id, leg.amount

    def voucher_totals(self, flt: MoneyFilter) -> Sequence[VoucherTotals]:
        found: dict[str, VoucherTotals] = {}
        for posting, inst, amount in self._voucher_legs(flt):
            line = found.setdefault(inst, VoucherTotals(inst, self._name(inst)))
            if posting.kind == "voucher_spend":
                line.spent_fen += amount
            else:
                line.refunded_fen -= amount
            line.postings += 1
        return sorted(found.values(), key=lambda v: (v.institution_name, v.institution_id))

    def voucher_rows(self, flt: MoneyFilter, page: PageRequest | None = None) -> Iterator[VoucherRow]:
        rows = [VoucherRow(posting.reference, posting.kind, posting.at, inst, self._name(inst), posting.memo, amount)
                for posting, inst, amount in self._voucher_legs(flt)]
        yield from rows[page.offset : page.offset + page.size] if page else rows

    # -- 销售收支 / 供应商收支 -----------------------------------------------------------------------
    def _paired(self, flt: MoneyFilter, payee: Owner) -> Iterator[tuple[Posting, str, str, int]]:
        """(posting, payee id, seller id, amount) for each `payee` leg of a split posting, paired with the
        seller's opposite leg of the same purse."""
        for posting in self._postings(flt, SPLIT_KINDS):
            sign = 1 if posting.kind == "split" else -1
            sellers = {leg.account.purse: leg.account for leg in posting.legs
                       if leg.account.owner is Owner.INSTITUTION and leg.amount * sign < 0}
            for leg in posting.legs:
                seller = sellers.get(leg.account.purse)
                if leg.account.owner is payee and leg.amount * sign > 0 and seller is not None \
                        and seller != leg.account:
                    yield posting, leg.account.owner_id, seller.owner_id, leg.amount

    def sales_lines(self, flt: MoneyFilter) -> Sequence[SalesLine]:
        lines = {ident: SalesLine(ident, inst.name) for ident, inst in self.store.table("institutions").items()
                 if self._admits(flt, ident)}
        kinds = ("payment", "refund", "voucher_spend", "voucher_refund", *SPLIT_KINDS)
        for posting in self._postings(flt, kinds):
            for leg in posting.legs:
                acc, fen = leg.account, leg.amount
                if acc.owner is not Owner.INSTITUTION or acc.purse not in (Purse.CASH, Purse.VOUCHER) \
                        or acc.owner_id not in lines:
                    continue
                line, pos = lines[acc.owner_id], fen > 0
                if posting.kind == "payment" and pos:
                    line.cash_in_fen += fen
                elif posting.kind == "voucher_spend" and pos:
                    line.voucher_in_fen += fen
                elif posting.kind in ("refund", "voucher_refund") and not pos:
                    line.refunds_fen -= fen
                elif (posting.kind == "split" and not pos) or (posting.kind == "split_reversal" and pos):
                    line.supplier_fen -= fen
        for _posting, _payee, seller, amount in self._paired(flt, Owner.PLATFORM):
            if seller in lines:
                lines[seller].platform_fen += amount
                lines[seller].supplier_fen -= amount
        return sorted(lines.values(), key=lambda x: (x.institution_name, x.institution_id))

    def supplier_lines(self, flt: MoneyFilter) -> Sequence[SupplierLine]:
        found: dict[tuple[str, str], SupplierLine] = {}
        counted: set[tuple[str, str, str]] = set()
        for posting, supplier, client, amount in self._paired(flt, Owner.INSTITUTION):
            if not self._admits(flt, supplier):
                continue
            line = found.setdefault((supplier, client), SupplierLine(supplier, self._name(supplier), client,
                                                                     self._name(client)))
            if posting.kind == "split":
                line.received_fen += amount
                if (supplier, client, posting.reference) not in counted:
                    counted.add((supplier, client, posting.reference))
                    line.orders += 1
            else:
                line.reversed_fen -= amount
        return sorted(found.values(), key=lambda x: (x.supplier_name, x.supplier_id, x.client_name, x.client_id))
