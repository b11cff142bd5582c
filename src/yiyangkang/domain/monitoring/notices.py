"""Alarm notices (告警通知): who is told about an alarm, and the outbox that tells them exactly once.

Notices are written in the same transaction as the alarm (an outbox), then delivered after commit by
whoever committed (the device bridge, the API, the scan). A delivery claims a notice before sending, so two
deliverers never send the same one; one left claimed by a crashed process is retried after
`RECLAIM_AFTER`: at-least-once towards the SMS/WeChat provider, which receives the notice id as its
idempotency key."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from attrs import define

from yiyangkang.domain.kernel.masking import mask_phone
from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.domain.monitoring.rules import ALARM_KIND_LABELS, SEVERITY_LABELS, AlarmKind, Severity

RECLAIM_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 5


class Recipient(StrEnum):
    FAMILY = "family"  # 家属
    DOCTOR = "doctor"  # 主医生
    DUTY = "duty"  # 值班人员
    ADMIN = "admin"  # 机构管理员 (escalation)


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@define(slots=False, kw_only=True)
class AlarmNotice:
    """One message about one alarm to one person (an account in-app and/or a phone by SMS)."""

    id: str
    alarm_id: str
    institution_id: str
    recipient: Recipient
    person_id: str  # family member, staff member or account id
    account_id: str | None
    phone: str | None
    title: str
    body: str
    personal: tuple[str, ...] = ()  # names in title/body that records of the notice must mask
    status: NoticeStatus = NoticeStatus.PENDING
    attempts: int = 0
    error: str = ""
    created_at: datetime
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    version: int = 0

    masked_fields = {"phone": mask_phone}

    def claimable(self, now: datetime) -> bool:
        if self.status is NoticeStatus.PENDING:
            return True
        return (self.status is NoticeStatus.SENDING and self.claimed_at is not None
                and now - self.claimed_at >= RECLAIM_AFTER)

    def sent(self, at: datetime) -> None:
        self.status, self.sent_at, self.error = NoticeStatus.SENT, at, ""

    def failed(self, error: str) -> None:
        self.attempts += 1
        self.error = error[:200]
        self.status = NoticeStatus.FAILED if self.attempts >= MAX_ATTEMPTS else NoticeStatus.PENDING


def alarm_text(*, kind: AlarmKind, severity: Severity, elder_name: str, at: datetime, where: str, detail: str,
               number: str, escalated: bool = False) -> tuple[str, str]:
    """Title and body of an alarm message: who, what, when, where, and the number to quote."""
    label, level = ALARM_KIND_LABELS[kind], SEVERITY_LABELS[severity]
    prefix = "【升级】" if escalated else ""
    title = f"{prefix}{level}告警：{elder_name} {label}"
    place = f"，位置：{where}" if where else ""
    body = f"{elder_name}于{local_text(at)}发生{label}（{level}）{place}。{detail}。告警编号{number}，请尽快处理。"
    return title, body
