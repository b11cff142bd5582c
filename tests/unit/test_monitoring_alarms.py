"""Alarms of monitoring (HB-13 / D-02 alarm records, M-12 SOS): repeats, acknowledgement, closing, recovery
and escalation.

Examples first, then a Hypothesis `RuleBasedStateMachine` that drives one alarm of a random kind through
random repeats (some older than the last), acknowledgements, closings, recoveries and escalations on a
clock it moves by hand, and checks every outcome against a small model: refused commands change nothing
and record nothing, status changes, severity rises and escalations are each recorded as an event, the
severity never falls, the count moves only on a repeat, a closed alarm is final, and SOS and fall alarms
are closed only by a person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from attrs import asdict, define
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from yiyangkang.domain.kernel.errors import Conflict, DomainError, InvalidTransition
from yiyangkang.domain.kernel.events import Actor, DomainEvent
from yiyangkang.domain.monitoring.alarms import (
    ALARM_LIFECYCLE,
    Alarm,
    AlarmStatus,
    CloseReason,
    alarm_subject,
    open_key,
)
from yiyangkang.domain.monitoring.rules import MANUAL_ONLY, AlarmKind, Severity

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
DUTY = Actor(id="acct-duty-01", role="staff")
DOCTOR = Actor(id="acct-doctor-01", role="staff")
PEOPLE = (DUTY, DOCTOR)
S = AlarmStatus
W, MI, MA, CR = Severity.WARNING, Severity.MINOR, Severity.MAJOR, Severity.CRITICAL
AUTO_RECOVERING = sorted(set(AlarmKind) - MANUAL_ONLY)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_alarm(kind: AlarmKind = AlarmKind.VITAL, severity: Severity = MA, **changes: Any) -> Alarm:
    fields: dict[str, Any] = {
        "id": "alarm-1", "number": "BJ2026112600001", "institution_id": "inst-1", "elder_id": "elder-1",
        "alarm_kind": kind, "subject": alarm_subject(kind, vital="heart_rate", device_id="dev-band-0001"),
        "severity": severity, "device_id": "dev-band-0001", "detail": "心率 130 /min", "value": 130.0,
        "first_at": T0, "last_at": T0, "created_at": T0,
    }
    fields.update(changes)
    return Alarm(**fields)


def state_of(alarm: Alarm) -> dict[str, Any]:
    return asdict(alarm, filter=lambda attribute, _value: attribute.name != "_pending")


def names(alarm: Alarm) -> list[str]:
    return [e.name for e in alarm.pull_events()]


# -- examples ---------------------------------------------------------------------------------------------------------

def test_a_repeat_counts_and_keeps_the_newest_time_and_detail() -> None:
    """HB-13, D-02: each repeat counts; the newest occurrence's time, detail and value are kept, an older
    one (a buffered reading) does not move `last_at` back; an empty detail keeps the last one."""
    alarm = new_alarm()
    assert alarm.repeat(MA, at(60), detail="心率 135 /min", value=135.0) is False
    assert (alarm.count, alarm.last_at, alarm.detail, alarm.value) == (2, at(60), "心率 135 /min", 135.0)
    assert alarm.repeat(MA, at(30), detail="心率 128 /min", value=128.0) is False
    assert (alarm.count, alarm.last_at, alarm.detail, alarm.value) == (3, at(60), "心率 135 /min", 135.0)
    assert alarm.repeat(MA, at(90), detail="", value=140.0) is False
    assert (alarm.count, alarm.last_at, alarm.detail, alarm.value) == (4, at(90), "心率 135 /min", 140.0)
    assert alarm.first_at == T0
    assert names(alarm) == []  # repeats without a rise are not audited one by one


def test_severity_only_rises() -> None:
    """HB-13, D-02: a lower repeat leaves the severity; a higher one raises it, says so and is recorded."""
    alarm = new_alarm(severity=MA)
    assert alarm.repeat(W, at(10), detail="", value=None) is False
    assert alarm.severity is MA
    assert names(alarm) == []
    assert alarm.repeat(CR, at(20), detail="心率 190 /min", value=190.0) is True
    assert alarm.severity is CR
    events = alarm.pull_events()
    assert [e.name for e in events] == ["alarm.severity_raised"]
    assert (events[0].before, events[0].after) == ({"severity": "major"}, {"severity": "critical"})
    assert events[0].actor.role == "system" and events[0].occurred_at == at(20)
    assert alarm.repeat(MA, at(30), detail="", value=None) is False
    assert alarm.severity is CR


def test_acknowledge_then_close_with_who_when_and_a_note() -> None:
    """HB-13, D-02: the loop is closed by two people's steps, each with who, when and a note."""
    alarm = new_alarm()
    alarm.acknowledge(DUTY, at(60), "已电话联系家属")
    assert (alarm.status, alarm.acknowledged_by, alarm.acknowledged_at, alarm.acknowledge_note) == (
        S.ACKNOWLEDGED, DUTY.id, at(60), "已电话联系家属")
    alarm.close(DOCTOR, at(600), CloseReason.HANDLED, "上门查看，已处置")
    assert (alarm.status, alarm.closed_by, alarm.closed_at, alarm.close_reason, alarm.close_note) == (
        S.CLOSED, DOCTOR.id, at(600), CloseReason.HANDLED, "上门查看，已处置")
    assert not alarm.is_open
    events = alarm.pull_events()
    assert [e.name for e in events] == ["alarm.acknowledged", "alarm.handled"]
    assert [(e.actor, e.occurred_at, e.reason) for e in events] == [
        (DUTY, at(60), "已电话联系家属"), (DOCTOR, at(600), "上门查看，已处置")]
    assert [(e.before, e.after) for e in events] == [
        ({"status": "open"}, {"status": "acknowledged"}), ({"status": "acknowledged"}, {"status": "closed"})]


