"""Family members (家属) and their links to elders (家属关联).

A family account sees exactly the elders it is linked to; unlinking takes effect on the next request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.masking import mask_name, mask_phone


@define(slots=False, kw_only=True)
class FamilyMember(Aggregate):
    kind = "family_member"
    masked_fields = {"phone": mask_phone, "name": mask_name}

    name: str
    phone: str
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "phone": self.phone}


@define(slots=False, kw_only=True)
class FamilyLink(Aggregate):
    """家属关联: `family_member_id` may act for `elder_id` in the elder mini-program."""

    kind = "family_link"

    family_member_id: str
    elder_id: str
    relation: str  # 子女、配偶、孙辈、其他亲属 …
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"family_member_id": self.family_member_id, "elder_id": self.elder_id,
                "relation": self.relation}
