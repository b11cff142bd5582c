"""In-memory voucher repositories: the same queries as the SQL ones over plain objects."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date

from yiyangkang.adapters.memory.homebed import _Owned
from yiyangkang.adapters.memory.repositories import MemoryRepository, _has, _newest_first, _page
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.vouchers.acceptance import ProcurementInstitution
from yiyangkang.domain.vouchers.batches import BatchStatus, VoucherBatch
from yiyangkang.domain.vouchers.vouchers import Voucher, VoucherSpend, VoucherStatus
from yiyangkang.ports.vouchers import SpendQuery


class MemoryProcurement(MemoryRepository[ProcurementInstitution]):
    name = "voucher_institutions"

    def list(self, page: PageRequest, *, active: bool | None = None, keyword: str | None = None
             ) -> Page[ProcurementInstitution]:
        found = [p for p in self.rows.values() if (active is None or p.active == active) and _has(keyword, p.name)]
        return _page(_newest_first(found), page)

    def accepting(self, institution_ids: Iterable[str]) -> frozenset[str]:
        return frozenset(i for i in institution_ids if (p := self.rows.get(i)) is not None and p.active)


class MemoryVoucherBatches(MemoryRepository[VoucherBatch]):
    name = "voucher_batches"
    unique = ((lambda b: b.name, "VOUCHER_BATCH_NAME_TAKEN", "已有同名服务券批次"),)

    def list(self, page: PageRequest, *, status: BatchStatus | None = None) -> Page[VoucherBatch]:
        return _page(_newest_first(b for b in self.rows.values() if status is None or b.status == status), page)


class MemoryVouchers(_Owned[Voucher]):
    name = "vouchers"
    unique = ((lambda x: x.number, "NUMBER_TAKEN", "编号重复，请重试"),)

    def list(self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
             batch_id: str | None = None, status: VoucherStatus | None = None) -> Page[Voucher]:
        return self._find(visibility, page, lambda _: True, elder_id=elder_id, batch_id=batch_id, status=status)

    def of_elder(self, elder_id: str) -> Sequence[Voucher]:
        mine = [self.get(x.id) for x in self.rows.values() if x.elder_id == elder_id]
        return sorted((x for x in mine if x), key=lambda x: (x.valid_until, x.created_at, x.id))

    def held(self, batch_id: str, elder_id: str) -> int:
        return sum(1 for x in self.rows.values() if x.batch_id == batch_id and x.elder_id == elder_id)

    def expiring(self, before: date) -> Sequence[str]:
        return sorted(x.id for x in self.rows.values() if x.status is VoucherStatus.ACTIVE and x.valid_until < before)


class MemoryVoucherSpends(_Owned[VoucherSpend]):
    name = "voucher_spends"

    def _where(self, **equals: str) -> Sequence[VoucherSpend]:
        found = [self.get(s.id) for s in self.rows.values() if all(getattr(s, k) == v for k, v in equals.items())]
        return sorted((s for s in found if s), key=lambda s: (s.created_at, s.id))

    def of_trade(self, trade_id: str) -> Sequence[VoucherSpend]:
        return self._where(trade_id=trade_id)

    def of_sub_order(self, sub_order_id: str) -> Sequence[VoucherSpend]:
        return self._where(sub_order_id=sub_order_id)

    def _matches(self, s: VoucherSpend, query: SpendQuery) -> bool:
        return ((query.since is None or (s.spent_at is not None and s.spent_at >= query.since))
                and (query.until is None or (s.spent_at is not None and s.spent_at < query.until)))

    def list(self, visibility: Visibility, page: PageRequest, query: SpendQuery) -> Page[VoucherSpend]:
        return self._find(visibility, page, lambda s: self._matches(s, query), institution_id=query.institution_id,
                          elder_id=query.elder_id, batch_id=query.batch_id, status=query.status)

    def iterate(self, visibility: Visibility, query: SpendQuery) -> Iterator[VoucherSpend]:
        equals = {"institution_id": query.institution_id, "elder_id": query.elder_id, "batch_id": query.batch_id,
                  "status": query.status}
        found = [s for s in self._all() if visibility.admits(self._target(s)) and self._matches(s, query)
                 and all(getattr(s, k) == v for k, v in equals.items() if v is not None)]
        yield from sorted(found, key=lambda s: (s.created_at, s.id))
