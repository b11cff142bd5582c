"""Ports of elderly-care vouchers (养老服务券): the procurement list, batches, vouchers and their spends."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Protocol

from attrs import frozen

from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.vouchers.acceptance import ProcurementInstitution
from yiyangkang.domain.vouchers.batches import BatchStatus, VoucherBatch
from yiyangkang.domain.vouchers.vouchers import SpendStatus, Voucher, VoucherSpend, VoucherStatus
from yiyangkang.ports.repositories import Repository


class ProcurementRepository(Repository[ProcurementInstitution], Protocol):
    def list(self, page: PageRequest, *, active: bool | None = None, keyword: str | None = None
             ) -> Page[ProcurementInstitution]: ...

    def accepting(self, institution_ids: Iterable[str]) -> frozenset[str]:
        """Those of `institution_ids` on the list now (A-11)."""
        ...


class VoucherBatchRepository(Repository[VoucherBatch], Protocol):
    def list(self, page: PageRequest, *, status: BatchStatus | None = None) -> Page[VoucherBatch]: ...


@frozen(kw_only=True)
class SpendQuery:
    """Consumption records (居家消费明细) within a caller's scope."""

    institution_id: str | None = None  # the seller
    elder_id: str | None = None
    batch_id: str | None = None
    status: SpendStatus | None = None
    since: datetime | None = None  # spent at or after
    until: datetime | None = None  # spent before


class VoucherRepository(Repository[Voucher], Protocol):
    def list(self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
             batch_id: str | None = None, status: VoucherStatus | None = None) -> Page[Voucher]: ...

    def of_elder(self, elder_id: str) -> Sequence[Voucher]: ...

    def held(self, batch_id: str, elder_id: str) -> int:
        """How many vouchers of the batch the elder has been granted."""
        ...

    def expiring(self, before: date) -> Sequence[str]:
        """Ids of active vouchers whose last valid day is before `before`."""
        ...


class VoucherSpendRepository(Repository[VoucherSpend], Protocol):
    def of_trade(self, trade_id: str) -> Sequence[VoucherSpend]: ...

    def of_sub_order(self, sub_order_id: str) -> Sequence[VoucherSpend]: ...

    def list(self, visibility: Visibility, page: PageRequest, query: SpendQuery) -> Page[VoucherSpend]: ...

    def iterate(self, visibility: Visibility, query: SpendQuery) -> Iterator[VoucherSpend]:
        """Every record of the query, oldest first (exports)."""
        ...
