"""The alarm-rule engine of monitoring (D-03 alarm thresholds per device type and per elder, HB-13 alarms).

`RuleState.evaluate` is fed readings in device-time order and says whether an alarm of some severity is
raised (simple, repeating and duration conditions, most severe first), whether the clear threshold holds
(hysteresis) or whether the reading is stale; `RuleState.due` is the periodic re-check of duration
conditions when no data arrives; `Schedule` restricts raising to Shanghai wall-time windows. Besides the
examples, a Hypothesis property compares every verdict and every timer re-check with a brute-force oracle
written here from the documented semantics, not from the implementation's incremental tracks.
"""

from __future__ import annotations

import copy
import json
import operator
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from attrs import asdict, frozen
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.adapters.sqlalchemy.documents import converter
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.monitoring.rules import (
    AlarmKind,
    AlarmRule,
    Comparator,
    Condition,
    RuleOverride,
    RuleState,
    Schedule,
    Severity,
    Threshold,
    Thresholds,
    Verdict,
    by_vital,
    effective,
    higher,
    rule_applies,
)
from yiyangkang.domain.monitoring.vitals import Vital

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # Thursday 11:00 in Shanghai
PROPERTY = settings(max_examples=200, deadline=None)

GT, GE, LT, LE = Comparator.GT, Comparator.GE, Comparator.LT, Comparator.LE
W, MI, MA, CR = Severity.WARNING, Severity.MINOR, Severity.MAJOR, Severity.CRITICAL


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    """An aware UTC instant given as Shanghai wall time."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def new_state(elder_id: str = "elder-1") -> RuleState:
    return RuleState(rule_id="rule-hr-high", device_id="dev-band-0001", elder_id=elder_id)


def cond(severity: Severity, comparator: Comparator, value: float, *, duration_s: int = 0,
         repeats: int = 1) -> Condition:
    return Condition(severity, Threshold(comparator, value), duration_s=duration_s, repeats=repeats)


def feed(state: RuleState, thresholds: Thresholds, readings: Sequence[tuple[float, float]],
         schedule: Schedule | None = None) -> list[Severity | None]:
    """Feed (value, seconds after T0) readings; the severities of the verdicts."""
    return [state.evaluate(thresholds, schedule, value, at(s)).severity for value, s in readings]


def plain(state: RuleState) -> dict[str, Any]:
    return asdict(state)


def new_rule(**changes: Any) -> AlarmRule:
    fields: dict[str, Any] = {
        "id": "rule-hr-high", "name": "心率过高", "vital": Vital.HEART_RATE, "alarm_kind": AlarmKind.VITAL,
        "thresholds": Thresholds((cond(MA, GT, 120),), Threshold(LT, 110)), "created_at": T0,
    }
    fields.update(changes)
    return AlarmRule(**fields)


# -- 1. simple, repeating and duration conditions -------------------------------------------------------------------

def test_simple_condition_fires_on_the_first_matching_reading() -> None:
    """D-03: a simple condition (`> 120`) raises on the first reading above the threshold, and on every
    following one (each is a repeat of the open alarm); the threshold itself does not match `>`."""
    thresholds = Thresholds((cond(MA, GT, 120),))
    assert feed(new_state(), thresholds, [(100, 0), (120, 10), (121, 20), (130, 30)]) == [None, None, MA, MA]


@pytest.mark.parametrize(("comparator", "boundary_fires"), [(GT, False), (GE, True), (LT, False), (LE, True)])
def test_comparators_at_the_boundary(comparator: Comparator, boundary_fires: bool) -> None:
    """D-03: `>`/`<` exclude the threshold value, `>=`/`<=` include it."""
    verdict = new_state().evaluate(Thresholds((cond(MI, comparator, 90),)), None, 90, T0)
    assert (verdict.severity is MI) is boundary_fires


def test_repeating_condition_fires_on_the_nth_consecutive_match_and_a_miss_resets_it() -> None:
    """D-03: `repeats=3` raises on the third reading in a row above the threshold (and on each one after
    while the run lasts); one reading below resets the count, so three more are needed."""
    thresholds = Thresholds((cond(MA, GT, 120, repeats=3),))
    state = new_state()
    assert feed(state, thresholds, [(130, 0), (131, 60), (132, 120), (133, 180)]) == [None, None, MA, MA]
    assert feed(state, thresholds, [(100, 240), (130, 300), (130, 360), (130, 420)]) == [None, None, None, MA]
    assert state.tracks[MA.value].count == 3


def test_duration_condition_fires_once_device_time_spans_the_duration() -> None:
    """D-03: heart rate `> 120` for 300 s raises only when the matching readings span 300 s of device
    time (not when 300 s of readings arrived), and not a second earlier."""
    thresholds = Thresholds((cond(MA, GT, 120, duration_s=300),))
    state = new_state()
    assert feed(state, thresholds, [(130, 0), (125, 120), (140, 299)]) == [None, None, None]
    assert feed(state, thresholds, [(130, 300)]) == [MA]
    assert state.tracks[MA.value].since == at(0)


def test_a_non_matching_reading_resets_a_duration_condition() -> None:
    """D-03: one reading back to normal in between restarts the 300 s from the next match."""
    thresholds = Thresholds((cond(MA, GT, 120, duration_s=300),))
    state = new_state()
    assert feed(state, thresholds, [(130, 0), (130, 200), (90, 250), (130, 260), (130, 500)]) == [None] * 5
    assert state.tracks[MA.value].since == at(260)
    assert feed(state, thresholds, [(130, 559), (130, 560)]) == [None, MA]


def test_duration_and_repeats_together_need_both() -> None:
    """D-03: a condition with a duration and a repeat count raises when both hold."""
    thresholds = Thresholds((cond(MA, GT, 120, duration_s=60, repeats=3),))
    assert feed(new_state(), thresholds, [(130, 0), (130, 100), (130, 101)]) == [None, None, MA]
    assert feed(new_state(), thresholds, [(130, 0), (130, 10), (130, 20), (130, 60)]) == [None, None, None, MA]


def test_conditions_are_ordered_most_severe_first_and_the_verdict_is_the_most_severe_satisfied() -> None:
    """D-03: conditions given in any order are evaluated critical → warning; the verdict is the most
    severe one satisfied, so a slower critical condition takes over from a quicker major one."""
    thresholds = Thresholds((cond(W, GT, 100), cond(CR, GT, 140), cond(MA, GT, 120)))
    assert [c.severity for c in thresholds.conditions] == [CR, MA, W]
    assert feed(new_state(), thresholds, [(90, 0), (110, 10), (130, 20), (150, 30), (105, 40)]) == [
        None, W, MA, CR, W]

    slow_critical = Thresholds((cond(MA, GT, 120), cond(CR, GT, 140, duration_s=300)))
    assert feed(new_state(), slow_critical, [(150, 0), (150, 200), (150, 300), (130, 360)]) == [MA, MA, CR, MA]


def test_thresholds_sort_conditions_whatever_order_they_come_in() -> None:
    """D-03: `Thresholds` keeps its conditions most severe first (the order `evaluate` and `due` rely on)."""
    given_order = (cond(MI, LT, 92), cond(CR, LT, 85), cond(W, LT, 95), cond(MA, LT, 90))
    assert [c.severity for c in Thresholds(given_order).conditions] == [CR, MA, MI, W]
    assert higher(MA, CR) is CR and higher(CR, MA) is CR and higher(W, W) is W


# -- 2. hysteresis ---------------------------------------------------------------------------------------------------

def test_hysteresis_between_the_create_and_the_clear_threshold_nothing_happens() -> None:
    """D-03: create `> 120`, clear `< 110`: 110 … 120 neither raises nor clears (no flapping around 120);
    below 110 clears and forgets every track."""
    thresholds = Thresholds((cond(MA, GT, 120, repeats=2),), clear=Threshold(LT, 110))
    state = new_state()
    assert state.evaluate(thresholds, None, 125, at(0)) == Verdict()
    assert state.evaluate(thresholds, None, 125, at(10)) == Verdict(severity=MA)
    for i, value in enumerate((119, 115, 110, 120)):
        assert state.evaluate(thresholds, None, value, at(20 + i)) == Verdict(), value
    assert state.evaluate(thresholds, None, 125, at(30)) == Verdict()  # the run was broken: one match again
    assert state.tracks[MA.value].count == 1
    assert state.evaluate(thresholds, None, 109.9, at(40)) == Verdict(clear=True)
    assert state.tracks == {}
    assert not state.waiting


@given(values=st.lists(st.floats(min_value=0, max_value=300, allow_nan=False), min_size=1, max_size=20))
@PROPERTY
def test_without_a_clear_threshold_nothing_ever_clears(values: list[float]) -> None:
    """D-03: a rule without a clear threshold never recovers an alarm by itself."""
    thresholds = Thresholds((cond(MA, GT, 120), cond(W, LT, 50, repeats=2)))
    state = new_state()
    assert not any(state.evaluate(thresholds, None, v, at(i)).clear for i, v in enumerate(values))


def test_a_reading_that_raises_never_clears_even_if_the_clear_threshold_holds_too() -> None:
    """D-03: with overlapping thresholds (misconfigured), raising wins over clearing."""
    thresholds = Thresholds((cond(MA, GT, 120),), clear=Threshold(LT, 200))
    state = new_state()
    assert state.evaluate(thresholds, None, 150, T0) == Verdict(severity=MA)
    assert state.evaluate(thresholds, None, 100, at(1)) == Verdict(clear=True)


# -- 3. out-of-order readings ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("late_value", [50.0, 115.0, 130.0, 200.0])
def test_a_reading_older_than_the_last_one_is_stale_and_changes_nothing(late_value: float) -> None:
    """D-03: a buffered reading older than what the rule has seen is only stored: the verdict says stale,
    and the state (last time and value, every track) is exactly as before, whether the late value would
    have raised, cleared or done nothing."""
    thresholds = Thresholds((cond(CR, GT, 180), cond(MA, GT, 120, duration_s=300)), clear=Threshold(LT, 110))
    state = new_state()
    feed(state, thresholds, [(130, 0), (135, 100)])
    before = plain(state)
    assert state.evaluate(thresholds, None, late_value, at(99)) == Verdict(stale=True)
    assert plain(state) == before


@given(
    readings=st.lists(st.tuples(st.integers(0, 20), st.integers(0, 120)), min_size=1, max_size=12),
    late=st.tuples(st.integers(0, 20), st.integers(1, 3600)),
)
@PROPERTY
def test_stale_readings_never_change_the_state(readings: list[tuple[int, int]], late: tuple[int, int]) -> None:
    """D-03: whatever the state, a reading before `last_at` leaves it untouched."""
    thresholds = Thresholds((cond(MA, GT, 10, duration_s=60), cond(W, GE, 5, repeats=2)), clear=Threshold(LT, 3))
    state = new_state()
    t = 0
    for value, gap in readings:
        t += gap
        state.evaluate(thresholds, None, value, at(t))
    before = plain(state)
    assert state.evaluate(thresholds, None, late[0], at(t - late[1])) == Verdict(stale=True)
    assert plain(state) == before


# -- 4. the timer re-check --------------------------------------------------------------------------------------------

def test_due_fires_a_duration_condition_once_when_no_more_data_arrives() -> None:
    """D-03: a band stops sending while the heart races: the periodic scan raises the 300 s condition once
    300 s have passed since the first matching reading, not before, and only once."""
    thresholds = Thresholds((cond(MA, GT, 120, duration_s=300),), clear=Threshold(LT, 110))
    state = new_state()
    assert state.evaluate(thresholds, None, 130, at(0)) == Verdict()
    assert state.waiting
    assert state.due(thresholds, None, at(120)) is None
    assert state.due(thresholds, None, at(299)) is None
    assert state.waiting
    assert state.due(thresholds, None, at(300)) is MA
    assert state.tracks[MA.value].fired
    assert not state.waiting
    assert state.due(thresholds, None, at(301)) is None
    assert state.due(thresholds, None, at(3600)) is None


def test_due_does_not_fire_what_a_reading_already_fired() -> None:
    """D-03: when the reading itself completed the duration, the scan does not raise the stretch again."""
    thresholds = Thresholds((cond(MA, GT, 120, duration_s=300),))
    state = new_state()
    assert feed(state, thresholds, [(130, 0), (130, 300)]) == [None, MA]
    assert not state.waiting
    assert state.due(thresholds, None, at(900)) is None


def test_due_ignores_simple_conditions_cleared_states_and_unknown_states() -> None:
    """D-03: only duration conditions are re-checked; nothing is due after a clear or before any reading."""
    simple = Thresholds((cond(MA, GT, 120),))
    assert new_state().due(simple, None, at(1000)) is None
    state = new_state()
    feed(state, simple, [(100, 0)])
    assert state.due(simple, None, at(1000)) is None

    timed = Thresholds((cond(MA, GT, 120, duration_s=300),), clear=Threshold(LT, 110))
    state = new_state()
    feed(state, timed, [(130, 0), (100, 10)])
    assert not state.waiting
    assert state.due(timed, None, at(1000)) is None


def test_due_waits_for_the_schedule() -> None:
    """D-03: outside the rule's schedule the scan raises nothing; the track stays armed for the window."""
    day = date(2026, 11, 26)
    night = Schedule(start=time(22, 0), end=time(6, 0))
    thresholds = Thresholds((cond(MA, LT, 1, duration_s=30 * 60),))  # out of bed (in_bed < 1) for 30 min
    state = new_state()
    start = shanghai(day, 5, 50)
    assert state.evaluate(thresholds, night, 0, start) == Verdict()
    assert state.due(thresholds, night, start + timedelta(minutes=31)) is None  # 06:21, outside
    assert state.waiting


