"""Alarm rules (告警规则, D-03, HB-13): thresholds per vital and device model, with per-elder overrides.

Semantics follow ThingsBoard's device-profile alarms:
- a rule has up to one create condition per severity, evaluated from most to least severe;
- a condition is simple (this reading matches), duration (it has matched for T, measured on device
  timestamps and re-checked by the periodic scan when no data arrives) or repeating (N consecutive matches;
  one miss resets the count);
- an optional clear threshold, distinct from the create threshold (hysteresis: "above 120 raises, below
  110 clears", so a value wandering around 120 does not flap);
- an optional schedule in Asia/Shanghai ("out of bed for 30 min between 22:00 and 06:00").
Rule state (since when, how many in a row) lives in `RuleState`, persisted, so a restart forgets nothing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from enum import StrEnum
from typing import Any

from attrs import define, field, frozen

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.monitoring.vitals import Vital


class Severity(StrEnum):
    WARNING = "warning"  # 提示
    MINOR = "minor"  # 一般
    MAJOR = "major"  # 严重
    CRITICAL = "critical"  # 紧急

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.WARNING: 1, Severity.MINOR: 2, Severity.MAJOR: 3, Severity.CRITICAL: 4}
SEVERITY_LABELS = {Severity.WARNING: "提示", Severity.MINOR: "一般", Severity.MAJOR: "严重", Severity.CRITICAL: "紧急"}


def higher(a: Severity, b: Severity) -> Severity:
    return a if a.rank >= b.rank else b


class AlarmKind(StrEnum):
    SOS = "sos"  # 紧急呼救
    FALL = "fall"  # 跌倒
    VITAL = "vital"  # 体征异常
    OUT_OF_BED = "out_of_bed"  # 离床未归
    NO_BREATHING = "no_breathing"  # 呼吸暂停
    AIR = "air"  # 空气质量差
    OFFLINE = "offline"  # 设备离线
    LOW_BATTERY = "low_battery"  # 低电量


ALARM_KIND_LABELS = {
    AlarmKind.SOS: "紧急呼救", AlarmKind.FALL: "跌倒", AlarmKind.VITAL: "体征异常", AlarmKind.OUT_OF_BED: "离床未归",
    AlarmKind.NO_BREATHING: "呼吸暂停", AlarmKind.AIR: "空气质量差", AlarmKind.OFFLINE: "设备离线",
    AlarmKind.LOW_BATTERY: "低电量",
}
# Only a person may close these: a fall or a call for help is over when someone has seen to the elder.
MANUAL_ONLY = frozenset({AlarmKind.SOS, AlarmKind.FALL})
RULE_KINDS = frozenset({AlarmKind.VITAL, AlarmKind.OUT_OF_BED, AlarmKind.NO_BREATHING, AlarmKind.AIR,
                        AlarmKind.LOW_BATTERY})


class Comparator(StrEnum):
    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="


@frozen
class Threshold:
    comparator: Comparator
    value: float

    def holds(self, x: float) -> bool:
        c = self.comparator
        if c is Comparator.GT:
            return x > self.value
        if c is Comparator.GE:
            return x >= self.value
        if c is Comparator.LT:
            return x < self.value
        return x <= self.value

    def text(self) -> str:
        return f"{self.comparator.value} {self.value:g}"

    @property
    def upward(self) -> bool:
        return self.comparator in (Comparator.GT, Comparator.GE)

    @property
    def inclusive(self) -> bool:
        return self.comparator in (Comparator.GE, Comparator.LE)

    def overlaps(self, other: Threshold) -> bool:
        """Whether some value satisfies both (a clear threshold that overlaps a create threshold leaves no
        hysteresis band: one reading would raise and clear at once)."""
        if self.upward == other.upward:
            return True  # two half-lines pointing the same way always share their tail
        low, high = (self, other) if self.upward else (other, self)  # low: x > v … ; high: x < w …
        return low.value < high.value or (low.value == high.value and low.inclusive and high.inclusive)


@frozen
class Condition:
    """Create condition of one severity: the threshold, held for `duration_s` or `repeats` readings in a row."""

    severity: Severity
    threshold: Threshold
    duration_s: int = 0
    repeats: int = 1

    def satisfied(self, track: Track, at: datetime) -> bool:
        return (track.since is not None and (at - track.since).total_seconds() >= self.duration_s
                and track.count >= self.repeats)


@frozen
class Schedule:
    """When a rule may raise alarms, in Shanghai wall time; `end` before `start` spans midnight, and then the
    part after midnight belongs to the day the window opened."""

    weekdays: frozenset[int] = frozenset(range(1, 8))  # ISO: 1 Monday … 7 Sunday
    start: time = time(0, 0)
    end: time = time(0, 0)  # start == end: all day

    def active(self, at: datetime) -> bool:
        local = at.astimezone(SHANGHAI)
        t, day = local.time(), local.isoweekday()
        if self.start == self.end:
            return day in self.weekdays
        if self.start < self.end:
            return day in self.weekdays and self.start <= t < self.end
        if t >= self.start:
            return day in self.weekdays
        return t < self.end and (day - 2) % 7 + 1 in self.weekdays


@frozen
class Thresholds:
    """The create conditions (most severe first) and the clear threshold that together decide an alarm."""

    conditions: tuple[Condition, ...]
    clear: Threshold | None = None

    def __attrs_post_init__(self) -> None:
        ordered = tuple(sorted(self.conditions, key=lambda c: -c.severity.rank))
        if len({c.severity for c in ordered}) != len(ordered):
            raise ValueError("one create condition per severity")  # they would share one Track
        object.__setattr__(self, "conditions", ordered)


@define(slots=False, kw_only=True)
class AlarmRule(Aggregate):
    """One rule (告警规则): on `vital` from devices of `model_id` (None: any model), raise a `alarm_kind` alarm."""

    kind = "alarm_rule"

    name: str
    vital: Vital
    alarm_kind: AlarmKind
    model_id: str | None = None
    thresholds: Thresholds
    schedule: Schedule | None = None
    active: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "vital": self.vital.value, "alarm_kind": self.alarm_kind.value,
                "model_id": self.model_id, "active": self.active,
                "conditions": [f"{c.severity.value} {c.threshold.text()} {c.duration_s}s x{c.repeats}"
                               for c in self.thresholds.conditions],
                "clear": self.thresholds.clear.text() if self.thresholds.clear else None}


@define(slots=False, kw_only=True)
class RuleOverride(Aggregate):
    """An elder's own thresholds for one rule (个性化阈值), set by the institution caring for the elder:
    `thresholds` None keeps the rule's, `enabled` False turns the rule off for this elder."""

    kind = "rule_override"

    rule_id: str
    elder_id: str
    institution_id: str
    thresholds: Thresholds | None = None
    enabled: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        conditions = None if self.thresholds is None else [
            f"{c.severity.value} {c.threshold.text()} {c.duration_s}s x{c.repeats}" for c in self.thresholds.conditions]
        return {"rule_id": self.rule_id, "elder_id": self.elder_id, "enabled": self.enabled,
                "conditions": conditions}


