"""Home-bed repositories: documents plus the columns that queries, scopes and reports use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any, ClassVar, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.exc import IntegrityError

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy.base import SqlRepository, common_columns, keyword_clause, visibility_clause
from yiyangkang.adapters.sqlalchemy.documents import from_document, to_document
from yiyangkang.domain.homebed.applications import ApplicationStatus, BedApplication
from yiyangkang.domain.homebed.assessment import Assessment, AssessmentScale
from yiyangkang.domain.homebed.config import BusinessSettings, RenovationItem, ServiceItem, SubsidyType
from yiyangkang.domain.homebed.contracts import Contract, ContractStatus
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ExceptionOrder, ReviewStatus
from yiyangkang.domain.homebed.orders import OPEN, HomeBedOrder, OrderStatus
from yiyangkang.domain.homebed.renovation import RenovationStatus, RenovationTask
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest

A = TypeVar("A", bound=Aggregate)

_NUMBER = {"number": ("NUMBER_TAKEN", "编号重复，请重试")}


class DocumentRepository(SqlRepository[A]):
    model: ClassVar[type[Any]]
    sealed: ClassVar[bool] = False

    def columns(self, item: A) -> dict[str, Any]:
        """The columns beside the document."""
        return {}

    def to_row(self, item: A) -> dict[str, Any]:
        doc = to_document(item)
        return {**common_columns(item), **self.columns(item),
                "doc": self.ctx.seal_json(doc) if self.sealed else doc}

    def from_row(self, row: Any) -> A:
        doc = self.ctx.open_json(row.doc) if self.sealed else row.doc
        item: A = from_document(doc, self.model, row.version)
        return item

    def _owned(self, visibility: Visibility, *, account_column: str | None = None, **equals: Any) -> Select[Any]:
        """Rows within `visibility` (joined to their institution for subtree scopes), matching `equals`."""
        c, i = self.table.c, t.institutions.c
        stmt = select(self.table).join(t.institutions, i.id == c.institution_id).where(
            visibility_clause(visibility, institution_id=c.institution_id, institution_path=i.path,
                              elder_id=c.get("elder_id"), account_id=c[account_column] if account_column else None)
        )
        for name, value in equals.items():
            if value is not None:
                stmt = stmt.where(c[name] == (value.value if isinstance(value, Enum) else value))
        return self._newest_first(stmt)

    def _rows(self, stmt: Select[Any]) -> list[A]:
        return [self.from_row(r) for r in self.conn.execute(stmt)]


class SqlCatalog(DocumentRepository[A]):
    def columns(self, item: Any) -> dict[str, Any]:
        return {"name": item.name, "active": item.active}

    def all(self, *, active: bool | None = None) -> Sequence[A]:
        c = self.table.c
        stmt = select(self.table).order_by(c.created_at, c.id)
        return self._rows(stmt if active is None else stmt.where(c.active == active))


class SqlServiceItems(SqlCatalog[ServiceItem]):
    table, model = t.hb_service_items, ServiceItem
    conflicts = {"name": ("SERVICE_ITEM_NAME_TAKEN", "已有同名服务项目")}


class SqlSubsidyTypes(SqlCatalog[SubsidyType]):
    table, model = t.hb_subsidy_types, SubsidyType
    conflicts = {"region": ("SUBSIDY_TYPE_NAME_TAKEN", "该地区已有同名补贴类型"),
                 "name": ("SUBSIDY_TYPE_NAME_TAKEN", "该地区已有同名补贴类型")}

    def columns(self, item: SubsidyType) -> dict[str, Any]:
        return {**super().columns(item), "region_code": item.region_code}


class SqlRenovationItems(SqlCatalog[RenovationItem]):
    table, model = t.hb_renovation_items, RenovationItem
    conflicts = {"name": ("RENOVATION_ITEM_NAME_TAKEN", "已有同名改造项目")}


class SqlScales(SqlCatalog[AssessmentScale]):
    table, model = t.hb_scales, AssessmentScale
    conflicts = {"name": ("SCALE_NAME_TAKEN", "已有同名评估量表")}


class SqlSettings(DocumentRepository[BusinessSettings]):
    table, model = t.hb_settings, BusinessSettings


class SqlApplications(DocumentRepository[BedApplication]):
    table, model, sealed = t.hb_applications, BedApplication, True
    conflicts = {"open_id_card": ("BED_APPLICATION_EXISTS", "该老人已有待审核或待签约的床位申请"),
                 "id_card_hash": ("BED_APPLICATION_EXISTS", "该老人已有待审核或待签约的床位申请"), **_NUMBER}

    def columns(self, a: BedApplication) -> dict[str, Any]:
        return {"number": a.number, "institution_id": a.institution_id, "elder_id": a.elder_id,
                "status": a.status.value, "elder_name": a.elder_name,
                "id_card_hash": self.ctx.fingerprint(a.id_card_no), "applicant_account_id": a.applicant_account_id}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ApplicationStatus | None = None,
        institution_id: str | None = None, keyword: str | None = None,
    ) -> Page[BedApplication]:
        stmt = self._owned(visibility, account_column="applicant_account_id", status=status,
                           institution_id=institution_id)
        return self._page(stmt.where(keyword_clause(keyword, self.table.c.number, self.table.c.elder_name)), page)

    def open_for_id_card(self, id_card_no: str) -> Sequence[BedApplication]:
        c = self.table.c
        return self._rows(select(self.table).where(
            c.id_card_hash == self.ctx.fingerprint(id_card_no),
            c.status.in_([ApplicationStatus.SUBMITTED.value, ApplicationStatus.APPROVED.value]),
        ))


class SqlContracts(DocumentRepository[Contract]):
    table, model = t.hb_contracts, Contract
    conflicts = _NUMBER

    def columns(self, c: Contract) -> dict[str, Any]:
        return {"number": c.number, "institution_id": c.institution_id, "elder_id": c.elder_id,
                "status": c.status.value, "region_code": c.region_code, "elder_name": c.elder_name,
                "elder_id_card_masked": c.elder_id_card_masked, "sign_date": c.sign_date,
                "start_date": c.terms.start_date, "expiry_date": c.terms.expiry_date,
                "terminated_on": c.terminated_on, "subsidy_type_id": c.terms.subsidy_type_id,
                "renewed_by_id": c.renewed_by_id}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ContractStatus | None = None,
        institution_id: str | None = None, elder_id: str | None = None, keyword: str | None = None,
    ) -> Page[Contract]:
        stmt = self._owned(visibility, status=status, institution_id=institution_id, elder_id=elder_id)
        return self._page(stmt.where(keyword_clause(keyword, self.table.c.number, self.table.c.elder_name)), page)

    def in_term_for_elder(self, elder_id: str) -> Sequence[Contract]:
        c = self.table.c
        return self._rows(select(self.table).where(
            c.elder_id == elder_id, c.status.in_([ContractStatus.PENDING_START.value, ContractStatus.ACTIVE.value])))

    def due_to_roll(self, today: date) -> Sequence[str]:
        c = self.table.c
        stmt = select(c.id).where(or_(
            (c.status == ContractStatus.PENDING_START.value) & (c.start_date <= today),
            (c.status == ContractStatus.ACTIVE.value) & (c.expiry_date < today),
        )).order_by(c.id)
        return list(self.conn.execute(stmt).scalars())

    def expiring(self, today: date, until: date) -> Sequence[Contract]:
        c = self.table.c
        return self._rows(select(self.table).where(
            c.status == ContractStatus.ACTIVE.value, c.renewed_by_id.is_(None), c.expiry_date >= today,
            c.expiry_date <= until,
        ).order_by(c.expiry_date, c.id))


class SqlAssessments(DocumentRepository[Assessment]):
    table, model = t.hb_assessments, Assessment

    def columns(self, a: Assessment) -> dict[str, Any]:
        return {"institution_id": a.institution_id, "elder_id": a.elder_id, "contract_id": a.contract_id,
                "assessed_on": a.assessed_on}

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
        contract_id: str | None = None,
    ) -> Page[Assessment]:
        return self._page(self._owned(visibility, elder_id=elder_id, contract_id=contract_id), page)


class SqlOrders(DocumentRepository[HomeBedOrder]):
    table, model = t.hb_orders, HomeBedOrder
    conflicts = _NUMBER

    def columns(self, o: HomeBedOrder) -> dict[str, Any]:
        return {
            "number": o.number, "institution_id": o.institution_id, "elder_id": o.elder_id,
            "contract_id": o.contract_id, "region_code": o.region_code, "subsidy_type_id": o.subsidy_type_id,
            "service_item_id": o.service_item_id, "item_name": o.item_name, "status": o.status.value,
            "staff_id": o.staff_id, "supplementary": o.supplementary, "scheduled_at": o.scheduled_at,
            "started_at": o.started_at, "completed_at": o.completed_at, "price_fen": o.price.fen,
            "subsidy_fen": o.subsidy.fen, "self_pay_fen": o.self_pay.fen,
        }

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: OrderStatus | None = None,
        institution_id: str | None = None, elder_id: str | None = None, contract_id: str | None = None,
        staff_id: str | None = None, supplementary: bool | None = None, keyword: str | None = None,
    ) -> Page[HomeBedOrder]:
        stmt = self._owned(visibility, status=status, institution_id=institution_id, elder_id=elder_id,
                           contract_id=contract_id, staff_id=staff_id, supplementary=supplementary)
        return self._page(stmt.where(keyword_clause(keyword, self.table.c.number, self.table.c.item_name)), page)

    def open_for_contract(self, contract_id: str) -> Sequence[HomeBedOrder]:
        c = self.table.c
        return self._rows(select(self.table).where(c.contract_id == contract_id,
                                                   c.status.in_([s.value for s in OPEN])).order_by(c.id))

    def scan_candidates(self, since: datetime) -> Iterator[HomeBedOrder]:
        c = self.table.c
        stmt = select(self.table).where(or_(
            c.status.in_([*(s.value for s in OPEN), OrderStatus.IN_SERVICE.value]),
            (c.status == OrderStatus.COMPLETED.value) & (c.completed_at >= since),
        )).order_by(c.created_at, c.id)
        for row in self.conn.execute(stmt.execution_options(yield_per=2000)):
            yield self.from_row(row)

    def overlapping(self, elder_id: str, start: datetime, end: datetime) -> Sequence[HomeBedOrder]:
        c = self.table.c
        return self._rows(select(self.table).where(
            c.elder_id == elder_id, c.status != OrderStatus.CANCELLED.value, c.started_at < end,
            # a visit still in service has not ended yet
            or_(c.status == OrderStatus.IN_SERVICE.value, c.completed_at > start),
        ))

    def add_many(self, orders: Sequence[HomeBedOrder]) -> None:
        if orders:
            rows = [self.to_row(o) for o in orders]
            self._write(lambda: self.conn.execute(self.table.insert(), rows))
            self.ctx.touched.extend(orders)


class SqlExceptions(DocumentRepository[ExceptionOrder]):
    table, model = t.hb_exceptions, ExceptionOrder
    conflicts = {"order_type": ("HOMEBED_EXCEPTION_EXISTS", "该订单已有同类异常单"),
                 "order_id": ("HOMEBED_EXCEPTION_EXISTS", "该订单已有同类异常单")}

    def columns(self, e: ExceptionOrder) -> dict[str, Any]:
        return {"institution_id": e.institution_id, "elder_id": e.elder_id, "order_id": e.order_id,
                "type": e.type.value, "status": e.status.value}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: ReviewStatus | None = None,
        type: ExceptionKind | None = None, institution_id: str | None = None, order_id: str | None = None,
    ) -> Page[ExceptionOrder]:
        return self._page(self._owned(visibility, status=status, type=type, institution_id=institution_id,
                                      order_id=order_id), page)

    def raised_for(self, order_ids: Iterable[str]) -> set[tuple[str, ExceptionKind]]:
        ids, c = sorted(set(order_ids)), self.table.c
        found: set[tuple[str, ExceptionKind]] = set()
        for n in range(0, len(ids), 500):
            stmt = select(c.order_id, c.type).where(c.order_id.in_(ids[n : n + 500]))
            found.update((o, ExceptionKind(k)) for o, k in self.conn.execute(stmt))
        return found


class SqlRenovationTasks(DocumentRepository[RenovationTask]):
    table, model = t.hb_renovation_tasks, RenovationTask
    conflicts = _NUMBER

    def columns(self, r: RenovationTask) -> dict[str, Any]:
        return {"number": r.number, "institution_id": r.institution_id, "elder_id": r.elder_id,
                "contract_id": r.contract_id, "staff_id": r.staff_id, "status": r.status.value}

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: RenovationStatus | None = None,
        contract_id: str | None = None, staff_id: str | None = None,
    ) -> Page[RenovationTask]:
        return self._page(self._owned(visibility, status=status, contract_id=contract_id, staff_id=staff_id), page)


class SqlSequences:
    """Counters as rows; `UPDATE … RETURNING` takes the row lock, so parallel callers queue for it."""

    def __init__(self, ctx: Any) -> None:
        self.conn = ctx.conn

    def next(self, key: str) -> int:
        c = t.sequences.c
        bump = t.sequences.update().where(c.key == key).values(value=c.value + 1).returning(c.value)
        value = self.conn.execute(bump).scalar()
        if value is not None:
            return int(value)
        try:
            with self.conn.begin_nested():
                self.conn.execute(t.sequences.insert().values(key=key, value=1))
            return 1
        except IntegrityError:  # someone created the counter meanwhile: take the next one of theirs
            return int(self.conn.execute(bump).scalar_one())
