"""Procurement institutions (政采机构, A-11): the institutions that may take vouchers, kept by the platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Actor, Aggregate


@define(slots=False, kw_only=True)
class ProcurementInstitution(Aggregate):
    """An institution on the government-procurement list; `id` is the institution's id. Taken off the list it
    stays on record (`active` false) so past consumption still names it."""

    kind = "voucher_institution"

    name: str
    active: bool = True
    contract_no: str = ""  # 政府采购合同编号
    remark: str = ""
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"active": self.active, "contract_no": self.contract_no, "remark": self.remark}

    def set_active(self, active: bool, actor: Actor, at: datetime, reason: str = "") -> bool:
        return self.change({"active": active}, actor, at, name="listed" if active else "delisted", reason=reason)
