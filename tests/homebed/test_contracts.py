"""Contracts (HB-03…HB-07, S-05): signing, the elder's file, the calendar, amendments, renewal, termination
and the audit trail of each change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import FrozenClock, operator
from tests.homebed.helpers import ALL, build, field_codes, sign_plan
from tests.world import id_card
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.contracts import ContractNotActive, ContractStatus
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.services.homebed import applications, assessments, config, contracts, orders
from yiyangkang.services.homebed.config import ServiceItemForm, SubsidyTypeForm
from yiyangkang.services.homebed.contracts import PlanLineForm, TermsForm
from yiyangkang.services.homebed.orders import OrderForm

TODAY = date(2026, 11, 25)  # the FrozenClock's Shanghai business date


def test_sign_defaults_and_date_rules(backend: Container) -> None:
    """HB-03: expiry defaults to sign date + 1 year; expiry not after the sign date, a start before it, a sign
    date in the future, an empty plan are 422, all at once."""
    w = build(backend)
    signed = contracts.get_contract(w.rt, w.p("admin_A"), w.contract(80))
    assert (signed.sign_date, signed.terms.start_date, signed.terms.expiry_date) == (
        TODAY, TODAY, date(2027, 11, 25))
    assert signed.status == "active" and signed.terms_version == 1
    assert [(p.item_name, p.times, p.per) for p in signed.terms.service_plan] == [
        ("上门护理", 2, "week"), ("助餐配送", 5, "week")]
    assert [(r.item_name, r.quantity) for r in signed.terms.renovation_plan] == [("卫生间扶手", 2)]
    assert signed.elder_id_card.count("*") == 8
    backdated = sign_plan(w, w.apply(81), [w.nursing], subsidy=None, sign_date=TODAY - timedelta(days=10))
    shown = contracts.get_contract(w.rt, w.p("admin_A"), backdated)
    assert (shown.sign_date, shown.terms.expiry_date) == (TODAY - timedelta(days=10), date(2027, 11, 15))
    app = w.apply(82)
    with pytest.raises(ValidationFailed) as bad:
        sign_plan(w, app, [w.nursing], subsidy=None, expiry=TODAY - timedelta(days=1))
    assert field_codes(bad) == {("expiry_date", "NOT_AFTER_SIGN_DATE")}
    with pytest.raises(ValidationFailed) as bad:
        sign_plan(w, app, [w.nursing], subsidy=None, expiry=TODAY)
    assert field_codes(bad) == {("expiry_date", "NOT_AFTER_SIGN_DATE")}
    with pytest.raises(ValidationFailed) as bad:
        sign_plan(w, app, [], subsidy=None, start=TODAY - timedelta(days=1), sign_date=TODAY + timedelta(days=1))
    assert field_codes(bad) == {("sign_date", "IN_FUTURE"), ("start_date", "BEFORE_SIGN_DATE"),
                                ("service_plan", "REQUIRED")}
    with pytest.raises(ValidationFailed) as bad:
        sign_plan(w, app, [w.nursing, w.nursing], subsidy=None, expiry=date(2031, 11, 26))
    assert field_codes(bad) == {("service_plan", "DUPLICATE"), ("expiry_date", "TOO_LONG")}
    assert applications.get_application(w.rt, w.p("admin_A"), app).status == "approved"  # nothing was kept
    five_years = sign_plan(w, app, [w.nursing], subsidy=None, expiry=date(2031, 11, 25))
    assert contracts.get_contract(w.rt, w.p("admin_A"), five_years).terms.expiry_date == date(2031, 11, 25)


def test_signing_creates_the_elders_file_once(backend: Container, clock: FrozenClock) -> None:
    """HB-03/S-05: the first contract files the elder; a later one reuses the file; a second contract while one
    is in force is CONTRACT_ALREADY_IN_FORCE, at submission and at signing."""
    w = build(backend)
    first = contracts.get_contract(w.rt, w.p("admin_A"), sign_plan(
        w, w.apply(83), [w.nursing], subsidy=None, expiry=TODAY + timedelta(days=1)))
    with w.rt.uow() as uow:
        elder = uow.elders.by_id_card(id_card(83))
        assert elder is not None and elder.id == first.elder_id
        assert elder.name == "申请老人83" and elder.institution_id == w.world.inst["A"]
    with pytest.raises(Conflict) as clash:  # a new application is refused while the contract is in force
        w.apply(83)
    assert clash.value.code == "CONTRACT_ALREADY_IN_FORCE"
    clock.advance(days=2)  # the first contract has expired: a new application is welcome
    assert contracts.roll_contracts(w.rt) == 1
    second_app = w.apply(83)
    assert applications.get_application(w.rt, w.p("admin_A"), second_app).elder_id == first.elder_id
    renewal = contracts.renew_contract(w.rt, w.p("admin_A"), first.id)  # meanwhile the old one is renewed
    assert renewal.status == "active"
    with pytest.raises(Conflict) as clash:
        w.sign(second_app)
    assert clash.value.code == "CONTRACT_ALREADY_IN_FORCE"
    assert applications.get_application(w.rt, w.p("admin_A"), second_app).status == "approved"
    contracts.terminate_contract(w.rt, w.p("admin_A"), renewal.id, reason="改签新方案")
    second = contracts.get_contract(w.rt, w.p("admin_A"), w.sign(second_app))
    assert second.elder_id == first.elder_id and second.status == "active"  # the same file
    with w.rt.uow() as uow:
        files = [e for e in uow.elders.list(_everything(), ALL).items if e.id_card_no == id_card(83)]
    assert len(files) == 1
    listed = contracts.list_contracts(w.rt, w.p("admin_A"), ALL, elder_id=first.elder_id)
    assert sorted(c.status for c in listed.items) == ["active", "expired", "terminated"]


def test_an_expired_contract_does_not_block_a_new_application_before_the_daily_roll(
        memory: Container, clock: FrozenClock) -> None:
    """HB-01/HB-03: the calendar, not the batch job, decides whether a contract is in force."""
    w = build(memory)
    sign_plan(w, w.apply(78), [w.nursing], subsidy=None, expiry=TODAY + timedelta(days=1))
    clock.advance(days=2)
    assert applications.get_application(w.rt, w.p("admin_A"), w.apply(78)).status == "approved"


def _everything():  # type: ignore[no-untyped-def]
    from yiyangkang.domain.identity.policy import Visibility

    return Visibility(everything=True)


def test_future_start_is_pending_until_the_day(backend: Container, clock: FrozenClock) -> None:
    """HB-03/HB-05: a contract starting later is pending_start (no orders yet) and active from its start date."""
    w = build(backend)
    start = TODAY + timedelta(days=3)
    contract_id = sign_plan(w, w.apply(84), [w.nursing], subsidy=w.subsidy, start=start)
    shown = contracts.get_contract(w.rt, w.p("admin_A"), contract_id)
    assert (shown.status, shown.terms.start_date) == ("pending_start", start)
    with pytest.raises(ContractNotActive):
        w.order(contract_id)
    clock.advance(days=2)
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).status == "pending_start"
    clock.advance(days=1)
    assert [c.status for c in contracts.list_contracts(w.rt, w.p("admin_A"), ALL).items] == ["active"]
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).status == "active"
    assert orders.get_order(w.rt, w.p("admin_A"), w.order(contract_id)).status == "pending_dispatch"
    events = contracts.contract_events(w.rt, w.p("admin_A"), contract_id)
    assert [(e.name, e.actor_id) for e in events][-1] == ("contract.active", "homebed-calendar")


def test_default_expiry_is_counted_from_the_sign_date_even_with_a_later_start(memory: Container) -> None:
    """HB-03: expiry date (default sign date + 1 year, adjustable)."""
    w = build(memory)
    contract_id = sign_plan(w, w.apply(79), [w.nursing], subsidy=None, start=TODAY + timedelta(days=3))
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).terms.expiry_date == date(2027, 11, 25)


def test_amend_keeps_every_version(backend: Container) -> None:
    """HB-07: a change is a new version of the terms; the earlier ones stay readable with who, when and why."""
    w = build(backend)
    contract_id = w.contract(85)
    before = contracts.get_contract(w.rt, w.p("admin_A"), contract_id)
    with pytest.raises(ValidationFailed) as bad:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="day")]), reason="调整")
    assert field_codes(bad) == {("service_plan.0.per", "INVALID"), ("service_plan", "REQUIRED")}
    with pytest.raises(ValidationFailed) as bad:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=100, per="week")]), reason="调整")
    assert field_codes(bad) == {("service_plan.0.times", "OUT_OF_RANGE")}
    with pytest.raises(ValidationFailed) as bad:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")]), reason=" ")
    assert field_codes(bad) == {("reason", "REQUIRED")}
    new_plan = [PlanLineForm(service_item_id=w.nursing, times=3, per="week")]
    v2 = contracts.amend_contract(w.rt, w.p("staff_A"), contract_id, TermsForm(service_plan=new_plan,
                                                                               subsidy_type_id=w.subsidy),
                                  reason="护理需求增加", expected_version=before.version)
    assert v2.terms_version == 2
    assert [(p.item_name, p.times) for p in v2.terms.service_plan] == [("上门护理", 3)]
    assert v2.terms.expiry_date == before.terms.expiry_date and v2.terms.subsidy_type_id == w.subsidy
    assert [(h.number, h.reason, h.replaced_by) for h in v2.history] == [(1, "护理需求增加", w.world.accounts["staff_A"])]
    assert v2.history[0].terms == before.terms
    with pytest.raises(Conflict) as stale:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(service_plan=new_plan), reason="x",
                                 expected_version=before.version)
    assert stale.value.code == "CONCURRENT_UPDATE"
    v3 = contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(
        service_plan=new_plan, expiry_date=date(2027, 6, 30), subsidy_type_id=w.subsidy, notes="半年"),
        reason="缩短期限")
    assert (v3.terms_version, v3.terms.expiry_date, v3.terms.notes) == (3, date(2027, 6, 30), "半年")
    assert [h.number for h in v3.history] == [1, 2]
    assert [h.terms.expiry_date for h in v3.history] == [date(2027, 11, 25), date(2027, 11, 25)]
    same = contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(service_plan=new_plan,
                                    subsidy_type_id=w.subsidy), reason="无变化")
    assert same.terms_version == 3  # identical terms make no new version
    # Orders already placed keep their item; new orders follow the plan in force.
    with pytest.raises(ValidationFailed) as bad:
        w.order(contract_id, item=w.meal)
    assert field_codes(bad) == {("service_item_id", "NOT_IN_PLAN")}
    changes = [e for e in contracts.contract_events(w.rt, w.p("admin_A"), contract_id) if e.name == "contract.changed"]
    assert [(e.reason, e.after["terms_version"]) for e in changes if e.after] == [("护理需求增加", 2), ("缩短期限", 3)]
    assert changes[1].before == {"expiry_date": "2027-11-25", "notes": ""}


def test_amend_keeps_what_the_form_leaves_out(backend: Container) -> None:
    """HB-07: a change names only what changes: an omitted plan, renovation plan or subsidy stays as it is;
    clear_subsidy removes the subsidy, after which new orders get none."""
    w = build(backend)
    contract_id = w.contract(94)  # nursing + meal, the Guangzhou subsidy, two rails
    before = contracts.get_contract(w.rt, w.p("admin_A"), contract_id)
    assert before.terms.subsidy_type_id == w.subsidy
    longer = contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(expiry_date=date(2028, 5, 31)),
                                      reason="延长半年")
    assert (longer.terms_version, longer.terms.expiry_date) == (2, date(2028, 5, 31))
    assert (longer.terms.service_plan, longer.terms.renovation_plan, longer.terms.subsidy_type_id) == (
        before.terms.service_plan, before.terms.renovation_plan, w.subsidy)
    assert orders.get_order(w.rt, w.p("admin_A"), w.order(contract_id)).subsidy_fen == 8000
    cleared = contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(clear_subsidy=True),
                                       reason="不再享受补贴")
    assert (cleared.terms_version, cleared.terms.subsidy_type_id) == (3, None)
    assert cleared.terms.service_plan == before.terms.service_plan
    assert cleared.terms.expiry_date == date(2028, 5, 31)
    shown = orders.get_order(w.rt, w.p("admin_A"), w.order(contract_id))
    assert (shown.subsidy_fen, shown.self_pay_fen) == (0, 12000)
    again = contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(subsidy_type_id=w.subsidy),
                                     reason="恢复补贴")
    assert (again.terms_version, again.terms.subsidy_type_id) == (4, w.subsidy)
    emptied = contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(renovation_plan=[]),
                                       reason="不做改造")
    assert emptied.terms.renovation_plan == [] and emptied.terms.subsidy_type_id == w.subsidy


def test_a_start_more_than_a_year_after_signing_is_refused(backend: Container) -> None:
    """HB-03: the start date lies at most 366 days after the sign date (TOO_LATE), at signing and on a change."""
    w = build(backend)
    app = w.apply(95)
    with pytest.raises(ValidationFailed) as bad:
        sign_plan(w, app, [w.nursing], subsidy=None, start=TODAY + timedelta(days=367),
                  expiry=TODAY + timedelta(days=400))
    assert field_codes(bad) == {("start_date", "TOO_LATE")}
    contract_id = sign_plan(w, app, [w.nursing], subsidy=None, start=TODAY + timedelta(days=366),
                            expiry=TODAY + timedelta(days=400))
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).status == "pending_start"
    with pytest.raises(ValidationFailed) as bad:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(start_date=TODAY + timedelta(days=367)),
                                 reason="推迟")
    assert field_codes(bad) == {("start_date", "TOO_LATE")}


def test_reading_a_contract_writes_nothing(backend: Container, clock: FrozenClock) -> None:
    """HB-04/HB-05: a read shows the status the calendar gives today, but only locked commands and the daily
    roll store it (and record its event)."""
    w = build(backend)
    contract_id = sign_plan(w, w.apply(96), [w.nursing], subsidy=None, expiry=TODAY + timedelta(days=1))
    clock.advance(days=2)
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).status == "expired"
    assert [c.status for c in contracts.list_contracts(w.rt, w.p("admin_A"), ALL).items] == ["expired"]
    with w.rt.uow() as uow:
        stored = uow.contracts.get(contract_id)
    assert stored is not None and stored.status is ContractStatus.ACTIVE
    names = [e.name for e in contracts.contract_events(w.rt, w.p("admin_A"), contract_id)]
    assert names == ["contract.signed", "contract.active"]
    assert contracts.roll_contracts(w.rt) == 1
    names = [e.name for e in contracts.contract_events(w.rt, w.p("admin_A"), contract_id)]
    assert names == ["contract.signed", "contract.active", "contract.expired"]


def test_renewal_continues_the_day_after_expiry(backend: Container, clock: FrozenClock) -> None:
    """HB-06: a renewal is a new pending contract linked both ways, active from the day after the old expiry;
    a second renewal is CONTRACT_ALREADY_RENEWED."""
    w = build(backend)
    old_id = w.contract(86)
    clock.advance(days=300)
    new = contracts.renew_contract(w.rt, w.p("admin_A"), old_id, notes="续约一年")
    old = contracts.get_contract(w.rt, w.p("admin_A"), old_id)
    assert (new.status, new.renews_id, old.renewed_by_id) == ("pending_start", old_id, new.id)
    assert (new.terms.start_date, new.terms.expiry_date) == (date(2027, 11, 26), date(2028, 11, 26))
    assert new.sign_date == TODAY + timedelta(days=300) and new.application_id is None
    assert [p.item_name for p in new.terms.service_plan] == [p.item_name for p in old.terms.service_plan]
    assert new.terms.renovation_plan == [] and new.terms.notes == "续约一年" and new.number != old.number
    assert new.elder_id == old.elder_id
    with pytest.raises(Conflict) as twice:
        contracts.renew_contract(w.rt, w.p("admin_A"), old_id)
    assert twice.value.code == "CONTRACT_ALREADY_RENEWED"
    with pytest.raises(ValidationFailed) as bad:  # the renewed contract's expiry is fixed now
        contracts.amend_contract(w.rt, w.p("admin_A"), old_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")],
            expiry_date=date(2027, 10, 31)), reason="提前")
    assert field_codes(bad) == {("expiry_date", "RENEWED")}
    with pytest.raises(ValidationFailed) as bad:  # a later expiry would also run into the renewal's term
        contracts.amend_contract(w.rt, w.p("admin_A"), old_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")],
            expiry_date=date(2027, 12, 31)), reason="延长")
    assert field_codes(bad) == {("start_date", "OVERLAPS")}
    with pytest.raises(ValidationFailed) as bad:  # and so would the renewal moved back into the old term
        contracts.amend_contract(w.rt, w.p("admin_A"), new.id, TermsForm(start_date=date(2027, 11, 1)),
                                 reason="提前续约")
    assert field_codes(bad) == {("start_date", "OVERLAPS")}
    clock.current = clock.current.replace(year=2027, month=11, day=25)  # the old contract's last day
    assert contracts.roll_contracts(w.rt) == 0
    assert [contracts.get_contract(w.rt, w.p("admin_A"), i).status for i in (old_id, new.id)] == [
        "active", "pending_start"]
    clock.advance(days=1)
    assert contracts.roll_contracts(w.rt) == 2
    assert [contracts.get_contract(w.rt, w.p("admin_A"), i).status for i in (old_id, new.id)] == [
        "expired", "active"]
    assert orders.get_order(w.rt, w.p("admin_A"), w.order(new.id)).contract_id == new.id
    with pytest.raises(ContractNotActive):
        w.order(old_id)


def test_renewing_an_expired_contract_starts_today(backend: Container, clock: FrozenClock) -> None:
    """HB-06: a contract that lapsed a while ago is renewed from today; terminated ones cannot be renewed."""
    w = build(backend)
    lapsed = w.contract(87)
    ended = w.contract(88)
    contracts.terminate_contract(w.rt, w.p("admin_A"), ended, reason="入住养老院")
    with pytest.raises(Conflict) as refused:
        contracts.renew_contract(w.rt, w.p("admin_A"), ended)
    assert refused.value.code == "CONTRACT_NOT_RENEWABLE"
    clock.advance(days=400)
    renewed = contracts.renew_contract(w.rt, w.p("admin_A"), lapsed, expiry_date=date(2028, 6, 30))
    day = TODAY + timedelta(days=400)
    assert (renewed.status, renewed.terms.start_date, renewed.terms.expiry_date) == ("active", day, date(2028, 6, 30))
    assert contracts.get_contract(w.rt, w.p("admin_A"), lapsed).status == "expired"


def test_renewing_a_contract_the_daily_roll_expired_starts_today(backend: Container, clock: FrozenClock) -> None:
    """HB-06: the same renewal from today once roll_contracts has stored the lapsed contract as expired."""
    w = build(backend)
    lapsed = w.contract(87)
    clock.advance(days=400)
    assert contracts.roll_contracts(w.rt) == 1
    renewed = contracts.renew_contract(w.rt, w.p("admin_A"), lapsed, expiry_date=date(2028, 6, 30))
    day = TODAY + timedelta(days=400)
    assert (renewed.status, renewed.terms.start_date, renewed.terms.expiry_date) == ("active", day, date(2028, 6, 30))
    assert contracts.get_contract(w.rt, w.p("admin_A"), lapsed).renewed_by_id == renewed.id


def test_renewal_needs_the_elder_free_and_the_plan_still_offered(backend: Container, clock: FrozenClock) -> None:
    """HB-06/HB-20: no renewal while the elder has another contract pending or in force (409
    CONTRACT_ALREADY_IN_FORCE), nor while a planned item or the subsidy has been deactivated (422)."""
    w = build(backend)
    old_id = w.contract(93)
    clock.advance(days=300)
    config.update_entry(w.rt, operator(), config.SERVICE_ITEMS, w.meal, ServiceItemForm(active=False))
    config.update_entry(w.rt, operator(), config.SUBSIDY_TYPES, w.subsidy, SubsidyTypeForm(active=False))
    with pytest.raises(ValidationFailed) as bad:
        contracts.renew_contract(w.rt, w.p("admin_A"), old_id)
    assert field_codes(bad) == {("service_plan.1.service_item_id", "INACTIVE_SERVICE_ITEM"),
                                ("subsidy_type_id", "UNKNOWN_SUBSIDY_TYPE")}
    config.update_entry(w.rt, operator(), config.SERVICE_ITEMS, w.meal, ServiceItemForm(active=True))
    config.update_entry(w.rt, operator(), config.SUBSIDY_TYPES, w.subsidy, SubsidyTypeForm(active=True))
    # The contract lapses, the elder signs anew, and only then someone renews the old one.
    clock.advance(days=70)
    assert contracts.roll_contracts(w.rt) == 1
    newer = w.contract(93)
    with pytest.raises(Conflict) as clash:
        contracts.renew_contract(w.rt, w.p("admin_A"), old_id)
    assert clash.value.code == "CONTRACT_ALREADY_IN_FORCE"
    assert contracts.get_contract(w.rt, w.p("admin_A"), old_id).renewed_by_id is None
    assert contracts.get_contract(w.rt, w.p("admin_A"), newer).status == "active"


def test_terminating_a_renewed_contract_ends_its_renewal(backend: Container, clock: FrozenClock) -> None:
    """HB-05/HB-06: after termination no new order for the elder, so a renewal waiting to start cannot become
    active later."""
    w = build(backend)
    old_id = w.contract(91)
    clock.advance(days=300)
    renewal = contracts.renew_contract(w.rt, w.p("admin_A"), old_id)
    contracts.terminate_contract(w.rt, w.p("admin_A"), old_id, reason="入住养老院")
    clock.advance(days=70)  # past the old expiry: the renewal would have started
    assert contracts.get_contract(w.rt, w.p("admin_A"), renewal.id).status == "terminated"
    with pytest.raises(ContractNotActive):
        w.order(renewal.id)


def test_shortening_the_term_leaves_no_order_after_the_new_expiry(memory: Container) -> None:
    """HB-07/HB-10: no open order may be scheduled after the contract's expiry, whichever way the expiry moved."""
    w = build(memory)
    contract_id = w.contract(92)
    late = orders.place_order(w.rt, w.p("admin_A"), OrderForm(
        contract_id=contract_id, service_item_id=w.nursing, scheduled_at=w.now + timedelta(days=20)))
    try:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")],
            expiry_date=TODAY + timedelta(days=10)), reason="提前结束")
    except (Conflict, ValidationFailed):
        return  # refusing the change is fine too
    assert orders.get_order(w.rt, w.p("admin_A"), late.id).status == "cancelled"


