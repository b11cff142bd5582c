"""Home-bed service orders (HB-10/HB-11, S-01…S-03, S-06): placing on behalf, dispatch and re-dispatch, the
worker's start/return/complete, cancellation, supplementary records and who sees which order."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.conftest import FrozenClock, operator
from tests.homebed.helpers import ALL, build, field_codes, serve, service_item, sign_plan, staff_login
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.orders import OrderStatus
from yiyangkang.domain.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.services.homebed import config, contracts, orders
from yiyangkang.services.homebed.config import ServiceItemForm
from yiyangkang.services.homebed.orders import OrderForm, RecordForm


def test_placing_an_order_on_behalf(backend: Container) -> None:
    """HB-10/S-06: only items of the contract's plan, within 90 days and the contract term; not by the elder."""
    w = build(backend)
    physio = service_item(w, "康复理疗", 9000)
    contract_id = sign_plan(w, w.apply(100), [w.nursing, w.meal], subsidy=w.subsidy, expiry=date(2026, 12, 5))

    def place(item: str, **at: float) -> object:
        return orders.place_order(w.rt, w.p("staff_A"), OrderForm(
            contract_id=contract_id, service_item_id=item, scheduled_at=w.now + timedelta(**at)))

    with pytest.raises(ValidationFailed) as bad:
        place(physio, hours=2)
    assert field_codes(bad) == {("service_item_id", "NOT_IN_PLAN")}
    with pytest.raises(ValidationFailed) as bad:
        place(w.nursing, hours=-2)
    assert field_codes(bad) == {("scheduled_at", "OUT_OF_RANGE")}
    with pytest.raises(ValidationFailed) as bad:
        place(w.nursing, days=91)
    assert field_codes(bad) == {("scheduled_at", "OUT_OF_RANGE")}
    with pytest.raises(ValidationFailed) as bad:  # 6 Dec in Shanghai is after the 5 Dec expiry
        place(w.nursing, days=10, hours=14)
    assert field_codes(bad) == {("scheduled_at", "AFTER_EXPIRY")}
    last_day = place(w.nursing, days=10, hours=13)  # 5 Dec 23:00 in Shanghai
    assert last_day.status == "pending_dispatch"  # type: ignore[attr-defined]
    config.update_entry(w.rt, operator(), config.SERVICE_ITEMS, w.meal, ServiceItemForm(active=False))
    with pytest.raises(ValidationFailed) as bad:
        place(w.meal, hours=2)
    assert field_codes(bad) == {("service_item_id", "INACTIVE_SERVICE_ITEM")}
    with pytest.raises(PermissionDenied):
        orders.place_order(w.rt, w.p("elder_A"), OrderForm(contract_id=contract_id, service_item_id=w.nursing,
                                                           scheduled_at=w.now + timedelta(hours=2)))
    for login in ("admin_B", "staff_B", "staff_A1"):
        with pytest.raises(NotFound):
            orders.place_order(w.rt, w.p(login), OrderForm(contract_id=contract_id, service_item_id=w.nursing,
                                                           scheduled_at=w.now + timedelta(hours=2)))
    placed = orders.get_order(w.rt, w.p("admin_A"), w.order(contract_id, hours=0.5))
    assert placed.number.startswith("FW20261125") and placed.item_name == "上门护理"
    assert (placed.standard_minutes, placed.staff_id, placed.supplementary) == (60, None, False)


