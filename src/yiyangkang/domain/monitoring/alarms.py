"""Alarms (告警, D-02, S-09, M-12): one open alarm per elder, kind and subject; repeats refresh it.

Two independent steps close the loop, each with who, when and a note:
    open (待处理) ──acknowledge (接警)──▶ acknowledged (处理中) ──close (结束)──▶ closed (已关闭)
      └──────────────── recover (自动恢复: the clear condition held) ───────────▶ closed
SOS and fall alarms never recover by themselves: a person closes them after seeing to the elder. An
alarm's severity only rises. Left unacknowledged past the institution's limit, it escalates (升级)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.monitoring.rules import MANUAL_ONLY, AlarmKind, Severity, higher


class AlarmStatus(StrEnum):
    OPEN = "open"  # 待处理
    ACKNOWLEDGED = "acknowledged"  # 处理中
    CLOSED = "closed"  # 已关闭


ALARM_STATUS_LABELS = {AlarmStatus.OPEN: "待处理", AlarmStatus.ACKNOWLEDGED: "处理中", AlarmStatus.CLOSED: "已关闭"}


class CloseReason(StrEnum):
    HANDLED = "handled"  # 已处置
    FALSE_ALARM = "false_alarm"  # 误报
    RECOVERED = "recovered"  # 自动恢复


A = AlarmStatus
ALARM_LIFECYCLE = Lifecycle.of("alarm", {A.OPEN: {A.ACKNOWLEDGED, A.CLOSED}, A.ACKNOWLEDGED: {A.CLOSED}})


def alarm_subject(kind: AlarmKind, *, vital: str | None = None, device_id: str | None = None) -> str:
    """What distinguishes two open alarms of one kind for one elder: the vital for abnormal readings and
    air, the device for device troubles, nothing for SOS, fall and the radar's bed alarms."""
    if kind in (AlarmKind.VITAL, AlarmKind.AIR):
        return vital or ""
    if kind in (AlarmKind.OFFLINE, AlarmKind.LOW_BATTERY):
        return device_id or ""
    return ""


def open_key(elder_id: str, kind: AlarmKind, subject: str = "") -> str:
    """The key of "the open alarm of this elder, kind and subject" (unique among open alarms)."""
    return f"{elder_id}|{kind.value}|{subject}"


@define(slots=False, kw_only=True)
class Alarm(Aggregate):
    kind = "alarm"

    number: str  # 告警编号, e.g. BJ2026112600001
    institution_id: str
    elder_id: str
    alarm_kind: AlarmKind
    subject: str = ""
    severity: Severity
    status: AlarmStatus = AlarmStatus.OPEN
    device_id: str | None = None  # None: raised from the mini-program (M-12)
    rule_id: str | None = None
    source: str = ""  # pull_cord, band_key, radar, app …
    detail: str = ""  # what happened, for the person taking the call
    value: float | None = None  # the reading that raised or last repeated it
    first_at: datetime  # device time of the first occurrence
    last_at: datetime  # device time of the latest occurrence
    count: int = 1
    escalation_level: int = 0
    escalated_at: datetime | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    acknowledge_note: str = ""
    closed_by: str | None = None
    closed_at: datetime | None = None
    close_reason: CloseReason | None = None
    close_note: str = ""
    created_at: datetime

    @property
    def open_key(self) -> str:
        return open_key(self.elder_id, self.alarm_kind, self.subject)

    @property
    def is_open(self) -> bool:
        return self.status is not AlarmStatus.CLOSED

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "elder_id": self.elder_id, "alarm_kind": self.alarm_kind.value,
                "subject": self.subject, "severity": self.severity.value, "status": self.status.value,
                "device_id": self.device_id, "source": self.source}

    def repeat(self, severity: Severity, at: datetime, *, detail: str, value: float | None) -> bool:
        """Another occurrence while open: count it, keep the newest time and detail; severity only rises.
        Returns True when the severity rose (which deserves telling people again)."""
        if not self.is_open:
            raise Conflict("告警已关闭", code="ALARM_CLOSED")
        self.count += 1
        if at >= self.last_at:
            self.last_at, self.detail, self.value = at, detail or self.detail, value
        risen = higher(self.severity, severity)
        if risen is self.severity:
            return False
        before = self.severity
        self.severity = risen
        self.note("severity_raised", Actor.system("rules"), at, before={"severity": before.value},
                  after={"severity": risen.value})
        return True

    def acknowledge(self, actor: Actor, at: datetime, note: str = "") -> None:
        ALARM_LIFECYCLE.move(self, A.ACKNOWLEDGED, actor=actor, at=at, reason=note)
        self.acknowledged_by, self.acknowledged_at, self.acknowledge_note = actor.id, at, note

    def close(self, actor: Actor, at: datetime, reason: CloseReason, note: str = "") -> None:
        """A person closes the alarm; it must have been acknowledged first, so someone owned it."""
        if reason is CloseReason.RECOVERED:
            raise Conflict("自动恢复只能由规则触发", code="ALARM_RECOVER_BY_RULE")
        if self.status is A.OPEN:
            raise Conflict("请先接警，再结束告警", code="ALARM_NOT_ACKNOWLEDGED")
        self._close(actor, at, reason, note)

    def recover(self, at: datetime, detail: str) -> bool:
        """The clear condition held: close by itself, except SOS and fall, which wait for a person."""
        if self.alarm_kind in MANUAL_ONLY or not self.is_open:
            return False
        self._close(Actor.system("rules"), at, CloseReason.RECOVERED, detail)
        return True

    def _close(self, actor: Actor, at: datetime, reason: CloseReason, note: str) -> None:
        ALARM_LIFECYCLE.move(self, A.CLOSED, actor=actor, at=at, reason=note, event=reason.value)
        self.closed_by, self.closed_at, self.close_reason, self.close_note = actor.id, at, reason, note

    def escalate(self, at: datetime) -> None:
        """Still unacknowledged past the limit: the next circle of people is told."""
        if self.status is not A.OPEN:
            raise Conflict("告警已有人处理", code="ALARM_ALREADY_ACKNOWLEDGED")
        self.escalation_level += 1
        self.escalated_at = at
        self.note("escalated", Actor.system("escalation"), at, after={"escalation_level": self.escalation_level})
