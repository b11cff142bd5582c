"""The elder's file (老年人档案): identity, contact, region, emergency contacts, primary doctor."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.masking import mask_id_card, mask_name, mask_phone


class Gender(StrEnum):
    MALE = "male"  # 男
    FEMALE = "female"  # 女


GENDER_LABELS = {Gender.MALE: "男", Gender.FEMALE: "女"}


@frozen
class EmergencyContact:
    """紧急联系人: a person to call when the elder has an emergency."""

    name: str
    phone: str
    relation: str  # 关系: 子女、配偶、邻居 …


@define(slots=False, kw_only=True)
class Elder(Aggregate):
    """One elder's file, kept by one institution (建档机构) which scopes who may see it.

    `id_card_no` and `phone` are personal data: encrypted at rest, masked in lists, logs and exports,
    with a keyed hash of the ID number for exact lookups and uniqueness.
    """

    kind = "elder"
    masked_fields = {
        "id_card_no": mask_id_card,
        "birth_date": lambda d: d[:4] if d else d,  # the full date would complete the masked ID number
        "phone": mask_phone,
        "emergency_contacts": lambda cs: [
            {"name": mask_name(c["name"]), "phone": mask_phone(c["phone"]), "relation": c["relation"]}
            for c in cs
        ],
    }

    institution_id: str
    name: str
    gender: Gender
    birth_date: date
    id_card_no: str
    phone: str | None = None
    region_code: str
    emergency_contacts: tuple[EmergencyContact, ...] = ()
    primary_doctor_id: str | None = None  # a StaffMember whose profession is doctor
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name, "gender": self.gender.value, "birth_date": self.birth_date.isoformat(),
            "id_card_no": self.id_card_no, "phone": self.phone, "region_code": self.region_code,
            "institution_id": self.institution_id, "primary_doctor_id": self.primary_doctor_id,
            "emergency_contacts": [
                {"name": c.name, "phone": c.phone, "relation": c.relation} for c in self.emergency_contacts
            ],
        }
