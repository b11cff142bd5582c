"""Batch jobs and reports: the exception scan and its review (HB-10, A-08), the daily contract roll and expiry
reminders (HB-05/HB-06, HB-20), the settlement and business reports (HB-30)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from attrs import evolve

from tests.conftest import FrozenClock, operator
from tests.homebed.helpers import (
    ALL,
    apply_in,
    build,
    place,
    serve,
    service_item,
    sign_plan,
    staff_login,
    subsidy_type,
)
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ReviewStatus
from yiyangkang.domain.homebed.reports import totals_of
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.homebed import config, contracts, exceptions, orders, reports
from yiyangkang.services.homebed.contracts import PlanLineForm, TermsForm
from yiyangkang.services.homebed.orders import RecordForm

NOVEMBER = (date(2026, 11, 1), date(2026, 12, 1))


# -- exception orders ------------------------------------------------------------------------------------
def test_exception_scan_raises_each_broken_rule_once(backend: Container, clock: FrozenClock) -> None:
    """HB-10/A-08: dispatch timeout, late arrival, overtime and too-short service are raised once each, exactly
    past their thresholds; re-running the scan raises nothing; cancelled orders are never exceptions."""
    w = build(backend)
    contract_id = w.contract(120)
    o1, o2, o3, o4 = (w.order(contract_id, hours=4) for _ in range(4))
    t0 = w.now
    orders.cancel_order(w.rt, w.p("admin_A"), o4, "改期")
    clock.advance(minutes=60)
    orders.dispatch_order(w.rt, w.p("admin_A"), o3, w.staff_A)  # exactly at the 60-minute threshold
    clock.advance(minutes=1)
    first = exceptions.scan_exceptions(w.rt)
    assert (first.raised, first.by_type) == (2, {"dispatch_timeout": 2})
    assert exceptions.scan_exceptions(w.rt).raised == 0
    for o in (o1, o2):
        orders.dispatch_order(w.rt, w.p("admin_A"), o, w.staff_A)
    clock.current = t0 + timedelta(hours=4, minutes=15)
    orders.start_order(w.rt, w.p("staff_A"), o3)  # 15 minutes late is not yet late
    clock.advance(minutes=1)
    late = exceptions.scan_exceptions(w.rt)
    assert (late.raised, late.by_type) == (2, {"late_arrival": 2})
    for o in (o1, o2):
        orders.start_order(w.rt, w.p("staff_A"), o)
    clock.advance(minutes=29)
    orders.complete_order(w.rt, w.p("staff_A"), o2)  # 29 < 50 % of 60
    clock.current = t0 + timedelta(hours=5, minutes=45)
    orders.complete_order(w.rt, w.p("staff_A"), o3)  # 90 = 60 + 30: not overtime
    clock.advance(minutes=2)
    orders.complete_order(w.rt, w.p("staff_A"), o1)  # 91 minutes
    done = exceptions.scan_exceptions(w.rt)
    assert (done.raised, done.by_type) == (2, {"overtime": 1, "too_short": 1})
    assert exceptions.scan_exceptions(w.rt).raised == 0
    clock.advance(days=1)
    assert exceptions.scan_exceptions(w.rt).raised == 0

    found = exceptions.list_exceptions(w.rt, w.p("admin_A"), ALL).items
    assert sorted((e.order_id, e.type) for e in found) == sorted([
        (o1, "dispatch_timeout"), (o2, "dispatch_timeout"), (o1, "late_arrival"), (o2, "late_arrival"),
        (o1, "overtime"), (o2, "too_short")])
    assert all(e.status == "pending" and e.staff_id == w.staff_A for e in found if e.type != "dispatch_timeout")
    timeout = next(e for e in found if e.order_id == o1 and e.type == "dispatch_timeout")
    assert timeout.detail == "下单后61分钟仍未派单（阈值60分钟）" and timeout.staff_id is None
    overtime = next(e for e in found if e.type == "overtime")
    assert "91" in overtime.detail and overtime.detected_at == w.now - timedelta(days=1)

    report = reports.business_report(w.rt, w.p("admin_A"), *NOVEMBER)
    assert report.orders_by_status == {"completed": 3, "cancelled": 1}
    assert (report.orders_completed, report.orders_on_time, report.on_time_rate) == (3, 1, 0.3333)
    assert report.exceptions_by_type == {"dispatch_timeout": 2, "late_arrival": 2, "overtime": 1, "too_short": 1}
    assert report.exception_rate == 1.5
    assert (report.contracts_signed, report.contracts_active, report.contracts_terminated) == (1, 1, 0)


def test_exception_review_and_scope(backend: Container, clock: FrozenClock) -> None:
    """HB-10/A-08: the institution reviews (accept or reject, once); other institutions neither see nor review;
    staff may not review; thresholds come from the settings."""
    w = build(backend)
    config.update_settings(w.rt, operator(), {"dispatch_timeout_minutes": 10})
    a_order = w.order(w.contract(121))
    b_contract = sign_plan(w, apply_in(w, 122, institution="B", admin="admin_B", region="440106"), [w.nursing],
                           subsidy=None, login="admin_B")
    b_order = place(w, b_contract, w.nursing, login="admin_B")
    clock.advance(minutes=11)
    assert exceptions.scan_exceptions(w.rt).by_type == {"dispatch_timeout": 2}
    (a_exc,) = exceptions.list_exceptions(w.rt, w.p("admin_A"), ALL).items
    (b_exc,) = exceptions.list_exceptions(w.rt, w.p("admin_B"), ALL).items
    assert (a_exc.order_id, b_exc.order_id) == (a_order, b_order)
    assert exceptions.list_exceptions(w.rt, w.p("auditor"), ALL).total == 2
    for login in ("admin_B", "staff_B", "admin_A1"):
        with pytest.raises((NotFound, PermissionDenied)):
            exceptions.get_exception(w.rt, w.p(login), a_exc.id)
    with pytest.raises(NotFound):
        exceptions.review_exception(w.rt, w.p("admin_B"), a_exc.id, accept=True)
    for login in ("staff_A", "auditor", "family_F"):
        with pytest.raises(PermissionDenied):
            exceptions.review_exception(w.rt, w.p(login), a_exc.id, accept=True)
    accepted = exceptions.review_exception(w.rt, w.p("admin_A"), a_exc.id, accept=True, note="确认派单延误",
                                           expected_version=a_exc.version)
    assert (accepted.status, accepted.review_note, accepted.reviewed_at) == ("accepted", "确认派单延误", w.now)
    with pytest.raises(Conflict):
        exceptions.review_exception(w.rt, w.p("admin_A"), a_exc.id, accept=False, note="改判")
    rejected = exceptions.review_exception(w.rt, w.p("admin_B"), b_exc.id, accept=False, note="系统故障")
    assert rejected.status == "rejected"
    assert exceptions.list_exceptions(w.rt, w.p("operator"), ALL, status=ReviewStatus.ACCEPTED).items[0].id == a_exc.id
    assert exceptions.list_exceptions(w.rt, w.p("operator"), ALL, type=ExceptionKind.OVERTIME).total == 0
    assert exceptions.get_exception(w.rt, w.p("admin_A"), a_exc.id).status == "accepted"
    # HB-30: an exception the reviewer rejected (不予认定) is not counted by the business report.
    assert reports.business_report(w.rt, w.p("admin_A"), *NOVEMBER).exceptions_by_type == {"dispatch_timeout": 1}
    assert reports.business_report(w.rt, w.p("admin_B"), *NOVEMBER).exceptions_by_type == {}
    assert reports.business_report(w.rt, w.p("auditor"), *NOVEMBER).exceptions_by_type == {"dispatch_timeout": 1}


# -- the calendar and reminders --------------------------------------------------------------------------
def test_roll_contracts_is_idempotent(backend: Container, clock: FrozenClock) -> None:
    """HB-03/HB-06: the daily roll starts and expires contracts once; re-running it changes nothing."""
    w = build(backend)
    later = sign_plan(w, w.apply(123), [w.nursing], subsidy=None, start=date(2026, 11, 27),
                      expiry=date(2026, 12, 10))
    short = sign_plan(w, w.apply(124), [w.nursing], subsidy=None, expiry=date(2026, 11, 26))
    assert contracts.roll_contracts(w.rt) == 0
    clock.advance(days=2)
    assert contracts.roll_contracts(w.rt) == 2  # `later` starts, `short` expires
    assert contracts.roll_contracts(w.rt) == 0
    with w.rt.uow() as uow:  # read the stored rows, not a freshly rolled view
        stored = {c: uow.contracts.get(c) for c in (later, short)}
    assert {c: s.status.value for c, s in stored.items() if s} == {later: "active", short: "expired"}
    events = [e.name for e in contracts.contract_events(w.rt, w.p("admin_A"), short)]
    assert events == ["contract.signed", "contract.active", "contract.expired"]
    clock.advance(days=14)
    assert contracts.roll_contracts(w.rt) == 1
    assert contracts.roll_contracts(w.rt) == 0


def test_expiry_reminders(backend: Container, clock: FrozenClock) -> None:
    """HB-20/HB-06: N days ahead (reminder_lead_days, 30 by default) the institution's admins and the elder's
    family and elder accounts hear once per contract and expiry date; a new expiry date is reminded again;
    renewed and terminated contracts are not reminded."""
    w = build(backend)
    sent = w.rt.notifier.sent  # type: ignore[attr-defined]
    elder_a = w.sign(w.apply(0))  # linked to family F; expires 2027-11-25
    plain = w.contract(125)  # no family
    renewed = w.contract(126)
    ended = w.contract(127)
    contracts.terminate_contract(w.rt, w.p("admin_A"), ended, reason="解约")
    clock.advance(days=334)  # 2027-10-25: 31 days left
    contracts.renew_contract(w.rt, w.p("admin_A"), renewed)
    assert contracts.remind_expiring(w.rt).contracts == 0 and sent == []
    clock.advance(days=1)  # 30 days left
    report = contracts.remind_expiring(w.rt)
    assert (report.contracts, report.notices) == (2, 4)
    accounts = w.world.accounts
    by_contract = {ref: sorted(n.account_id or "" for n in sent if n.ref == ref) for ref in {n.ref for n in sent}}
    assert by_contract == {elder_a: sorted([accounts["admin_A"], accounts["family_F"], accounts["elder_A"]]),
                           plain: [accounts["admin_A"]]}
    family = next(n for n in sent if n.account_id == accounts["family_F"])
    assert family.phone == "13800000300" and family.topic == "homebed.contract_expiring"
    assert "2027年11月25日" in family.body and "还有30天" in family.body
    assert contracts.remind_expiring(w.rt).contracts == 0
    clock.advance(days=5)
    assert contracts.remind_expiring(w.rt).contracts == 0 and len(sent) == 4
    # A change of the expiry date is a new expiry: it is reminded again (and only that contract).
    contracts.amend_contract(w.rt, w.p("admin_A"), elder_a, TermsForm(
        service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")],
        expiry_date=date(2027, 11, 20)), reason="提前结束")
    again = contracts.remind_expiring(w.rt)
    assert (again.contracts, again.notices) == (1, 3)
    assert {n.ref for n in sent[4:]} == {elder_a} and "2027年11月20日" in sent[-1].body
    assert contracts.remind_expiring(w.rt).contracts == 0
    # A later expiry beyond the lead time waits until it comes within reach.
    contracts.amend_contract(w.rt, w.p("admin_A"), plain, TermsForm(
        service_plan=[PlanLineForm(service_item_id=w.nursing, times=1, per="week")],
        expiry_date=date(2028, 1, 15)), reason="延长")
    assert contracts.remind_expiring(w.rt).contracts == 0
    config.update_settings(w.rt, operator(), {"reminder_lead_days": 80})  # 76 days left
    assert contracts.remind_expiring(w.rt).contracts == 1
    assert contracts.remind_expiring(w.rt).contracts == 0
    assert len(sent) == 8


# -- reports -------------------------------------------------------------------------------------------------
def _settled(w, clock: FrozenClock) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Completed orders in A, its station A1 and B with ratio, capped and amount subsidies (see the totals below)."""
    odd = service_item(w, "康复理疗", 1005)
    amount = subsidy_type(w, "天河区定额补贴", "440106", mode="amount", amount_fen=2500)
    in_a = sign_plan(w, w.apply(130), [w.nursing, w.meal, odd], subsidy=w.subsidy)
    in_a1 = sign_plan(w, apply_in(w, 131, institution="A1", admin="admin_A", region="440104"), [w.nursing],
                      subsidy=w.subsidy)
    in_b = sign_plan(w, apply_in(w, 132, institution="B", admin="admin_B", region="440106"), [w.nursing, w.meal],
                     subsidy=amount, login="admin_B")
    for item in (w.nursing, w.nursing, w.meal, odd):
        serve(w, place(w, in_a, item), staff_id=w.staff_A, worker="staff_A", minutes=50)
    serve(w, place(w, in_a1, w.nursing), staff_id=w.world.staff["A1"], worker="staff_A1", minutes=45)
    for item in (w.nursing, w.nursing, w.meal):
        serve(w, place(w, in_b, item, login="admin_B"), staff_id=w.staff_B, worker="staff_B", dispatcher="admin_B",
              minutes=40)
    record = RecordForm(contract_id=in_a, service_item_id=w.nursing, staff_id=w.staff_A,
                        started_at=w.now - timedelta(minutes=70), completed_at=w.now - timedelta(minutes=10))
    confirmed = orders.record_service(w.rt, w.p("admin_A"), record)
    # S-02: confirmed by a dispatcher who neither recorded it (admin_A) nor did it (staff_A).
    orders.confirm_record(w.rt, w.p(staff_login(w, "A", "worker_A")), confirmed.id, "已确认")
    earlier = evolve(record, started_at=w.now - timedelta(minutes=140), completed_at=w.now - timedelta(minutes=80))
    orders.record_service(w.rt, w.p("admin_A"), earlier)  # unconfirmed: not settled
    place(w, in_a, w.nursing)  # not served: not settled
    orders.cancel_order(w.rt, w.p("admin_B"), place(w, in_b, w.nursing, login="admin_B"), "取消")
    return {"in_a": in_a, "in_a1": in_a1, "in_b": in_b, "amount": amount}