def test_dispatch_redispatch_and_return(backend: Container) -> None:
    """HB-10/HB-11/S-01/S-03: dispatch only to the institution's own workers; re-dispatch while waiting; only the
    assigned worker serves or returns; a returned order waits for dispatch again."""
    w = build(backend)
    worker = staff_login(w, "A", "worker_A")  # 员工A of institution A
    order_id = w.order(w.contract(101))
    for stranger in (w.staff_B, w.world.staff["A1"], "no-such-staff"):
        with pytest.raises(ValidationFailed) as bad:
            orders.dispatch_order(w.rt, w.p("admin_A"), order_id, stranger)
        assert field_codes(bad) == {("staff_id", "UNKNOWN_STAFF")}
    first = orders.dispatch_order(w.rt, w.p("staff_A"), order_id, w.staff_A)
    assert (first.status, first.staff_id, first.dispatched_at) == ("dispatched", w.staff_A, w.now)
    again = orders.dispatch_order(w.rt, w.p("admin_A"), order_id, w.world.staff["A"], expected_version=first.version)
    assert (again.status, again.staff_id) == ("dispatched", w.world.staff["A"])
    with pytest.raises(Conflict) as stale:
        orders.dispatch_order(w.rt, w.p("admin_A"), order_id, w.staff_A, expected_version=first.version)
    assert stale.value.code == "CONCURRENT_UPDATE"
    for action in (lambda: orders.return_order(w.rt, w.p("staff_A"), order_id, "没空"),
                   lambda: orders.start_order(w.rt, w.p("staff_A"), order_id),
                   lambda: orders.complete_order(w.rt, w.p("staff_A"), order_id)):
        with pytest.raises(PermissionDenied) as denied:
            action()
        assert denied.value.code == "HOMEBED_ORDER_NOT_YOURS"
    with pytest.raises(NotFound):
        orders.return_order(w.rt, w.p("staff_B"), order_id, "不是我的")
    with pytest.raises(PermissionDenied):
        orders.return_order(w.rt, w.p("admin_A"), order_id, "管理员不能退单")
    with pytest.raises(ValidationFailed) as bad:
        orders.return_order(w.rt, w.p(worker), order_id, "  ")
    assert field_codes(bad) == {("reason", "REQUIRED")}
    returned = orders.return_order(w.rt, w.p(worker), order_id, "临时有事")
    assert (returned.status, returned.staff_id, returned.dispatched_at) == ("pending_dispatch", None, None)
    assert (returned.return_count, returned.return_reason) == (1, "临时有事")
    with pytest.raises(PermissionDenied):  # nobody's order now
        orders.start_order(w.rt, w.p(worker), order_id)
    orders.dispatch_order(w.rt, w.p("admin_A"), order_id, w.staff_A)
    started = orders.start_order(w.rt, w.p("staff_A"), order_id, lng=113.27, lat=23.13)
    assert (started.status, started.start_lng, started.start_lat) == ("in_service", 113.27, 23.13)
    with pytest.raises(Conflict):  # no re-dispatch, no return once the service started
        orders.dispatch_order(w.rt, w.p("admin_A"), order_id, w.world.staff["A"])
    with pytest.raises(Conflict):
        orders.return_order(w.rt, w.p("staff_A"), order_id, "不想做了")
    with pytest.raises(ValidationFailed):
        orders.complete_order(w.rt, w.p("staff_A"), order_id, lng=113.27)
    done = orders.complete_order(w.rt, w.p("staff_A"), order_id, lng=113.28, lat=23.14)
    assert (done.status, done.end_lng, done.duration_minutes) == ("completed", 113.28, 0)
    names = [(e.name, e.after) for e in orders.order_events(w.rt, w.p("admin_A"), order_id)]
    assert [n for n, _ in names] == [
        "homebed_order.placed", "homebed_order.dispatched", "homebed_order.assigned", "homebed_order.redispatched",
        "homebed_order.returned", "homebed_order.dispatched", "homebed_order.assigned", "homebed_order.started",
        "homebed_order.completed"]
    assert names[3][1] == {"staff_id": w.world.staff["A"]}


