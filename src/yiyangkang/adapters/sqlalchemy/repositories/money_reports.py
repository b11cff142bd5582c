"""The money reports in SQL (A-09, HB-30's vouchers): sums of ledger entries grouped by the database, split
rows streamed with their shares. A split posting has one seller leg per purse, opposite in sign to the legs
of its suppliers and the platform; pairing a party's leg with that leg tells whose sale a share came from."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy import tables_settlement as st
from yiyangkang.adapters.sqlalchemy.base import visibility_clause
from yiyangkang.adapters.sqlalchemy.repositories.homebed_reports import day_start
from yiyangkang.adapters.sqlalchemy.tables_ledger import ledger_accounts, ledger_entries, ledger_postings
from yiyangkang.domain.kernel.paging import PageRequest
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
from yiyangkang.domain.settlement.splits import SPLIT_KINDS

p, e, a, i = ledger_postings.c, ledger_entries.c, ledger_accounts.c, t.institutions.c
SALES_KINDS = ("payment", "refund", "voucher_spend", "voucher_refund", "split", "split_reversal")
CHUNK = 500


def _period(flt: MoneyFilter, column: Any) -> ColumnElement[bool]:
    return and_(column >= day_start(flt.start), column < day_start(flt.end))


def _scope(flt: MoneyFilter, institution_id: Any, path: Any) -> ColumnElement[bool]:
    return visibility_clause(flt.visibility, institution_id=institution_id, institution_path=path)


class SqlMoneyReports:
    def __init__(self, ctx: Any) -> None:
        self.conn = ctx.conn

    # -- 订单分账明细 -------------------------------------------------------------------------------
    def _splits(self, flt: MoneyFilter) -> Select[Any]:
        s = st.settlement_splits.c
        return (select(s.id, s.sub_order_number, s.trade_number, s.split_at, s.institution_id, i.name,
                       s.held_cash, s.held_voucher)
                .select_from(st.settlement_splits).join(t.institutions, i.id == s.institution_id)
                .where(_period(flt, s.split_at), _scope(flt, s.institution_id, i.path)))

    def split_rows(self, flt: MoneyFilter, page: PageRequest | None = None) -> Iterator[SplitRow]:
        s = st.settlement_splits.c
        stmt = self._splits(flt).order_by(s.split_at, s.id)
        if page is not None:
            stmt = stmt.limit(page.size).offset(page.offset)
        batch: list[Any] = []
        for row in self.conn.execute(stmt.execution_options(yield_per=CHUNK)):
            batch.append(row)
            if len(batch) == CHUNK:
                yield from self._with_shares(batch)
                batch = []
        yield from self._with_shares(batch)

    def _with_shares(self, rows: list[Any]) -> Iterator[SplitRow]:
        """The splits with their shares, one per party and relation (summed over the order's lines)."""
        if not rows:
            return
        sh, si = st.settlement_split_shares.c, t.institutions.alias("si")
        shares: dict[str, list[ShareRow]] = {}
        stmt = (select(sh.split_id, sh.party, sh.institution_id, si.c.name, sh.rate_bp, func.sum(sh.cash),
                       func.sum(sh.voucher), func.sum(sh.reversed_cash + sh.reversed_voucher), func.min(sh.seq))
                .select_from(st.settlement_split_shares).outerjoin(si, si.c.id == sh.institution_id)
                .where(sh.split_id.in_([r[0] for r in rows]))
                .group_by(sh.split_id, sh.party, sh.institution_id, si.c.name, sh.relation_id, sh.rate_bp)
                .order_by(sh.split_id, func.min(sh.seq)))
        for split_id, party, inst, name, rate, cash, voucher, back, _ in self.conn.execute(stmt):
            shares.setdefault(split_id, []).append(ShareRow(party, inst, name or "平台", int(rate), int(cash),
                                                            int(voucher), int(back)))
        for ident, number, trade, at, inst, name, cash, voucher in rows:
            yield SplitRow(number, trade, at, inst, name, int(cash), int(voucher), tuple(shares.get(ident, ())))

    def split_totals(self, flt: MoneyFilter) -> SplitTotals:
        base = self._splits(flt).subquery()
        orders, held = self.conn.execute(
            select(func.count(), func.coalesce(func.sum(base.c.held_cash + base.c.held_voucher), 0))).one()
        sh = st.settlement_split_shares.c
        amount = sh.cash + sh.voucher
        supplier, platform, back = self.conn.execute(
            select(func.coalesce(func.sum(case((sh.party == "supplier", amount), else_=0)), 0),
                   func.coalesce(func.sum(case((sh.party == "platform", amount), else_=0)), 0),
                   func.coalesce(func.sum(sh.reversed_cash + sh.reversed_voucher), 0))
            .select_from(st.settlement_split_shares).join(base, base.c.id == sh.split_id)).one()
        return SplitTotals(int(orders), int(held), int(supplier), int(platform), int(back))

    # -- 政府结算: vouchers --------------------------------------------------------------------------
    def _voucher_legs(self, flt: MoneyFilter) -> list[ColumnElement[bool]]:
        return [a.owner == "institution", a.purse == "voucher", p.kind.in_(("voucher_spend", "voucher_refund")),
                _period(flt, p.at), _scope(flt, a.owner_id, i.path)]

    def _voucher_from(self) -> Any:
        return (ledger_postings.join(ledger_entries, e.posting_id == p.id)
                .join(ledger_accounts, a.key == e.account_key).join(t.institutions, i.id == a.owner_id))

    def voucher_totals(self, flt: MoneyFilter) -> Sequence[VoucherTotals]:
        stmt = (select(a.owner_id, i.name, p.kind, func.sum(e.amount), func.count())
                .select_from(self._voucher_from()).where(*self._voucher_legs(flt))
                .group_by(a.owner_id, i.name, p.kind))
        found: dict[str, VoucherTotals] = {}
        for inst, name, kind, amount, postings in self.conn.execute(stmt):
            line = found.setdefault(inst, VoucherTotals(inst, name))
            if kind == "voucher_spend":
                line.spent_fen += int(amount)
            else:
                line.refunded_fen -= int(amount)
            line.postings += int(postings)
        return sorted(found.values(), key=lambda v: (v.institution_name, v.institution_id))

    def voucher_rows(self, flt: MoneyFilter, page: PageRequest | None = None) -> Iterator[VoucherRow]:
        stmt = (select(p.reference, p.kind, p.at, a.owner_id, i.name, p.memo, e.amount)
                .select_from(self._voucher_from()).where(*self._voucher_legs(flt)).order_by(p.at, p.id))
        if page is not None:
            stmt = stmt.limit(page.size).offset(page.offset)
        for reference, kind, at, inst, name, memo, amount in self.conn.execute(stmt.execution_options(yield_per=5000)):
            yield VoucherRow(reference, kind, at, inst, name, memo, int(amount))

    # -- 销售收支 / 供应商收支 -----------------------------------------------------------------------
    def _paired(self, flt: MoneyFilter, payee_owner: str) -> Select[Any]:
        """Legs of `payee_owner` accounts in split postings with the seller's opposite leg of the same purse."""
        pe, pa = ledger_entries.alias("pe"), ledger_accounts.alias("pa")
        se, sa = ledger_entries.alias("se"), ledger_accounts.alias("sa")
        joined = (ledger_postings.join(pe, pe.c.posting_id == p.id).join(pa, pa.c.key == pe.c.account_key)
                  .join(se, se.c.posting_id == p.id)
                  .join(sa, and_(sa.c.key == se.c.account_key, sa.c.owner == "institution",
                                 sa.c.purse == pa.c.purse, sa.c.key != pa.c.key)))
        return (select(pa.c.owner_id.label("payee"), sa.c.owner_id.label("seller"), p.kind,
                       pe.c.amount.label("amount"), p.id.label("posting"))
                .select_from(joined)
                .where(pa.c.owner == payee_owner, p.kind.in_(SPLIT_KINDS), _period(flt, p.at),
                       or_(and_(p.kind == "split", pe.c.amount > 0, se.c.amount < 0),
                           and_(p.kind == "split_reversal", pe.c.amount < 0, se.c.amount > 0))))

    def _institutions(self, flt: MoneyFilter) -> dict[str, str]:
        stmt = select(i.id, i.name).where(_scope(flt, i.id, i.path))
        return {str(r[0]): str(r[1]) for r in self.conn.execute(stmt)}

    def sales_lines(self, flt: MoneyFilter) -> Sequence[SalesLine]:
        names = self._institutions(flt)
        lines = {ident: SalesLine(ident, name) for ident, name in names.items()}
        positive = e.amount > 0
        own = (select(a.owner_id, p.kind, positive.label("positive"), func.sum(e.amount))
               .select_from(ledger_postings.join(ledger_entries, e.posting_id == p.id)
                            .join(ledger_accounts, a.key == e.account_key).join(t.institutions, i.id == a.owner_id))
               .where(a.owner == "institution", a.purse.in_(("cash", "voucher")), p.kind.in_(SALES_KINDS),
                      _period(flt, p.at), _scope(flt, a.owner_id, i.path))
               .group_by(a.owner_id, p.kind, positive))
        for inst, kind, pos, amount in self.conn.execute(own):
            line, fen = lines[inst], int(amount)
            if kind == "payment" and pos:
                line.cash_in_fen += fen
            elif kind == "voucher_spend" and pos:
                line.voucher_in_fen += fen
            elif kind in ("refund", "voucher_refund") and not pos:
                line.refunds_fen -= fen
            elif (kind == "split" and not pos) or (kind == "split_reversal" and pos):
                line.supplier_fen -= fen  # everything the seller gave its suppliers and the platform, net
        fees = self._paired(flt, "platform").subquery()
        stmt = (select(fees.c.seller, func.sum(fees.c.amount)).select_from(fees)
                .join(t.institutions, i.id == fees.c.seller)
                .where(_scope(flt, fees.c.seller, i.path)).group_by(fees.c.seller))
        for seller, amount in self.conn.execute(stmt):
            lines[seller].platform_fen += int(amount)
            lines[seller].supplier_fen -= int(amount)
        return sorted(lines.values(), key=lambda x: (x.institution_name, x.institution_id))

    def supplier_lines(self, flt: MoneyFilter) -> Sequence[SupplierLine]:
        shares = self._paired(flt, "institution").subquery()
        ci = t.institutions.alias("ci")
        stmt = (select(shares.c.payee, i.name, shares.c.seller, ci.c.name, shares.c.kind, func.sum(shares.c.amount),
                       func.count(func.distinct(case((shares.c.kind == "split", shares.c.posting),
                                                     else_=literal(None)))))
                .select_from(shares).join(t.institutions, i.id == shares.c.payee)
                .join(ci, ci.c.id == shares.c.seller)
                .where(_scope(flt, shares.c.payee, i.path))
                .group_by(shares.c.payee, i.name, shares.c.seller, ci.c.name, shares.c.kind))
        found: dict[tuple[str, str], SupplierLine] = {}
        for supplier, s_name, client, c_name, kind, amount, orders in self.conn.execute(stmt):
            line = found.setdefault((supplier, client), SupplierLine(supplier, s_name, client, c_name))
            if kind == "split":
                line.received_fen += int(amount)
                line.orders += int(orders)
            else:
                line.reversed_fen -= int(amount)
        return sorted(found.values(), key=lambda x: (x.supplier_name, x.supplier_id, x.client_name, x.client_id))
