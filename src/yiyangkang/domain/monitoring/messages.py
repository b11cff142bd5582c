"""What a device said, once decoded (设备消息): the codecs' output and the ingestion's input.

Every wire format (our standard protocol, ThingsBoard telemetry, the 4G watch text protocol, mmWave radar
frames, vendor JSON) decodes into the same few value objects, so ingestion, rules and alarms never see a
vendor's bytes. Times are timezone-aware UTC; `at=None` means "when it arrived"."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from attrs import field, frozen

from yiyangkang.domain.monitoring.vitals import Vital


class SignalKind(StrEnum):
    """Events a device reports by itself, as opposed to values (设备事件)."""

    SOS = "sos"  # 一键呼救 (band key, hub key, pull cord, voice, app)
    FALL = "fall"  # 跌倒
    LOW_BATTERY = "low_battery"  # 低电量


class SignalSource(StrEnum):
    BAND_KEY = "band_key"  # 手环SOS键
    HUB_KEY = "hub_key"  # 一键通主机SOS键
    PULL_CORD = "pull_cord"  # 拉绳
    VOICE = "voice"  # 语音呼救
    APP = "app"  # 小程序一键呼救 (M-12)
    RADAR = "radar"  # 毫米波雷达
    SENSOR = "sensor"  # 行为识别/AI 康养传感器
    DEVICE = "device"  # the device itself (battery, status bits)


@frozen
class Measurement:
    vital: Vital
    value: float = field(converter=float)
    at: datetime | None = None  # device time


@frozen
class Signal:
    kind: SignalKind
    source: SignalSource
    at: datetime | None = None
    detail: str = ""


@frozen
class CheckupItem:
    """One line of a check-up report (体检报告): e.g. 血糖 6.1 mmol/L 参考 3.9-6.1, flag H/L or empty."""

    name: str
    value: str
    unit: str = ""
    reference: str = ""
    flag: str = ""


@frozen
class Checkup:
    """A health robot's check-up (D-09): structured lines plus the original document, if it sent one."""

    items: tuple[CheckupItem, ...]
    conclusion: str = ""
    at: datetime | None = None
    document: bytes | None = None


@frozen
class DeviceMessage:
    """One message of one device. `key` identifies it for deduplication: with `own_key` it is the device's own
    message id, unique per message, so any second arrival is a duplicate; otherwise it is a digest of the
    frame, which a device also produces when it honestly says the same thing twice (a radar's fall frame has
    no time in it), so only a redelivery of the transport counts as a duplicate. `keepalive` marks
    heartbeats: what they carry (battery, steps) is kept, but they do not prove the device is measuring."""

    serial: str
    key: str
    measurements: tuple[Measurement, ...] = ()
    signals: tuple[Signal, ...] = ()
    checkup: Checkup | None = None
    keepalive: bool = False
    own_key: bool = False


@frozen
class Reply:
    """What the platform must send back (the watch's `AL` answer, our protocol's ack)."""

    topic: str
    payload: bytes


@frozen
class Decoded:
    messages: tuple[DeviceMessage, ...]
    replies: tuple[Reply, ...] = ()


class FrameRejected(Exception):
    """A frame that cannot be decoded: it goes to the dead-letter store with `reason` (a stable code) and
    `message` (Chinese, for the operator reading the store)."""

    def __init__(self, reason: str, message: str, *, serial: str | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message
        self.serial = serial
