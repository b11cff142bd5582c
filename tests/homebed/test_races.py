"""Parallel home-bed commands on the real databases (SQLite and PostgreSQL): each thread runs its own use case,
as parallel requests would."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FrozenClock
from tests.homebed.helpers import ALL, build, race
from tests.homebed.setup import HomeBedWorld
from tests.world import id_card, phone
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.contracts import ContractNotActive
from yiyangkang.domain.homebed.exceptions import ExceptionKind
from yiyangkang.domain.kernel.errors import ConcurrentUpdate, Conflict, PermissionDenied
from yiyangkang.services.homebed import applications, contracts, exceptions, orders
from yiyangkang.services.homebed.applications import ApplicationForm
from yiyangkang.services.homebed.contracts import ContractView
from yiyangkang.services.homebed.exceptions import ScanReport
from yiyangkang.services.homebed.orders import OrderForm
from yiyangkang.services.homebed.views import ApplicationView, OrderView


@pytest.fixture
def w(sql_backend: Container) -> HomeBedWorld:
    return build(sql_backend)


def test_orders_racing_a_termination_never_survive_it(w: HomeBedWorld) -> None:
    """HB-05/HB-10: 8 parallel orders against a termination of the same contract: every order that got in is
    cancelled by the termination, every later one is refused."""
    contract_id = w.contract(150)
    admin, staff = w.p("admin_A"), w.p("staff_A")
    form = OrderForm(contract_id=contract_id, service_item_id=w.nursing, scheduled_at=w.now + timedelta(hours=5))

    def act(i: int) -> object:
        if i == 4:
            return contracts.terminate_contract(w.rt, admin, contract_id, reason="入住养老院")
        return orders.place_order(w.rt, staff if i % 2 else admin, form)

    results = race(9, act)
    assert isinstance(results[4], ContractView) and results[4].status == "terminated"
    placed = [r.id for r in results if isinstance(r, OrderView)]
    refused = [r for r in results if isinstance(r, ContractNotActive)]
    assert len(placed) + len(refused) == 8
    stored = orders.list_orders(w.rt, admin, ALL, contract_id=contract_id).items
    assert sorted(o.id for o in stored) == sorted(placed)
    assert [o.status for o in stored if o.status != "cancelled"] == []


def test_parallel_dispatches_leave_one_worker(w: HomeBedWorld) -> None:
    """HB-10/S-03: 8 dispatchers at once (admin_A and staff_A, each for another worker): the order ends
    dispatched to exactly one worker, moved out of the pool once, and nobody gets anything but a clean answer,
    a 409, or, for staff_A coming after the admin, 403 HOMEBED_REDISPATCH_BY_ADMIN; only the admin re-dispatches."""
    order_id = w.order(w.contract(151))
    workers = [w.world.staff["A"], w.staff_A]
    who = [w.p("admin_A"), w.p("staff_A")]
    results = race(8, lambda i: orders.dispatch_order(w.rt, who[i % 2], order_id, workers[i % 2]))
    for i, r in enumerate(results):
        if i % 2 and isinstance(r, PermissionDenied):
            assert r.code == "HOMEBED_REDISPATCH_BY_ADMIN"
        else:
            assert isinstance(r, (OrderView, ConcurrentUpdate, Conflict)), (i, r)
    assert any(isinstance(r, OrderView) for r in results)
    final = orders.get_order(w.rt, w.p("admin_A"), order_id)
    assert final.status == "dispatched" and final.staff_id in workers
    events = orders.order_events(w.rt, w.p("admin_A"), order_id)
    assert [e.name for e in events].count("homebed_order.dispatched") == 1
    moves = [e.after["staff_id"] for e in events
             if e.name in ("homebed_order.assigned", "homebed_order.redispatched") and e.after]
    assert moves[-1] == final.staff_id
    redispatchers = {e.actor_id for e in events if e.name == "homebed_order.redispatched"}
    assert redispatchers <= {w.world.accounts["admin_A"]}


def test_parallel_signings_get_distinct_numbers(w: HomeBedWorld) -> None:
    """HB-03/S-05: 8 contracts signed at once (the day's first) get 8 distinct consecutive numbers."""
    apps = [w.apply(160 + n) for n in range(8)]
    results = race(8, lambda i: w.sign(apps[i], login=("admin_A", "staff_A")[i % 2]))
    assert all(isinstance(r, str) for r in results), results
    numbers = sorted(contracts.get_contract(w.rt, w.p("admin_A"), str(r)).number for r in results)
    assert numbers == [f"QY20261125{n:05d}" for n in range(1, 9)]
    assert {applications.get_application(w.rt, w.p("admin_A"), a).status for a in apps} == {"signed"}


def test_parallel_exception_scans_raise_each_exception_once(w: HomeBedWorld, clock: FrozenClock) -> None:
    """HB-10/A-08: two scans at once: each (order, kind) is raised exactly once and the reports add up."""
    contract_id = w.contract(152)
    placed = [w.order(contract_id, hours=1) for _ in range(5)]
    clock.advance(hours=1, minutes=20)  # past the dispatch timeout and 20 minutes late
    results = race(2, lambda _i: exceptions.scan_exceptions(w.rt))
    assert all(isinstance(r, (ScanReport, ConcurrentUpdate, Conflict)) for r in results), results
    reports = [r for r in results if isinstance(r, ScanReport)]
    assert reports
    stored = exceptions.list_exceptions(w.rt, w.p("admin_A"), ALL).items
    pairs = sorted((e.order_id, e.type) for e in stored)
    assert pairs == sorted((o, k.value) for o in placed for k in (ExceptionKind.DISPATCH_TIMEOUT,
                                                                   ExceptionKind.LATE_ARRIVAL))
    assert sum(r.raised for r in reports) == len(stored) == 10
    assert exceptions.scan_exceptions(w.rt).raised == 0


def _application(w: HomeBedWorld, n: int) -> ApplicationForm:
    return ApplicationForm(institution_id=w.world.inst["A"], elder_name=f"并发老人{n}", id_card_no=id_card(n),
                           region_code="440104", address="越秀区某路1号", applicant_name="社工",
                           applicant_phone=phone(800 + n))


def test_parallel_applications_of_different_elders(w: HomeBedWorld) -> None:
    """HB-01/S-04: 8 applications filed at once for 8 elders are all accepted with distinct numbers (at worst a
    409 to retry, never a server error such as SQLite's 'database is locked')."""
    who = [w.p("admin_A"), w.p("staff_A")]
    results = race(8, lambda i: applications.submit_application(w.rt, who[i % 2], _application(w, 170 + i)))
    made = [r for r in results if isinstance(r, ApplicationView)]
    assert all(isinstance(r, (ApplicationView, ConcurrentUpdate)) for r in results), results
    assert len({a.number for a in made}) == len(made) >= 1
    assert applications.list_applications(w.rt, w.p("admin_A"), ALL).total == len(made)


def test_parallel_applications_of_one_elder_leave_one_open(w: HomeBedWorld) -> None:
    """HB-01: the same elder's application sent 8 times at once (double taps, two family members) leaves exactly
    one open application; the others are BED_APPLICATION_EXISTS."""
    who = [w.p("admin_A"), w.p("staff_A")]
    for round_ in range(3):  # several rounds so that a lucky serialisation cannot hide the race
        n = 180 + round_
        results = race(8, lambda i, n=n: applications.submit_application(w.rt, who[i % 2], _application(w, n)))
        made = [r for r in results if isinstance(r, ApplicationView)]
        assert all(isinstance(r, ApplicationView) or getattr(r, "code", "") == "BED_APPLICATION_EXISTS"
                   for r in results), results
        assert len(made) == 1, f"{len(made)} open applications for one elder"
    assert applications.list_applications(w.rt, w.p("admin_A"), ALL).total == 3
