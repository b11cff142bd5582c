"""Request bodies of the monitoring endpoints (健康监测)."""

from datetime import date
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from apps.api.schemas import Body, Id, ShortText

Code = Annotated[str, Meta(max_length=32, pattern=r"^[a-z0-9_\-]*$")]
Serial = Annotated[str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Digits = Annotated[str, Meta(min_length=1, max_length=24, pattern=r"^[0-9]+$")]
Note = Annotated[str, Meta(max_length=500, pattern=r"^[^\x00-\x1f\x7f]*$")]
Value = Annotated[float, Meta(ge=-1_000_000, le=1_000_000)]
Seconds = Annotated[int, Meta(ge=0, le=7 * 24 * 3600)]
Minutes = Annotated[int, Meta(ge=0, le=1440)]
Comparator = Literal[">", ">=", "<", "<="]


class DeviceModelIn(Body):
    name: ShortText
    vendor: ShortText
    device_kind: Code
    codec: Code
    vitals: list[Code] = []
    data_interval_s: Seconds = 0
    heartbeat_is_data: bool = False


class DeviceIn(Body):
    model_id: Id
    serial: Serial
    location: ShortText = ""
    institution_id: Id | None = None


class BindIn(Body):
    elder_id: Id


class ReasonIn(Body):
    reason: Note = ""


class SimIn(Body):
    iccid: Digits
    msisdn: Digits
    carrier: ShortText
    plan_minutes: Annotated[int, Meta(ge=0, le=100_000)]
    plan_data_mb: Annotated[int, Meta(ge=0, le=10_000_000)]
    activated_on: date
    expires_on: date
    institution_id: Id | None = None


class AttachIn(Body):
    device_id: Id | None = None


class RenewIn(Body):
    expires_on: date


class ConditionIn(Body):
    severity: Code
    comparator: Comparator
    value: Value
    duration_s: Annotated[int, Meta(ge=0, le=24 * 3600)] = 0
    repeats: Annotated[int, Meta(ge=1, le=100)] = 1


class ThresholdsIn(Body):
    conditions: Annotated[list[ConditionIn], Meta(max_length=4)]
    clear_comparator: Comparator | None = None
    clear_value: Value | None = None


class ScheduleIn(Body):
    weekdays: Annotated[list[Annotated[int, Meta(ge=1, le=7)]], Meta(max_length=7)] = msgspec.field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7])
    start: Annotated[str, Meta(pattern=r"^[0-2][0-9]:[0-5][0-9]$")] = "00:00"
    end: Annotated[str, Meta(pattern=r"^[0-2][0-9]:[0-5][0-9]$")] = "00:00"


class RuleIn(Body):
    name: ShortText
    vital: Code
    alarm_kind: Code
    thresholds: ThresholdsIn
    model_id: Id | None = None
    schedule: ScheduleIn | None = None
    active: bool = True


class OverrideIn(Body):
    thresholds: ThresholdsIn | None = None
    enabled: bool = True


class DutyIn(Body):
    duty_staff_ids: Annotated[list[Id], Meta(max_length=50)]
    escalate_after_min: dict[Code, Minutes] | None = None


class NoteIn(Body):
    note: Note = ""


class CloseIn(Body):
    reason: Literal["handled", "false_alarm"]
    note: Note = ""
