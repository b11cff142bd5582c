"""Supplier relations (服务商管理, A-10): an institution's admin applies for it to become another institution's
supplier for some of that institution's products, with share rates; the other's admin approves or rejects;
either side ends an approved relation; the platform sees them all.

Scope: the applicant's institution must be within the caller's reach (SUPPLIER_APPLY); the client reviews
(SUPPLIER_REVIEW within the client's subtree); a relation is read by both sides. A relation neither side
of which the caller reaches is answered like a missing one (404)."""

from __future__ import annotations

from datetime import date

from attrs import Factory, frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.settlement.relations import MAX_PRODUCTS, RelationStatus, SupplierRelation, check_terms
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, institution_of, load_institution, owner_target, require, visibility
from yiyangkang.services.names import Names
from yiyangkang.services.objects import events_of
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.settlement.views import RelationView
from yiyangkang.services.views import AuditEventView

KIND = "服务商关系"
NOT_FOUND_CODE = "SUPPLIER_RELATION_NOT_FOUND"


@frozen(kw_only=True)
class ApplyForm:
    client_id: str  # the institution to supply
    supplier_id: str | None = None  # the applicant; default: the caller's institution
    supplier_rate_bp: int | None = None
    platform_rate_bp: int | None = None
    product_ids: list[str] = Factory(list)
    valid_from: date | None = None  # default: today
    valid_to: date | None = None
    note: str = ""


def _view(uow: UnitOfWork, relation: SupplierRelation) -> RelationView:
    names = Names(uow)
    return RelationView.of(relation, {i: names.institution(i) for i in (relation.client_id, relation.supplier_id)})


def _reaches(uow: UnitOfWork, principal: Principal, op: Operation, institution_id: str) -> bool:
    return allows(principal, op, owner_target(uow, institution_id))


def apply(rt: Runtime, principal: Principal, form: ApplyForm) -> RelationView:
    """申请成为服务商: the rates, the client's products supplied, the period. A second application while one
    waits for review is refused; after a rejection a new one may be made."""
    supplier_id = institution_of(principal, Operation.SUPPLIER_APPLY, form.supplier_id)
    with rt.uow() as uow:
        uow.write_first()
        load_institution(uow, principal, Operation.SUPPLIER_APPLY, supplier_id)
        now = rt.clock.now()
        checks = Checks()
        client = uow.institutions.get(form.client_id)
        checks.require("client_id", client is not None, "机构不存在", "UNKNOWN_INSTITUTION")
        valid_from = form.valid_from or business_date(now)
        check_terms(checks, client_id=form.client_id, supplier_id=supplier_id,
                    supplier_rate_bp=form.supplier_rate_bp, platform_rate_bp=form.platform_rate_bp,
                    valid_from=valid_from, valid_to=form.valid_to)
        note = checks.text("note", form.note, label="申请说明", max_len=500, required=False) or ""
        product_ids = list(dict.fromkeys(form.product_ids))
        if checks.require("product_ids", len(product_ids) <= MAX_PRODUCTS, f"商品最多{MAX_PRODUCTS}个", "TOO_MANY"):
            products = uow.products.many(product_ids)
            for n, pid in enumerate(product_ids):
                found = products.get(pid)
                checks.require(f"product_ids.{n}", found is not None and found.institution_id == form.client_id,
                               "不是该机构的商品", "UNKNOWN_PRODUCT")
        checks.done()
        if uow.supplier_relations.pending(form.client_id, supplier_id) is not None:
            raise Conflict("已有待审核的申请，请等待对方审核", code="SUPPLIER_APPLICATION_PENDING")
        relation = SupplierRelation(
            id=rt.ids.new_id(), client_id=form.client_id, supplier_id=supplier_id,
            supplier_rate_bp=form.supplier_rate_bp or 0, platform_rate_bp=form.platform_rate_bp or 0,
            product_ids=tuple(product_ids), valid_from=valid_from, valid_to=form.valid_to, application_note=note,
            applied_by=principal.account_id, created_at=now)
        relation.record_created(principal.actor, now, name="applied")
        uow.supplier_relations.add(relation)
        uow.commit()
        return _view(uow, relation)


