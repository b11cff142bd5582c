"""Who is told about alarms and how (HB-13 / D-02 alarm records, M-12 SOS): duty settings and escalation
limits, the notice outbox (claim, retry, give up) and the alarm message text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiyangkang.domain.monitoring.duty import DEFAULT_ESCALATION_MIN, DutySettings
from yiyangkang.domain.monitoring.notices import (
    MAX_ATTEMPTS,
    RECLAIM_AFTER,
    AlarmNotice,
    NoticeStatus,
    Recipient,
    alarm_text,
)
from yiyangkang.domain.monitoring.rules import ALARM_KIND_LABELS, SEVERITY_LABELS, AlarmKind, Severity

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def new_notice(**changes: Any) -> AlarmNotice:
    fields: dict[str, Any] = {
        "id": "notice-1", "alarm_id": "alarm-1", "institution_id": "inst-1", "recipient": Recipient.FAMILY,
        "person_id": "family-1", "account_id": "acct-family-1", "phone": "13800138000", "title": "t", "body": "b",
        "created_at": T0,
    }
    fields.update(changes)
    return AlarmNotice(**fields)


# -- duty settings ----------------------------------------------------------------------------------------------------

def test_default_escalation_limits() -> None:
    """HB-13: critical after 3 minutes, major 10, minor 30, warnings never; a settings object gets its own copy."""
    duty = DutySettings(id="inst-1", created_at=T0)
    assert duty.escalate_after_min == {Severity.CRITICAL: 3, Severity.MAJOR: 10, Severity.MINOR: 30,
                                       Severity.WARNING: 0}
    assert duty.institution_id == "inst-1"
    duty.escalate_after_min[Severity.MAJOR] = 1
    assert DEFAULT_ESCALATION_MIN[Severity.MAJOR] == 10
    assert DutySettings(id="inst-2", created_at=T0).escalate_after_min[Severity.MAJOR] == 10


def test_escalation_is_due_at_the_limit_and_never_for_zero() -> None:
    """HB-13: an unacknowledged critical alarm escalates at 3 minutes, not a second earlier; 0 is never."""
    duty = DutySettings(id="inst-1", created_at=T0)
    assert not duty.escalation_due(Severity.CRITICAL, T0, T0 + timedelta(seconds=179))
    assert duty.escalation_due(Severity.CRITICAL, T0, T0 + timedelta(minutes=3))
    assert not duty.escalation_due(Severity.MAJOR, T0, T0 + timedelta(minutes=9, seconds=59))
    assert duty.escalation_due(Severity.MAJOR, T0, T0 + timedelta(minutes=10))
    assert not duty.escalation_due(Severity.WARNING, T0, T0 + timedelta(days=365))
    duty.escalate_after_min = {Severity.CRITICAL: 0}
    assert not duty.escalation_due(Severity.CRITICAL, T0, T0 + timedelta(days=1))
    assert not duty.escalation_due(Severity.MAJOR, T0, T0 + timedelta(days=1))  # missing: never


@given(minutes=st.integers(0, 24 * 60), elapsed_s=st.integers(0, 2 * 24 * 3600),
       severity=st.sampled_from(list(Severity)))
@settings(max_examples=200, deadline=None)
def test_escalation_due_matches_its_definition(minutes: int, elapsed_s: int, severity: Severity) -> None:
    """HB-13: due exactly when the limit is positive and the alarm has waited at least that long."""
    duty = DutySettings(id="inst-1", escalate_after_min={severity: minutes}, created_at=T0)
    assert duty.escalation_due(severity, T0, T0 + timedelta(seconds=elapsed_s)) is (
        minutes > 0 and elapsed_s >= minutes * 60)


# -- the notice outbox ------------------------------------------------------------------------------------------------

def test_pending_notices_are_claimable_and_claimed_ones_only_after_the_reclaim_delay() -> None:
    """HB-13: two deliverers never send one notice; a claim left by a crashed process is retried after
    five minutes; sent and failed notices are never claimed again."""
    assert new_notice().claimable(T0)
    sending = new_notice(status=NoticeStatus.SENDING, claimed_at=T0)
    assert not sending.claimable(T0)
    assert not sending.claimable(T0 + RECLAIM_AFTER - timedelta(seconds=1))
    assert sending.claimable(T0 + RECLAIM_AFTER)
    assert not new_notice(status=NoticeStatus.SENDING, claimed_at=None).claimable(T0 + timedelta(days=1))
    assert not new_notice(status=NoticeStatus.SENT, sent_at=T0).claimable(T0 + timedelta(days=1))
    assert not new_notice(status=NoticeStatus.FAILED).claimable(T0 + timedelta(days=1))


def test_a_failed_delivery_is_retried_until_the_last_attempt() -> None:
    """HB-13: each failure counts; the notice goes back to pending until MAX_ATTEMPTS, then stays failed."""
    notice = new_notice(status=NoticeStatus.SENDING, claimed_at=T0)
    for attempt in range(1, MAX_ATTEMPTS):
        notice.failed(f"短信网关超时 {attempt}")
        assert (notice.status, notice.attempts, notice.error) == (NoticeStatus.PENDING, attempt, f"短信网关超时 {attempt}")
        assert notice.claimable(T0)
    notice.failed("x" * 500)
    assert (notice.status, notice.attempts, len(notice.error)) == (NoticeStatus.FAILED, MAX_ATTEMPTS, 200)
    assert not notice.claimable(T0 + timedelta(days=1))


def test_a_sent_notice_forgets_earlier_errors() -> None:
    """HB-13: sent is final and clean."""
    notice = new_notice()
    notice.failed("timeout")
    notice.sent(T0 + timedelta(minutes=1))
    assert (notice.status, notice.sent_at, notice.error, notice.attempts) == (
        NoticeStatus.SENT, T0 + timedelta(minutes=1), "", 1)


# -- the alarm message ------------------------------------------------------------------------------------------------

def test_alarm_text_says_who_what_when_where_and_which_number() -> None:
    """M-12, HB-13: title and body name the elder, the kind and level, the Shanghai local time (16:30 UTC
    is already the next day there), the place, the detail and the number to quote."""
    title, body = alarm_text(kind=AlarmKind.SOS, severity=Severity.CRITICAL, elder_name="李秀英",
                             at=datetime(2026, 11, 26, 16, 30, tzinfo=UTC), where="卧室床头",
                             detail="拉绳呼救", number="BJ2026112700001")
    assert title == "紧急告警：李秀英 紧急呼救"
    assert body == ("李秀英于2026-11-27 00:30发生紧急呼救（紧急），位置：卧室床头。拉绳呼救。"
                    "告警编号BJ2026112700001，请尽快处理。")
    assert "2026-11-26" not in body


def test_an_escalated_alarm_says_so_and_a_missing_place_is_left_out() -> None:
    """HB-13: escalation messages carry 【升级】; without a place there is no empty 位置 clause."""
    title, body = alarm_text(kind=AlarmKind.VITAL, severity=Severity.MAJOR, elder_name="王建国", at=T0, where="",
                             detail="心率 135 /min", number="BJ2026112600002", escalated=True)
    assert title == "【升级】严重告警：王建国 体征异常"
    assert "位置" not in body and "2026-11-26 11:00" in body and "BJ2026112600002" in body


@pytest.mark.parametrize("kind", list(AlarmKind))
@pytest.mark.parametrize("severity", list(Severity))
def test_every_kind_and_severity_has_a_label_in_the_text(kind: AlarmKind, severity: Severity) -> None:
    """HB-13: no alarm kind or level reaches people as a code."""
    title, body = alarm_text(kind=kind, severity=severity, elder_name="张桂兰", at=T0, where="客厅", detail="d",
                             number="BJ1")
    for text in (title, body):
        assert ALARM_KIND_LABELS[kind] in text and SEVERITY_LABELS[severity] in text and "张桂兰" in text
    assert not title.startswith("【升级】")
