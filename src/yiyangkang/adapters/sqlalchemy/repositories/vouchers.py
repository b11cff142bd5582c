"""Voucher repositories (养老服务券): documents plus query columns."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, true

from yiyangkang.adapters.sqlalchemy import tables_vouchers as v
from yiyangkang.adapters.sqlalchemy.base import keyword_clause
from yiyangkang.adapters.sqlalchemy.repositories.homebed import DocumentRepository
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.vouchers.acceptance import ProcurementInstitution
from yiyangkang.domain.vouchers.batches import BatchStatus, VoucherBatch
from yiyangkang.domain.vouchers.vouchers import Voucher, VoucherSpend, VoucherStatus
from yiyangkang.ports.vouchers import SpendQuery


class SqlProcurement(DocumentRepository[ProcurementInstitution]):
    table, model = v.voucher_institutions, ProcurementInstitution

    def columns(self, p: ProcurementInstitution) -> dict[str, Any]:
        return {"name": p.name, "active": p.active}

    def list(self, page: PageRequest, *, active: bool | None = None, keyword: str | None = None
             ) -> Page[ProcurementInstitution]:
        c = self.table.c
        stmt = select(self.table).where(keyword_clause(keyword, c.name))
        if active is not None:
            stmt = stmt.where(c.active == active)
        return self._page(self._newest_first(stmt), page)

    def accepting(self, institution_ids: Iterable[str]) -> frozenset[str]:
        ids, c = sorted(set(institution_ids)), self.table.c
        if not ids:
            return frozenset()
        return frozenset(self.conn.execute(select(c.id).where(c.id.in_(ids), c.active == true())).scalars())


class SqlVoucherBatches(DocumentRepository[VoucherBatch]):
    table, model = v.voucher_batches, VoucherBatch
    conflicts = {"name": ("VOUCHER_BATCH_NAME_TAKEN", "已有同名服务券批次")}

    def columns(self, b: VoucherBatch) -> dict[str, Any]:
        return {"name": b.name, "status": b.status.value}

    def list(self, page: PageRequest, *, status: BatchStatus | None = None) -> Page[VoucherBatch]:
        stmt = select(self.table)
        if status is not None:
            stmt = stmt.where(self.table.c.status == status.value)
        return self._page(self._newest_first(stmt), page)


class SqlVouchers(DocumentRepository[Voucher]):
    table, model = v.vouchers, Voucher
    conflicts = {"number": ("NUMBER_TAKEN", "编号重复，请重试")}

    def columns(self, x: Voucher) -> dict[str, Any]:
        return {"institution_id": x.institution_id, "elder_id": x.elder_id, "number": x.number,
                "batch_id": x.batch_id, "status": x.status.value, "valid_until": x.valid_until}

    def list(self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
             batch_id: str | None = None, status: VoucherStatus | None = None) -> Page[Voucher]:
        return self._page(self._owned(visibility, elder_id=elder_id, batch_id=batch_id, status=status), page)

    def of_elder(self, elder_id: str) -> Sequence[Voucher]:
        c = self.table.c
        return self._rows(select(self.table).where(c.elder_id == elder_id).order_by(c.valid_until, c.created_at, c.id))

    def held(self, batch_id: str, elder_id: str) -> int:
        c = self.table.c
        stmt = select(func.count()).where(c.batch_id == batch_id, c.elder_id == elder_id)
        return int(self.conn.execute(stmt).scalar_one())

    def expiring(self, before: date) -> Sequence[str]:
        c = self.table.c
        stmt = select(c.id).where(c.status == VoucherStatus.ACTIVE.value, c.valid_until < before).order_by(c.id)
        return list(self.conn.execute(stmt).scalars())


class SqlVoucherSpends(DocumentRepository[VoucherSpend]):
    table, model = v.voucher_spends, VoucherSpend

    def columns(self, s: VoucherSpend) -> dict[str, Any]:
        return {"institution_id": s.institution_id, "elder_id": s.elder_id, "voucher_id": s.voucher_id,
                "batch_id": s.batch_id, "trade_id": s.trade_id, "sub_order_id": s.sub_order_id,
                "status": s.status.value, "spent_at": s.spent_at}

    def of_trade(self, trade_id: str) -> Sequence[VoucherSpend]:
        c = self.table.c
        return self._rows(select(self.table).where(c.trade_id == trade_id).order_by(c.created_at, c.id))

    def of_sub_order(self, sub_order_id: str) -> Sequence[VoucherSpend]:
        c = self.table.c
        return self._rows(select(self.table).where(c.sub_order_id == sub_order_id).order_by(c.created_at, c.id))

    def _query(self, visibility: Visibility, query: SpendQuery) -> Select[Any]:
        c = self.table.c
        stmt = self._owned(visibility, institution_id=query.institution_id, elder_id=query.elder_id,
                           batch_id=query.batch_id, status=query.status)
        if query.since is not None:
            stmt = stmt.where(c.spent_at >= query.since)
        if query.until is not None:
            stmt = stmt.where(c.spent_at < query.until)
        return stmt

    def list(self, visibility: Visibility, page: PageRequest, query: SpendQuery) -> Page[VoucherSpend]:
        return self._page(self._query(visibility, query), page)

    def iterate(self, visibility: Visibility, query: SpendQuery) -> Iterator[VoucherSpend]:
        c = self.table.c
        stmt = self._query(visibility, query).order_by(None).order_by(c.created_at, c.id)
        for row in self.conn.execute(stmt.execution_options(yield_per=1000)):
            yield self.from_row(row)
