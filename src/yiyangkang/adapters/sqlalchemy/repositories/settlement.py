"""Settlement repositories: supplier relations (documents beside their query columns) and order splits, whose
shares are also written as rows for the reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, insert, or_, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy import tables_settlement as st
from yiyangkang.adapters.sqlalchemy.base import visibility_clause
from yiyangkang.adapters.sqlalchemy.repositories.homebed import DocumentRepository
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.settlement.relations import RelationStatus, SupplierRelation
from yiyangkang.domain.settlement.splits import OrderSplit, PartyKind


class SqlSupplierRelations(DocumentRepository[SupplierRelation]):
    table, model = st.settlement_relations, SupplierRelation

    def columns(self, r: SupplierRelation) -> dict[str, Any]:
        return {"client_id": r.client_id, "supplier_id": r.supplier_id, "status": r.status.value,
                "valid_from": r.valid_from, "valid_to": r.valid_to}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: RelationStatus | None = None,
        client_id: str | None = None, supplier_id: str | None = None,
    ) -> Page[SupplierRelation]:
        c = self.table.c
        ci, si = t.institutions.alias("ci"), t.institutions.alias("si")
        stmt = (select(self.table).join(ci, ci.c.id == c.client_id).join(si, si.c.id == c.supplier_id)
                .where(or_(visibility_clause(visibility, institution_id=c.client_id, institution_path=ci.c.path),
                           visibility_clause(visibility, institution_id=c.supplier_id, institution_path=si.c.path))))
        for column, value in ((c.status, status.value if status else None), (c.client_id, client_id),
                              (c.supplier_id, supplier_id)):
            if value is not None:
                stmt = stmt.where(column == value)
        return self._page(self._newest_first(stmt), page)

    def of_client(self, client_id: str, *, status: RelationStatus | None = None) -> Sequence[SupplierRelation]:
        c = self.table.c
        stmt = select(self.table).where(c.client_id == client_id).order_by(c.created_at, c.id)
        return self._rows(stmt if status is None else stmt.where(c.status == status.value))

    def pending(self, client_id: str, supplier_id: str) -> SupplierRelation | None:
        c = self.table.c
        found = self._rows(select(self.table).where(c.client_id == client_id, c.supplier_id == supplier_id,
                                                    c.status == RelationStatus.APPLIED.value))
        return found[0] if found else None

    def in_force(self, client_id: str, day: date) -> Sequence[SupplierRelation]:
        c = self.table.c
        stmt = (select(self.table)
                .where(c.client_id == client_id, c.status == RelationStatus.APPROVED.value, c.valid_from <= day,
                       or_(c.valid_to.is_(None), c.valid_to >= day))
                .order_by(c.created_at, c.id))
        return self._rows(stmt)


class SqlOrderSplits(DocumentRepository[OrderSplit]):
    table, model = st.settlement_splits, OrderSplit
    conflicts = {"sub_order": ("ORDER_ALREADY_SPLIT", "该订单已分账")}

    def columns(self, s: OrderSplit) -> dict[str, Any]:
        return {"sub_order_id": s.sub_order_id, "sub_order_number": s.sub_order_number,
                "trade_number": s.trade_number, "institution_id": s.institution_id, "split_at": s.split_at,
                "held_cash": s.held_cash, "held_voucher": s.held_voucher}

    def add(self, item: OrderSplit) -> None:
        super().add(item)
        self._write_shares(item, fresh=True)

    def save(self, item: OrderSplit) -> None:
        super().save(item)
        self._write_shares(item, fresh=False)

    def _write_shares(self, item: OrderSplit, *, fresh: bool) -> None:
        if not fresh:
            shares = st.settlement_split_shares
            self.conn.execute(delete(shares).where(shares.c.split_id == item.id))
        if item.shares:
            self.conn.execute(insert(st.settlement_split_shares), [
                {"split_id": item.id, "seq": n, "party": s.party.value,
                 "institution_id": None if s.party is PartyKind.PLATFORM else s.institution_id,
                 "relation_id": s.relation_id, "rate_bp": s.rate_bp, "line_no": s.line_no, "cash": s.cash,
                 "voucher": s.voucher,
                 "reversed_cash": s.reversed_cash, "reversed_voucher": s.reversed_voucher}
                for n, s in enumerate(item.shares, start=1)])

    def of_sub_order(self, sub_order_id: str) -> OrderSplit | None:
        found = self._rows(select(self.table).where(self.table.c.sub_order_id == sub_order_id))
        return found[0] if found else None
