"""Rule use cases (告警配置, D-03, HB-13): the platform's rules, one elder's own thresholds, duty settings."""

from __future__ import annotations

from datetime import time

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.monitoring.duty import MAX_ESCALATION_MIN, DutySettings
from yiyangkang.domain.monitoring.rules import (
    RULE_KINDS,
    AlarmKind,
    AlarmRule,
    Comparator,
    Condition,
    RuleOverride,
    Schedule,
    Severity,
    Threshold,
    Thresholds,
)
from yiyangkang.domain.monitoring.vitals import VITALS, Vital
from yiyangkang.services.access import load_elder, load_institution, require
from yiyangkang.services.monitoring.recipients import duty_settings
from yiyangkang.services.monitoring.views import AlarmRuleView, DutySettingsView, RuleOverrideView
from yiyangkang.services.runtime import Runtime

MAX_DURATION_S = 24 * 3600
MAX_REPEATS = 100


@frozen
class ConditionInput:
    severity: str
    comparator: str
    value: float
    duration_s: int = 0
    repeats: int = 1


@frozen
class ThresholdsInput:
    conditions: tuple[ConditionInput, ...]
    clear_comparator: str | None = None
    clear_value: float | None = None


@frozen
class ScheduleInput:
    weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7)
    start: str = "00:00"
    end: str = "00:00"


def _clock_time(raw: str) -> time:
    try:
        return time.fromisoformat(raw)
    except ValueError:
        raise ValueError("时间格式须为 HH:MM") from None


def _thresholds(checks: Checks, data: ThresholdsInput, vital: Vital | None, prefix: str = "thresholds.",
                ) -> Thresholds | None:
    conditions = []
    seen: set[Severity] = set()
    checks.require(f"{prefix}conditions", 0 < len(data.conditions) <= 4, "请设置1到4个告警级别的条件")
    spec = VITALS[vital] if vital else None
    for i, c in enumerate(data.conditions):
        at = f"{prefix}conditions.{i}."
        severity = checks.parse(f"{at}severity", choice(Severity, "告警级别不存在"), c.severity)
        comparator = checks.parse(f"{at}comparator", choice(Comparator, "比较符须为 > >= < <="), c.comparator)
        checks.require(f"{at}severity", severity not in seen, "每个告警级别只能设置一个条件", "DUPLICATE_SEVERITY")
        if spec is not None:
            checks.require(f"{at}value", spec.low <= c.value <= spec.high,
                           f"阈值须在{spec.low:g}到{spec.high:g} {spec.unit}之间")
        checks.require(f"{at}duration_s", 0 <= c.duration_s <= MAX_DURATION_S, "持续时长须在0到24小时之间")
        checks.require(f"{at}repeats", 1 <= c.repeats <= MAX_REPEATS, "连续次数须在1到100之间")
        checks.require(f"{at}duration_s", not (c.duration_s and c.repeats > 1), "持续时长与连续次数只能选其一",
                       "DURATION_AND_REPEATS")
        if severity and comparator and severity not in seen:
            seen.add(severity)
            conditions.append(Condition(severity, Threshold(comparator, c.value), c.duration_s, c.repeats))
    clear = None
    if data.clear_comparator is not None or data.clear_value is not None:
        comparator = checks.parse(f"{prefix}clear_comparator", choice(Comparator, "比较符须为 > >= < <="),
                                  data.clear_comparator or "")
        checks.require(f"{prefix}clear_value", data.clear_value is not None, "请填写恢复阈值", "REQUIRED")
        if comparator and data.clear_value is not None:
            clear = Threshold(comparator, data.clear_value)
            overlap = any(clear.overlaps(c.threshold) for c in conditions)
            checks.require(f"{prefix}clear_value", not overlap, "恢复条件不能与告警条件重叠（需留出回差）",
                           "CLEAR_OVERLAPS")
    return Thresholds(tuple(conditions), clear) if conditions else None


def _schedule(checks: Checks, data: ScheduleInput | None) -> Schedule | None:
    if data is None:
        return None
    checks.require("schedule.weekdays", bool(data.weekdays) and all(1 <= d <= 7 for d in data.weekdays),
                   "星期须为1（周一）到7（周日）")
    start = checks.parse("schedule.start", _clock_time, data.start)
    end = checks.parse("schedule.end", _clock_time, data.end)
    return Schedule(frozenset(data.weekdays), start, end) if start and end else None


@frozen
class RuleInput:
    name: str
    vital: str
    alarm_kind: str
    thresholds: ThresholdsInput
    model_id: str | None = None
    schedule: ScheduleInput | None = None
    active: bool = True