def test_termination_rules_and_events(backend: Container, clock: FrozenClock) -> None:
    """HB-05/S-05: a reason and a date not in the future (nor before signing); afterwards no orders; every change
    is in the contract's audit trail with who, when, from, to and why."""
    w = build(backend)
    contract_id = w.contract(89)
    open_order = w.order(contract_id)
    clock.advance(days=2)
    with pytest.raises(ValidationFailed) as bad:
        contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="  ", on=TODAY + timedelta(days=3))
    assert field_codes(bad) == {("reason", "REQUIRED"), ("terminated_on", "IN_FUTURE")}
    with pytest.raises(ValidationFailed) as bad:
        contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="x", on=TODAY - timedelta(days=1))
    assert field_codes(bad) == {("terminated_on", "BEFORE_SIGN_DATE")}
    with pytest.raises(NotFound):
        contracts.terminate_contract(w.rt, w.p("admin_B"), contract_id, reason="越权")
    with pytest.raises(PermissionDenied):
        contracts.terminate_contract(w.rt, w.p("family_F"), contract_id, reason="越权")
    assert contracts.get_contract(w.rt, w.p("admin_A"), contract_id).status == "active"
    ended = contracts.terminate_contract(w.rt, w.p("staff_A"), contract_id, reason="老人去世",
                                         on=TODAY + timedelta(days=1))
    assert (ended.status, ended.terminated_on, ended.termination_reason) == (
        "terminated", TODAY + timedelta(days=1), "老人去世")
    assert orders.get_order(w.rt, w.p("admin_A"), open_order).status == "cancelled"
    with pytest.raises(ContractNotActive):
        orders.place_order(w.rt, w.p("staff_A"), OrderForm(contract_id=contract_id, service_item_id=w.nursing,
                                                           scheduled_at=w.now + timedelta(hours=3)))
    with pytest.raises(Conflict):
        contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="再次")
    with pytest.raises(Conflict) as changed:
        contracts.amend_contract(w.rt, w.p("admin_A"), contract_id, TermsForm(
            service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")]), reason="x")
    assert changed.value.code == "CONTRACT_NOT_CHANGEABLE"
    with pytest.raises(Conflict) as assess:
        assessments.assess(w.rt, w.p("admin_A"), contract_id, scale_id=w.scale, answers={"eat": 0, "walk": 0})
    assert assess.value.code == "HOMEBED_CONTRACT_NOT_IN_TERM"

    events = contracts.contract_events(w.rt, w.p("admin_A"), contract_id)
    assert [e.name for e in events] == ["contract.signed", "contract.active", "contract.terminated"]
    signed, started, terminated = events
    assert signed.actor_id == w.world.accounts["admin_A"] and signed.occurred_at == w.now - timedelta(days=2)
    assert signed.after is not None and signed.after["number"] == ended.number
    assert (started.before, started.after) == ({"status": "pending_start"}, {"status": "active"})
    assert (terminated.actor_id, terminated.actor_role, terminated.occurred_at) == (
        w.world.accounts["staff_A"], "staff", w.now)
    assert (terminated.before, terminated.after, terminated.reason) == (
        {"status": "active"}, {"status": "terminated"}, "老人去世")
    assert all(e.aggregate_id == contract_id for e in events)
    with pytest.raises(NotFound):
        contracts.contract_events(w.rt, w.p("admin_B"), contract_id)
    order_events = [e.name for e in orders.order_events(w.rt, w.p("admin_A"), open_order)]
    assert order_events == ["homebed_order.placed", "homebed_order.cancelled"]


def test_who_reads_contracts(backend: Container) -> None:
    """HB-04: the institution's subtree, the auditor, and the elder and family of that elder only."""
    w = build(backend)
    elder_a = w.sign(w.apply(0))  # elder A (ID 0), linked to family F
    other = w.contract(90)
    for login in ("elder_A", "family_F"):
        assert contracts.get_contract(w.rt, w.p(login), elder_a).elder_id == w.world.elders["A"]
        assert [c.id for c in contracts.list_contracts(w.rt, w.p(login), ALL).items] == [elder_a]
        with pytest.raises(NotFound):
            contracts.get_contract(w.rt, w.p(login), other)
    assert {c.id for c in contracts.list_contracts(w.rt, w.p("auditor"), ALL).items} == {elder_a, other}
    assert contracts.list_contracts(w.rt, w.p("admin_B"), ALL).total == 0
    assert contracts.list_contracts(w.rt, w.p("admin_A"), ALL, status=ContractStatus.ACTIVE).total == 2
    listed = contracts.list_contracts(w.rt, w.p("admin_A"), ALL, keyword="QY").items
    assert all("*" in (c.elder_name or "") and c.history == [] for c in listed)