def test_cancel_until_the_deadline(backend: Container, clock: FrozenClock) -> None:
    """HB-10/HB-20: an order may be cancelled until cancel_deadline_minutes (120 by default) before its time;
    started orders cannot be cancelled; the family may cancel their elder's order."""
    w = build(backend)
    contract_id = w.sign(w.apply(0))  # elder A, linked to family F
    on_time, late, started = (w.order(contract_id, hours=3) for _ in range(3))
    with pytest.raises(ValidationFailed) as bad:
        orders.cancel_order(w.rt, w.p("admin_A"), on_time, " ")
    assert field_codes(bad) == {("reason", "REQUIRED")}
    clock.advance(minutes=60)  # exactly 120 minutes before: still allowed
    cancelled = orders.cancel_order(w.rt, w.p("family_F"), on_time, "老人身体不适")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "老人身体不适")
    clock.advance(minutes=1)
    with pytest.raises(Conflict) as too_late:
        orders.cancel_order(w.rt, w.p("admin_A"), late, "改期")
    assert too_late.value.code == "HOMEBED_ORDER_CANCEL_DEADLINE_PASSED"
    config.update_settings(w.rt, operator(), {"cancel_deadline_minutes": 30})
    assert orders.cancel_order(w.rt, w.p("elder_A"), late, "改期").status == "cancelled"
    orders.dispatch_order(w.rt, w.p("admin_A"), started, w.staff_A)
    orders.start_order(w.rt, w.p("staff_A"), started)
    with pytest.raises(Conflict) as refused:
        orders.cancel_order(w.rt, w.p("admin_A"), started, "不要了")
    assert refused.value.code == "HOMEBED_ORDER_INVALID_TRANSITION"
    with pytest.raises(Conflict):
        orders.cancel_order(w.rt, w.p("admin_A"), on_time, "再取消一次")
    with pytest.raises(PermissionDenied):
        orders.dispatch_order(w.rt, w.p("family_F"), late, w.staff_A)


def test_supplementary_records_wait_for_confirmation(backend: Container, clock: FrozenClock) -> None:
    """HB-10/S-02: a service done off-system is recorded as unconfirmed, then confirmed with the customer (or
    rejected) by a dispatcher other than whoever recorded it or did the visit; it must lie within the contract's
    term."""
    w = build(backend)
    checker = staff_login(w, "A", "worker_A")  # 员工A of A: neither the recorder (admin_A) nor the worker (staff_A)
    contract_id = w.contract(102)
    clock.advance(hours=6)
    now = w.now

    def record(start_h: float, end_h: float, *, staff: str | None = None, item: str | None = None) -> str:
        return orders.record_service(w.rt, w.p("admin_A"), RecordForm(
            contract_id=contract_id, service_item_id=item or w.nursing, staff_id=staff or w.staff_A,
            started_at=now + timedelta(hours=start_h), completed_at=now + timedelta(hours=end_h), note="电话预约上门")).id

    with pytest.raises(ValidationFailed) as bad:  # the day before the contract began
        record(-30, -29)
    assert field_codes(bad) == {("started_at", "OUTSIDE_CONTRACT")}
    with pytest.raises(ValidationFailed) as bad:
        record(-1, 1)
    assert field_codes(bad) == {("completed_at", "INVALID_RANGE")}
    with pytest.raises(ValidationFailed) as bad:
        record(-2, -3, staff=w.staff_B)
    assert field_codes(bad) == {("completed_at", "INVALID_RANGE"), ("staff_id", "UNKNOWN_STAFF")}
    with pytest.raises(PermissionDenied):
        orders.record_service(w.rt, w.p("family_F"), RecordForm(
            contract_id=contract_id, service_item_id=w.nursing, staff_id=w.staff_A,
            started_at=now - timedelta(hours=2), completed_at=now - timedelta(hours=1)))
    kept = record(-3, -2)
    dropped = record(-5, -4.5, item=w.meal)
    shown = orders.get_order(w.rt, w.p("admin_A"), kept)
    assert (shown.status, shown.supplementary, shown.staff_id, shown.duration_minutes) == (
        "unconfirmed", True, w.staff_A, 60)
    assert (shown.price_fen, shown.subsidy_fen, shown.note) == (12000, 8000, "电话预约上门")
    assert orders.list_orders(w.rt, w.p("admin_A"), ALL, status=OrderStatus.UNCONFIRMED).total == 2
    with pytest.raises(ValidationFailed) as bad:
        orders.confirm_record(w.rt, w.p(checker), kept, " ")
    assert field_codes(bad) == {("note", "REQUIRED")}
    with pytest.raises(NotFound):
        orders.confirm_record(w.rt, w.p("staff_B"), kept, "已确认")
    for own in ("admin_A", "staff_A"):  # the recorder and the worker cannot vouch for the visit themselves
        with pytest.raises(PermissionDenied) as denied:
            orders.confirm_record(w.rt, w.p(own), kept, "已电话确认")
        assert denied.value.code == "HOMEBED_RECORD_SELF_CONFIRM"
    confirmed = orders.confirm_record(w.rt, w.p(checker), kept, "已电话确认")
    assert (confirmed.status, confirmed.confirmation_note) == ("completed", "已电话确认")
    (event,) = [e for e in orders.order_events(w.rt, w.p("admin_A"), kept) if e.name == "homebed_order.confirmed"]
    assert event.actor_id == w.world.accounts[checker]
    with pytest.raises(Conflict) as again:
        orders.confirm_record(w.rt, w.p(checker), kept, "再确认")
    assert again.value.code == "HOMEBED_ORDER_NOT_A_PENDING_RECORD"
    with pytest.raises(ValidationFailed):
        orders.reject_record(w.rt, w.p("admin_A"), dropped, "")
    rejected = orders.reject_record(w.rt, w.p("admin_A"), dropped, "客户否认")
    assert (rejected.status, rejected.cancel_reason) == ("cancelled", "客户否认")
    assert orders.list_orders(w.rt, w.p("admin_A"), ALL, supplementary=True).total == 2
    # After termination, visits up to the termination day may still be recorded, later ones not.
    contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="搬离")
    assert orders.get_order(w.rt, w.p("admin_A"), record(-1, -0.5)).status == "unconfirmed"
    clock.advance(days=1)
    with pytest.raises(ValidationFailed) as bad:
        record(23, 23.5)
    assert field_codes(bad) == {("started_at", "OUTSIDE_CONTRACT")}


