"""In-memory home-bed repositories and reports, the same queries as the SQL ones over plain objects."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from yiyangkang.adapters.memory.repositories import MemoryRepository, _has, _newest_first, _page
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.homebed.applications import ApplicationStatus, BedApplication
from yiyangkang.domain.homebed.assessment import Assessment, AssessmentScale
from yiyangkang.domain.homebed.config import BusinessSettings, RenovationItem, ServiceItem, SubsidyType
from yiyangkang.domain.homebed.contracts import Contract, ContractStatus
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ExceptionOrder, ReviewStatus
from yiyangkang.domain.homebed.orders import OPEN, HomeBedOrder, OrderStatus
from yiyangkang.domain.homebed.renovation import RenovationStatus, RenovationTask
from yiyangkang.domain.homebed.reports import BusinessReport, SettlementFilter, SettlementRow, Totals
from yiyangkang.domain.identity.policy import Target, Visibility
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.orgs.regions import region_prefix

A = TypeVar("A", bound=Aggregate)


class _Owned(MemoryRepository[A]):
    """Rows owned by an institution (and an elder): listed within a visibility, newest first."""

    def _target(self, item: Any) -> Target:
        return Target(institution_id=item.institution_id, institution_path=self._path(item.institution_id),
                      elder_id=getattr(item, "elder_id", None))

    def _find(self, visibility: Visibility, page: PageRequest, keep: Callable[[A], bool], **equals: Any) -> Page[A]:
        items = [
            i for i in self._all()
            if visibility.admits(self._target(i)) and keep(i)
            and all(getattr(i, k) == v for k, v in equals.items() if v is not None)
        ]
        return _page(_newest_first(items), page)


class MemoryCatalog(MemoryRepository[A]):
    def all(self, *, active: bool | None = None) -> Sequence[A]:
        items = [i for i in self._all() if active is None or getattr(i, "active") == active]  # noqa: B009
        return sorted(items, key=lambda i: (getattr(i, "created_at"), i.id))  # noqa: B009


class MemoryServiceItems(MemoryCatalog[ServiceItem]):
    name = "hb_service_items"


class MemorySubsidyTypes(MemoryCatalog[SubsidyType]):
    name = "hb_subsidy_types"


class MemoryRenovationItems(MemoryCatalog[RenovationItem]):
    name = "hb_renovation_items"


class MemoryScales(MemoryCatalog[AssessmentScale]):
    name = "hb_scales"


class MemorySettings(MemoryRepository[BusinessSettings]):
    name = "hb_settings"


class MemoryApplications(_Owned[BedApplication]):
    name = "hb_applications"
    unique = (
        (lambda a: a.number, "NUMBER_TAKEN", "编号重复"),
        (lambda a: a.id_card_no if a.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED) else None,
         "BED_APPLICATION_EXISTS", "该老人已有待审核或待签约的床位申请"),
    )

    def _target(self, item: Any) -> Target:
        return Target(institution_id=item.institution_id, institution_path=self._path(item.institution_id),
                      elder_id=item.elder_id, account_id=item.applicant_account_id)

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ApplicationStatus | None = None,
        institution_id: str | None = None, keyword: str | None = None,
    ) -> Page[BedApplication]:
        return self._find(visibility, page, lambda a: _has(keyword, a.number, a.elder_name),
                          status=status, institution_id=institution_id)

    def open_for_id_card(self, id_card_no: str) -> Sequence[BedApplication]:
        return [a for a in self._all() if a.id_card_no == id_card_no
                and a.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPROVED)]


class MemoryContracts(_Owned[Contract]):
    name = "hb_contracts"
    unique = ((lambda c: c.number, "NUMBER_TAKEN", "编号重复"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ContractStatus | None = None,
        institution_id: str | None = None, elder_id: str | None = None, keyword: str | None = None,
    ) -> Page[Contract]:
        return self._find(visibility, page, lambda c: _has(keyword, c.number, c.elder_name),
                          status=status, institution_id=institution_id, elder_id=elder_id)

    def in_term_for_elder(self, elder_id: str) -> Sequence[Contract]:
        return [c for c in self._all() if c.elder_id == elder_id
                and c.status in (ContractStatus.PENDING_START, ContractStatus.ACTIVE)]

    def due_to_roll(self, today: date) -> Sequence[str]:
        return sorted(
            c.id for c in self.rows.values()
            if (c.status is ContractStatus.PENDING_START and c.terms.start_date <= today)
            or (c.status is ContractStatus.ACTIVE and c.terms.expiry_date < today)
        )

    def expiring(self, today: date, until: date) -> Sequence[Contract]:
        items = [c for c in self._all() if c.status is ContractStatus.ACTIVE and c.renewed_by_id is None
                 and today <= c.terms.expiry_date <= until]
        return sorted(items, key=lambda c: (c.terms.expiry_date, c.id))


class MemoryAssessments(_Owned[Assessment]):
    name = "hb_assessments"

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
        contract_id: str | None = None,
    ) -> Page[Assessment]:
        return self._find(visibility, page, lambda a: True, elder_id=elder_id, contract_id=contract_id)


class MemoryOrders(_Owned[HomeBedOrder]):
    name = "hb_orders"
    unique = ((lambda o: o.number, "NUMBER_TAKEN", "编号重复"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: OrderStatus | None = None,
        institution_id: str | None = None, elder_id: str | None = None, contract_id: str | None = None,
        staff_id: str | None = None, supplementary: bool | None = None, keyword: str | None = None,
    ) -> Page[HomeBedOrder]:
        return self._find(visibility, page, lambda o: _has(keyword, o.number, o.item_name), status=status,
                          institution_id=institution_id, elder_id=elder_id, contract_id=contract_id,
                          staff_id=staff_id, supplementary=supplementary)

    def open_for_contract(self, contract_id: str) -> Sequence[HomeBedOrder]:
        return [o for o in self._all() if o.contract_id == contract_id and o.status in OPEN]

    def scan_candidates(self, since: datetime) -> Iterator[HomeBedOrder]:
        for o in sorted(self._all(), key=lambda o: (o.created_at, o.id)):
            if o.status in (*OPEN, OrderStatus.IN_SERVICE) or (o.completed_at is not None and o.completed_at >= since):
                yield o

    def overlapping(self, elder_id: str, start: datetime, end: datetime) -> Sequence[HomeBedOrder]:
        return [o for o in self._all() if o.elder_id == elder_id and o.status is not OrderStatus.CANCELLED
                and o.started_at is not None and o.started_at < end
                and (o.status is OrderStatus.IN_SERVICE or (o.completed_at is not None and o.completed_at > start))]

    def add_many(self, orders: Sequence[HomeBedOrder]) -> None:
        for o in orders:
            self.add(o)


class MemoryExceptions(_Owned[ExceptionOrder]):
    name = "hb_exceptions"
    unique = ((lambda e: (e.order_id, e.type), "HOMEBED_EXCEPTION_EXISTS", "该订单已有同类异常单"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ReviewStatus | None = None,
        type: ExceptionKind | None = None, institution_id: str | None = None, order_id: str | None = None,
    ) -> Page[ExceptionOrder]:
        return self._find(visibility, page, lambda e: True, status=status, type=type,
                          institution_id=institution_id, order_id=order_id)

    def raised_for(self, order_ids: Iterable[str]) -> set[tuple[str, ExceptionKind]]:
        wanted = set(order_ids)
        return {(e.order_id, e.type) for e in self.rows.values() if e.order_id in wanted}


class MemoryRenovationTasks(_Owned[RenovationTask]):
    name = "hb_renovation_tasks"

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: RenovationStatus | None = None,
        contract_id: str | None = None, staff_id: str | None = None,
    ) -> Page[RenovationTask]:
        return self._find(visibility, page, lambda t: True, status=status, contract_id=contract_id,
                          staff_id=staff_id)


class MemorySequences:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.rows: dict[str, int] = store.table("sequences")
        self.committed: dict[str, int] = committed.table("sequences")
        self.used: set[str] = set()

    def next(self, key: str) -> int:
        self.rows[key] = max(self.rows.get(key, 0), self.committed.get(key, 0)) + 1
        self.used.add(key)
        return self.rows[key]

    def apply(self) -> None:
        for key in self.used:
            self.committed[key] = max(self.committed.get(key, 0), self.rows[key])
        self.used.clear()


class MemoryHomeBedReports:
    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        self.store = store

    def apply(self) -> None:
        pass

    def _table(self, name: str) -> dict[str, Any]:
        return self.store.table(name)

    def _admits(self, vis: Visibility, institution_id: str, elder_id: str) -> bool:
        inst = self._table("institutions").get(institution_id)
        return vis.admits(Target(institution_id=institution_id, institution_path=inst.path if inst else None,
                                 elder_id=elder_id))

    def settlement_rows(self, flt: SettlementFilter, page: PageRequest | None = None) -> Iterator[SettlementRow]:
        rows = self._settlement_rows(flt)
        return iter(list(rows)[page.offset : page.offset + page.size]) if page else rows

    def _settlement_rows(self, flt: SettlementFilter) -> Iterator[SettlementRow]:
        contracts, staff, insts = self._table("hb_contracts"), self._table("staff"), self._table("institutions")
        subsidies = self._table("hb_subsidy_types")
        orders = sorted(
            (o for o in self._table("hb_orders").values()
             if o.status is OrderStatus.COMPLETED and o.completed_at is not None
             and flt.start <= business_date(o.completed_at) < flt.end
             and (flt.region_code is None or o.region_code.startswith(region_prefix(flt.region_code)))
             and (flt.institution_id is None or o.institution_id == flt.institution_id)
             and (flt.subsidy_type_id is None or o.subsidy_type_id == flt.subsidy_type_id)
             and self._admits(flt.visibility, o.institution_id, o.elder_id)),
            key=lambda o: (o.completed_at, o.id),
        )
        for o in orders:
            c = contracts[o.contract_id]
            worker = staff.get(o.staff_id) if o.staff_id else None
            subsidy = subsidies.get(o.subsidy_type_id) if o.subsidy_type_id else None
            yield SettlementRow(
                order_number=o.number, institution_id=o.institution_id,
                institution_name=insts[o.institution_id].name, contract_number=c.number,
                elder_name=mask_name(c.elder_name) or "", elder_id_card=c.elder_id_card_masked,
                region_code=o.region_code, subsidy_type=subsidy.name if subsidy else "", item_name=o.item_name,
                started_at=o.started_at, completed_at=o.completed_at, duration_minutes=o.duration_minutes or 0,
                staff_name=worker.name if worker else "", amount_fen=o.price.fen, subsidy_fen=o.subsidy.fen,
                self_pay_fen=o.self_pay.fen,
            )

    def settlement_totals(self, flt: SettlementFilter) -> Sequence[Totals]:
        per: dict[str, Totals] = {}
        for row in self._settlement_rows(flt):
            per.setdefault(row.institution_id, Totals(row.institution_id, row.institution_name)).add(row)
        return sorted(per.values(), key=lambda t: (t.institution_name, t.institution_id))

    def business(self, visibility: Visibility, start: date, end: date, today: date) -> BusinessReport:
        contracts = [c for c in self._table("hb_contracts").values()
                     if self._admits(visibility, c.institution_id, c.elder_id)]
        orders = [o for o in self._table("hb_orders").values()
                  if self._admits(visibility, o.institution_id, o.elder_id)
                  and start <= business_date(o.scheduled_at) < end]
        ids = {o.id for o in orders}
        exceptions = [e for e in self._table("hb_exceptions").values()
                      if e.order_id in ids and e.status is not ReviewStatus.REJECTED]
        late = {e.order_id for e in exceptions if e.type is ExceptionKind.LATE_ARRIVAL}
        by_status: dict[str, int] = {}
        for o in orders:
            by_status[o.status.value] = by_status.get(o.status.value, 0) + 1
        by_type: dict[str, int] = {}
        for e in exceptions:
            by_type[e.type.value] = by_type.get(e.type.value, 0) + 1
        completed = [o for o in orders if o.status is OrderStatus.COMPLETED]
        return BusinessReport(
            start=start, end=end,
            contracts_signed=sum(1 for c in contracts if start <= c.sign_date < end),
            contracts_active=sum(1 for c in contracts if c.status is ContractStatus.ACTIVE),
            contracts_terminated=sum(1 for c in contracts if c.terminated_on and start <= c.terminated_on < end),
            contracts_expiring=sum(1 for c in contracts if c.status is ContractStatus.ACTIVE
                                   and today <= c.terms.expiry_date <= today + timedelta(days=30)),
            orders_by_status=by_status, orders_completed=len(completed),
            orders_on_time=sum(1 for o in completed if o.id not in late), exceptions_by_type=by_type,
        )