def create_rule(rt: Runtime, principal: Principal, data: RuleInput) -> AlarmRuleView:
    require(principal, Operation.ALARM_RULE_WRITE)
    checks = Checks()
    name = checks.text("name", data.name, label="规则名称", max_len=64)
    vital = checks.parse("vital", choice(Vital, "监测指标不存在"), data.vital)
    kind = checks.parse("alarm_kind", choice(AlarmKind, "告警类型不存在"), data.alarm_kind)
    checks.require("alarm_kind", kind is None or kind in RULE_KINDS,
                   "呼救、跌倒、离线告警由设备或巡检产生，不能配置阈值", "NOT_A_RULE_KIND")
    thresholds = _thresholds(checks, data.thresholds, vital)
    schedule = _schedule(checks, data.schedule)
    now = rt.clock.now()
    with rt.uow() as uow:
        if data.model_id is not None:
            checks.require("model_id", uow.device_models.get(data.model_id) is not None, "设备型号不存在",
                           "UNKNOWN_MODEL")
        checks.done()
        assert name is not None
        assert vital is not None
        assert kind is not None
        assert thresholds is not None
        rule = AlarmRule(id=rt.ids.new_id(), name=name, vital=vital, alarm_kind=kind, model_id=data.model_id,
                         thresholds=thresholds, schedule=schedule, active=data.active, created_at=now)
        rule.record_created(principal.actor, now)
        uow.alarm_rules.add(rule)
        uow.commit()
        return AlarmRuleView.of(rule)


def list_rules(rt: Runtime, principal: Principal) -> list[AlarmRuleView]:
    require(principal, Operation.ALARM_RULE_READ)
    with rt.uow() as uow:
        return [AlarmRuleView.of(r) for r in uow.alarm_rules.all()]


def set_override(rt: Runtime, principal: Principal, rule_id: str, elder_id: str, *,
                 thresholds: ThresholdsInput | None, enabled: bool = True) -> RuleOverrideView:
    """An elder's own thresholds for a rule (个性化阈值): e.g. a hypertensive elder's blood-pressure limits."""
    checks = Checks()
    now = rt.clock.now()
    with rt.uow() as uow:
        elder = load_elder(uow, principal, Operation.RULE_OVERRIDE_WRITE, elder_id)
        rule = uow.alarm_rules.get(rule_id)
        checks.require("rule_id", rule is not None, "告警规则不存在", "UNKNOWN_RULE")
        parsed = _thresholds(checks, thresholds, rule.vital if rule else None) if thresholds else None
        checks.done()
        existing = uow.rule_overrides.find(rule_id, elder.id)
        if existing is None:
            override = RuleOverride(id=rt.ids.new_id(), rule_id=rule_id, elder_id=elder.id,
                                    institution_id=elder.institution_id, thresholds=parsed, enabled=enabled,
                                    created_at=now)
            override.record_created(principal.actor, now)
            uow.rule_overrides.add(override)
        else:
            override = existing
            override.change({"thresholds": parsed, "enabled": enabled}, principal.actor, now)
            uow.rule_overrides.save(override)
        uow.commit()
        return RuleOverrideView.of(override)


def set_duty(rt: Runtime, principal: Principal, institution_id: str, *, duty_staff_ids: tuple[str, ...],
             escalate_after_min: dict[str, int] | None = None) -> DutySettingsView:
    """Who is on duty for the institution's alarms and how soon unanswered alarms escalate."""
    checks = Checks()
    now = rt.clock.now()
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.DUTY_WRITE, institution_id)
        for i, staff_id in enumerate(duty_staff_ids):
            member = uow.staff.get(staff_id)
            checks.require(f"duty_staff_ids.{i}", member is not None and member.active
                           and member.institution_id == institution_id, "值班人员不存在或不属于该机构", "UNKNOWN_STAFF")
        limits = dict(duty_settings(uow, institution_id, now).escalate_after_min)
        for key, minutes in (escalate_after_min or {}).items():
            severity = checks.parse(f"escalate_after_min.{key}", choice(Severity, "告警级别不存在"), key)
            checks.require(f"escalate_after_min.{key}", 0 <= minutes <= MAX_ESCALATION_MIN,
                           "升级时限须在0到1440分钟之间")
            if severity is not None:
                limits[severity] = minutes
        checks.done()
        settings = uow.duty_settings.get(institution_id)
        changes = {"duty_staff_ids": tuple(dict.fromkeys(duty_staff_ids)), "escalate_after_min": limits}
        if settings is None:
            settings = DutySettings(id=institution_id, created_at=now, **changes)  # type: ignore[arg-type]
            settings.record_created(principal.actor, now)
            uow.duty_settings.add(settings)
        else:
            settings.change(changes, principal.actor, now)
            uow.duty_settings.save(settings)
        uow.commit()
        return DutySettingsView.of(settings)


def get_duty(rt: Runtime, principal: Principal, institution_id: str) -> DutySettingsView:
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.DUTY_WRITE, institution_id)
        return DutySettingsView.of(duty_settings(uow, institution_id, rt.clock.now()))


def list_overrides(rt: Runtime, principal: Principal, elder_id: str) -> list[RuleOverrideView]:
    with rt.uow() as uow:
        load_elder(uow, principal, Operation.RULE_OVERRIDE_WRITE, elder_id)
        found = uow.rule_overrides.list(Visibility(everything=True), PageRequest(1, 100), elder_id=elder_id)
        return [RuleOverrideView.of(o) for o in found.items]