def test_confirming_an_ordinary_order_is_not_a_pending_record(backend: Container) -> None:
    """HB-10/S-02: only a supplementary record waits for confirmation; an ordinary order is
    HOMEBED_ORDER_NOT_A_PENDING_RECORD, whoever asks."""
    w = build(backend)
    checker = staff_login(w, "A", "worker_A")
    normal = w.order(w.contract(104))  # placed by admin_A, in term, not started
    with pytest.raises(Conflict) as not_a_record:
        orders.confirm_record(w.rt, w.p(checker), normal, "确认")
    assert not_a_record.value.code == "HOMEBED_ORDER_NOT_A_PENDING_RECORD"


def test_a_record_is_confirmed_only_while_the_contract_covers_its_day(backend: Container, clock: FrozenClock) -> None:
    """S-02/HB-05: a record whose day the contract no longer covers (terminated earlier) is not confirmed (409
    HOMEBED_RECORD_OUTSIDE_CONTRACT); a record of a covered day still is."""
    w = build(backend)
    checker = staff_login(w, "A", "worker_A")
    contract_id = w.contract(105)
    clock.advance(days=2)  # 27 Nov, 10:00 in Shanghai

    def record(start_h: float) -> str:
        return orders.record_service(w.rt, w.p("admin_A"), RecordForm(
            contract_id=contract_id, service_item_id=w.nursing, staff_id=w.staff_A,
            started_at=w.now + timedelta(hours=start_h), completed_at=w.now + timedelta(hours=start_h + 1))).id

    covered, later = record(-26), record(-3)  # 26 Nov and 27 Nov
    contracts.terminate_contract(w.rt, w.p("admin_A"), contract_id, reason="搬离", on=date(2026, 11, 26))
    with pytest.raises(Conflict) as outside:
        orders.confirm_record(w.rt, w.p(checker), later, "已电话确认")
    assert outside.value.code == "HOMEBED_RECORD_OUTSIDE_CONTRACT"
    assert orders.get_order(w.rt, w.p("admin_A"), later).status == "unconfirmed"
    assert orders.confirm_record(w.rt, w.p(checker), covered, "已电话确认").status == "completed"
    assert orders.reject_record(w.rt, w.p(checker), later, "解约后的上门不予结算").status == "cancelled"