# -- 5. persistence across a restart ---------------------------------------------------------------------------------

def restart(state: RuleState) -> RuleState:
    """What a restart does: the state goes to a JSON document and comes back."""
    document = json.loads(json.dumps(converter.unstructure(state)))
    restored = converter.structure(document, RuleState)
    assert isinstance(restored, RuleState)
    return restored


def first_due(state: RuleState, thresholds: Thresholds, seconds: range) -> tuple[int, Severity] | None:
    for s in seconds:
        severity = state.due(thresholds, None, at(s))
        if severity is not None:
            return s, severity
    return None


def test_a_duration_rule_survives_a_restart_mid_duration() -> None:
    """D-03: the rule state is a persisted document: a state restored half-way through a 300 s duration is
    equal to the original, its track times stay aware UTC, and it fires at the same moment, by the timer
    and by the next reading."""
    thresholds = Thresholds((cond(CR, GT, 150, duration_s=600), cond(MA, GT, 120, duration_s=300, repeats=2),
                             cond(W, GT, 100, repeats=3)), clear=Threshold(LT, 110))
    state = new_state()
    assert feed(state, thresholds, [(160, 0), (155, 120), (158, 150)]) == [None, None, W]
    restored = restart(state)
    assert restored == state
    assert restored.tracks[CR.value].since == at(0) and restored.tracks[CR.value].since.tzinfo is not None
    assert restored.waiting and state.waiting

    window = range(150, 1200, 5)
    original_timeline = first_due(copy.deepcopy(state), thresholds, window)
    assert original_timeline == (300, MA)
    assert first_due(copy.deepcopy(restored), thresholds, window) == original_timeline
    for s in (299, 300, 599, 600):
        a, b = copy.deepcopy(state), copy.deepcopy(restored)
        assert a.evaluate(thresholds, None, 160, at(s)) == b.evaluate(thresholds, None, 160, at(s)), s
        assert plain(a) == plain(b)

    # A second restart after the timer fired keeps `fired`: the scan does not raise the stretch again.
    state.due(thresholds, None, at(300))
    again = restart(state)
    assert again.tracks[MA.value].fired
    assert again.due(thresholds, None, at(400)) is None
    assert again.due(thresholds, None, at(600)) is CR