def test_closing_an_unacknowledged_alarm_is_refused() -> None:
    """HB-13: nobody closes an alarm nobody owned: acknowledge first."""
    alarm = new_alarm()
    before = state_of(alarm)
    with pytest.raises(Conflict) as caught:
        alarm.close(DUTY, at(60), CloseReason.FALSE_ALARM, "误报")
    assert caught.value.code == "ALARM_NOT_ACKNOWLEDGED"
    assert state_of(alarm) == before and names(alarm) == []


def test_a_person_cannot_close_with_the_recovered_reason() -> None:
    """HB-13: 自动恢复 is the rule's reason only."""
    alarm = new_alarm()
    alarm.acknowledge(DUTY, at(1))
    with pytest.raises(Conflict) as caught:
        alarm.close(DUTY, at(2), CloseReason.RECOVERED)
    assert caught.value.code == "ALARM_RECOVER_BY_RULE"
    assert alarm.status is S.ACKNOWLEDGED


@pytest.mark.parametrize("kind", AUTO_RECOVERING)
@pytest.mark.parametrize("acknowledged", [False, True])
def test_recover_closes_rule_and_device_alarms(kind: AlarmKind, acknowledged: bool) -> None:
    """HB-13: when the clear condition holds, a vital, air, offline … alarm closes by itself (open or
    being handled), by the rules, with the reason RECOVERED."""
    alarm = new_alarm(kind)
    if acknowledged:
        alarm.acknowledge(DUTY, at(1))
        alarm.pull_events()
    assert alarm.recover(at(120), "心率恢复至 98 /min") is True
    assert (alarm.status, alarm.close_reason, alarm.closed_by, alarm.closed_at, alarm.close_note) == (
        S.CLOSED, CloseReason.RECOVERED, "rules", at(120), "心率恢复至 98 /min")
    assert names(alarm) == ["alarm.recovered"]
    assert alarm.recover(at(130), "again") is False
    assert names(alarm) == []


@pytest.mark.parametrize("kind", sorted(MANUAL_ONLY))
def test_sos_and_fall_never_recover_by_themselves(kind: AlarmKind) -> None:
    """M-12, HB-13: a call for help or a fall is over only when a person says so."""
    assert {AlarmKind.SOS, AlarmKind.FALL} == MANUAL_ONLY
    alarm = new_alarm(kind, severity=CR)
    before = state_of(alarm)
    assert alarm.recover(at(60), "恢复") is False
    assert state_of(alarm) == before and names(alarm) == []
    alarm.acknowledge(DUTY, at(90))
    assert alarm.recover(at(120), "恢复") is False
    assert alarm.status is S.ACKNOWLEDGED
    alarm.close(DUTY, at(300), CloseReason.HANDLED, "已到房间查看")
    assert alarm.closed_by == DUTY.id