def effective(rule: AlarmRule, override: RuleOverride | None) -> Thresholds | None:
    """The thresholds that apply to one elder, or None when the rule does not apply to them."""
    if not rule.active or (override is not None and not override.enabled):
        return None
    if override is not None and override.thresholds is not None:
        return override.thresholds
    return rule.thresholds


@define(slots=False)
class Track:
    """Progress of one create condition: since when it has held and for how many readings in a row;
    `fired` once it raised, so the periodic re-check does not raise the same stretch again."""

    since: datetime | None = None
    count: int = 0
    fired: bool = False
    timed: bool = False  # a duration condition: the periodic re-check must look at it until it fires


@frozen
class Verdict:
    severity: Severity | None = None  # raise (or repeat) an alarm of this severity
    clear: bool = False  # the clear threshold holds: an open alarm of this rule recovers
    stale: bool = False  # older than what the rule has already seen: stored, not evaluated


@define(slots=False, kw_only=True)
class RuleState:
    """What one rule remembers about one device (规则状态). Reset when the device changes hands."""

    rule_id: str
    device_id: str
    elder_id: str
    last_at: datetime | None = None
    last_value: float | None = None
    tracks: dict[str, Track] = field(factory=dict)
    version: int = 0

    @property
    def key(self) -> tuple[str, str]:
        return (self.rule_id, self.device_id)

    @property
    def waiting(self) -> bool:
        """A duration condition has started and not fired: the periodic scan must look at it."""
        return any(t.timed and t.since is not None and not t.fired for t in self.tracks.values())

    def hand_to(self, elder_id: str) -> None:
        if elder_id != self.elder_id:
            self.elder_id, self.last_at, self.last_value, self.tracks = elder_id, None, None, {}

    def evaluate(self, thresholds: Thresholds, schedule: Schedule | None, value: float, at: datetime) -> Verdict:
        """Feed one reading (in device-time order) and say what it means."""
        if self.last_at is not None and at < self.last_at:
            return Verdict(stale=True)
        self.last_at, self.last_value = at, value
        in_schedule = schedule is None or schedule.active(at)
        fired: Severity | None = None
        for condition in thresholds.conditions:
            track = self.tracks.setdefault(condition.severity.value, Track(timed=condition.duration_s > 0))
            if in_schedule and condition.threshold.holds(value):
                if track.since is None:
                    track.since = at
                track.count += 1
                if fired is not None:
                    track.fired = True  # a more severe condition already speaks for this stretch
                elif condition.satisfied(track, at):
                    fired, track.fired = condition.severity, True
            else:
                self.tracks[condition.severity.value] = Track(timed=condition.duration_s > 0)
        clear = fired is None and thresholds.clear is not None and thresholds.clear.holds(value)
        if clear:
            self.tracks = {}
        return Verdict(severity=fired, clear=clear)

    def due(self, thresholds: Thresholds, schedule: Schedule | None, now: datetime) -> Severity | None:
        """The periodic re-check: a duration condition whose last reading still matched has now held long
        enough although no new data came (a band that stops sending while the heart races)."""
        if self.last_value is None or (schedule is not None and not schedule.active(now)):
            return None
        found: Severity | None = None
        for condition in thresholds.conditions:  # most severe first
            track = self.tracks.get(condition.severity.value)
            if track is None or track.fired or not condition.threshold.holds(self.last_value):
                continue
            if found is not None:
                track.fired = True  # the more severe alarm just raised speaks for this stretch too
            elif condition.duration_s > 0 and condition.satisfied(track, now):
                found, track.fired = condition.severity, True
        return found


def rule_applies(rule: AlarmRule, model_id: str, vital: Vital) -> bool:
    return rule.vital is vital and rule.model_id in (None, model_id)


def by_vital(rules: Mapping[str, AlarmRule]) -> dict[Vital, list[AlarmRule]]:
    grouped: dict[Vital, list[AlarmRule]] = {}
    for rule in rules.values():
        grouped.setdefault(rule.vital, []).append(rule)
    return grouped