def test_alarm_rules_round_trip_through_the_document_converter() -> None:
    """D-03: a rule with conditions, a clear threshold and a weekday schedule is stored and read back equal."""
    rule = new_rule(
        thresholds=Thresholds((cond(MA, GT, 120, duration_s=300), cond(CR, GE, 150.5, repeats=2)), Threshold(LT, 110)),
        schedule=Schedule(weekdays=frozenset({1, 3, 5}), start=time(22, 0), end=time(6, 30)), model_id="model-band")
    document = json.loads(json.dumps(converter.unstructure(rule)))
    restored = converter.structure(document, AlarmRule)
    assert restored == rule
    assert [c.severity for c in restored.thresholds.conditions] == [CR, MA]


# -- 6. schedules in Shanghai wall time -----------------------------------------------------------------------------

MONDAY = date(2026, 11, 23)
TUESDAY = date(2026, 11, 24)
SATURDAY = date(2026, 11, 28)


@pytest.mark.parametrize(("hour", "minute", "active"), [
    (21, 59, False), (22, 0, True), (23, 0, True), (0, 0, True), (5, 59, True), (6, 0, False), (12, 0, False),
])
def test_a_night_window_spans_midnight_in_shanghai_time(hour: int, minute: int, active: bool) -> None:
    """D-03: 22:00–06:00 is read on the Shanghai clock (UTC+8): 23:00 and 05:59 are inside, 06:00 and
    12:00 outside."""
    night = Schedule(start=time(22, 0), end=time(6, 0))
    assert night.active(shanghai(TUESDAY, hour, minute)) is active