def test_a_closed_alarm_stays_closed() -> None:
    """HB-13: closing twice, acknowledging or repeating a closed alarm are refused."""
    alarm = new_alarm()
    alarm.acknowledge(DUTY, at(1))
    alarm.close(DUTY, at(2), CloseReason.HANDLED)
    alarm.pull_events()
    before = state_of(alarm)
    attempts: list[tuple[Callable[[], Any], type[DomainError], str]] = [
        (lambda: alarm.close(DOCTOR, at(3), CloseReason.FALSE_ALARM), InvalidTransition, "ALARM_INVALID_TRANSITION"),
        (lambda: alarm.acknowledge(DOCTOR, at(3)), InvalidTransition, "ALARM_INVALID_TRANSITION"),
        (lambda: alarm.repeat(CR, at(3), detail="x", value=1.0), Conflict, "ALARM_CLOSED"),
        (lambda: alarm.escalate(at(3)), Conflict, "ALARM_ALREADY_ACKNOWLEDGED"),
    ]
    for command, kind, code in attempts:
        with pytest.raises(kind) as caught:
            command()
        assert caught.value.code == code
    assert state_of(alarm) == before and names(alarm) == []
    assert ALARM_LIFECYCLE.is_final(S.CLOSED)


def test_escalation_only_while_nobody_has_taken_the_alarm() -> None:
    """HB-13: an open alarm escalates level by level; an acknowledged one does not."""
    alarm = new_alarm()
    alarm.escalate(at(180))
    alarm.escalate(at(600))
    assert (alarm.escalation_level, alarm.escalated_at) == (2, at(600))
    events = alarm.pull_events()
    assert [e.name for e in events] == ["alarm.escalated", "alarm.escalated"]
    assert events[1].after == {"escalation_level": 2}
    alarm.acknowledge(DUTY, at(700))
    with pytest.raises(Conflict) as caught:
        alarm.escalate(at(800))
    assert caught.value.code == "ALARM_ALREADY_ACKNOWLEDGED"
    assert alarm.escalation_level == 2


def test_alarm_subjects_and_open_keys() -> None:
    """D-02: one open alarm per elder, kind and subject: the vital for readings and air, the device for
    device troubles, nothing for SOS, fall and bed alarms."""
    assert alarm_subject(AlarmKind.VITAL, vital="heart_rate", device_id="dev-1") == "heart_rate"
    assert alarm_subject(AlarmKind.AIR, vital="pm25", device_id="dev-1") == "pm25"
    assert alarm_subject(AlarmKind.OFFLINE, vital="heart_rate", device_id="dev-1") == "dev-1"
    assert alarm_subject(AlarmKind.LOW_BATTERY, device_id="dev-2") == "dev-2"
    for kind in (AlarmKind.SOS, AlarmKind.FALL, AlarmKind.OUT_OF_BED, AlarmKind.NO_BREATHING):
        assert alarm_subject(kind, vital="heart_rate", device_id="dev-1") == ""
    assert alarm_subject(AlarmKind.VITAL) == "" and alarm_subject(AlarmKind.OFFLINE) == ""
    assert open_key("elder-1", AlarmKind.VITAL, "spo2") == "elder-1|vital|spo2"
    assert open_key("elder-1", AlarmKind.SOS) == "elder-1|sos|"
    alarm = new_alarm(AlarmKind.OFFLINE)
    assert alarm.open_key == "elder-1|offline|dev-band-0001"
    assert alarm.open_key != new_alarm(AlarmKind.OFFLINE, elder_id="elder-2").open_key


@given(kinds=st.lists(st.sampled_from(list(AlarmKind)), min_size=2, max_size=2),
       subjects=st.lists(st.sampled_from(["", "heart_rate", "dev-1", "x|y"]), min_size=2, max_size=2),
       elders=st.lists(st.sampled_from(["elder-1", "elder-2"]), min_size=2, max_size=2))
