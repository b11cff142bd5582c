"""What monitoring keeps besides alarms: readings, check-up reports, dead letters, video-call requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.monitoring.messages import CheckupItem
from yiyangkang.domain.monitoring.vitals import Vital


@frozen
class Reading:
    """One normalised observation (监测数据): `at` is the device's time (clamped when it lay in the
    future), `received_at` when the platform got it; the two are kept apart so a band that buffered an
    hour offline still files its readings under the hour they were taken."""

    elder_id: str
    device_id: str
    vital: Vital
    value: float
    at: datetime
    received_at: datetime
    clamped: bool = False


@frozen
class DeadLetter:
    """A frame the platform could not accept (死信), kept with the reason for the operator."""

    id: str
    received_at: datetime
    channel: str  # mqtt topic, or "http:<codec>"
    codec: str
    serial: str | None
    reason: str  # stable code, e.g. BAD_CHECKSUM, UNKNOWN_DEVICE, IMPLAUSIBLE_VALUE
    message: str  # Chinese, for the operator
    payload: bytes


@define(slots=False, kw_only=True)
class CheckupReport(Aggregate):
    """A check-up by the health robot (体检报告, D-09): the structured lines and the original document."""

    kind = "checkup_report"

    institution_id: str
    elder_id: str
    device_id: str
    taken_at: datetime
    items: tuple[CheckupItem, ...]
    conclusion: str = ""
    document: FileRef | None = None
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"elder_id": self.elder_id, "device_id": self.device_id, "items": len(self.items)}


class CallStatus(StrEnum):
    REQUESTED = "requested"  # 已发起
    ANSWERED = "answered"  # 已接通
    MISSED = "missed"  # 未接通


@define(slots=False, kw_only=True)
class CallRequest(Aggregate):
    """A video-call request from the mini-program's one-tap SOS (视频急救, M-12) to the elder's family and
    primary doctor. The call itself is placed by the video service of the care-services work; this
    record is what it picks up."""

    kind = "call_request"

    institution_id: str
    elder_id: str
    alarm_id: str
    requested_by: str  # account id
    invitees: tuple[str, ...]  # account ids of family members and the doctor
    status: CallStatus = CallStatus.REQUESTED
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"elder_id": self.elder_id, "alarm_id": self.alarm_id, "invitees": list(self.invitees),
                "status": self.status.value}