def test_the_part_after_midnight_belongs_to_the_day_the_window_opened() -> None:
    """D-03: a Monday-only night window covers Monday 22:00 to Tuesday 06:00: Tuesday 01:00 is inside,
    Monday 01:00 (Sunday's night) and Tuesday 23:00 are not."""
    monday_night = Schedule(weekdays=frozenset({1}), start=time(22, 0), end=time(6, 0))
    assert monday_night.active(shanghai(TUESDAY, 1))
    assert not monday_night.active(shanghai(MONDAY, 1))
    assert monday_night.active(shanghai(MONDAY, 23))
    assert not monday_night.active(shanghai(TUESDAY, 23))
    sunday_night = Schedule(weekdays=frozenset({7}), start=time(22, 0), end=time(6, 0))
    assert sunday_night.active(shanghai(MONDAY, 1))  # the week wraps: Sunday (7) → Monday (1)
    # 2026-11-23 17:00 UTC is Tuesday 01:00 in Shanghai, though still Monday in UTC.
    assert monday_night.active(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))


def test_day_windows_and_all_day_schedules() -> None:
    """D-03: 08:00–18:00 on working days; start == end means the whole day of the listed weekdays."""
    office = Schedule(weekdays=frozenset(range(1, 6)), start=time(8, 0), end=time(18, 0))
    assert office.active(shanghai(MONDAY, 8)) and office.active(shanghai(MONDAY, 17, 59))
    assert not office.active(shanghai(MONDAY, 18)) and not office.active(shanghai(MONDAY, 7, 59))
    assert not office.active(shanghai(SATURDAY, 10))
    weekend = Schedule(weekdays=frozenset({6, 7}))
    assert weekend.active(shanghai(SATURDAY, 0)) and weekend.active(shanghai(SATURDAY, 23, 59))
    assert not weekend.active(shanghai(MONDAY, 0))
    assert Schedule().active(shanghai(MONDAY, 3))


