"""The points ledger as a state machine (P-07, P-09, P-10; Hypothesis): after any sequence of attendances,
exchanges (refused or not), cancellations and deliveries, every balance equals the sum of its entries, no
elder's balance is ever below zero, a good's stock plus its units held in live exchanges never changes, and the
elder's history adds up to the balance."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from tests.conftest import REGIONS, FrozenClock
from tests.conftest import test_settings as settings_for_tests
from tests.points.setup import ALL, PointsWorld, build_points
from yiyangkang.bootstrap import build
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.money.ledger import Owner
from yiyangkang.services.points import activities, goods
from yiyangkang.services.points import ledger as points_ledger
from yiyangkang.services.points.goods import ExchangeForm
from yiyangkang.services.regions import load_regions

STOCK = 6


class PointsMachine(RuleBasedStateMachine):
    w: PointsWorld

    @initialize()
    def world(self) -> None:
        self.clock = FrozenClock()
        rt = build(settings_for_tests(), clock=self.clock, in_memory=True)
        load_regions(rt, REGIONS)
        self.w = build_points(rt)
        self.elders = [self.w.elder, self.w.world.elders["A1"]]
        self.good = self.w.good(stock=STOCK, price=15).id
        self.placed: list[str] = []
        self.earned = 0

    @rule(who=st.integers(0, 1), points=st.integers(1, 40))
    def attend(self, who: int, points: int) -> None:
        """An activity held: the elder enrols, comes, and earns its points."""
        act = self.w.activity(points=points, capacity=2)
        e = activities.enrol(self.w.rt, self.w.p("admin_A"), act.id, self.elders[who])
        self.clock.advance(days=3, minutes=1)
        activities.check_attendance(self.w.rt, self.w.p("admin_A"), e.id)
        self.earned += points

    @rule(who=st.integers(0, 1), quantity=st.integers(1, 3))
    def exchange(self, who: int, quantity: int) -> None:
        before = self.w.balance(self.elders[who])
        try:
            ex = goods.exchange(self.w.rt, self.w.p("operator"),
                                ExchangeForm(good_id=self.good, elder_id=self.elders[who], quantity=quantity))
        except Conflict as exc:
            refused = exc.code
        else:
            self.placed.append(ex.id)
            assert self.w.balance(self.elders[who]) == before - ex.points
            return
        assert refused in ("POINTS_INSUFFICIENT", "POINTS_OUT_OF_STOCK")
        assert self.w.balance(self.elders[who]) == before  # a refusal spends nothing

    @precondition(lambda self: bool(self.placed))
    @rule(n=st.integers(0, 100), deliver=st.booleans())
    def settle(self, n: int, deliver: bool) -> None:
        ident = self.placed.pop(n % len(self.placed))
        if deliver:
            goods.deliver(self.w.rt, self.w.p("admin_A"), ident)
        else:
            goods.cancel_exchange(self.w.rt, self.w.p("admin_A"), ident, "老人改变主意")
        self.clock.advance(minutes=1)

    @invariant()
    def books_hold(self) -> None:
        with self.w.rt.uow() as uow:
            stored, summed = dict(uow.ledger.stored_balances()), dict(uow.ledger.summed_balances())
        assert stored == {a: v for a, v in summed.items() if a in stored}
        assert all(v >= 0 for a, v in stored.items() if a.owner is not Owner.ISSUER)
        assert sum(stored.values()) == 0  # points are only moved, never made from nothing

    @invariant()
    def stock_is_conserved(self) -> None:
        held = sum(e.quantity for e in goods.list_exchanges(self.w.rt, self.w.p("operator"), ALL,
                                                             good_id=self.good).items if e.status != "cancelled")
        assert self.w.stock(self.good) + held == STOCK

    @invariant()
    def history_adds_up(self) -> None:
        for elder in self.elders:
            book = points_ledger.elder_ledger(self.w.rt, self.w.p("operator"), elder, PageRequest(1, 100))
            assert book.balance == sum(e.points for e in book.entries) >= 0


PointsMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=12, deadline=None,
                                           suppress_health_check=[HealthCheck.too_slow])
test_points_ledger_machine = PointsMachine.TestCase