@settings(max_examples=100, deadline=None)
def test_open_keys_tell_apart_different_elders_kinds_and_subjects(
        kinds: list[AlarmKind], subjects: list[str], elders: list[str]) -> None:
    """D-02: two open keys are equal exactly when elder, kind and subject are (for ids without `|`)."""
    same = kinds[0] is kinds[1] and subjects[0] == subjects[1] and elders[0] == elders[1]
    assert (open_key(elders[0], kinds[0], subjects[0]) == open_key(elders[1], kinds[1], subjects[1])) is same


# -- the state machine ------------------------------------------------------------------------------------------------

@define
class Outcome:
    result: Any
    error: DomainError | None
    events: list[DomainEvent]


def attempt(alarm: Alarm, command: Callable[[], Any], now: datetime) -> Outcome:
    """Run a command: a refusal leaves the alarm untouched and records nothing; events are about this
    alarm, at the instant of the command."""
    assert alarm.pull_events() == []
    before = state_of(alarm)
    result, error = None, None
    try:
        result = command()
    except DomainError as caught:
        error = caught
    if error is not None:
        assert state_of(alarm) == before, f"refused ({error.code}) but changed"
        assert alarm.pull_events() == [], f"refused ({error.code}) but recorded events"
        return Outcome(None, error, [])
    events = alarm.pull_events()
    for event in events:
        assert event.aggregate == "alarm" and event.aggregate_id == alarm.id
        assert event.occurred_at == now
    return Outcome(result, None, events)


def refused(outcome: Outcome, kind: type[DomainError], code: str) -> None:
    assert isinstance(outcome.error, kind), f"expected {kind.__name__}({code}), got {outcome.error!r}"
    assert outcome.error.code == code