def test_outside_the_schedule_nothing_is_raised_but_a_clear_still_works() -> None:
    """D-03: at noon a night rule raises nothing and starts no track; a value below the clear threshold
    still clears (an alarm raised at night recovers in the morning); at 23:00 the same value raises."""
    night = Schedule(start=time(22, 0), end=time(6, 0))
    thresholds = Thresholds((cond(MA, GT, 120),), clear=Threshold(LT, 110))
    state = new_state()
    day = date(2026, 11, 26)
    assert state.evaluate(thresholds, night, 130, shanghai(day, 12)) == Verdict()
    assert not state.waiting and state.tracks[MA.value].since is None
    assert state.evaluate(thresholds, night, 100, shanghai(day, 12, 1)) == Verdict(clear=True)
    assert state.evaluate(thresholds, night, 130, shanghai(day, 23)) == Verdict(severity=MA)


def test_leaving_the_schedule_resets_a_running_condition() -> None:
    """D-03: a repeating condition counts only readings inside the window."""
    night = Schedule(start=time(22, 0), end=time(6, 0))
    thresholds = Thresholds((cond(MA, GT, 120, repeats=2),))
    state = new_state()
    day = date(2026, 11, 26)
    assert state.evaluate(thresholds, night, 130, shanghai(day, 5, 59)).severity is None
    assert state.evaluate(thresholds, night, 130, shanghai(day, 6, 0)).severity is None
    assert state.evaluate(thresholds, night, 130, shanghai(day, 22, 0)).severity is None
    assert state.evaluate(thresholds, night, 130, shanghai(day, 22, 1)).severity is MA