def test_settlement_totals_equal_the_rows_to_the_fen(backend: Container, clock: FrozenClock) -> None:
    """HB-30: the settlement report lists completed orders only; per-institution and grand totals equal the sums
    of the rows for every filter (region, institution, subsidy type) and every viewer's scope."""
    w = build(backend)
    made = _settled(w, clock)

    def check(login: str, **kw: str) -> tuple[int, int, int, int]:
        flt = reports.settlement_filter(w.p(login), *NOVEMBER, **kw)
        page = reports.settlement_report(w.rt, w.p(login), flt, PageRequest(1, 100))
        streamed = list(reports.settlement_rows(w.rt, w.p(login), flt))
        assert page.rows == streamed and page.total_rows == len(streamed)
        per, grand = totals_of(streamed)
        assert [(t.institution_id, t.orders, t.amount_fen, t.subsidy_fen, t.self_pay_fen) for t in page.institutions] \
            == [(t.institution_id, t.orders, t.amount_fen, t.subsidy_fen, t.self_pay_fen) for t in per]
        g = page.grand_total
        assert (g.orders, g.amount_fen, g.subsidy_fen, g.self_pay_fen) == (
            grand.orders, grand.amount_fen, grand.subsidy_fen, grand.self_pay_fen)
        assert all(r.amount_fen == r.subsidy_fen + r.self_pay_fen for r in streamed)
        assert all(r.elder_id_card.count("*") == 8 and "*" in r.elder_name for r in streamed)
        assert [r.completed_at for r in streamed] == sorted(r.completed_at for r in streamed)
        return g.orders, g.amount_fen, g.subsidy_fen, g.self_pay_fen

    # 6 nursing visits (4 with ¥80 capped ratio subsidy, 2 with ¥25), 2 meals (no subsidy), 1 physio (¥7.04).
    everything = (9, 12000 * 6 + 3000 * 2 + 1005, 8000 * 4 + 2500 * 2 + 704, 4000 * 4 + 9500 * 2 + 3000 * 2 + 301)
    assert check("auditor") == everything == (9, 79005, 37704, 41301)
    assert check("operator", region_code="440100") == everything
    assert check("admin_A") == (6, 52005, 32704, 19301)  # A (5 incl. the confirmed record) and its station A1
    assert check("auditor", region_code="440104") == (6, 52005, 32704, 19301)
    assert check("auditor", region_code="440106") == check("admin_B") == (3, 27000, 5000, 22000)
    assert check("auditor", institution_id=w.world.inst["A1"]) == (1, 12000, 8000, 4000)
    assert check("admin_A", institution_id=w.world.inst["B"]) == (0, 0, 0, 0)
    assert check("auditor", subsidy_type_id=made["amount"]) == (3, 27000, 5000, 22000)
    assert check("auditor", subsidy_type_id=w.subsidy) == (6, 52005, 32704, 19301)
    assert check("admin_A1") == (1, 12000, 8000, 4000)
    page = reports.settlement_report(w.rt, w.p("auditor"), reports.settlement_filter(w.p("auditor"), *NOVEMBER),
                                     PageRequest(2, 4))
    assert len(page.rows) == 4 and page.total_rows == 9 and page.grand_total.amount_fen == 79005
    b_row = next(r for r in reports.settlement_rows(w.rt, w.p("admin_B"), reports.settlement_filter(
        w.p("admin_B"), *NOVEMBER)) if r.item_name == "上门护理")
    assert (b_row.subsidy_type, b_row.staff_name, b_row.duration_minutes) == ("天河区定额补贴", "护理员B", 40)
    with pytest.raises(PermissionDenied):
        reports.settlement_filter(w.p("staff_A"), *NOVEMBER)
    with pytest.raises(ValidationFailed):
        reports.settlement_filter(w.p("auditor"), date(2026, 12, 1), date(2026, 11, 1))
    with pytest.raises(ValidationFailed):
        reports.settlement_filter(w.p("auditor"), date(2026, 1, 1), date(2027, 1, 3))