def _load(uow: UnitOfWork, principal: Principal, ident: str, *, lock: bool = False) -> SupplierRelation:
    """A relation either side of which the caller reaches for reading; else NotFound."""
    require(principal, Operation.SUPPLIER_READ)
    relation = uow.supplier_relations.lock(ident) if lock else uow.supplier_relations.get(ident)
    if relation is None or not any(_reaches(uow, principal, Operation.SUPPLIER_READ, i)
                                   for i in (relation.client_id, relation.supplier_id)):
        raise NotFound(KIND, ident, code=NOT_FOUND_CODE)
    return relation


def _as_client(uow: UnitOfWork, principal: Principal, relation: SupplierRelation) -> None:
    """Only the client (whose products and orders they are) decides an application."""
    require(principal, Operation.SUPPLIER_REVIEW)
    if not _reaches(uow, principal, Operation.SUPPLIER_REVIEW, relation.client_id):
        raise PermissionDenied("只有被申请的机构可以审核服务商申请", code="SUPPLIER_REVIEW_BY_CLIENT")


def review(rt: Runtime, principal: Principal, ident: str, *, approve: bool, note: str = "",
           expected_version: int | None = None) -> RelationView:
    """审核: approve, or reject with a reason. Approval is refused while another approved relation of the
    client supplies one of the same products in an overlapping period."""
    with rt.uow() as uow:
        uow.write_first()
        relation = _load(uow, principal, ident, lock=True)
        _as_client(uow, principal, relation)
        relation.expect_version(expected_version)
        now, note = rt.clock.now(), note.strip()[:500]
        if approve:
            relation.approve(note, uow.supplier_relations.of_client(relation.client_id,
                                                                     status=RelationStatus.APPROVED),
                             principal.actor, now)
        else:
            if not note:
                raise ValidationFailed([FieldError("note", "驳回须填写原因", "REQUIRED")])
            relation.reject(note, principal.actor, now)
        uow.supplier_relations.save(relation)
        uow.commit()
        return _view(uow, relation)


def terminate(rt: Runtime, principal: Principal, ident: str, reason: str,
              expected_version: int | None = None) -> RelationView:
    """终止 an approved relation, by either side: orders completed from now on are not shared with it."""
    why = reason.strip()[:200]
    if not why:
        raise ValidationFailed([FieldError("reason", "请填写终止原因", "REQUIRED")])
    with rt.uow() as uow:
        uow.write_first()
        relation = _load(uow, principal, ident, lock=True)
        require(principal, Operation.SUPPLIER_REVIEW)
        if not any(_reaches(uow, principal, Operation.SUPPLIER_REVIEW, i)
                   for i in (relation.client_id, relation.supplier_id)):
            raise PermissionDenied("只有合作双方可以终止服务商关系", code="SUPPLIER_TERMINATE_BY_PARTY")
        relation.expect_version(expected_version)
        now = rt.clock.now()
        relation.terminate(business_date(now), why, principal.actor, now)
        uow.supplier_relations.save(relation)
        uow.commit()
        return _view(uow, relation)


def get_relation(rt: Runtime, principal: Principal, ident: str) -> RelationView:
    with rt.uow() as uow:
        return _view(uow, _load(uow, principal, ident))


def relation_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _load(uow, principal, ident)
        return events_of(uow, ident)


def list_relations(rt: Runtime, principal: Principal, page: PageRequest, *, status: RelationStatus | None = None,
                   client_id: str | None = None, supplier_id: str | None = None) -> Page[RelationView]:
    """The caller's relations as client (本机构的服务商) or as supplier; the platform sees all (服务商列表)."""
    vis = visibility(principal, Operation.SUPPLIER_READ)
    with rt.uow() as uow:
        found = uow.supplier_relations.list(vis, page, status=status, client_id=client_id, supplier_id=supplier_id)
        return found.map(lambda r: _view(uow, r))