# -- 7. hand-over and effective thresholds ---------------------------------------------------------------------------

def test_handing_the_device_to_another_elder_forgets_everything() -> None:
    """D-01, D-03: when the band goes to another elder, the new wearer starts from nothing: no tracks, no
    last reading (an earlier timestamp is then not stale); handing to the same elder changes nothing."""
    thresholds = Thresholds((cond(MA, GT, 120, duration_s=300),))
    state = new_state()
    feed(state, thresholds, [(130, 0), (130, 100)])
    before = plain(state)
    state.hand_to("elder-1")
    assert plain(state) == before
    state.hand_to("elder-2")
    assert (state.elder_id, state.last_at, state.last_value, state.tracks) == ("elder-2", None, None, {})
    assert not state.waiting
    assert state.due(thresholds, None, at(1000)) is None
    assert state.evaluate(thresholds, None, 130, at(50)) == Verdict()  # not stale any more


def test_effective_thresholds_for_an_elder() -> None:
    """D-03: the rule's thresholds, an elder's own (个性化阈值) when set, none when the rule is off."""
    rule = new_rule()
    own = Thresholds((cond(MA, GT, 135),), Threshold(LT, 125))

    def override(**changes: Any) -> RuleOverride:
        return RuleOverride(id="ovr-1", rule_id=rule.id, elder_id="elder-1", institution_id="inst-1",
                            created_at=T0, **changes)

    assert effective(rule, None) is rule.thresholds
    assert effective(rule, override()) is rule.thresholds
    assert effective(rule, override(thresholds=own)) is own
    assert effective(rule, override(thresholds=own, enabled=False)) is None
    assert effective(rule, override(enabled=False)) is None
    rule.active = False
    assert effective(rule, None) is None
    assert effective(rule, override(thresholds=own)) is None


def test_rules_apply_to_their_vital_and_model() -> None:
    """D-03: thresholds per device type: a rule with a model applies to that model only, one without to all."""
    any_model, band_only = new_rule(id="r-any"), new_rule(id="r-band", model_id="model-band")
    spo2 = new_rule(id="r-spo2", vital=Vital.SPO2)
    assert rule_applies(any_model, "model-radar", Vital.HEART_RATE)
    assert rule_applies(band_only, "model-band", Vital.HEART_RATE)
    assert not rule_applies(band_only, "model-radar", Vital.HEART_RATE)
    assert not rule_applies(any_model, "model-band", Vital.SPO2)
    grouped = by_vital({r.id: r for r in (any_model, band_only, spo2)})
    assert {v: [r.id for r in rules] for v, rules in grouped.items()} == {
        Vital.HEART_RATE: ["r-any", "r-band"], Vital.SPO2: ["r-spo2"]}


# -- 8. defects found in review (now fixed) ---------------------------------------------------------------------

