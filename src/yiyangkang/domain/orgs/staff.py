"""Staff members (员工) of institutions and their professions (职业)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.masking import mask_phone


class Profession(StrEnum):
    SERVICE_WORKER = "service_worker"  # 服务人员/护理员
    NURSE = "nurse"  # 护士
    DOCTOR = "doctor"  # 医生
    DISPATCHER = "dispatcher"  # 调度员
    ASSESSOR = "assessor"  # 评估员
    RENOVATION_WORKER = "renovation_worker"  # 改造工人
    ADMINISTRATOR = "administrator"  # 机构管理人员


PROFESSION_LABELS = {
    Profession.SERVICE_WORKER: "服务人员",
    Profession.NURSE: "护士",
    Profession.DOCTOR: "医生",
    Profession.DISPATCHER: "调度员",
    Profession.ASSESSOR: "评估员",
    Profession.RENOVATION_WORKER: "改造工人",
    Profession.ADMINISTRATOR: "机构管理人员",
}


@define(slots=False, kw_only=True)
class StaffMember(Aggregate):
    """A person working for one institution. `phone` is personal data: stored encrypted."""

    kind = "staff"
    masked_fields = {"phone": mask_phone}

    institution_id: str
    name: str
    phone: str
    profession: Profession
    license_no: str | None = None  # 执业证书编号, for doctors and nurses
    active: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name, "phone": self.phone, "profession": self.profession.value,
            "license_no": self.license_no, "active": self.active,
            "institution_id": self.institution_id,
        }
