"""Assessments (家床评估, HB-08): periodic or ad-hoc assessments of contracted elders with a scale."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from yiyangkang.domain.homebed.assessment import Assessment, AssessmentKind
from yiyangkang.domain.homebed.contracts import IN_TERM
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.services.access import visibility
from yiyangkang.services.homebed.common import load_owned, today
from yiyangkang.services.homebed.contracts import load_contract, rolled
from yiyangkang.services.homebed.views import AssessmentView
from yiyangkang.services.runtime import Runtime

KIND = "评估记录"
_TYPE = choice(AssessmentKind, "评估类型应为 periodic（周期评估）或 ad_hoc（临时评估）")


def assess(
    rt: Runtime, principal: Principal, contract_id: str, *, scale_id: str, answers: Mapping[str, int],
    type: str = AssessmentKind.PERIODIC.value, assessed_on: date | None = None, note: str = "",
) -> AssessmentView:
    """新增评估 of an elder whose contract is pending start or active (签约中)."""
    with rt.uow() as uow:
        contract = rolled(uow, load_contract(uow, principal, Operation.ASSESSMENT_WRITE, contract_id, lock=True),
                          today(rt), rt.clock.now())
        if contract.status not in IN_TERM:
            raise Conflict("只能评估签约中的老人", code="HOMEBED_CONTRACT_NOT_IN_TERM",
                           details={"status": contract.status.value})
        checks = Checks()
        kind = checks.parse("type", _TYPE, type)
        checks.require("type", kind is not AssessmentKind.SIGNING, "签约评估只能在签约时填写", "SIGNING_ONLY")
        day = assessed_on or today(rt)
        checks.require("assessed_on", day <= today(rt), "评估日期不能晚于今天", "IN_FUTURE")
        text = checks.text("note", note, label="评估说明", max_len=500, required=False)
        scale = uow.scales.get(scale_id)
        checks.require("scale_id", scale is not None and scale.active, "评估量表不存在或已停用", "UNKNOWN_SCALE")
        checks.done()
        assert scale is not None
        assert kind is not None
        scored, total, level = scale.score(answers)
        now = rt.clock.now()
        item = Assessment(
            id=rt.ids.new_id(), institution_id=contract.institution_id, elder_id=contract.elder_id,
            contract_id=contract.id, scale_id=scale.id, scale_name=scale.name, type=kind, answers=scored, total=total,
            level=level, assessed_on=day, assessor_id=principal.account_id, remark=text or "", created_at=now,
        )
        item.record_created(principal.actor, now, name="assessed")
        uow.assessments.add(item)
        uow.commit()
        return AssessmentView.of(item)


def get_assessment(rt: Runtime, principal: Principal, ident: str) -> AssessmentView:
    with rt.uow() as uow:
        return AssessmentView.of(load_owned(uow, principal, Operation.ASSESSMENT_READ, uow.assessments.get(ident),
                                            KIND, ident))


def list_assessments(rt: Runtime, principal: Principal, page: PageRequest, *, elder_id: str | None = None,
                     contract_id: str | None = None) -> Page[AssessmentView]:
    vis = visibility(principal, Operation.ASSESSMENT_READ)
    with rt.uow() as uow:
        return uow.assessments.list(vis, page, elder_id=elder_id, contract_id=contract_id).map(AssessmentView.of)


