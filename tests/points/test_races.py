"""Parallel points commands on the real databases (SQLite and PostgreSQL): each thread runs its own use case in
its own unit of work, as parallel requests would. PostgreSQL queues them on row locks (the conditional updates
of the stock, the seats and the balances); SQLite serialises writers and may answer a loser 409
CONCURRENT_UPDATE instead. Either way nothing is oversold, overbooked, overdrawn or paid twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests import racing
from tests.conftest import FrozenClock
from tests.points.setup import ALL, PointsWorld, build_points
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.money.ledger import Owner
from yiyangkang.services import ledger
from yiyangkang.services.points import activities, goods
from yiyangkang.services.points.goods import ExchangeForm
from yiyangkang.services.points.views import EnrolmentView, ExchangeView

ELDERS = ("A", "A1", "A2", "B")
LOGINS = ("operator", "elder_A", "family_F", "admin_A")


@pytest.fixture
def w(sql_backend: Container) -> PointsWorld:
    world = build_points(sql_backend)
    for login in LOGINS:
        world.p(login)  # resolve every principal once, before any thread runs
    return world


def race(n: int, fn: Callable[[int], object]) -> list[object]:
    """Every exception kept: a server error fails an assertion rather than vanishing in a thread."""
    return racing.race(n, fn, catch=Exception)


def on_sqlite(w: PointsWorld) -> bool:
    assert w.rt.engine is not None
    return bool(w.rt.engine.dialect.name == "sqlite")


def losers_are_conflicts(w: PointsWorld, results: list[object], expected: set[str]) -> None:
    """Every loser is a 409 with one of the expected codes (SQLite may also say CONCURRENT_UPDATE)."""
    allowed = expected | ({"CONCURRENT_UPDATE"} if on_sqlite(w) else set())
    for r in results:
        if isinstance(r, Exception):
            assert isinstance(r, Conflict) and r.code in allowed, repr(r)


def books_hold(w: PointsWorld) -> None:
    with w.rt.uow() as uow:
        stored, summed = uow.ledger.stored_balances(), uow.ledger.summed_balances()
    assert dict(stored) == dict(summed)
    assert all(v >= 0 for a, v in stored.items() if a.owner is not Owner.ISSUER)
    assert ledger.reconcile(w.rt) == []


def test_p09_twenty_parallel_exchanges_of_a_good_with_stock_3_succeed_exactly_3_times(w: PointsWorld) -> None:
    """P-09: 20 exchanges at once (four elders, by the operator, the elder and the family) of a good with stock 3
    and points enough for all: exactly 3 succeed, the other 17 are 409 (out of stock), the stock ends at 0 and
    every balance is the sum of its entries; what the winners spent is exactly 3 × the price."""
    good = w.good(stock=3, price=25)
    for key in ELDERS:
        w.grant(w.world.elders[key], 1_000)

    def attempt(n: int) -> object:
        login = LOGINS[n % 3]
        elder = w.elder if login != "operator" else w.world.elders[ELDERS[n % 4]]
        return goods.exchange(w.rt, w.p(login), ExchangeForm(good_id=good.id, elder_id=elder))

    results = race(20, attempt)
    won = [r for r in results if isinstance(r, ExchangeView)]
    assert len(won) == 3, results
    losers_are_conflicts(w, results, {"POINTS_OUT_OF_STOCK"})
    if not on_sqlite(w):
        assert {r.code for r in results if isinstance(r, Conflict)} == {"POINTS_OUT_OF_STOCK"}
    assert w.stock(good.id) == 0
    assert sum(1_000 - w.balance(w.world.elders[k]) for k in ELDERS) == 3 * 25
    assert goods.list_exchanges(w.rt, w.p("operator"), ALL, good_id=good.id).total == 3
    books_hold(w)


def test_p09_parallel_exchanges_never_overdraw_an_elder_nor_pass_the_limit(w: PointsWorld) -> None:
    """One elder with points for 4 units of a good limited to 3 per elder, 12 exchanges at once: exactly 3."""
    good = w.good(stock=50, price=10, limit=3)
    w.grant(w.elder, 40)
    logins = ("elder_A", "family_F", "operator")
    results = race(12, lambda n: goods.exchange(w.rt, w.p(logins[n % 3]),
                                                ExchangeForm(good_id=good.id, elder_id=w.elder)))
    assert sum(isinstance(r, ExchangeView) for r in results) == 3, results
    losers_are_conflicts(w, results, {"POINTS_LIMIT_REACHED"})
    assert (w.balance(w.elder), w.stock(good.id)) == (10, 47)
    books_hold(w)


def test_m07_parallel_enrolments_never_exceed_the_capacity(w: PointsWorld) -> None:
    """M-07: 16 enrolments at once into 3 seats (the four elders, each asked for four times): exactly 3 elders are
    enrolled, none twice, and the seat counter says 3."""
    act = w.activity(capacity=3)

    def attempt(n: int) -> object:
        key = ELDERS[n % 4]
        login = ("elder_A", "family_F", "admin_A", "operator")[n // 4] if key == "A" else "operator"
        return activities.enrol(w.rt, w.p(login), act.id, w.world.elders[key])

    results = race(16, attempt)
    won = [r for r in results if isinstance(r, EnrolmentView)]
    assert len(won) == 3, results
    assert len({r.elder_id for r in won}) == 3
    losers_are_conflicts(w, results, {"POINTS_ACTIVITY_FULL", "POINTS_ALREADY_ENROLLED"})
    view = activities.get_activity(w.rt, w.p("admin_A"), act.id)
    assert (view.enrolled, view.seats_left) == (3, 0)
    assert activities.list_enrolments(w.rt, w.p("operator"), ALL, activity_id=act.id).total == 3


def test_p07_parallel_attendance_checks_earn_the_points_once(w: PointsWorld, clock: FrozenClock) -> None:
    act = w.activity(points=15)
    e = activities.enrol(w.rt, w.p("elder_A"), act.id, w.elder)
    clock.advance(days=3, minutes=1)
    results = race(10, lambda n: activities.check_attendance(w.rt, w.p(("admin_A", "operator")[n % 2]), e.id))
    assert sum(isinstance(r, EnrolmentView) for r in results) == 1, results
    losers_are_conflicts(w, results, {"POINTS_ENROLMENT_INVALID_TRANSITION"})
    assert w.balance(w.elder) == 15
    books_hold(w)


def test_p10_parallel_cancels_give_the_points_back_once(w: PointsWorld) -> None:
    good = w.good(stock=2, price=40)
    w.grant(w.elder, 40)
    ex = goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    results = race(10, lambda n: goods.cancel_exchange(w.rt, w.p(("elder_A", "admin_A")[n % 2]), ex.id))
    assert sum(isinstance(r, ExchangeView) for r in results) == 1, results
    losers_are_conflicts(w, results, {"POINTS_EXCHANGE_INVALID_TRANSITION"})
    assert (w.balance(w.elder), w.stock(good.id)) == (40, 2)
    books_hold(w)