@pytest.mark.parametrize("case", ["repeating mid-count", "simple out-ranked"])
def test_waiting_only_for_started_duration_conditions(case: str) -> None:
    """D-03: `waiting` (what the periodic scan loads) means an armed duration condition."""
    if case == "repeating mid-count":
        thresholds = Thresholds((cond(MA, GT, 120, repeats=3),))
        readings = [(130.0, 0.0)]
    else:
        thresholds = Thresholds((cond(CR, GT, 150), cond(W, GT, 100)))
        readings = [(160.0, 0.0)]
    state = new_state()
    feed(state, thresholds, readings)
    assert all(c.duration_s == 0 for c in thresholds.conditions)
    assert state.due(thresholds, None, at(10**6)) is None
    assert not state.waiting


def test_two_conditions_of_one_severity_do_not_share_a_count() -> None:
    """D-03: a `repeats=3` condition never raises before its third reading: either `Thresholds` refuses a
    second condition of the same severity, or the two keep separate counts."""
    try:
        thresholds = Thresholds((cond(MA, GT, 120, repeats=3), cond(MA, GT, 100, repeats=3)))
    except ValueError:
        return
    assert feed(new_state(), thresholds, [(130, 0), (130, 60)]) == [None, None]


# -- 9. the property: evaluate and due against a brute-force oracle -------------------------------------------------

_COMPARE: dict[Comparator, Callable[[float, float], bool]] = {
    Comparator.GT: operator.gt, Comparator.GE: operator.ge, Comparator.LT: operator.lt, Comparator.LE: operator.le}
_RANK = {W: 1, MI: 2, MA: 3, CR: 4}


def oracle_active(schedule: Schedule | None, instant: datetime) -> bool:
    """Whether `instant` lies in a window opened on a listed weekday (Shanghai is UTC+8, no summer time)."""
    if schedule is None:
        return True
    local = instant.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8)
    if schedule.start == schedule.end:
        return local.isoweekday() in schedule.weekdays
    start = schedule.start.hour * 60 + schedule.start.minute
    length = (schedule.end.hour * 60 + schedule.end.minute - start) % (24 * 60)
    for back in (0, 1):
        day = local.date() - timedelta(days=back)
        opened = datetime.combine(day, time(0, 0)) + timedelta(minutes=start)
        if day.isoweekday() in schedule.weekdays and opened <= local < opened + timedelta(minutes=length):
            return True
    return False


@frozen
class Scenario:
    thresholds: Thresholds
    schedule: Schedule | None
    start: datetime
    steps: tuple[tuple[str, int, int], ...]  # ("read", value, gap_s) or ("due", 0, gap_s)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    severities = draw(st.lists(st.sampled_from(list(Severity)), min_size=1, max_size=3, unique=True))
    conditions = tuple(
        cond(s, draw(st.sampled_from(list(Comparator))), draw(st.integers(0, 6)),
             duration_s=draw(st.sampled_from([0, 0, 60, 300])), repeats=draw(st.integers(1, 3)))
        for s in severities)
    clear = draw(st.none() | st.builds(Threshold, st.sampled_from(list(Comparator)), st.integers(0, 6).map(float)))
    schedule = draw(st.none() | st.builds(
        Schedule,
        weekdays=st.frozensets(st.integers(1, 7), min_size=1),
        start=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
        end=st.builds(time, st.integers(0, 23), st.sampled_from([0, 30])),
    ))
    start = T0 + timedelta(hours=draw(st.integers(0, 24 * 7)))
    gaps = st.one_of(st.integers(1, 400), st.sampled_from([59, 60, 61, 299, 300, 301]), st.integers(3600, 6 * 3600))
    steps = draw(st.lists(
        st.one_of(st.tuples(st.just("read"), st.integers(0, 6), gaps), st.tuples(st.just("due"), st.just(0), gaps)),
        min_size=1, max_size=25))
    return Scenario(Thresholds(conditions, clear), schedule, start, tuple(steps))