def test_settlement_periods_follow_shanghai_dates(backend: Container, clock: FrozenClock) -> None:
    """HB-30: an order belongs to the Shanghai date its service ended on (23:59 on 30 Nov is November)."""
    w = build(backend)
    contract_id = w.contract(133)
    for end in (datetime(2026, 11, 30, 15, 59, tzinfo=UTC), datetime(2026, 11, 30, 16, 0, tzinfo=UTC)):
        clock.current = end - timedelta(hours=1)
        serve(w, w.order(contract_id, hours=0.5), staff_id=w.staff_A, worker="staff_A", minutes=60)

    def numbers(period: str) -> list[str]:
        flt = reports.settlement_filter(w.p("admin_A"), *reports.parse_period(period))
        return [r.order_number for r in reports.settlement_rows(w.rt, w.p("admin_A"), flt)]

    november, december = numbers("2026-11"), numbers("2026-12")
    assert len(november) == len(december) == 1 and november != december
    assert numbers("2026-11-30..2026-12-01") == november + december
    assert reports.parse_period("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    with pytest.raises(ValidationFailed):
        reports.parse_period("2026/12")


def test_business_report_counts(backend: Container, clock: FrozenClock) -> None:
    """HB-30: contracts signed, active, terminated in the period and expiring within 30 days; orders by status,
    within the viewer's scope."""
    w = build(backend)
    kept = w.contract(134)
    ended = w.contract(135)
    sign_plan(w, w.apply(136), [w.nursing], subsidy=None, expiry=date(2026, 12, 20))  # expiring soon
    b_contract = sign_plan(w, apply_in(w, 137, institution="B", admin="admin_B", region="440106"), [w.nursing],
                           subsidy=None, login="admin_B")
    served = w.order(kept)
    serve(w, served, staff_id=w.staff_A, worker="staff_A", minutes=60)
    w.order(kept)
    w.order(ended)  # cancelled by the termination
    contracts.terminate_contract(w.rt, w.p("admin_A"), ended, reason="搬家")
    place(w, b_contract, w.nursing, login="admin_B")
    report = reports.business_report(w.rt, w.p("admin_A"), *NOVEMBER)
    assert (report.contracts_signed, report.contracts_active, report.contracts_terminated,
            report.contracts_expiring) == (3, 2, 1, 1)
    assert report.orders_by_status == {"completed": 1, "pending_dispatch": 1, "cancelled": 1}
    assert (report.orders_completed, report.orders_on_time, report.exceptions_by_type) == (1, 1, {})
    everyone = reports.business_report(w.rt, w.p("auditor"), *NOVEMBER)
    assert (everyone.contracts_signed, everyone.contracts_active) == (4, 3)
    assert everyone.orders_by_status == {"completed": 1, "pending_dispatch": 2, "cancelled": 1}
    december = reports.business_report(w.rt, w.p("auditor"), date(2026, 12, 1), date(2027, 1, 1))
    assert (december.contracts_signed, december.orders_by_status, december.on_time_rate) == (0, {}, None)
