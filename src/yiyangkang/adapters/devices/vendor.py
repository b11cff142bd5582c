"""Vendor JSON devices (合作厂商设备): one generic table-driven decoder, one small table per vendor.

A table names where the vendor puts its serial and time (and the time's unit), which fields are which vitals,
which field carries the event and what each event value means, and where a check-up report lives. Fields are
dotted paths (`data.pm25`). Vendor payloads are decoded tolerantly: unknown fields are ignored, numbers may be
strings, null means "no reading"; but a known field with a bad value refuses the whole frame."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from attrs import field, frozen

from yiyangkang.adapters.devices.common import (
    BOOLEAN_VITALS,
    boundary,
    check_size,
    digest_key,
    document,
    number,
    parse_json,
    reject,
    require_object,
    require_serial,
    text,
    utc_from_epoch,
)
from yiyangkang.domain.monitoring.messages import (
    Checkup,
    CheckupItem,
    Decoded,
    DeviceMessage,
    Measurement,
    Signal,
    SignalKind,
    SignalSource,
)
from yiyangkang.domain.monitoring.vitals import Vital

SECONDS = 1000
MILLISECONDS = 1


@frozen
class EventRule:
    """What one value of the event field means: a signal (with a fixed source, or one looked up in another
    field), a keep-alive, or nothing but "the values in this frame are current"."""

    kind: SignalKind | None = None
    source: SignalSource = SignalSource.SENSOR  # fixed source, or the fallback of `source_field`
    source_field: str | None = None
    sources: Mapping[str, SignalSource] = field(factory=dict)
    keepalive: bool = False


@frozen
class CheckupFields:
    """Where a vendor puts a check-up report (体检报告) and what it calls its parts."""

    report: str
    items: str
    name: str
    value: str
    unit: str
    reference: str
    flag: str
    conclusion: str
    document: str


@frozen
class VendorSpec:
    codec: str
    label: str
    serial_field: str
    time_field: str
    time_unit: int  # SECONDS or MILLISECONDS
    fields: Mapping[str, Vital]
    event_field: str | None = None
    events: Mapping[str, EventRule] = field(factory=dict)
    checkup: CheckupFields | None = None


_HEARTBEAT = EventRule(keepalive=True)
_JUST_VALUES = EventRule()

SPECS: dict[str, VendorSpec] = {
    spec.codec: spec
    for spec in (
        VendorSpec(
            "csu-air",
            "中南大学室内空气监测仪",
            serial_field="devId",
            time_field="time",
            time_unit=SECONDS,
            fields={
                "data.pm25": Vital.PM25,
                "data.co2": Vital.CO2,
                "data.tvoc": Vital.TVOC,
                "data.temp": Vital.ROOM_TEMPERATURE,
                "data.humi": Vital.HUMIDITY,
            },
        ),
        VendorSpec(
            "csu-behaviour",
            "中南大学行为识别传感器",
            serial_field="devId",
            time_field="time",
            time_unit=SECONDS,
            fields={"present": Vital.PRESENCE},
            event_field="event",
            events={
                "fall": EventRule(SignalKind.FALL, SignalSource.SENSOR),
                "help": EventRule(SignalKind.SOS, SignalSource.SENSOR),  # 求救手势
                "presence": _JUST_VALUES,
                "heartbeat": _HEARTBEAT,
            },
        ),
        VendorSpec(
            "sysu-air",
            "中山大学空气质量监测仪",
            serial_field="sn",
            time_field="timestamp",
            time_unit=MILLISECONDS,
            fields={
                "PM2_5": Vital.PM25,
                "CO2": Vital.CO2,
                "TVOC": Vital.TVOC,
                "Temperature": Vital.ROOM_TEMPERATURE,
                "Humidity": Vital.HUMIDITY,
            },
        ),
        VendorSpec(
            "sysu-care",
            "中山大学 AI 康养传感器",
            serial_field="sn",
            time_field="timestamp",
            time_unit=MILLISECONDS,
            fields={
                "person": Vital.PRESENCE,
                "vital.br": Vital.RESPIRATORY_RATE,
                "vital.hr": Vital.HEART_RATE,
                "env.temp": Vital.ROOM_TEMPERATURE,
                "env.humi": Vital.HUMIDITY,
            },
            event_field="alarm",
            events={
                "fall": EventRule(SignalKind.FALL, SignalSource.SENSOR),
                "voice_help": EventRule(SignalKind.SOS, SignalSource.VOICE),  # 语音呼救
                "none": _JUST_VALUES,
            },
        ),
        VendorSpec(
            "guardian-hub",
            "守护一键通",
            serial_field="imei",
            time_field="time",
            time_unit=SECONDS,
            fields={"battery": Vital.BATTERY},
            event_field="msgType",
            events={
                "alarm": EventRule(
                    SignalKind.SOS,
                    SignalSource.HUB_KEY,
                    source_field="trigger",
                    sources={"key": SignalSource.HUB_KEY, "cord": SignalSource.PULL_CORD, "voice": SignalSource.VOICE},
                ),
                "lowBattery": EventRule(SignalKind.LOW_BATTERY, SignalSource.DEVICE),
                "heartbeat": _HEARTBEAT,
            },
        ),
        VendorSpec(
            "xiaoxin-robot",
            "小新健康机器人",
            serial_field="deviceNo",
            time_field="reportTime",
            time_unit=MILLISECONDS,
            fields={
                "result.sbp": Vital.SYSTOLIC,
                "result.dbp": Vital.DIASTOLIC,
                "result.pulse": Vital.HEART_RATE,
                "result.spo2": Vital.SPO2,
                "result.temperature": Vital.BODY_TEMPERATURE,
                "result.glucose": Vital.BLOOD_GLUCOSE,
                "result.weight": Vital.WEIGHT,
            },
            event_field="type",
            events={"measure": _JUST_VALUES, "checkup": _JUST_VALUES},
            checkup=CheckupFields(
                report="report",
                items="items",
                name="itemName",
                value="itemValue",
                unit="unit",
                reference="refRange",
                flag="abnormal",
                conclusion="summary",
                document="file",
            ),
        ),
    )
}


def up_topic(codec: str, serial: str) -> str:
    return f"vendor/{codec}/{serial}/up"


def decode_vendor(codec: str, serial: str, payload: bytes) -> Decoded:
    with boundary(serial):
        spec = SPECS.get(codec)
        if spec is None:
            reject("UNKNOWN_CODEC", f"未知的厂商编解码器 {codec[:40]!r}")
        serial = require_serial(serial)
        check_size(payload)
        return _decode(spec, serial, payload)


def _decode(spec: VendorSpec, serial: str, payload: bytes) -> Decoded:
    doc = require_object(parse_json(payload), f"{spec.label}报文")
    claimed = _lookup(doc, spec.serial_field)
    if claimed is not None:
        if isinstance(claimed, bool) or not isinstance(claimed, str | int):
            reject("BAD_VALUE", f"{spec.serial_field} 应为字符串")
        if str(claimed) != serial:
            reject("SERIAL_MISMATCH", f"{spec.serial_field}={str(claimed)[:64]!r} 与主题或 URL 中的 {serial} 不一致")
    raw_time = _lookup(doc, spec.time_field)
    at = None if raw_time is None else utc_from_epoch(raw_time, spec.time_field, unit_ms=spec.time_unit)
    measurements = tuple(
        Measurement(vital, number(raw, path, strings=True, booleans=vital in BOOLEAN_VITALS), at)
        for path, vital in spec.fields.items()
        if (raw := _lookup(doc, path)) is not None
    )
    signals, keepalive = _event(spec, doc, at)
    checkup = _checkup(spec.checkup, doc, at) if spec.checkup is not None else None
    if not (measurements or signals or checkup or keepalive):
        reject("NO_VALUES", f"{spec.label}报文中没有可识别的数据")
    key = digest_key(spec.codec, up_topic(spec.codec, serial), serial, payload)
    return Decoded((DeviceMessage(serial, key, measurements, signals, checkup, keepalive),))


def _lookup(doc: dict[str, object], path: str) -> object:
    """The value at a dotted path, None when absent (or null)."""
    value: object = doc
    walked: list[str] = []
    for part in path.split("."):
        if value is None:
            return None
        value = require_object(value, ".".join(walked) or "报文").get(part)
        walked.append(part)
    return value


def _event(spec: VendorSpec, doc: dict[str, object], at: datetime | None) -> tuple[tuple[Signal, ...], bool]:
    if spec.event_field is None:
        return (), False
    value = _lookup(doc, spec.event_field)
    if value is None:
        return (), False
    if not isinstance(value, str) or value not in spec.events:
        reject("UNKNOWN_COMMAND", f"{spec.event_field}={str(value)[:40]!r} 未定义")
    rule = spec.events[value]
    if rule.kind is None:
        return (), rule.keepalive
    source, detail = rule.source, ""
    if rule.source_field is not None:
        # An alarm is never dropped over its auxiliary field: an unknown trigger falls back to the fixed source.
        trigger = _lookup(doc, rule.source_field)
        if isinstance(trigger, str) and trigger in rule.sources:
            source = rule.sources[trigger]
        else:
            detail = f"{rule.source_field}={str(trigger)[:40]!r} 未定义，按 {source.value} 处理"
    return (Signal(rule.kind, source, at, detail),), rule.keepalive


def _checkup(fields: CheckupFields, doc: dict[str, object], at: datetime | None) -> Checkup | None:
    raw = _lookup(doc, fields.report)
    if raw is None:
        return None
    report = require_object(raw, fields.report)
    raw_items = report.get(fields.items) or []
    if not isinstance(raw_items, list):
        reject("BAD_SCHEMA", f"{fields.report}.{fields.items} 应为数组")
    items = []
    for index, raw_item in enumerate(raw_items):
        where = f"{fields.report}.{fields.items}[{index}]"
        item = require_object(raw_item, where)
        name = _text(item.get(fields.name), f"{where}.{fields.name}", 64)
        if not name:
            reject("BAD_VALUE", f"{where}.{fields.name} 为空")
        items.append(
            CheckupItem(
                name,
                _text(item.get(fields.value), f"{where}.{fields.value}", 64),
                _text(item.get(fields.unit), f"{where}.{fields.unit}", 32),
                _text(item.get(fields.reference), f"{where}.{fields.reference}", 64),
                _text(item.get(fields.flag), f"{where}.{fields.flag}", 16),
            )
        )
    conclusion = _text(report.get(fields.conclusion), f"{fields.report}.{fields.conclusion}", 4000)
    raw_document = report.get(fields.document)
    file = None if raw_document is None else document(raw_document, f"{fields.report}.{fields.document}")
    if not items and not conclusion and file is None:
        return None
    return Checkup(tuple(items), conclusion, at, file)


def _text(value: object, what: str, limit: int) -> str:
    """Vendor text: null is empty, numbers are written as JSON writes them (a robot sends 6.1, not "6.1")."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text(repr(number(value, what)) if isinstance(value, float) else str(value), what, limit=limit)
    return text(value, what, limit=limit)