class Oracle:
    """Recomputes every answer from the whole history, by scanning back over the readings."""

    def __init__(self, scenario: Scenario) -> None:
        self.thresholds, self.schedule = scenario.thresholds, scenario.schedule
        self.values: list[float] = []
        self.times: list[datetime] = []
        self.verdicts: list[Verdict] = []
        self.timer_fired: list[tuple[int, Severity]] = []  # (index of the last reading, severity) per due hit

    def matches(self, c: Condition, k: int) -> bool:
        return oracle_active(self.schedule, self.times[k]) and _COMPARE[c.threshold.comparator](
            self.values[k], c.threshold.value)

    def run_start(self, c: Condition, i: int) -> int | None:
        """First reading of the unbroken run of matches of `c` that ends at reading `i` (a clear breaks it)."""
        if not self.matches(c, i):
            return None
        j = i
        while j > 0 and self.matches(c, j - 1) and not self.verdicts[j - 1].clear:
            j -= 1
        return j

    def satisfied(self, c: Condition, i: int, now: datetime) -> int | None:
        j = self.run_start(c, i)
        if j is None or i - j + 1 < c.repeats or (now - self.times[j]).total_seconds() < c.duration_s:
            return None
        return j

    def read(self, value: float, instant: datetime) -> Verdict:
        self.values.append(value)
        self.times.append(instant)
        i = len(self.values) - 1
        hits = [c.severity for c in self.thresholds.conditions if self.satisfied(c, i, instant) is not None]
        severity = max(hits, key=_RANK.__getitem__) if hits else None
        clear = self.thresholds.clear
        verdict = Verdict(severity=severity, clear=severity is None and clear is not None and _COMPARE[
            clear.comparator](value, clear.value))
        self.verdicts.append(verdict)
        return verdict

    def due(self, now: datetime) -> Severity | None:
        i = len(self.values) - 1
        if i < 0 or not oracle_active(self.schedule, now) or self.verdicts[i].clear:
            return None
        candidates = []
        for c in self.thresholds.conditions:
            j = self.satisfied(c, i, now)
            if c.duration_s == 0 or j is None:
                continue
            # a raise of this severity or a more severe one during the stretch speaks for it (severity only rises)
            raised_by_reading = any((v := self.verdicts[k].severity) is not None and _RANK[v] >= _RANK[c.severity]
                                    for k in range(j, i + 1))
            raised_by_timer = any(k >= j and _RANK[s] >= _RANK[c.severity] for k, s in self.timer_fired)
            if not (raised_by_reading or raised_by_timer):
                candidates.append(c.severity)
        if not candidates:
            return None
        found = max(candidates, key=_RANK.__getitem__)
        self.timer_fired.append((i, found))
        return found


@given(scenario=scenarios())
@PROPERTY
def test_evaluate_and_due_agree_with_a_brute_force_oracle(scenario: Scenario) -> None:
    """D-03: for random thresholds (simple, repeating and duration conditions, a clear threshold, a
    schedule) and random readings on increasing device times mixed with timer re-checks, every verdict of
    `evaluate` and every answer of `due` equals the oracle's."""
    state = new_state()
    oracle = Oracle(scenario)
    now = scenario.start
    for kind, value, gap in scenario.steps:
        now += timedelta(seconds=gap)
        if kind == "read":
            assert state.evaluate(scenario.thresholds, scenario.schedule, float(value), now) == oracle.read(
                float(value), now), (value, now)
        else:
            assert state.due(scenario.thresholds, scenario.schedule, now) == oracle.due(now), now


@given(
    instant=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    weekdays=st.frozensets(st.integers(1, 7), min_size=1),
    start=st.builds(time, st.integers(0, 23), st.integers(0, 59)),
    end=st.builds(time, st.integers(0, 23), st.integers(0, 59)),
)
@PROPERTY
def test_schedules_agree_with_an_oracle(instant: datetime, weekdays: frozenset[int], start: time, end: time) -> None:
    """D-03: `Schedule.active` is "inside a window opened on a listed weekday", Shanghai wall time."""
    schedule = Schedule(weekdays=weekdays, start=start, end=end)
    assert schedule.active(instant) is oracle_active(schedule, instant)