class AlarmMachine(RuleBasedStateMachine):
    """HB-13, D-02, M-12: one alarm under random commands."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.alarm = new_alarm()
        self.highest = 0
        self.count = 1
        self.last_at = T0
        self.level = 0
        self.closed: dict[str, Any] | None = None

    @initialize(kind=st.sampled_from(list(AlarmKind)), severity=st.sampled_from(list(Severity)))
    def raise_alarm(self, kind: AlarmKind, severity: Severity) -> None:
        self.alarm = new_alarm(kind, severity)
        self.highest = severity.rank

    @rule(seconds=st.integers(0, 3600))
    def tick(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @rule(severity=st.sampled_from(list(Severity)), offset=st.integers(-600, 600),
          detail=st.sampled_from(["", "心率 150 /min", "心率 90 /min"]),
          value=st.none() | st.floats(0, 300, allow_nan=False))
    def repeat(self, severity: Severity, offset: int, detail: str, value: float | None) -> None:
        occurred = self.now + timedelta(seconds=offset)
        before = self.alarm.severity
        detail_before = self.alarm.detail
        outcome = attempt(self.alarm, lambda: self.alarm.repeat(severity, occurred, detail=detail, value=value),
                          occurred)
        if self.closed is not None:
            refused(outcome, Conflict, "ALARM_CLOSED")
            return
        assert outcome.error is None
        self.count += 1
        rises = severity.rank > before.rank
        assert outcome.result is rises
        assert self.alarm.severity is (severity if rises else before)
        assert [e.name for e in outcome.events] == (["alarm.severity_raised"] if rises else [])
        if occurred >= self.last_at:
            self.last_at = occurred
            assert (self.alarm.detail, self.alarm.value) == (detail or detail_before, value)
        else:
            assert self.alarm.detail == detail_before
        assert self.alarm.last_at == self.last_at

    @rule(who=st.sampled_from(PEOPLE), note=st.sampled_from(["", "已联系家属"]))
    def acknowledge(self, who: Actor, note: str) -> None:
        status = self.alarm.status
        outcome = attempt(self.alarm, lambda: self.alarm.acknowledge(who, self.now, note), self.now)
        if status is not S.OPEN:
            refused(outcome, InvalidTransition, "ALARM_INVALID_TRANSITION")
            return
        assert outcome.error is None
        assert [e.name for e in outcome.events] == ["alarm.acknowledged"]
        assert (self.alarm.status, self.alarm.acknowledged_by, self.alarm.acknowledged_at) == (
            S.ACKNOWLEDGED, who.id, self.now)

    @rule(who=st.sampled_from(PEOPLE), reason=st.sampled_from(list(CloseReason)), note=st.sampled_from(["", "误报"]))
    def close(self, who: Actor, reason: CloseReason, note: str) -> None:
        status = self.alarm.status
        outcome = attempt(self.alarm, lambda: self.alarm.close(who, self.now, reason, note), self.now)
        if reason is CloseReason.RECOVERED:
            refused(outcome, Conflict, "ALARM_RECOVER_BY_RULE")
        elif status is S.OPEN:
            refused(outcome, Conflict, "ALARM_NOT_ACKNOWLEDGED")
        elif status is S.CLOSED:
            refused(outcome, InvalidTransition, "ALARM_INVALID_TRANSITION")
        else:
            assert outcome.error is None
            assert [e.name for e in outcome.events] == [f"alarm.{reason.value}"]
            assert (self.alarm.closed_by, self.alarm.closed_at, self.alarm.close_reason, self.alarm.close_note) == (
                who.id, self.now, reason, note)

    @rule()
    def recover(self) -> None:
        was_open = self.alarm.is_open
        before = state_of(self.alarm)
        outcome = attempt(self.alarm, lambda: self.alarm.recover(self.now, "指标恢复正常"), self.now)
        assert outcome.error is None
        recovers = was_open and self.alarm.alarm_kind not in MANUAL_ONLY
        assert outcome.result is recovers
        if recovers:
            assert [e.name for e in outcome.events] == ["alarm.recovered"]
            assert (self.alarm.status, self.alarm.close_reason, self.alarm.closed_by) == (
                S.CLOSED, CloseReason.RECOVERED, "rules")
        else:
            assert outcome.events == [] and state_of(self.alarm) == before

    @rule()
    def escalate(self) -> None:
        status = self.alarm.status
        outcome = attempt(self.alarm, lambda: self.alarm.escalate(self.now), self.now)
        if status is not S.OPEN:
            refused(outcome, Conflict, "ALARM_ALREADY_ACKNOWLEDGED")
            return
        assert outcome.error is None
        self.level += 1
        assert [e.name for e in outcome.events] == ["alarm.escalated"]
        assert (self.alarm.escalation_level, self.alarm.escalated_at) == (self.level, self.now)

    @invariant()
    def severity_never_falls(self) -> None:
        assert self.alarm.severity.rank >= self.highest
        self.highest = self.alarm.severity.rank

    @invariant()
    def count_moves_only_on_repeats(self) -> None:
        assert self.alarm.count == self.count >= 1
        assert self.alarm.escalation_level == self.level
        assert self.alarm.first_at == T0 and self.alarm.last_at >= self.alarm.first_at

    @invariant()
    def closed_is_final(self) -> None:
        if self.closed is not None:
            assert state_of(self.alarm) == self.closed
        elif self.alarm.status is S.CLOSED:
            self.closed = state_of(self.alarm)

    @invariant()
    def the_record_says_who_and_when(self) -> None:
        a = self.alarm
        if a.status is not S.OPEN and a.acknowledged_by is None:
            assert a.close_reason is CloseReason.RECOVERED  # recovered straight from open
        if a.acknowledged_by is not None:
            assert a.acknowledged_by in {p.id for p in PEOPLE} and a.acknowledged_at is not None
        assert (a.status is S.CLOSED) == (a.closed_by is not None) == (a.closed_at is not None) == (
            a.close_reason is not None)

    @invariant()
    def sos_and_fall_are_closed_only_by_people(self) -> None:
        a = self.alarm
        if a.alarm_kind in MANUAL_ONLY and a.status is S.CLOSED:
            assert a.closed_by in {p.id for p in PEOPLE}
            assert a.close_reason is not CloseReason.RECOVERED
            assert a.acknowledged_by is not None


def test_alarm_lifecycle_machine() -> None:
    """HB-13, D-02, M-12: repeats, acknowledgement, closing, recovery and escalation of one alarm."""
    run_state_machine_as_test(AlarmMachine, settings=settings(max_examples=150, stateful_step_count=30,
                                                              deadline=None))
