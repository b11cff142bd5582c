"""Renovation tasks (家床改造, HB-09, S-07): dispatch the contract's renovation plan item by item to
renovation staff; the worker records progress with photos and confirms the work done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from yiyangkang.domain.homebed.contracts import IN_TERM
from yiyangkang.domain.homebed.renovation import RenovationStatus, RenovationTask
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, ValidationFailed
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import visibility
from yiyangkang.services.homebed.common import (
    Upload,
    check_worker,
    events_of,
    load_owned,
    next_number,
    read_file,
    store_upload,
    stored_uploads,
    today,
)
from yiyangkang.services.homebed.contracts import load_contract, rolled
from yiyangkang.services.homebed.views import RenovationTaskView
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

KIND = "改造任务"


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = True) -> RenovationTask:
    item = uow.renovation_tasks.lock(ident) if lock else uow.renovation_tasks.get(ident)
    return load_owned(uow, principal, op, item, KIND, ident)


def dispatch_renovation(rt: Runtime, principal: Principal, contract_id: str, renovation_item_id: str,
                        staff_id: str) -> RenovationTaskView:
    """派工 of one line of the contract's renovation plan; a line has one live task at a time."""
    with rt.uow() as uow:
        contract = rolled(uow, load_contract(uow, principal, Operation.RENOVATION_DISPATCH, contract_id, lock=True),
                          today(rt), rt.clock.now())
        if contract.status not in IN_TERM:
            raise Conflict("签约已到期或已解约，不能派工改造", code="HOMEBED_CONTRACT_NOT_IN_TERM",
                           details={"status": contract.status.value})
        line = next((r for r in contract.terms.renovation_plan if r.renovation_item_id == renovation_item_id), None)
        checks = Checks()
        checks.require("renovation_item_id", line is not None, "该改造项目不在签约的改造方案内", "NOT_IN_PLAN")
        check_worker(uow, checks, staff_id, contract.institution_id)
        checks.done()
        assert line is not None
        live = uow.renovation_tasks.list(visibility(principal, Operation.RENOVATION_DISPATCH), PageRequest(1, 100),
                                         contract_id=contract.id).items
        if any(t.renovation_item_id == renovation_item_id and t.status is not RenovationStatus.CANCELLED
               for t in live):
            raise Conflict("该改造项目已派工", code="RENOVATION_ALREADY_DISPATCHED")
        item = uow.renovation_items.get(renovation_item_id)
        if item is None:
            raise ValidationFailed([FieldError("renovation_item_id", "改造项目不存在", "UNKNOWN_RENOVATION_ITEM")])
        now = rt.clock.now()
        task = RenovationTask(
            id=rt.ids.new_id(), number=next_number(uow, NumberKind.RENOVATION, now),
            institution_id=contract.institution_id, contract_id=contract.id, elder_id=contract.elder_id,
            renovation_item_id=item.id, item_name=line.item_name, quantity=line.quantity, unit_price=item.price,
            staff_id=staff_id, dispatched_by=principal.account_id, created_at=now,
        )
        task.record_created(principal.actor, now, name="dispatched")
        uow.renovation_tasks.add(task)
        uow.commit()
        return RenovationTaskView.of(task)


def _change(rt: Runtime, principal: Principal, op: Operation, ident: str,
            action: Callable[[UnitOfWork, RenovationTask, datetime], None]) -> RenovationTaskView:
    """One command on one task: load it locked and in scope, act, save, commit."""
    with rt.uow() as uow:
        task = _load(uow, principal, op, ident)
        action(uow, task, rt.clock.now())
        uow.renovation_tasks.save(task)
        uow.commit()
        return RenovationTaskView.of(task)


def reassign_renovation(rt: Runtime, principal: Principal, ident: str, staff_id: str) -> RenovationTaskView:
    def reassign(uow: UnitOfWork, task: RenovationTask, now: datetime) -> None:
        checks = Checks()
        check_worker(uow, checks, staff_id, task.institution_id)
        checks.done()
        task.reassign(staff_id, principal.actor, now)

    return _change(rt, principal, Operation.RENOVATION_DISPATCH, ident, reassign)


def record_progress(rt: Runtime, principal: Principal, ident: str, note: str,
                    photos: Sequence[Upload] = ()) -> RenovationTaskView:
    """改造跟进 by the assigned worker, with photos of the work."""
    with rt.uow() as uow:
        task = _load(uow, principal, Operation.RENOVATION_WORK, ident)
        checks = Checks()
        text = checks.text("note", note, label="进展说明", max_len=500, required=False)
        checks.done()
        task.ensure_worker(principal.staff_id)  # refuse strangers before their files are stored
        with stored_uploads(rt) as refs:
            for n, upload in enumerate(photos):
                refs.append(store_upload(rt, "renovation", upload, field=f"photos.{n}"))
                if refs[-1].content_type == "application/pdf":
                    raise ValidationFailed([FieldError(f"photos.{n}", "现场照片只能是 JPG 或 PNG", "UNSUPPORTED_TYPE")])
            task.record_progress(principal.staff_id, text or "", tuple(refs), principal.actor, rt.clock.now())
            uow.renovation_tasks.save(task)
            uow.commit()
        return RenovationTaskView.of(task)


def finish_renovation(rt: Runtime, principal: Principal, ident: str) -> RenovationTaskView:
    """确认完工 by the assigned worker."""
    return _change(rt, principal, Operation.RENOVATION_WORK, ident,
                   lambda _u, task, now: task.finish(principal.staff_id, principal.actor, now))


def cancel_renovation(rt: Runtime, principal: Principal, ident: str, reason: str) -> RenovationTaskView:
    return _change(rt, principal, Operation.RENOVATION_DISPATCH, ident,
                   lambda _u, task, now: task.cancel(reason.strip(), principal.actor, now))


def get_renovation(rt: Runtime, principal: Principal, ident: str) -> RenovationTaskView:
    with rt.uow() as uow:
        return RenovationTaskView.of(_load(uow, principal, Operation.RENOVATION_READ, ident, lock=False))


def renovation_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _load(uow, principal, Operation.RENOVATION_READ, ident, lock=False)
        return events_of(uow, ident)


def renovation_photo(rt: Runtime, principal: Principal, ident: str, key: str) -> tuple[FileRef, bytes]:
    with rt.uow() as uow:
        task = _load(uow, principal, Operation.RENOVATION_READ, ident, lock=False)
        ref = next((p for entry in task.progress for p in entry.photos if p.key == key), None)
        return read_file(rt, ref, key)


def list_renovations(rt: Runtime, principal: Principal, page: PageRequest, *, status: RenovationStatus | None = None,
                     contract_id: str | None = None, staff_id: str | None = None,
                     mine: bool = False) -> Page[RenovationTaskView]:
    vis = visibility(principal, Operation.RENOVATION_READ)
    if mine:
        if principal.staff_id is None:
            raise ValidationFailed([FieldError("mine", "只有服务人员有自己的任务列表", "NOT_STAFF")])
        staff_id = principal.staff_id
    with rt.uow() as uow:
        return uow.renovation_tasks.list(vis, page, status=status, contract_id=contract_id,
                                         staff_id=staff_id).map(RenovationTaskView.of)