def test_records_may_not_overlap_and_reach_back_90_days(backend: Container, clock: FrozenClock) -> None:
    """HB-10/S-02: a record overlapping another order of the elder that is not cancelled (a record or a served
    visit) is 409 HOMEBED_RECORD_OVERLAPS; back-to-back is fine, a cancelled one frees its time, other elders
    are not concerned; a record starts within the last 90 days."""
    w = build(backend)
    contract_id = w.contract(106)
    other = w.contract(107)
    served = w.order(contract_id, hours=0.5)
    clock.advance(minutes=30)
    serve(w, served, staff_id=w.staff_A, worker="staff_A", minutes=60)  # 10:30-11:30 in Shanghai
    clock.advance(hours=6)
    visit = w.now - timedelta(hours=5)  # 12:30 in Shanghai (now 17:30)

    def record(start: datetime, hours: float = 1, contract: str = contract_id) -> str:
        return orders.record_service(w.rt, w.p("admin_A"), RecordForm(
            contract_id=contract, service_item_id=w.nursing, staff_id=w.staff_A,
            started_at=start, completed_at=start + timedelta(hours=hours))).id

    first = record(visit)
    for start, hours in ((visit + timedelta(minutes=30), 1), (visit - timedelta(minutes=30), 1),
                         (visit + timedelta(minutes=10), 0.5), (visit - timedelta(hours=1), 3)):
        with pytest.raises(Conflict) as clash:
            record(start, hours)
        assert clash.value.code == "HOMEBED_RECORD_OVERLAPS"
    with pytest.raises(Conflict) as clash:  # the visit served through the system
        record(visit - timedelta(hours=1, minutes=30))
    assert clash.value.code == "HOMEBED_RECORD_OVERLAPS"
    record(visit + timedelta(hours=1))  # right after the first one
    record(visit - timedelta(hours=1))  # right after the served visit, right before the first record
    record(visit, contract=other)  # the same hour for another elder
    orders.reject_record(w.rt, w.p("staff_A"), first, "客户否认")
    assert orders.get_order(w.rt, w.p("admin_A"), record(visit)).status == "unconfirmed"
    assert orders.list_orders(w.rt, w.p("admin_A"), ALL, contract_id=contract_id, supplementary=True).total == 4

    clock.advance(days=100)
    with pytest.raises(ValidationFailed) as bad:
        record(w.now - timedelta(days=91))
    assert field_codes(bad) == {("completed_at", "INVALID_RANGE")}
    assert orders.get_order(w.rt, w.p("admin_A"), record(w.now - timedelta(days=89))).status == "unconfirmed"


def test_a_record_inside_a_visit_in_service_overlaps_it(backend: Container, clock: FrozenClock) -> None:
    """HB-10/S-02: a visit in service since 10:00 occupies the elder until now; a record of 10:30-11:00 overlaps."""
    w = build(backend)
    contract_id = w.contract(108)
    ongoing = w.order(contract_id, hours=0.5)
    orders.dispatch_order(w.rt, w.p("admin_A"), ongoing, w.staff_A)
    orders.start_order(w.rt, w.p("staff_A"), ongoing)
    clock.advance(hours=2)
    with pytest.raises(Conflict) as clash:
        orders.record_service(w.rt, w.p("admin_A"), RecordForm(
            contract_id=contract_id, service_item_id=w.nursing, staff_id=w.world.staff["A"],
            started_at=w.now - timedelta(minutes=90), completed_at=w.now - timedelta(minutes=60)))
    assert clash.value.code == "HOMEBED_RECORD_OVERLAPS"


