"""The points lifecycles as state machines (Hypothesis): an activity, an enrolment and an exchange take any
command in any order; a refused command (InvalidTransition or a timing Conflict) changes nothing, an accepted
one moves along the transition table and records exactly one event; final states accept nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.points.activities import (
    ACTIVITY_LIFECYCLE,
    ENROLMENT_LIFECYCLE,
    Enrolment,
    PointsActivity,
)
from yiyangkang.domain.points.goods import EXCHANGE_LIFECYCLE, Exchange

T0 = datetime(2026, 11, 25, 2, tzinfo=UTC)
ACTOR = Actor("admin", "institution_admin")


class Lifecycles(RuleBasedStateMachine):
    @initialize()
    def make(self) -> None:
        self.at = T0
        self.activity = PointsActivity(
            id="act", institution_id="i", title="健步走", place="公园", starts_at=T0 + timedelta(days=3),
            ends_at=T0 + timedelta(days=3, hours=2), enrol_from=T0 - timedelta(hours=1),
            enrol_until=T0 + timedelta(days=2), capacity=5, points=10, created_by="a", created_at=T0)
        self.enrolment = Enrolment(id="en", activity_id="act", activity_title="健步走", institution_id="i",
                                   elder_id="e", enrolled_by="a", created_at=T0)
        self.exchange = Exchange(id="ex", good_id="g", good_name="杯", institution_id="i", elder_id="e", quantity=1,
                                 points=10, placed_by="a", created_at=T0)
        self.events = 0

    def _try(self, subject: Any, lifecycle: Any, command: Any) -> None:
        before = subject.status
        try:
            command()
        except Conflict:
            assert subject.status is before  # refused: nothing changed
            return
        assert lifecycle.can(before, subject.status)
        self.events += 1

    @rule(hours=st.integers(0, 30))
    def time_passes(self, hours: int) -> None:
        self.at += timedelta(hours=hours)

    @rule(move=st.sampled_from(["publish", "close", "cancel"]))
    def activity_command(self, move: str) -> None:
        a = self.activity
        command = {"publish": lambda: a.publish(ACTOR, self.at), "close": lambda: a.close(ACTOR, self.at),
                   "cancel": lambda: a.cancel("天气", ACTOR, self.at)}[move]
        self._try(a, ACTIVITY_LIFECYCLE, command)

    @rule(move=st.sampled_from(["attend", "absent", "cancel"]))
    def enrolment_command(self, move: str) -> None:
        e = self.enrolment
        command = {"attend": lambda: e.attend(10, ACTOR, self.at), "absent": lambda: e.mark_absent(ACTOR, self.at),
                   "cancel": lambda: e.cancel("有事", ACTOR, self.at)}[move]
        self._try(e, ENROLMENT_LIFECYCLE, command)

    @rule(deliver=st.booleans())
    def exchange_command(self, deliver: bool) -> None:
        x = self.exchange
        self._try(x, EXCHANGE_LIFECYCLE,
                  (lambda: x.deliver(ACTOR, self.at)) if deliver else (lambda: x.cancel("不要了", ACTOR, self.at)))

    @invariant()
    def one_event_per_accepted_move(self) -> None:
        recorded = sum(len(s.pull_events()) for s in (self.activity, self.enrolment, self.exchange))
        assert recorded == self.events
        self.events = 0

    @invariant()
    def earned_only_when_attended(self) -> None:
        e = self.enrolment
        assert (e.points_earned == 10) == (e.status.value == "attended")
        assert (self.exchange.delivered_at is not None) == (self.exchange.status.value == "delivered")


test_points_lifecycles = Lifecycles.TestCase
