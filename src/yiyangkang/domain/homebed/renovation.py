"""Renovation tasks (家床改造, HB-09, S-07): a signed contract's renovation plan dispatched item by item
to renovation staff, who record progress with photos and confirm the work done.

    dispatched ──progress──▶ in_progress ──finish──▶ completed
        └──────────── cancel ──────────────┘─▶ cancelled
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.money import Money

MAX_PHOTOS_PER_ENTRY = 9


class RenovationStatus(StrEnum):
    DISPATCHED = "dispatched"  # 已派工
    IN_PROGRESS = "in_progress"  # 改造中
    COMPLETED = "completed"  # 已完工
    CANCELLED = "cancelled"  # 已取消


RENOVATION_STATUS_LABELS = {RenovationStatus.DISPATCHED: "已派工", RenovationStatus.IN_PROGRESS: "改造中",
                            RenovationStatus.COMPLETED: "已完工", RenovationStatus.CANCELLED: "已取消"}
R = RenovationStatus
RENOVATION_LIFECYCLE = Lifecycle.of("renovation_task", {
    R.DISPATCHED: {R.IN_PROGRESS, R.CANCELLED},
    R.IN_PROGRESS: {R.COMPLETED, R.CANCELLED},
})


@frozen
class ProgressEntry:
    """改造跟进: what was done, when, by whom, with photos."""

    at: datetime
    staff_id: str
    note: str
    photos: tuple[FileRef, ...] = ()


@define(slots=False, kw_only=True)
class RenovationTask(Aggregate):
    kind = "renovation_task"

    number: str  # GZ2026112600001
    institution_id: str
    contract_id: str
    elder_id: str
    renovation_item_id: str
    item_name: str
    quantity: int
    unit_price: Money
    staff_id: str  # renovation worker
    status: RenovationStatus = RenovationStatus.DISPATCHED
    progress: tuple[ProgressEntry, ...] = ()
    dispatched_by: str
    completed_at: datetime | None = None
    cancel_reason: str = ""
    created_at: datetime

    @property
    def amount(self) -> Money:
        return self.unit_price * self.quantity

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "item": self.item_name, "quantity": self.quantity, "staff_id": self.staff_id}

    def ensure_worker(self, staff_id: str | None) -> None:
        if staff_id != self.staff_id:
            raise PermissionDenied("只有被派工的人员可以跟进该改造任务", code="RENOVATION_TASK_NOT_YOURS")

    def reassign(self, staff_id: str, actor: Actor, at: datetime) -> None:
        if self.status is not R.DISPATCHED:
            raise Conflict("改造已开始，不能改派", code="RENOVATION_TASK_STARTED",
                           details={"status": self.status.value})
        self.change({"staff_id": staff_id}, actor, at, name="reassigned")

    def record_progress(self, staff_id: str | None, note: str, photos: tuple[FileRef, ...], actor: Actor,
                        at: datetime) -> None:
        self.ensure_worker(staff_id)
        if self.status not in (R.DISPATCHED, R.IN_PROGRESS):
            raise Conflict("改造任务已结束", code="RENOVATION_TASK_CLOSED", details={"status": self.status.value})
        if not note.strip() and not photos:
            raise ValidationFailed([FieldError("note", "请填写进展或上传照片", "REQUIRED")])
        if len(photos) > MAX_PHOTOS_PER_ENTRY:
            raise ValidationFailed([FieldError("photos", f"每次最多{MAX_PHOTOS_PER_ENTRY}张照片", "TOO_MANY")])
        if self.status is R.DISPATCHED:
            RENOVATION_LIFECYCLE.move(self, R.IN_PROGRESS, actor=actor, at=at, event="started")
        self.progress = (*self.progress, ProgressEntry(at, self.staff_id, note.strip(), photos))
        self.note("progress", actor, at, after={"note": note.strip(), "photos": len(photos)})

    def finish(self, staff_id: str | None, actor: Actor, at: datetime) -> None:
        """确认完工: needs at least one photo of the work among the progress entries."""
        self.ensure_worker(staff_id)
        if not any(entry.photos for entry in self.progress):
            raise ValidationFailed([FieldError("photos", "请先上传改造完成的照片", "PHOTO_REQUIRED")])
        RENOVATION_LIFECYCLE.move(self, R.COMPLETED, actor=actor, at=at, event="completed")
        self.completed_at = at

    def cancel(self, reason: str, actor: Actor, at: datetime) -> None:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "请填写取消原因", "REQUIRED")])
        RENOVATION_LIFECYCLE.move(self, R.CANCELLED, actor=actor, at=at, reason=reason, event="cancelled")
        self.cancel_reason = reason
