"""Bed applications (床位申请, HB-01/HB-02, S-04): filed by the elder, a family member or a staff
member on the elder's behalf; editable and withdrawable until signed; reviewed before signing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.elders.elder import Gender
from yiyangkang.domain.kernel.errors import Conflict, FieldError, ValidationFailed
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.masking import mask_address, mask_id_card, mask_name, mask_phone

MAX_MATERIALS = 10


class ApplicationStatus(StrEnum):
    SUBMITTED = "submitted"  # 待审核
    APPROVED = "approved"  # 审核通过（待签约）
    REJECTED = "rejected"  # 审核驳回
    WITHDRAWN = "withdrawn"  # 已撤回
    SIGNED = "signed"  # 已签约


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.SUBMITTED: "待审核", ApplicationStatus.APPROVED: "待签约",
    ApplicationStatus.REJECTED: "已驳回", ApplicationStatus.WITHDRAWN: "已撤回", ApplicationStatus.SIGNED: "已签约",
}

S = ApplicationStatus
APPLICATION_LIFECYCLE = Lifecycle.of("bed_application", {
    S.SUBMITTED: {S.APPROVED, S.REJECTED, S.WITHDRAWN},
    # An edit after the review sends the application back to review (resubmitted).
    S.APPROVED: {S.SIGNED, S.WITHDRAWN, S.SUBMITTED},
    S.REJECTED: {S.SUBMITTED, S.WITHDRAWN},
})
EDITABLE = frozenset({S.SUBMITTED, S.APPROVED, S.REJECTED})


class ApplicantKind(StrEnum):
    SELF = "self"  # 本人申请
    FAMILY = "family"  # 家属代申请
    STAFF = "staff"  # 工作人员代申请 (S-04)


APPLICANT_KIND_LABELS = {ApplicantKind.SELF: "本人", ApplicantKind.FAMILY: "家属", ApplicantKind.STAFF: "工作人员"}


@define(slots=False, kw_only=True)
class BedApplication(Aggregate):
    """床位申请. The elder's details are what the applicant typed; they become (or are matched to) the
    elder's file when the contract is signed."""

    kind = "bed_application"
    masked_fields = {"elder_name": mask_name, "id_card_no": mask_id_card, "phone": mask_phone,
                     "address": mask_address, "applicant_name": mask_name, "applicant_phone": mask_phone,
                     "birth_date": lambda d: d[:4] if d else d,
                     # Health status and scans' names are health data: the trail says only that they changed.
                     "condition": lambda c: "***" if c else c, "materials": len}

    number: str
    institution_id: str
    status: ApplicationStatus = ApplicationStatus.SUBMITTED
    # The elder (老人信息)
    elder_name: str
    gender: Gender
    birth_date: date
    id_card_no: str
    phone: str | None = None
    region_code: str  # where the elder lives, down to the street where known
    address: str
    condition: str = ""  # 健康状况/申请原因
    elder_id: str | None = None  # the elder's file, when there is one already
    # The applicant (申请人)
    applicant_kind: ApplicantKind
    applicant_name: str
    applicant_phone: str
    applicant_account_id: str
    materials: tuple[FileRef, ...] = ()  # 证明材料
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    contract_id: str | None = None
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "elder_name": self.elder_name, "gender": self.gender.value, "birth_date": self.birth_date.isoformat(),
            "id_card_no": self.id_card_no, "phone": self.phone, "region_code": self.region_code,
            "address": self.address, "condition": self.condition, "applicant_kind": self.applicant_kind.value,
            "applicant_name": self.applicant_name, "applicant_phone": self.applicant_phone,
            "materials": [m.name for m in self.materials],
        }

    def _editable(self) -> None:
        if self.status not in EDITABLE:
            raise Conflict("申请已签约或已撤回，不能再修改", code="BED_APPLICATION_NOT_EDITABLE",
                           details={"status": self.status.value})

    def _back_to_review(self, actor: Actor, at: datetime) -> None:
        if self.status is not S.SUBMITTED:
            APPLICATION_LIFECYCLE.move(self, S.SUBMITTED, actor=actor, at=at, event="resubmitted",
                                       reason="申请内容已修改，需重新审核")
            self.review_note, self.reviewed_by, self.reviewed_at = "", None, None

    def edit(self, changes: Mapping[str, Any], actor: Actor, at: datetime) -> bool:
        """Change the form; an application already reviewed goes back to review."""
        self._editable()
        changed = self.change(changes, actor, at)
        if changed:
            self._back_to_review(actor, at)
        return changed

    def attach(self, material: FileRef, actor: Actor, at: datetime) -> None:
        self._editable()
        if len(self.materials) >= MAX_MATERIALS:
            raise ValidationFailed([FieldError("file", f"证明材料最多{MAX_MATERIALS}份", "TOO_MANY")])
        self.change({"materials": (*self.materials, material)}, actor, at, name="material_attached")
        self._back_to_review(actor, at)

    def detach(self, key: str, actor: Actor, at: datetime) -> FileRef | None:
        self._editable()
        found = next((m for m in self.materials if m.key == key), None)
        if found is not None:
            self.change({"materials": tuple(m for m in self.materials if m.key != key)}, actor, at,
                        name="material_removed")
            self._back_to_review(actor, at)
        return found

    def approve(self, note: str, actor: Actor, at: datetime) -> None:
        APPLICATION_LIFECYCLE.move(self, S.APPROVED, actor=actor, at=at, reason=note)
        self.review_note, self.reviewed_by, self.reviewed_at = note, actor.id, at

    def reject(self, reason: str, actor: Actor, at: datetime) -> None:
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "请填写驳回原因", "REQUIRED")])
        APPLICATION_LIFECYCLE.move(self, S.REJECTED, actor=actor, at=at, reason=reason)
        self.review_note, self.reviewed_by, self.reviewed_at = reason, actor.id, at

    def withdraw(self, reason: str, actor: Actor, at: datetime) -> None:
        APPLICATION_LIFECYCLE.move(self, S.WITHDRAWN, actor=actor, at=at, reason=reason)

    def ensure_signable(self) -> None:
        """A contract comes only from an approved application (必须走申请才可签约)."""
        if self.status is not S.APPROVED:
            raise Conflict("只有审核通过的申请才能签约", code="BED_APPLICATION_NOT_APPROVED",
                           details={"status": self.status.value})

    def mark_signed(self, contract_id: str, elder_id: str, actor: Actor, at: datetime) -> None:
        self.ensure_signable()
        APPLICATION_LIFECYCLE.move(self, S.SIGNED, actor=actor, at=at)
        self.contract_id, self.elder_id = contract_id, elder_id
