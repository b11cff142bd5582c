"""Read models of the monitoring context. Personal data of the elder (name, phone, address) arrives masked
in lists; the dispatch card of one alarm reveals it to those who answer alarms."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from yiyangkang.domain.kernel.masking import mask_address, mask_name, mask_phone
from yiyangkang.domain.monitoring.alarms import ALARM_STATUS_LABELS, Alarm
from yiyangkang.domain.monitoring.devices import DEVICE_KIND_LABELS, Device, DeviceModel, SimCard
from yiyangkang.domain.monitoring.duty import DutySettings
from yiyangkang.domain.monitoring.records import DeadLetter, Reading
from yiyangkang.domain.monitoring.rules import (
    ALARM_KIND_LABELS,
    SEVERITY_LABELS,
    AlarmRule,
    Condition,
    RuleOverride,
    Schedule,
    Thresholds,
)
from yiyangkang.domain.monitoring.vitals import VITALS, Vital
from yiyangkang.ports.monitoring import Latest


@frozen
class DeviceModelView:
    id: str
    name: str
    vendor: str
    device_kind: str
    device_kind_label: str
    codec: str
    vitals: list[str]
    data_interval_s: int
    heartbeat_is_data: bool
    active: bool
    version: int

    @classmethod
    def of(cls, m: DeviceModel) -> DeviceModelView:
        return cls(m.id, m.name, m.vendor, m.device_kind.value, DEVICE_KIND_LABELS[m.device_kind], m.codec,
                   [v.value for v in m.vitals], m.data_interval_s, m.heartbeat_is_data, m.active, m.version)


@frozen
class BindingView:
    elder_id: str
    start: datetime
    end: datetime | None


@frozen
class DeviceView:
    id: str
    institution_id: str
    model_id: str
    serial: str
    location: str
    status: str
    elder_id: str | None
    bindings: list[BindingView]
    last_data_at: datetime | None
    last_seen_at: datetime | None
    battery: float | None
    version: int

    @classmethod
    def of(cls, d: Device, last_data_at: datetime | None = None, last_seen_at: datetime | None = None,
           battery: float | None = None) -> DeviceView:
        return cls(d.id, d.institution_id, d.model_id, d.serial, d.location, d.status.value, d.elder_id,
                   [BindingView(b.elder_id, b.start, b.end) for b in d.bindings], last_data_at, last_seen_at,
                   battery, d.version)


@frozen
class SimCardView:
    id: str
    institution_id: str
    iccid: str
    msisdn: str  # masked
    carrier: str
    plan_minutes: int
    plan_data_mb: int
    activated_on: str
    expires_on: str
    device_id: str | None
    status: str
    version: int

    @classmethod
    def of(cls, s: SimCard) -> SimCardView:
        return cls(s.id, s.institution_id, s.iccid, mask_phone(s.msisdn) or "", s.carrier, s.plan_minutes,
                   s.plan_data_mb, s.activated_on.isoformat(), s.expires_on.isoformat(), s.device_id, s.status.value,
                   s.version)


@frozen
class ConditionView:
    severity: str
    comparator: str
    value: float
    duration_s: int
    repeats: int


@frozen
class ScheduleView:
    weekdays: list[int]
    start: str
    end: str


@frozen
class ThresholdsView:
    conditions: list[ConditionView]
    clear_comparator: str | None
    clear_value: float | None

    @classmethod
    def of(cls, t: Thresholds) -> ThresholdsView:
        return cls([_condition(c) for c in t.conditions], t.clear.comparator.value if t.clear else None,
                   t.clear.value if t.clear else None)


def _condition(c: Condition) -> ConditionView:
    return ConditionView(c.severity.value, c.threshold.comparator.value, c.threshold.value, c.duration_s, c.repeats)


def _schedule(s: Schedule | None) -> ScheduleView | None:
    return None if s is None else ScheduleView(sorted(s.weekdays), s.start.strftime("%H:%M"), s.end.strftime("%H:%M"))


@frozen
class AlarmRuleView:
    id: str
    name: str
    vital: str
    alarm_kind: str
    model_id: str | None
    thresholds: ThresholdsView
    schedule: ScheduleView | None
    active: bool
    version: int

    @classmethod
    def of(cls, r: AlarmRule) -> AlarmRuleView:
        return cls(r.id, r.name, r.vital.value, r.alarm_kind.value, r.model_id, ThresholdsView.of(r.thresholds),
                   _schedule(r.schedule), r.active, r.version)


@frozen
class RuleOverrideView:
    id: str
    rule_id: str
    elder_id: str
    thresholds: ThresholdsView | None
    enabled: bool
    version: int

    @classmethod
    def of(cls, o: RuleOverride) -> RuleOverrideView:
        return cls(o.id, o.rule_id, o.elder_id, ThresholdsView.of(o.thresholds) if o.thresholds else None, o.enabled,
                   o.version)


@frozen
class DutySettingsView:
    institution_id: str
    duty_staff_ids: list[str]
    escalate_after_min: dict[str, int]
    version: int

    @classmethod
    def of(cls, s: DutySettings) -> DutySettingsView:
        return cls(s.id, list(s.duty_staff_ids), {k.value: v for k, v in s.escalate_after_min.items()}, s.version)


@frozen
class VitalView:
    vital: str
    code: str
    unit: str
    label: str
    value: float
    at: datetime
    device_id: str

    @classmethod
    def of(cls, x: Latest | Reading) -> VitalView:
        spec = VITALS[x.vital]
        return cls(x.vital.value, spec.code, spec.unit, spec.label, x.value, x.at, x.device_id)


@frozen
class AlarmView:
    id: str
    number: str
    institution_id: str
    elder_id: str
    elder_name: str  # masked in lists
    alarm_kind: str
    alarm_kind_label: str
    subject: str
    severity: str
    severity_label: str
    status: str
    status_label: str
    device_id: str | None
    source: str
    detail: str
    value: float | None
    first_at: datetime
    last_at: datetime
    count: int
    escalation_level: int
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    acknowledge_note: str
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    close_note: str
    version: int

    @classmethod
    def of(cls, a: Alarm, elder_name: str, *, reveal: bool = False) -> AlarmView:
        return cls(
            a.id, a.number, a.institution_id, a.elder_id, elder_name if reveal else mask_name(elder_name) or "",
            a.alarm_kind.value, ALARM_KIND_LABELS[a.alarm_kind], a.subject, a.severity.value,
            SEVERITY_LABELS[a.severity], a.status.value, ALARM_STATUS_LABELS[a.status], a.device_id, a.source,
            a.detail, a.value, a.first_at, a.last_at, a.count, a.escalation_level, a.acknowledged_by,
            a.acknowledged_at, a.acknowledge_note, a.closed_by, a.closed_at,
            a.close_reason.value if a.close_reason else None, a.close_note, a.version)


@frozen
class ContactView:
    relation: str
    name: str
    phone: str


@frozen
class DispatchCard:
    """Everything the dispatcher needs to act on one alarm (调度卡片): who, where, whom to call, what the
    devices say now."""

    alarm: AlarmView
    elder_phone: str | None
    address: str | None
    contacts: list[ContactView]
    doctor_name: str | None
    doctor_phone: str | None
    device_serial: str | None
    device_location: str | None
    latest_vitals: list[VitalView]
    masked: bool


@frozen
class DeadLetterView:
    id: str
    received_at: datetime
    channel: str
    codec: str
    serial: str | None
    reason: str
    message: str
    size: int
    preview_hex: str

    @classmethod
    def of(cls, d: DeadLetter) -> DeadLetterView:
        return cls(d.id, d.received_at, d.channel, d.codec, d.serial, d.reason, d.message, len(d.payload),
                   d.payload[:64].hex(" "))


def mask_contact(relation: str, name: str, phone: str, reveal: bool) -> ContactView:
    if reveal:
        return ContactView(relation, name, phone)
    return ContactView(relation, mask_name(name) or "", mask_phone(phone) or "")


def mask_where(address: str | None, reveal: bool) -> str | None:
    return address if reveal else mask_address(address)


def vitals_of(latest: list[Latest]) -> list[VitalView]:
    """One value per vital: the newest by device time across the elder's devices."""
    newest: dict[Vital, Latest] = {}
    for x in latest:
        if x.vital not in newest or x.at > newest[x.vital].at:
            newest[x.vital] = x
    return [VitalView.of(x) for _, x in sorted(newest.items(), key=lambda kv: kv[0].value)]
