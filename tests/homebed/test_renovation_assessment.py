"""Assessments (HB-08) and renovation tasks (HB-09, S-07) of contracted elders."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import FrozenClock, operator
from tests.homebed.helpers import ALL, build, field_codes, sign_plan, staff_login
from tests.homebed.setup import PDF, PNG
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.services.homebed import assessments, config, contracts, renovation
from yiyangkang.services.homebed.common import Upload
from yiyangkang.services.homebed.config import OptionForm, RenovationItemForm, ScaleForm, ScaleItemForm
from yiyangkang.services.homebed.contracts import RenovationLineForm, TermsForm

TODAY = date(2026, 11, 25)


def test_assessments_score_to_a_level(backend: Container, clock: FrozenClock) -> None:
    """HB-08: the signing assessment and later periodic/ad-hoc ones; the total maps to the scale's level; answers
    keep the wording of the day; only contracted elders in term are assessed."""
    w = build(backend)
    contract_id = w.contract(110)  # signed with eat=1 (需协助), walk=2 (卧床): total 3
    signing = assessments.list_assessments(w.rt, w.p("admin_A"), ALL, contract_id=contract_id).items
    assert [(a.type, a.total, a.level, a.assessed_on) for a in signing] == [("signing", 3, "中重度", TODAY)]
    contract = contracts.get_contract(w.rt, w.p("admin_A"), contract_id)
    assert contract.terms.assessment_id == signing[0].id

    def refused(**kw: object) -> set[tuple[str, str]]:
        args: dict[str, object] = {"scale_id": w.scale, "answers": {"eat": 0, "walk": 1}, **kw}
        with pytest.raises(ValidationFailed) as bad:
            assessments.assess(w.rt, w.p("staff_A"), contract_id, **args)  # type: ignore[arg-type]
        return field_codes(bad)

    assert refused(type="signing") == {("type", "SIGNING_ONLY")}
    assert refused(type="yearly", assessed_on=TODAY + timedelta(days=1)) == {
        ("type", "INVALID"), ("assessed_on", "IN_FUTURE")}
    assert refused(scale_id="no-such-scale") == {("scale_id", "UNKNOWN_SCALE")}
    assert refused(answers={"eat": 3, "bath": 0}) == {
        ("answers.eat", "INVALID_OPTION"), ("answers.walk", "REQUIRED"), ("answers.bath", "UNKNOWN_ITEM")}
    with pytest.raises(PermissionDenied):
        assessments.assess(w.rt, w.p("family_F"), contract_id, scale_id=w.scale, answers={"eat": 0, "walk": 0})
    with pytest.raises(NotFound):
        assessments.assess(w.rt, w.p("admin_B"), contract_id, scale_id=w.scale, answers={"eat": 0, "walk": 0})

    clock.advance(days=30)
    periodic = assessments.assess(w.rt, w.p("staff_A"), contract_id, scale_id=w.scale,
                                  answers={"eat": 0, "walk": 1}, note="恢复良好")
    assert (periodic.type, periodic.total, periodic.level, periodic.assessed_on) == (
        "periodic", 1, "轻度", TODAY + timedelta(days=30))
    assert [(a.question, a.option, a.score) for a in periodic.answers] == [("进食", "自理", 0), ("行走", "需协助", 1)]
    ad_hoc = assessments.assess(w.rt, w.p("admin_A"), contract_id, scale_id=w.scale, type="ad_hoc",
                                answers={"eat": 2, "walk": 2}, assessed_on=TODAY + timedelta(days=29))
    assert (ad_hoc.total, ad_hoc.level, ad_hoc.assessed_on) == (4, "中重度", TODAY + timedelta(days=29))
    # Rewording the scale later does not rewrite the records.
    config.update_entry(w.rt, operator(), config.SCALES, w.scale, ScaleForm(items=[
        ScaleItemForm(code="eat", question="进食能力", options=[OptionForm(label="独立", score=0),
                                                              OptionForm(label="部分", score=1),
                                                              OptionForm(label="完全依赖", score=2)]),
        ScaleItemForm(code="walk", question="行走能力", options=[OptionForm(label="独立", score=0),
                                                               OptionForm(label="部分", score=1),
                                                               OptionForm(label="卧床", score=2)])]))
    again = assessments.get_assessment(w.rt, w.p("admin_A"), periodic.id)
    assert [a.question for a in again.answers] == ["进食", "行走"]
    # The elder's family reads the assessments of their own elder only.
    elder_a = w.sign(w.apply(0))
    own = assessments.list_assessments(w.rt, w.p("family_F"), ALL).items
    assert [a.contract_id for a in own] == [elder_a]
    with pytest.raises(NotFound):
        assessments.get_assessment(w.rt, w.p("family_F"), periodic.id)
    with pytest.raises(NotFound):
        assessments.get_assessment(w.rt, w.p("admin_B"), periodic.id)
    assert assessments.list_assessments(w.rt, w.p("admin_A"), ALL, contract_id=contract_id).total == 3
    # Once the contract has expired, no more assessments.
    clock.advance(days=400)
    with pytest.raises(Conflict) as lapsed:
        assessments.assess(w.rt, w.p("admin_A"), contract_id, scale_id=w.scale, answers={"eat": 0, "walk": 0})
    assert lapsed.value.code == "HOMEBED_CONTRACT_NOT_IN_TERM"


def test_signing_without_assessment_or_renovation(memory: Container) -> None:
    """HB-03: the assessment and the renovation plan may be skipped."""
    w = build(memory)
    contract_id = sign_plan(w, w.apply(111), [w.nursing], subsidy=None)
    shown = contracts.get_contract(w.rt, w.p("admin_A"), contract_id)
    assert shown.terms.assessment_id is None and shown.terms.renovation_plan == []
    assert assessments.list_assessments(w.rt, w.p("admin_A"), ALL, contract_id=contract_id).total == 0
    with pytest.raises(ValidationFailed) as bad:
        renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, w.staff_A)
    assert field_codes(bad) == {("renovation_item_id", "NOT_IN_PLAN")}


def test_renovation_task_from_dispatch_to_completion(backend: Container) -> None:
    """HB-09/S-07: one live task per plan line, for the institution's workers; the assigned worker records
    progress with photos (JPG/PNG) and confirms completion, which needs a photo."""
    w = build(backend)
    worker = staff_login(w, "A", "worker_A")
    contract_id = w.contract(112)
    ramp = config.create_entry(w.rt, operator(), config.RENOVATION_ITEMS,
                               RenovationItemForm(name="无障碍坡道", unit="米", price_fen=50000)).id
    with pytest.raises(ValidationFailed) as bad:
        renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, ramp, w.staff_B)
    assert field_codes(bad) == {("renovation_item_id", "NOT_IN_PLAN"), ("staff_id", "UNKNOWN_STAFF")}
    with pytest.raises(PermissionDenied):
        renovation.dispatch_renovation(w.rt, w.p("staff_A"), contract_id, w.rail, w.staff_A)
    with pytest.raises(NotFound):
        renovation.dispatch_renovation(w.rt, w.p("admin_B"), contract_id, w.rail, w.staff_B)
    task = renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, w.staff_A)
    assert (task.status, task.quantity, task.unit_price_fen, task.amount_fen, task.item_name) == (
        "dispatched", 2, 18000, 36000, "卫生间扶手")
    assert task.number.startswith("GZ20261125")
    with pytest.raises(Conflict) as twice:
        renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, w.world.staff["A"])
    assert twice.value.code == "RENOVATION_ALREADY_DISPATCHED"
    reassigned = renovation.reassign_renovation(w.rt, w.p("admin_A"), task.id, w.world.staff["A"])
    assert reassigned.staff_id == w.world.staff["A"]
    with pytest.raises(PermissionDenied) as not_yours:
        renovation.record_progress(w.rt, w.p("staff_A"), task.id, "我来装", [Upload("a.png", PNG)])
    assert not_yours.value.code == "RENOVATION_TASK_NOT_YOURS"
    with pytest.raises(ValidationFailed) as bad:
        renovation.record_progress(w.rt, w.p(worker), task.id, "  ")
    assert field_codes(bad) == {("note", "REQUIRED")}
    with pytest.raises(ValidationFailed) as bad:
        renovation.record_progress(w.rt, w.p(worker), task.id, "发票", [Upload("发票.pdf", PDF)])
    assert field_codes(bad) == {("photos.0", "UNSUPPORTED_TYPE")}
    with pytest.raises(ValidationFailed) as bad:
        renovation.finish_renovation(w.rt, w.p(worker), task.id)
    assert field_codes(bad) == {("photos", "PHOTO_REQUIRED")}
    progressed = renovation.record_progress(w.rt, w.p(worker), task.id, "已测量尺寸")
    assert progressed.status == "in_progress" and [p.note for p in progressed.progress] == ["已测量尺寸"]
    with pytest.raises(Conflict) as started:
        renovation.reassign_renovation(w.rt, w.p("admin_A"), task.id, w.staff_A)
    assert started.value.code == "RENOVATION_TASK_STARTED"
    with_photo = renovation.record_progress(w.rt, w.p(worker), task.id, "安装完毕", [Upload("完工.png", PNG)])
    photo = with_photo.progress[1].photos[0]
    assert (photo.name, photo.content_type) == ("完工.png", "image/png")
    ref, data = renovation.renovation_photo(w.rt, w.p("admin_A"), task.id, photo.key)
    assert data == PNG and ref.key == photo.key
    done = renovation.finish_renovation(w.rt, w.p(worker), task.id)
    assert done.status == "completed" and done.completed_at == w.now
    with pytest.raises(Conflict) as closed:
        renovation.record_progress(w.rt, w.p(worker), task.id, "补充说明")
    assert closed.value.code == "RENOVATION_TASK_CLOSED"
    with pytest.raises(Conflict):
        renovation.cancel_renovation(w.rt, w.p("admin_A"), task.id, "不需要了")
    assert [t.id for t in renovation.list_renovations(w.rt, w.p(worker), ALL, mine=True).items] == [task.id]
    assert renovation.list_renovations(w.rt, w.p("staff_A"), ALL, mine=True).total == 0
    assert renovation.list_renovations(w.rt, w.p("admin_B"), ALL).total == 0
    with pytest.raises(NotFound):
        renovation.get_renovation(w.rt, w.p("admin_B"), task.id)
    names = [e.name for e in renovation.renovation_events(w.rt, w.p("admin_A"), task.id)]
    assert names == ["renovation_task.dispatched", "renovation_task.reassigned", "renovation_task.started",
                     "renovation_task.progress", "renovation_task.progress", "renovation_task.completed"]


def test_cancelled_renovation_can_be_dispatched_again_but_not_after_termination(backend: Container) -> None:
    """HB-09: a cancelled task frees its plan line; a terminated contract takes no renovation (and the
    termination cancels the task still open)."""
    w = build(backend)
    contract_id = w.contract(113)
    first = renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, w.staff_A)
    with pytest.raises(ValidationFailed):
        renovation.cancel_renovation(w.rt, w.p("admin_A"), first.id, "")
    assert renovation.cancel_renovation(w.rt, w.p("admin_A"), first.id, "工人请假").status == "cancelled"
    second = renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, w.staff_A)
    assert second.id != first.id and second.status == "dispatched"
    contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="解约")
    assert renovation.get_renovation(w.rt, w.p("admin_A"), second.id).status == "cancelled"
    with pytest.raises(Conflict):  # already cancelled by the termination
        renovation.cancel_renovation(w.rt, w.p("admin_A"), second.id, "解约")
    with pytest.raises(Conflict) as ended:
        renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, w.staff_A)
    assert ended.value.code == "HOMEBED_CONTRACT_NOT_IN_TERM"


def test_termination_cancels_the_open_renovation_tasks(backend: Container, clock: FrozenClock) -> None:
    """HB-05/HB-09: terminating a contract cancels its renovation tasks not finished (dispatched or in
    progress), and those of its renewal waiting to start, which ends too; completed work stays completed."""
    w = build(backend)
    worker = staff_login(w, "A", "worker_A")
    ramp = config.create_entry(w.rt, operator(), config.RENOVATION_ITEMS,
                               RenovationItemForm(name="无障碍坡道", unit="米", price_fen=50000)).id
    mat = config.create_entry(w.rt, operator(), config.RENOVATION_ITEMS,
                              RenovationItemForm(name="防滑地垫", unit="块", price_fen=6000)).id
    contract_id = w.contract(114)  # two rails
    contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(renovation_plan=[
        RenovationLineForm(renovation_item_id=w.rail, quantity=2), RenovationLineForm(renovation_item_id=ramp, quantity=3),
        RenovationLineForm(renovation_item_id=mat, quantity=1)]), reason="增加改造项目")
    staff_a = w.world.staff["A"]  # worker_A's staff id
    waiting = renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, w.rail, staff_a).id
    started = renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, ramp, staff_a).id
    renovation.record_progress(w.rt, w.p(worker), started, "已测量尺寸")
    done = renovation.dispatch_renovation(w.rt, w.p("admin_A"), contract_id, mat, staff_a).id
    renovation.record_progress(w.rt, w.p(worker), done, "已铺设", [Upload("完工.png", PNG)])
    renovation.finish_renovation(w.rt, w.p(worker), done)
    clock.advance(days=300)
    renewal = contracts.renew_contract(w.rt, w.p("admin_A"), contract_id).id
    contracts.amend_contract(w.rt, w.p("admin_A"), renewal, TermsForm(renovation_plan=[
        RenovationLineForm(renovation_item_id=w.rail, quantity=1)]), reason="续约期加装扶手")
    ahead = renovation.dispatch_renovation(w.rt, w.p("admin_A"), renewal, w.rail, staff_a).id

    contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="入住养老院")
    shown = {t: renovation.get_renovation(w.rt, w.p("admin_A"), t) for t in (waiting, started, done, ahead)}
    assert {t: v.status for t, v in shown.items()} == {
        waiting: "cancelled", started: "cancelled", done: "completed", ahead: "cancelled"}
    assert {shown[t].cancel_reason for t in (waiting, started, ahead)} == {"家床签约已解约"}
    assert contracts.get_contract(w.rt, w.p("admin_A"), renewal).status == "terminated"
    cancelled = [e for e in renovation.renovation_events(w.rt, w.p("admin_A"), started)
                 if e.name == "renovation_task.cancelled"]
    assert [(e.actor_id, e.before, e.after) for e in cancelled] == [
        (w.world.accounts["admin_A"], {"status": "in_progress"}, {"status": "cancelled"})]
    with pytest.raises(Conflict) as closed:
        renovation.record_progress(w.rt, w.p(worker), started, "继续施工")
    assert closed.value.code == "RENOVATION_TASK_CLOSED"