def test_staff_dispatch_the_pool_and_cancel_their_own_orders(backend: Container) -> None:
    """S-03/HB-10: staff dispatch orders waiting for dispatch; taking a dispatched order from a colleague is the
    admin's (or operator's) call, HOMEBED_REDISPATCH_BY_ADMIN. Staff cancel only orders they placed or that are
    assigned to them, HOMEBED_ORDER_NOT_YOURS otherwise; admins cancel any."""
    w = build(backend)
    contract_id = w.contract(109)
    order_id = w.order(contract_id)  # placed by admin_A
    assert orders.dispatch_order(w.rt, w.p("staff_A"), order_id, w.world.staff["A"]).staff_id == w.world.staff["A"]
    with pytest.raises(PermissionDenied) as denied:  # taking it over from 员工A
        orders.dispatch_order(w.rt, w.p("staff_A"), order_id, w.staff_A)
    assert denied.value.code == "HOMEBED_REDISPATCH_BY_ADMIN"
    # Naming the worker it already has changes nothing and is no re-dispatch.
    assert orders.dispatch_order(w.rt, w.p("staff_A"), order_id, w.world.staff["A"]).staff_id == w.world.staff["A"]
    assert orders.get_order(w.rt, w.p("admin_A"), order_id).staff_id == w.world.staff["A"]
    assert orders.dispatch_order(w.rt, w.p("admin_A"), order_id, w.staff_A).staff_id == w.staff_A
    assert orders.dispatch_order(w.rt, w.p("operator"), order_id, w.world.staff["A"]).staff_id == w.world.staff["A"]
    redispatches = [e.actor_id for e in orders.order_events(w.rt, w.p("admin_A"), order_id)
                    if e.name == "homebed_order.redispatched"]
    assert redispatches == [w.world.accounts["admin_A"], w.world.accounts["operator"]]

    others, own, assigned = w.order(contract_id), w.order(contract_id, login="staff_A"), w.order(contract_id)
    orders.dispatch_order(w.rt, w.p("admin_A"), assigned, w.staff_A)
    for not_hers in (others, order_id):  # placed by admin_A, unassigned or assigned to a colleague
        with pytest.raises(PermissionDenied) as denied:
            orders.cancel_order(w.rt, w.p("staff_A"), not_hers, "老人不在家")
        assert denied.value.code == "HOMEBED_ORDER_NOT_YOURS"
        assert orders.get_order(w.rt, w.p("admin_A"), not_hers).status != "cancelled"
    for mine in (own, assigned):
        assert orders.cancel_order(w.rt, w.p("staff_A"), mine, "老人不在家").status == "cancelled"
    assert orders.cancel_order(w.rt, w.p("admin_A"), others, "老人不在家").status == "cancelled"


def test_who_sees_which_order(backend: Container) -> None:
    """HB-10/S-01: the staff task list holds the worker's own orders; the elder and the family see only their
    elder's orders; other institutions see nothing."""
    w = build(backend)
    elder_a = w.sign(w.apply(0))
    other = w.contract(103)
    mine = w.order(elder_a)
    theirs = w.order(other)
    unassigned = w.order(other)
    orders.dispatch_order(w.rt, w.p("admin_A"), mine, w.staff_A)
    orders.dispatch_order(w.rt, w.p("admin_A"), theirs, w.world.staff["A"])

    def ids(login: str, **kw: object) -> set[str]:
        return {o.id for o in orders.list_orders(w.rt, w.p(login), ALL, **kw).items}  # type: ignore[arg-type]

    assert ids("staff_A", mine=True) == {mine}
    assert ids("staff_A") == {mine, theirs, unassigned}
    assert ids("admin_A", status=OrderStatus.PENDING_DISPATCH) == {unassigned}
    assert ids("admin_A", contract_id=other) == {theirs, unassigned}
    assert ids("admin_A", staff_id=w.world.staff["A"]) == {theirs}
    assert ids("elder_A") == ids("family_F") == {mine}
    assert ids("auditor") == {mine, theirs, unassigned}
    assert ids("admin_B") == ids("staff_B") == ids("staff_A1") == set()
    with pytest.raises(ValidationFailed) as bad:
        orders.list_orders(w.rt, w.p("admin_A"), ALL, mine=True)
    assert field_codes(bad) == {("mine", "NOT_STAFF")}
    for login in ("elder_A", "family_F"):
        assert orders.get_order(w.rt, w.p(login), mine).elder_id == w.world.elders["A"]
        with pytest.raises(NotFound):
            orders.get_order(w.rt, w.p(login), theirs)
        with pytest.raises(NotFound):
            orders.cancel_order(w.rt, w.p(login), theirs, "不是我家的")
    for login in ("admin_B", "staff_B"):
        with pytest.raises(NotFound):
            orders.get_order(w.rt, w.p(login), mine)
