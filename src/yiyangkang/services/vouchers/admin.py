"""The platform's side of vouchers: which institutions take them (A-11) and the batches it issues (A-12)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.vouchers.acceptance import ProcurementInstitution
from yiyangkang.domain.vouchers.batches import BatchStatus, VoucherBatch, VoucherKind
from yiyangkang.services.access import require
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.vouchers.views import BatchView, ProcurementView

BATCH = "服务券批次"
MAX_FACE_FEN = 1_000_000  # ¥10,000 a voucher
MAX_QUOTA = 10_000_000


# -- procurement institutions (政采机构, A-11) ------------------------------------------------------
@frozen(kw_only=True)
class ProcurementForm:
    institution_id: str
    contract_no: str | None = None
    remark: str | None = None


def list_procurement(rt: Runtime, principal: Principal, page: PageRequest, *, active: bool | None = None,
                     keyword: str | None = None) -> Page[ProcurementView]:
    require(principal, Operation.VOUCHER_INSTITUTION_READ)
    with rt.uow() as uow:
        return uow.voucher_institutions.list(page, active=active, keyword=keyword).map(ProcurementView.of)


def put_on_list(rt: Runtime, principal: Principal, form: ProcurementForm) -> ProcurementView:
    """Allow an institution to take vouchers (again): listed anew, or its record reactivated."""
    require(principal, Operation.VOUCHER_INSTITUTION_WRITE)
    checks = Checks()
    contract_no = checks.text("contract_no", form.contract_no, label="采购合同编号", max_len=40, required=False)
    remark = checks.text("remark", form.remark, label="备注", max_len=200, required=False)
    checks.done()
    with rt.uow() as uow:
        uow.write_first()
        institution = uow.institutions.get(form.institution_id)
        if institution is None:
            raise ValidationFailed([FieldError("institution_id", "机构不存在", "NOT_FOUND")])
        now, found = rt.clock.now(), uow.voucher_institutions.lock(institution.id)
        if found is None:
            found = ProcurementInstitution(id=institution.id, name=institution.name, contract_no=contract_no or "",
                                           remark=remark or "", created_at=now)
            found.record_created(principal.actor, now, name="listed")
            uow.voucher_institutions.add(found)
        else:
            found.change({"active": True, "name": institution.name, "contract_no": contract_no or found.contract_no,
                          "remark": remark or found.remark}, principal.actor, now, name="listed")
            uow.voucher_institutions.save(found)
        uow.commit()
        return ProcurementView.of(found)


def take_off_list(rt: Runtime, principal: Principal, institution_id: str, reason: str = "") -> ProcurementView:
    """The institution takes no more vouchers; what was spent there stays owed and on record."""
    require(principal, Operation.VOUCHER_INSTITUTION_WRITE)
    with rt.uow() as uow:
        uow.write_first()
        found = uow.voucher_institutions.lock(institution_id)
        if found is None:
            raise NotFound("政采机构", institution_id)
        if found.set_active(False, principal.actor, rt.clock.now(), reason=reason.strip()[:200]):
            uow.voucher_institutions.save(found)
        uow.commit()
        return ProcurementView.of(found)


# -- batches (券批次) ---------------------------------------------------------------------------
@frozen(kw_only=True)
class BatchForm:
    name: str | None = None
    voucher_kind: VoucherKind = VoucherKind.GENERAL
    face_value_fen: int | None = None
    category_ids: Sequence[str] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    quota: int | None = None
    per_elder: int = 1
    region_code: str | None = None
    description: str | None = None


def _checked(rt: Runtime, form: BatchForm) -> dict[str, Any]:
    checks = Checks()
    name = checks.text("name", form.name, label="批次名称", max_len=60)
    face = checks.money("face_value_fen", form.face_value_fen, label="面值", maximum=MAX_FACE_FEN)
    checks.require("face_value_fen", face is None or face.fen > 0, "面值须大于0", "OUT_OF_RANGE")
    checks.require("valid_from", form.valid_from is not None, "请填写生效日期", "REQUIRED")
    checks.require("valid_until", form.valid_until is not None, "请填写截止日期", "REQUIRED")
    if form.valid_from and form.valid_until:
        checks.require("valid_until", form.valid_until >= form.valid_from, "截止日期不能早于生效日期", "OUT_OF_RANGE")
    checks.require("quota", form.quota is None or 1 <= form.quota <= MAX_QUOTA, f"发放总量应在1～{MAX_QUOTA}之间",
                   "OUT_OF_RANGE")
    checks.require("per_elder", 1 <= form.per_elder <= 100, "每人限领应在1～100张之间", "OUT_OF_RANGE")
    description = checks.text("description", form.description, label="说明", max_len=500, required=False)
    categories = tuple(sorted(set(form.category_ids)))  # a set: the order they were picked in means nothing
    region = (form.region_code or "").strip() or None
    with rt.uow() as uow:
        for n, ident in enumerate(categories):
            checks.require(f"category_ids.{n}", uow.mall_categories.get(ident) is not None, "服务分类不存在",
                           "NOT_FOUND")
        if region is not None:
            checks.require("region_code", uow.regions.get(region) is not None, "地区不存在", "NOT_FOUND")
    checks.done()
    return {"name": name, "voucher_kind": form.voucher_kind, "face_value": face, "category_ids": categories,
            "valid_from": form.valid_from, "valid_until": form.valid_until, "quota": form.quota,
            "per_elder": form.per_elder, "region_code": region, "description": description or ""}


def create_batch(rt: Runtime, principal: Principal, form: BatchForm) -> BatchView:
    require(principal, Operation.VOUCHER_BATCH_WRITE)
    values = _checked(rt, form)
    with rt.uow() as uow:
        now = rt.clock.now()
        batch = VoucherBatch(id=rt.ids.new_id(), created_at=now, **values)
        batch.record_created(principal.actor, now)
        uow.voucher_batches.add(batch)
        uow.commit()
        return BatchView.of(batch)


def update_batch(rt: Runtime, principal: Principal, ident: str, form: BatchForm, version: int | None = None
                 ) -> BatchView:
    """A draft may change in everything; once issued only its description and quota (never below what was
    granted), since elders hold vouchers on its terms."""
    require(principal, Operation.VOUCHER_BATCH_WRITE)
    values = _checked(rt, form)
    with rt.uow() as uow:
        uow.write_first()
        batch = uow.voucher_batches.lock(ident)
        if batch is None:
            raise NotFound(BATCH, ident)
        batch.expect_version(version)
        if batch.status is not BatchStatus.DRAFT:
            fixed = {k: v for k, v in values.items() if k not in ("description", "quota")}
            changed = [k for k, v in fixed.items() if getattr(batch, k) != v]
            if changed:
                raise ValidationFailed([FieldError("face_value_fen" if k == "face_value" else k,
                                                   "已发放的批次只能修改说明和发放总量", "VOUCHER_BATCH_ISSUED")
                                        for k in changed])
            quota = values["quota"]
            if quota is not None and quota < batch.granted:
                raise ValidationFailed([FieldError("quota", f"发放总量不能少于已发放的{batch.granted}张",
                                                   "OUT_OF_RANGE")])
        if batch.change(values, principal.actor, rt.clock.now()):
            uow.voucher_batches.save(batch)
        uow.commit()
        return BatchView.of(batch)


def issue_batch(rt: Runtime, principal: Principal, ident: str) -> BatchView:
    """开始发放: grants are allowed from now on."""
    return _move(rt, principal, ident, lambda b, actor, at: b.issue(actor, at))


def close_batch(rt: Runtime, principal: Principal, ident: str, reason: str = "") -> BatchView:
    """停发: no more grants; vouchers already granted stay valid until they expire."""
    return _move(rt, principal, ident, lambda b, actor, at: b.close(actor, at, reason.strip()[:200]))


def _move(rt: Runtime, principal: Principal, ident: str,
          step: Callable[[VoucherBatch, Actor, datetime], None]) -> BatchView:
    require(principal, Operation.VOUCHER_BATCH_WRITE)
    with rt.uow() as uow:
        uow.write_first()
        batch = uow.voucher_batches.lock(ident)
        if batch is None:
            raise NotFound(BATCH, ident)
        step(batch, principal.actor, rt.clock.now())
        uow.voucher_batches.save(batch)
        uow.commit()
        return BatchView.of(batch)


def list_batches(rt: Runtime, principal: Principal, page: PageRequest, *, status: BatchStatus | None = None
                 ) -> Page[BatchView]:
    require(principal, Operation.VOUCHER_BATCH_READ)
    with rt.uow() as uow:
        return uow.voucher_batches.list(page, status=status).map(BatchView.of)


def get_batch(rt: Runtime, principal: Principal, ident: str) -> BatchView:
    require(principal, Operation.VOUCHER_BATCH_READ)
    with rt.uow() as uow:
        batch = uow.voucher_batches.get(ident)
        if batch is None:
            raise NotFound(BATCH, ident)
        return BatchView.of(batch)
