"""The periodic monitoring scan (巡检): what no incoming message can trigger by itself.

- duration rules whose condition still held at the last reading and has now lasted long enough;
- devices silent for longer than their model allows (offline: judged from data, never from heartbeats);
- alarms nobody acknowledged in time (escalation);
- message keys older than the deduplication window.
The device bridge runs it every few seconds; `yyk monitoring scan` runs it by hand or from cron. Running it
twice changes nothing the second time."""

from __future__ import annotations

from datetime import timedelta

from attrs import define, field

from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.domain.monitoring.alarms import alarm_subject, open_key
from yiyangkang.domain.monitoring.devices import DeviceKind
from yiyangkang.domain.monitoring.duty import DutySettings
from yiyangkang.domain.monitoring.rules import AlarmKind, Severity, effective
from yiyangkang.domain.monitoring.vitals import VITALS
from yiyangkang.services.monitoring.desk import AlarmDesk
from yiyangkang.services.monitoring.recipients import duty_settings
from yiyangkang.services.runtime import Runtime

DEDUP_WINDOW = timedelta(days=7)
# Silence of a device that calls for help is worse than silence of a thermometer.
SAFETY_DEVICES = frozenset({DeviceKind.GUARDIAN_HUB, DeviceKind.FALL_RADAR, DeviceKind.BAND})


@define
class ScanReport:
    timers: int = 0
    offline: int = 0
    escalated: int = 0
    forgotten: int = 0
    notices: list[str] = field(factory=list)


def monitoring_scan(rt: Runtime) -> ScanReport:
    now = rt.clock.now()
    report = ScanReport()
    with rt.uow() as uow:
        uow.write_first()
        desk = AlarmDesk(uow, rt.ids, now)
        rules = {r.id: r for r in uow.alarm_rules.all()}
        states = list(uow.rule_states.waiting())
        overrides = uow.rule_overrides.for_elders({s.elder_id for s in states})
        fired = []
        for state in states:
            rule = rules.get(state.rule_id)
            device = uow.devices.get(state.device_id)
            thresholds = effective(rule, overrides.get((rule.id, state.elder_id))) if rule else None
            if rule is None or device is None or thresholds is None:
                continue
            severity = state.due(thresholds, rule.schedule, now)
            if severity is None or state.last_value is None:
                continue
            fired.append(state)
            spec = VITALS[rule.vital]
            desk.raise_alarm(
                institution_id=device.institution_id, elder_id=state.elder_id, kind=rule.alarm_kind,
                subject=alarm_subject(rule.alarm_kind, vital=rule.vital.value, device_id=device.id),
                severity=severity, at=now, device_id=device.id, rule_id=rule.id, source="timer",
                detail=f"{rule.name}：{spec.label} {state.last_value:g} {spec.unit}（持续无新数据）",
                value=state.last_value, where=device.location)
            report.timers += 1
        uow.rule_states.save_many(fired)
        for silent in uow.device_liveness.silent(now):
            if uow.alarms.open_for(open_key(silent.elder_id, AlarmKind.OFFLINE, silent.device_id)) is not None:
                continue
            device = uow.devices.get(silent.device_id)
            model = uow.device_models.get(device.model_id) if device else None
            if device is None or model is None:
                continue
            last = f"最后数据 {local_text(silent.last_data_at)}" if silent.last_data_at else "绑定后从未上报数据"
            desk.raise_alarm(
                institution_id=silent.institution_id, elder_id=silent.elder_id, kind=AlarmKind.OFFLINE,
                subject=silent.device_id, severity=Severity.MAJOR if model.device_kind in SAFETY_DEVICES
                else Severity.MINOR, at=now, device_id=silent.device_id, source="scan",
                detail=f"{model.name}（{device.serial}）超过{silent.interval_s // 60 or 1}分钟未上报数据，{last}",
                where=device.location)
            report.offline += 1
        settings_of: dict[str, DutySettings] = {}
        for alarm in uow.alarms.unacknowledged():
            if alarm.institution_id not in settings_of:
                settings_of[alarm.institution_id] = duty_settings(uow, alarm.institution_id, now)
            settings = settings_of[alarm.institution_id]
            if alarm.escalation_level == 0 and settings.escalation_due(alarm.severity, alarm.created_at, now):
                device = uow.devices.get(alarm.device_id) if alarm.device_id else None
                desk.escalate(alarm, device.location if device else "")
                report.escalated += 1
        report.notices = desk.flush()
        report.forgotten = uow.device_messages.forget_before(now - DEDUP_WINDOW)
        uow.commit()
    return report
